import type { App, BlockAction, ButtonAction, RespondFn, webApi } from '@slack/bolt';
import type { Actor, MigrationService, MigrationStatus } from '../../pipeline/migration-service.js';
import { ACTION, buttonValue } from '../ids.js';
import type { SlackDeps } from '../deps.js';
import { errorText } from '../deps.js';
import { actions, button, confirm, context, fallbackText, section, type KnownBlock } from '../blocks/limits.js';
import { slackDate } from '../blocks/format.js';
import { escapeFit, mentionId } from '../blocks/mrkdwn.js';
import { buttonPayload, parsePayload, type ButtonPayload } from '../payloads.js';
import { busyText, buttonRef, clickedMigration, ephemeral, isBusyError } from './common.js';

interface FollowUp {
  actionId: string;
  /** What the refusal says non-approvers cannot do. */
  what: string;
  run: (service: MigrationService, jobId: string, by: Actor, nonce: string) => Promise<void>;
  /** Shown in place of the buttons while it runs, then when it is done. */
  running: string;
  done: string;
}

/** Every follow-up changes (or deletes) mailboxes: approvers only, whoever requested the migration. */
const FOLLOW_UPS: FollowUp[] = [
  {
    actionId: ACTION.resetSource,
    what: 'reset the temporary source account',
    run: (s, id, by, nonce) => s.resetSource(id, by, { nonce }),
    running: ':hourglass_flowing_sand: Reset of the temporary source account in progress',
    done: ':wastebasket: Temporary source account reset',
  },
  {
    actionId: ACTION.resetSourceForce,
    what: 'reset the temporary source account',
    run: (s, id, by, nonce) => s.resetSource(id, by, { force: true, nonce }),
    running: ':hourglass_flowing_sand: Reset of the temporary source account (despite the missing messages) in progress',
    done: ':wastebasket: Temporary source account reset despite the missing messages',
  },
  {
    actionId: ACTION.retry,
    what: 'retry a migration',
    run: (s, id, by, nonce) => s.retry(id, by, { nonce }),
    running: ':hourglass_flowing_sand: Retry in progress',
    done: ':repeat: Retry started',
  },
  {
    actionId: ACTION.cutover,
    what: 'cut a staged migration over',
    run: (s, id, by, nonce) => s.cutover(id, by, { nonce }),
    running: ':hourglass_flowing_sand: Cut-over asked',
    done: ':arrow_right: Cut-over started: last delta, renames, final delta',
  },
  {
    actionId: ACTION.undo,
    what: 'undo a migration',
    run: (s, id, by, nonce) => s.undo(id, by, { nonce }),
    running: ':hourglass_flowing_sand: Undo in progress (removing the destination account, renaming the source back)',
    done: ':leftwards_arrow_with_hook: Undone: destination account removed, source renamed back',
  },
];

/** The message with the pressed button's actions block replaced by `line`. */
function replaceActions(blocks: readonly KnownBlock[], actionId: string, line: KnownBlock): KnownBlock[] {
  return blocks.map((b) => (b.type === 'actions' && b.elements.some((e) => 'action_id' in e && e.action_id === actionId) ? line : b));
}

/** The missing messages a forced reset loses, from the completed migration's report. */
export function missingMessagesText(status: MigrationStatus): string {
  const folders = [...(status.report?.foldersNotInSync ?? [])].filter((f) => f.missing > 0).sort((a, b) => b.missing - a.missing);
  const failed = status.report?.copy?.messages.failed ?? 0;
  const parts = folders.map((f) => `${f.missing} in ${f.folder}`);
  if (failed > 0) parts.push(`${failed} the destination refused`);
  return parts.join(', ');
}

