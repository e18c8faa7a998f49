import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { Actor, MigrationService } from '../../pipeline/migration-service.js';
import { ACTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { context, type KnownBlock } from '../blocks/limits.js';
import { slackDate } from '../blocks/format.js';

interface FollowUp {
  actionId: string;
  /** Who may press it besides approvers. */
  requesterMay: boolean;
  run: (service: MigrationService, jobId: string, by: Actor) => Promise<void>;
  done: string;
}

const FOLLOW_UPS: FollowUp[] = [
  // deleting the old mailbox is irreversible: approvers only
  { actionId: ACTION.resetSource, requesterMay: false, run: (s, id, by) => s.resetSource(id, by), done: ':wastebasket: Reset of the temporary source account requested' },
  { actionId: ACTION.retry, requesterMay: true, run: (s, id, by) => s.retry(id, by), done: ':repeat: Retry requested' },
  { actionId: ACTION.undo, requesterMay: true, run: (s, id, by) => s.undo(id, by), done: ':leftwards_arrow_with_hook: Undo of the rename requested' },
];

/** The message with the pressed button's actions block replaced by who pressed what. */
function replaceActions(blocks: readonly KnownBlock[], actionId: string, line: KnownBlock): KnownBlock[] {
  return blocks.map((b) =>
    b.type === 'actions' && b.elements.some((e) => 'action_id' in e && e.action_id === actionId) ? line : b,
  );
}

export function register(app: App, deps: SlackDeps): void {
  for (const followUp of FOLLOW_UPS) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: followUp.actionId }, async ({ ack, body, action, client, logger }) => {
      await ack();
      const jobId = action.value ?? '';
      const userId = body.user.id;
      const channel = body.channel?.id;
      const say = (text: string) => (channel ? client.chat.postEphemeral({ channel, user: userId, text }) : Promise.resolve());
      try {
        const [status] = await deps.service.status({ jobId });
        if (!status) {
          await say('I cannot find this migration any more.');
          return;
        }
        const isApprover = await deps.approvers.isApprover(userId);
        const isRequester = status.requester.kind === 'slack' && status.requester.id === userId;
        if (!isApprover && !(followUp.requesterMay && isRequester)) {
          await say(followUp.requesterMay ? 'Only the requester or an approver can do this.' : 'Only an approver can do this.');
          return;
        }
        await followUp.run(deps.service, jobId, { kind: 'slack', id: userId });
        await updateMessage(client, body, followUp.actionId, `${followUp.done} by <@${userId}> on ${slackDate(new Date().toISOString())}`);
      } catch (error) {
        logger.error(`${followUp.actionId} on ${jobId} failed: ${errorText(error)}`);
        await say(`That did not work: ${errorText(error).slice(0, 1000)}`).catch(() => undefined);
      }
    });
  }
}

async function updateMessage(client: webApi.WebClient, body: BlockAction, actionId: string, line: string): Promise<void> {
  const channel = body.channel?.id;
  const ts = body.message?.ts;
  if (!channel || !ts || !body.message) return;
  const blocks = replaceActions((body.message.blocks ?? []) as KnownBlock[], actionId, context([line]));
  await client.chat.update({ channel, ts, text: String(body.message.text ?? line).slice(0, 3000), blocks });
}
