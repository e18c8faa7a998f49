import type { App, BlockAction, ButtonAction, webApi } from '@slack/bolt';
import type { BatchDecisionResult, MigrationStatus } from '../../pipeline/migration-service.js';
import { ACTION } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { HANDOVER_BLOCK, decisionLine, handoverLine } from '../blocks/request-message.js';
import { slackDate } from '../blocks/format.js';
import { batchSummaryMessage, type BatchRow } from '../blocks/thread.js';
import { joinWithMore, type KnownBlock } from '../blocks/limits.js';
import { escapeFit, escapeMrkdwn, who } from '../blocks/mrkdwn.js';
import { buttonPayload, parsePayload, type ButtonPayload } from '../payloads.js';
import { buttonRef, clickedMigration, ephemeral } from './common.js';

/** The request message with its Approve/Reject buttons replaced by who decided and when. */
export function withoutButtons(blocks: readonly KnownBlock[], replacement: KnownBlock): KnownBlock[] {
  const kept = blocks.filter(
    (b) => !(b.type === 'actions' && b.elements.some((e) => 'action_id' in e && (e.action_id === ACTION.approve || e.action_id === ACTION.reject))),
  );
  return [...kept.filter((b) => !(b.type === 'context' && b.block_id?.startsWith('decided-'))), replacement];
}

/** The hand-over line redrawn from the status (after an approval, the approver may be the one who gets the password). */
function withHandover(blocks: KnownBlock[], status: MigrationStatus | undefined): KnownBlock[] {
  if (!status) return blocks;
  return blocks.map((b) => (b.block_id === HANDOVER_BLOCK ? handoverLine(status.handover, status.requester) : b));
}

type ClickArgs = { ack: () => Promise<void>; body: BlockAction; client: webApi.WebClient; logger: { error(m: string): void } };

function where(click: ButtonPayload): { channel?: string; messageTs?: string } {
  const channel = click.channel?.id ?? click.container?.channel_id;
  const messageTs = click.message?.ts ?? click.container?.message_ts;
  return { ...(channel ? { channel } : {}), ...(messageTs ? { messageTs } : {}) };
}

function refusalText(error: unknown): string {
  const message = errorText(error);
  if (/own request/i.test(message)) return ':no_entry_sign: You cannot approve your own request: another approver has to. Nothing was changed.';
  return `:no_entry_sign: The decision was refused: ${escapeFit(message, 1000)}. Nothing was changed.`;
}

