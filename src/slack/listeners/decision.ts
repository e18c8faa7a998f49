import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { DecisionResult } from '../../pipeline/migration-service.js';
import { ACTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { decisionLine } from '../blocks/request-message.js';
import { slackDate } from '../blocks/format.js';
import { batchSummaryMessage } from '../blocks/thread.js';
import type { KnownBlock } from '../blocks/limits.js';

/** The request message with its Approve/Reject buttons replaced by who decided and when. */
export function withoutButtons(blocks: readonly KnownBlock[], replacement: KnownBlock): KnownBlock[] {
  const kept = blocks.filter(
    (b) => !(b.type === 'actions' && b.elements.some((e) => 'action_id' in e && (e.action_id === ACTION.approve || e.action_id === ACTION.reject))),
  );
  return [...kept.filter((b) => !(b.type === 'context' && b.block_id?.startsWith('decided-'))), replacement];
}

async function ephemeral(client: webApi.WebClient, channel: string | undefined, user: string, text: string): Promise<void> {
  if (!channel) return;
  await client.chat.postEphemeral({ channel, user, text });
}

export function register(app: App, deps: SlackDeps): void {
  const inFlight = new Set<string>();

  const handler = (approve: boolean) =>
    async ({ ack, body, action, client, logger }: { ack: () => Promise<void>; body: BlockAction; action: ButtonAction; client: webApi.WebClient; logger: { error(m: string): void } }) => {
      await ack();
      const jobId = action.value ?? '';
      const userId = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const messageTs = body.message?.ts ?? body.container?.message_ts;

      // two clicks of the same job at once in this process: the second one waits for nothing and says so
      if (inFlight.has(jobId)) {
        await ephemeral(client, channel, userId, 'This request is being decided right now.');
        return;
      }
      inFlight.add(jobId);
      try {
        const [status] = await deps.service.status({ jobId });
        if (!status) {
          await ephemeral(client, channel, userId, 'I cannot find this migration any more.');
          return;
        }
        const requester = status.requester.kind === 'slack' ? status.requester.id : undefined;
        const allowed = await deps.approvers.mayDecide(userId, requester, approve);
        if (!allowed.ok) {
          await ephemeral(client, channel, userId, allowed.reason);
          return;
        }
        const result = await deps.service.decide(jobId, { approve, by: { kind: 'slack', id: userId } });
        if (!result.changed) {
          const who = result.by.kind === 'slack' ? `<@${result.by.id}>` : result.by.id;
          await ephemeral(client, channel, userId, `Already ${result.state} by ${who} on ${slackDate(result.at)}: nothing changed.`);
          return;
        }
        if (channel && messageTs) {
          const blocks = withoutButtons((body.message?.blocks ?? []) as KnownBlock[], decisionLine(result));
          const text = `${String(body.message?.text ?? 'Migration request')} (${result.state})`.slice(0, 3000);
          await client.chat.update({ channel, ts: messageTs, text, blocks });
        }
      } catch (error) {
        logger.error(`decision on ${jobId} failed: ${errorText(error)}`);
        await ephemeral(client, channel, userId, `The decision could not be recorded: ${errorText(error).slice(0, 1000)}`).catch(() => undefined);
      } finally {
        inFlight.delete(jobId);
      }
    };

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.approve }, handler(true));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.reject }, handler(false));

  /** The batch summary's buttons: the same rules, applied to every mailbox of the batch. */
  const batchHandler = (approve: boolean) =>
    async ({ ack, body, action, client, logger }: { ack: () => Promise<void>; body: BlockAction; action: ButtonAction; client: webApi.WebClient; logger: { error(m: string): void } }) => {
      await ack();
      const batchId = action.value ?? '';
      const userId = body.user.id;
      const channel = body.channel?.id ?? body.container?.channel_id;
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      const key = `batch:${batchId}`;
      if (inFlight.has(key)) {
        await ephemeral(client, channel, userId, 'This batch is being decided right now.');
        return;
      }
      inFlight.add(key);
      try {
        const known = deps.registry.batch(batchId);
        // this process's memory, else the batch as stored with its jobs (posted by another or an earlier bot)
        const stored = known ? undefined : await deps.service.batch?.(batchId);
        const batch = known ?? stored;
        let jobIds = batch?.jobIds;
        let requester = batch?.requester.kind === 'slack' ? batch.requester.id : undefined;
        if (!jobIds) {
          const all = (await deps.service.status({})).filter((s) => s.origin?.batchId === batchId);
          jobIds = all.map((s) => s.jobId);
          requester = all[0]?.requester.kind === 'slack' ? all[0].requester.id : undefined;
        }
        if (jobIds.length === 0) {
          await ephemeral(client, channel, userId, 'I cannot find the mailboxes of this batch any more.');
          return;
        }
        const allowed = await deps.approvers.mayDecide(userId, requester, approve);
        if (!allowed.ok) {
          await ephemeral(client, channel, userId, allowed.reason);
          return;
        }
        const results: DecisionResult[] = [];
        for (const jobId of jobIds) {
          const result = await deps.service.decide(jobId, { approve, by: { kind: 'slack', id: userId } });
          if (result.changed && !results.some((r) => r.changed)) {
            // stored at once: the summary redrawn by whichever bot gets the batch's events shows who decided
            if (known) known.decision = result;
            await deps.service.updateBatch?.(batchId, { decision: result }).catch((error: unknown) => {
              deps.logger.warn({ batchId, err: errorText(error) }, 'cannot store the batch decision; other bot processes will not show who decided');
            });
          }
          results.push(result);
        }
        const first = results.find((r) => r.changed);
        if (!first) {
          await ephemeral(client, channel, userId, 'This batch was already decided: nothing changed.');
          return;
        }
        if (channel && messageTs) {
          const statuses = await Promise.all(jobIds.map((jobId) => deps.service.status({ jobId }).then((s) => s[0])));
          const rows = jobIds.map((jobId, i) => ({ jobId, address: statuses[i]?.plan.source.address ?? jobId, state: statuses[i]?.state ?? ('queued' as const) }));
          await client.chat.update({ channel, ts: messageTs, ...batchSummaryMessage({ batchId, requester: requester ?? 'unknown', rows, decision: first }) });
        }
      } catch (error) {
        logger.error(`batch decision on ${batchId} failed: ${errorText(error)}`);
        await ephemeral(client, channel, userId, `The decision could not be recorded: ${errorText(error).slice(0, 1000)}`).catch(() => undefined);
      } finally {
        inFlight.delete(key);
      }
    };
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.batchApprove }, batchHandler(true));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.batchReject }, batchHandler(false));
}
