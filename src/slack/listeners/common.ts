import type { webApi } from '@slack/bolt';
import type { FollowUpAction, MigrationStatus } from '../../pipeline/migration-service.js';
import { FollowUpBusyError } from '../../pipeline/errors.js';
import { escapeMrkdwn, mentionId, code } from '../blocks/mrkdwn.js';
import type { KnownBlock } from '../blocks/limits.js';
import { fallbackText } from '../blocks/limits.js';
import type { SlackDeps } from '../deps.js';
import { parseButtonValue } from '../ids.js';

/** Shared pieces of the listeners: private answers and the wording of refusals. */

/**
 * A private answer: an ephemeral message in the channel of the click, or, for a click that has no channel (a button
 * of the Home tab), a message in the app's Messages tab (the bot's direct messages with the user).
 */
export async function ephemeral(
  client: webApi.WebClient,
  channel: string | undefined,
  user: string,
  text: string,
  blocks?: KnownBlock[],
): Promise<void> {
  if (!channel) {
    await client.chat.postMessage({ channel: user, text: fallbackText(text), ...(blocks ? { blocks } : {}) });
    return;
  }
  await client.chat.postEphemeral({ channel, user, text: fallbackText(text), ...(blocks ? { blocks } : {}) });
}

const FOLLOW_UP_LABEL: Record<FollowUpAction, string> = {
  cancel: 'Cancel',
  undo: 'Undo',
  retry: 'Retry',
  'reset-source': 'Reset of the temporary source account',
  cutover: 'Cut-over',
};

export function followUpLabel(action: string): string {
  return FOLLOW_UP_LABEL[action as FollowUpAction] ?? escapeMrkdwn(action);
}

/** "Undo is in progress (started by @X)…": the answer to a follow-up while another one runs. */
export function busyText(action: string, by: string): string {
  return `:hourglass_flowing_sand: ${followUpLabel(action)} is in progress on this migration (started by ${mentionId(by)}): wait for it to finish, then look again. Nothing else was started.`;
}

export function isBusyError(error: unknown): error is FollowUpBusyError {
  return error instanceof FollowUpBusyError || (error instanceof Error && error.name === 'FollowUpBusyError');
}

/** A click whose nonce is not the current request's: a button of an earlier request for the same address. */
export function staleButtonText(status: MigrationStatus): string {
  return (
    `:no_entry_sign: This button belongs to an earlier request for *${escapeMrkdwn(status.plan.source.address)}*: nothing was changed. ` +
    `The current request has its own message; see ${code(`/migrate-mailbox status ${status.jobId}`, 300)}.`
  );
}

export const UNREADABLE_BUTTON =
  ':no_entry_sign: This button does not carry a request this bot can check (an older message?): nothing was changed. Use `/migrate-mailbox status` to find the migration.';

/** What a migration button carries (`NONCE:ID`), or undefined once the clicker was told it cannot be read. */
export async function buttonRef(value: string | undefined, say: (text: string) => Promise<unknown>): Promise<{ id: string; nonce: string } | undefined> {
  const ref = parseButtonValue(value);
  if (!ref) await say(UNREADABLE_BUTTON);
  return ref;
}

/**
 * The migration a button belongs to, or undefined once the clicker was told why not: it is gone, or the button is
 * one of an earlier request for the same address (its nonce).
 */
export async function clickedMigration(deps: SlackDeps, ref: { id: string; nonce: string }, say: (text: string) => Promise<unknown>): Promise<MigrationStatus | undefined> {
  const [status] = await deps.service.status({ jobId: ref.id });
  if (!status) {
    await say('I cannot find this migration any more.');
    return undefined;
  }
  if (status.nonce !== ref.nonce) {
    await say(staleButtonText(status));
    return undefined;
  }
  return status;
}