export function register(app: App, deps: SlackDeps): void {
  const inFlight = new Set<string>();

  const handler = (approve: boolean) =>
    async ({ ack, body, client, logger }: ClickArgs) => {
      await ack();
      const click = parsePayload(buttonPayload, body, 'decision click', deps.logger);
      if (!click) return;
      const userId = click.user.id;
      const { channel, messageTs } = where(click);
      const ref = await buttonRef(click.actions[0]!.value, (text) => ephemeral(client, channel, userId, text));
      if (!ref) return;
      const jobId = ref.id;

      // two clicks of the same job at once in this process: the second one waits for nothing and says so
      if (inFlight.has(jobId)) {
        await ephemeral(client, channel, userId, 'This request is being decided right now.');
        return;
      }
      inFlight.add(jobId);
      try {
        if (!(await deps.approvers.isApprover(userId))) {
          await ephemeral(client, channel, userId, deps.approvers.notApproverText('approve or reject migration requests'));
          return;
        }
        const status = await clickedMigration(deps, ref, (text) => ephemeral(client, channel, userId, text));
        if (!status) return;
        const requester = status.requester.kind === 'slack' ? status.requester.id : undefined;
        const allowed = await deps.approvers.mayDecide(userId, requester, approve);
        if (!allowed.ok) {
          await ephemeral(client, channel, userId, allowed.reason);
          return;
        }
        let result;
        try {
          // the pipeline checks the nonce and self-approval again (and a CLI decision may have come first)
          result = await deps.service.decide(jobId, { approve, by: { kind: 'slack', id: userId }, nonce: ref.nonce });
        } catch (error) {
          await ephemeral(client, channel, userId, refusalText(error));
          return;
        }
        if (!result.changed) {
          await ephemeral(client, channel, userId, `Already ${result.state} by ${who(result.by)} on ${slackDate(result.at)}: nothing changed.`);
          return;
        }
        if (channel && messageTs) {
          const [after] = await deps.service.status({ jobId }).catch(() => []);
          const blocks = withHandover(withoutButtons((click.message?.blocks ?? []) as unknown as KnownBlock[], decisionLine(result)), after ?? status);
          const text = `${String(click.message?.text ?? 'Migration request')} (${result.state})`.slice(0, 3000);
          await client.chat.update({ channel, ts: messageTs, text, blocks });
        }
      } catch (error) {
        logger.error(`decision on ${jobId} failed: ${errorText(error)}`);
        await ephemeral(client, channel, userId, `The decision could not be recorded: ${escapeFit(errorText(error), 1000)}`).catch(() => undefined);
      } finally {
        inFlight.delete(jobId);
      }
    };

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.approve }, handler(true));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.reject }, handler(false));

  /**
   * The batch summary's buttons. The pipeline applies the decision to each mailbox that still belongs to the batch
   * and refuses, one by one, those the clicker requested (no self-approval, whatever the path); the clicker is told
   * which mailboxes were not decided and why.
   */
  const batchHandler = (approve: boolean) =>
    async ({ ack, body, client, logger }: ClickArgs) => {
      await ack();
      const click = parsePayload(buttonPayload, body, 'batch decision click', deps.logger);
      if (!click) return;
      const userId = click.user.id;
      const { channel, messageTs } = where(click);
      const ref = await buttonRef(click.actions[0]!.value, (text) => ephemeral(client, channel, userId, text));
      if (!ref) return;
      const batchId = ref.id;
      const key = `batch:${batchId}`;
      if (inFlight.has(key)) {
        await ephemeral(client, channel, userId, 'This batch is being decided right now.');
        return;
      }
      inFlight.add(key);
      try {
        if (!(await deps.approvers.isApprover(userId))) {
          await ephemeral(client, channel, userId, deps.approvers.notApproverText('approve or reject migration requests'));
          return;
        }
        let outcome: BatchDecisionResult;
        try {
          outcome = await deps.service.decideBatch(batchId, { approve, by: { kind: 'slack', id: userId }, nonce: ref.nonce });
        } catch (error) {
          await ephemeral(client, channel, userId, refusalText(error));
          return;
        }
        const statuses = new Map<string, MigrationStatus | undefined>();
        await Promise.all(outcome.jobs.map(async (j) => statuses.set(j.jobId, (await deps.service.status({ jobId: j.jobId }).catch(() => []))[0])));
        const address = (jobId: string) => statuses.get(jobId)?.plan.source.address ?? jobId;
        const refused = outcome.jobs.filter((j) => j.refused);
        const changed = outcome.jobs.filter((j) => j.result?.changed);
        const refusalLines = refused.map((j) => `• ${escapeMrkdwn(address(j.jobId))}: ${escapeFit(j.refused!, 300)}`);
        const verb = approve ? 'approved' : 'rejected';
        const summary =
          changed.length > 0
            ? `:white_check_mark: ${changed.length} of ${outcome.jobs.length} mailboxes ${verb}.`
            : outcome.decision
              ? `This batch was already decided (${outcome.decision.state} by ${who(outcome.decision.by)}): nothing changed.`
              : `:no_entry_sign: Nothing was ${verb}.`;
        const text = refused.length > 0 ? `${summary}\nNot decided:\n${joinWithMore(refusalLines, 2500, 30)}` : summary;
        if (changed.length === 0 || refused.length > 0) await ephemeral(client, channel, userId, text);

        const known = deps.registry.batch(batchId);
        if (outcome.decision && known) known.decision = outcome.decision;
        if (changed.length > 0 && channel && messageTs && outcome.decision) {
          const batch = known ?? (await deps.service.batch?.(batchId).catch(() => undefined));
          const rows: BatchRow[] = outcome.jobs.map((j) => {
            const status = statuses.get(j.jobId);
            return {
              jobId: j.jobId,
              address: address(j.jobId),
              state: status?.state ?? 'queued',
              ...(j.refused ? { refused: j.refused } : {}),
            };
          });
          const requester = batch?.requester.id ?? [...statuses.values()].find(Boolean)?.requester.id ?? 'unknown';
          await client.chat.update({ channel, ts: messageTs, ...batchSummaryMessage({ batchId, nonce: ref.nonce, requester, rows, decision: outcome.decision }) });
        }
      } catch (error) {
        logger.error(`batch decision on ${batchId} failed: ${errorText(error)}`);
        await ephemeral(client, channel, userId, `The decision could not be recorded: ${escapeFit(errorText(error), 1000)}`).catch(() => undefined);
      } finally {
        inFlight.delete(key);
      }
    };
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.batchApprove }, batchHandler(true));
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION.batchReject }, batchHandler(false));
}
