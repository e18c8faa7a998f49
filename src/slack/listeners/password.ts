import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { z } from 'zod';
import { ACTION, CALLBACK } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { passwordModal, passwordNoticeModal } from '../blocks/password.js';
import { escapeFit, escapeMrkdwn, who } from '../blocks/mrkdwn.js';
import { buttonPayload, parsePayload, viewSubmissionPayload } from '../payloads.js';
import { buttonRef, clickedMigration, ephemeral } from './common.js';

const passwordMetadata = z.object({ jobId: z.string().min(1).max(1900), nonce: z.string().min(8).max(64) });

function readMetadata(raw: string): z.infer<typeof passwordMetadata> | undefined {
  try {
    const parsed = passwordMetadata.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The destination password's hand-over. "Show password" opens, for its recipient only, a modal holding the password
 * (nothing with it is ever posted in a channel, ephemeral or logged); submitting the modal ("I have stored it")
 * acknowledges it and the pipeline deletes its copy; closing it ("Show again later") keeps it. Anyone else is told
 * whom the password is for.
 */
export function register(app: App, deps: SlackDeps): void {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.showPassword }, async ({ ack, body, client, logger }) => {
    await ack();
    const click = parsePayload(buttonPayload, body, 'show password click', deps.logger);
    if (!click) return;
    const userId = click.user.id;
    const channel = click.channel?.id ?? click.container?.channel_id;
    const say = (text: string) => ephemeral(client, channel, userId, text);
    const ref = await buttonRef(click.actions[0]!.value, say);
    if (!ref) return;
    try {
      const status = await clickedMigration(deps, ref, say);
      if (!status) return;
      const { handover } = status;
      const address = escapeMrkdwn(status.plan.destination.address);
      const recipient = handover.recipient;
      if (!recipient || recipient.kind !== 'slack' || recipient.id !== userId) {
        const whom = recipient ? who(recipient) : 'the approver who approves the request (nobody yet)';
        await say(`:lock: The initial password of *${address}* is handed to ${whom} only: it cannot be shown to you.`);
        return;
      }
      if (handover.state === 'acknowledged') {
        await say(`:lock: You already confirmed storing the initial password of *${address}*: it is no longer kept and cannot be shown again.`);
        return;
      }
      if (handover.state !== 'ready' || !click.trigger_id) {
        await say(`:hourglass: The initial password of *${address}* is not ready yet: it can be shown once the account exists.`);
        return;
      }
      const reveal = await deps.service.revealDestinationPassword(status.jobId, { kind: 'slack', id: userId });
      if (!reveal.ok) {
        await say(`:lock: The password cannot be shown: ${escapeFit(reveal.reason, 500)}`);
        return;
      }
      await client.views.open({
        trigger_id: click.trigger_id,
        view: passwordModal({ jobId: status.jobId, nonce: status.nonce, address: reveal.address, password: reveal.password }),
      });
    } catch (error) {
      // the error of views.open carries no view content; other errors come from the service
      logger.error(`showing the password of ${ref.id} failed: ${errorText(error)}`);
      await say(`The password could not be shown: ${escapeFit(errorText(error), 500)}. Try again.`).catch(() => undefined);
    }
  });

  app.view(CALLBACK.passwordAck, async ({ ack, body, logger }) => {
    const payload = parsePayload(viewSubmissionPayload, body, 'password acknowledgement', deps.logger);
    const meta = payload ? readMetadata(payload.view.private_metadata) : undefined;
    if (!payload || !meta) {
      await ack();
      return;
    }
    try {
      const [status] = await deps.service.status({ jobId: meta.jobId });
      if (!status || status.nonce !== meta.nonce) {
        await ack({ response_action: 'update', view: passwordNoticeModal('This password belongs to an earlier request: nothing was changed.') });
        return;
      }
      const result = await deps.service.acknowledgeDestinationPassword(meta.jobId, { kind: 'slack', id: payload.user.id });
      if (!result.ok) {
        await ack({ response_action: 'update', view: passwordNoticeModal(`Not recorded: ${result.reason}`) });
        return;
      }
      await ack({ response_action: 'clear' });
    } catch (error) {
      logger.error(`acknowledging the password of ${meta.jobId} failed: ${errorText(error)}`);
      await ack({ response_action: 'update', view: passwordNoticeModal(`Not recorded (${errorText(error)}): the password is kept; try again later.`) });
    }
  });
}
