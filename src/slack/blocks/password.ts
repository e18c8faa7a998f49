import type { types } from '@slack/bolt';
import type { PasswordHandover } from '../../pipeline/migration-service.js';
import { ACTION, CALLBACK, buttonValue } from '../ids.js';
import type { SlackMessage } from './request-message.js';
import { LIMITS, actions, button, composeMessage, context, escapeMrkdwn, exact, fallbackText, plainText, section, type KnownBlock } from './limits.js';
import { slackDate } from './format.js';
import { who } from './mrkdwn.js';

/**
 * The password hand-over in a migration's thread: posted once the destination account exists. The password itself
 * is never in it: its recipient opens it with the button (in a modal only they see) until they acknowledge it.
 */
export function handoverMessage(input: { jobId: string; nonce: string; address: string; handover: PasswordHandover }): SlackMessage {
  const { handover } = input;
  const recipient = who(handover.recipient, 'the approver who approves the request');
  const typed = handover.typedByRequester ? ' It was typed by the requester in the request.' : ' It was generated to the service\'s password policy.';
  const address = escapeMrkdwn(input.address);
  if (handover.state === 'acknowledged') {
    return {
      text: fallbackText(`Password of ${address} acknowledged`),
      blocks: composeMessage([
        section(
          `:key: The initial password of *${address}* was handed to ${recipient}, who confirmed storing it` +
            `${handover.acknowledgedAt ? ` on ${slackDate(handover.acknowledgedAt)}` : ''}: it is no longer stored and cannot be shown again.`,
        ),
      ]),
    };
  }
  if (handover.state === 'pending') {
    return {
      text: fallbackText(`The initial password of ${address} will be handed to its recipient`),
      blocks: composeMessage([section(`:key: The initial password of *${address}* goes to ${recipient} as soon as the account exists.${typed}`)]),
    };
  }
  const lines: KnownBlock[] = [
    section(
      `:key: ${recipient}: the initial password of *${address}* is ready.${typed} ` +
        'Only you can open it, as often as needed until you confirm you stored it.',
    ),
  ];
  return {
    text: fallbackText(`The initial password of ${address} is ready for its recipient`),
    blocks: composeMessage(lines, [
      actions(
        [button({ text: 'Show password', actionId: ACTION.showPassword, value: buttonValue(input.jobId, input.nonce), style: 'primary' })],
        `handover-${input.jobId}`.slice(0, 255),
      ),
      context(['The password is shown in a window only its recipient sees; it never appears in this channel.']),
    ]),
  };
}

/** What the password modal carries to its submission (`private_metadata`): never the password. */
export interface PasswordModalMetadata {
  jobId: string;
  nonce: string;
}

export function encodePasswordMetadata(meta: PasswordModalMetadata): string {
  return exact(JSON.stringify({ jobId: meta.jobId, nonce: meta.nonce }), LIMITS.privateMetadata, 'private_metadata');
}

/**
 * The modal that shows the destination password to its recipient. The password is plain text (no emoji, no
 * mrkdwn: what is shown is exactly what was set). Submitting ("I have stored it") acknowledges it, which deletes
 * the stored copy; closing ("Show again later") keeps it.
 */
export function passwordModal(input: { jobId: string; nonce: string; address: string; password: string }): types.ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.passwordAck,
    private_metadata: encodePasswordMetadata(input),
    title: plainText('Initial password', LIMITS.modalTitle),
    submit: plainText('I have stored it', LIMITS.modalButton),
    close: plainText('Show again later', LIMITS.modalButton),
    blocks: [
      { type: 'section', text: { type: 'plain_text', text: `Initial password of ${input.address}:`.slice(0, LIMITS.sectionText), emoji: false } },
      // exactly as set: never shortened, never formatted
      { type: 'section', block_id: 'password', text: { type: 'plain_text', text: exact(input.password, LIMITS.sectionText, 'password'), emoji: false } },
      context([
        'Store it in a safe place now (a password manager), then click "I have stored it": it is then deleted and cannot be shown again. ' +
          '"Show again later" keeps it until you confirm.',
      ]),
    ],
  };
}

/** Shown in place of the password modal when acknowledging it did not work. */
export function passwordNoticeModal(text: string): types.ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK.passwordAck,
    title: plainText('Initial password', LIMITS.modalTitle),
    close: plainText('Close', LIMITS.modalButton),
    blocks: [section(escapeMrkdwn(text))],
  };
}