/** Offered after a reset refused because messages are missing: reset anyway, after a confirmation naming them. */
export function resetAnywayBlocks(status: MigrationStatus, refusal: string): KnownBlock[] {
  const missing = missingMessagesText(status);
  return [
    section(`:warning: The reset was refused: ${escapeFit(refusal, 1500)}`),
    actions(
      [
        button({
          text: 'Reset anyway',
          actionId: ACTION.resetSourceForce,
          value: buttonValue(status.jobId, status.nonce),
          style: 'danger',
          confirm: confirm({
            title: 'Reset anyway and lose these messages?',
            text:
              `Messages not on the destination: ${escapeFit(missing || 'see the report', 180)}. ` +
              `Resetting ${escapeFit(status.plan.temporaryAddress, 60)} deletes them for good.`,
            confirm: 'Delete them and reset',
            danger: true,
          }),
        }),
      ],
      `reset-force-${status.jobId}`.slice(0, 255),
    ),
  ];
}

export function register(app: App, deps: SlackDeps): void {
  for (const followUp of FOLLOW_UPS) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: followUp.actionId }, async ({ ack, body, client, respond, logger }) => {
      await ack();
      const click = parsePayload(buttonPayload, body, `${followUp.actionId} click`, deps.logger);
      if (!click) return;
      const userId = click.user.id;
      const channel = click.channel?.id ?? click.container?.channel_id;
      const say = (text: string, blocks?: KnownBlock[]) => ephemeral(client, channel, userId, text, blocks);
      const ref = await buttonRef(click.actions[0]!.value, say);
      if (!ref) return;
      const jobId = ref.id;
      const show = messageUpdater(client, click, respond, followUp.actionId);
      try {
        if (!(await deps.approvers.isApprover(userId))) {
          await say(deps.approvers.notApproverText(followUp.what));
          return;
        }
        const status = await clickedMigration(deps, ref, say);
        if (!status) return;
        if (status.busy) {
          await say(busyText(status.busy.action, status.busy.by.id));
          return;
        }
        const by = mentionId(userId);
        await show.line(`${followUp.running} (by ${by})…`);
        try {
          await followUp.run(deps.service, jobId, { kind: 'slack', id: userId }, ref.nonce);
        } catch (error) {
          await show.restore();
          if (isBusyError(error)) {
            await say(busyText(error.action, error.by));
            return;
          }
          const refusal = errorText(error);
          if (followUp.actionId === ACTION.resetSource && missingMessagesText(status)) {
            const [latest] = await deps.service.status({ jobId }).catch(() => []);
            await say(`The reset was refused: ${escapeFit(refusal, 1000)}`, resetAnywayBlocks(latest ?? status, refusal));
            return;
          }
          logger.error(`${followUp.actionId} on ${jobId} failed: ${refusal}`);
          await say(`That did not work: ${escapeFit(refusal, 1000)}`);
          return;
        }
        await show.line(`${followUp.done} by ${by} on ${slackDate(new Date().toISOString())}.`);
      } catch (error) {
        logger.error(`${followUp.actionId} on ${jobId} failed: ${errorText(error)}`);
        await say(`That did not work: ${escapeFit(errorText(error), 1000)}`).catch(() => undefined);
      }
    });
  }
}

/**
 * Shows on the clicked message what the action is doing: its actions block gives way to "X in progress (by @Y)…",
 * then to the outcome; `restore` puts the buttons back when the action did not run. An ephemeral message (the
 * "Reset anyway" offer) is replaced through its response_url.
 */
function messageUpdater(client: webApi.WebClient, click: ButtonPayload, respond: RespondFn, actionId: string) {
  const channel = click.channel?.id ?? click.container?.channel_id;
  const ts = click.message?.ts ?? click.container?.message_ts;
  const original = (click.message?.blocks ?? []) as unknown as KnownBlock[];
  const text = String(click.message?.text ?? '');
  if (click.container?.is_ephemeral) {
    return {
      line: (line: string) => respond({ replace_original: true, response_type: 'ephemeral', text: fallbackText(line) }).then(() => undefined, () => undefined),
      restore: async () => undefined,
    };
  }
  const update = async (blocks: KnownBlock[], fallback: string) => {
    if (!channel || !ts || original.length === 0) return;
    await client.chat.update({ channel, ts, text: fallbackText(fallback || text || 'Migration'), blocks }).catch(() => undefined);
  };
  return {
    line: (line: string) => update(replaceActions(original, actionId, context([line], `follow-up-${Date.now()}`)), text),
    restore: () => update(original, text),
  };
}

