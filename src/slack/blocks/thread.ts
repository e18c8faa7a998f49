import type { CopyProgress } from '../../domain/copy-report.js';
import type { DecisionResult, MigrationPlan, MigrationStatus, StagingSummary, StepName, StepRecord } from '../../pipeline/migration-service.js';
import { decisionLine } from './request-message.js';
import { ACTION, buttonValue } from '../ids.js';
import type { SlackMessage } from './request-message.js';
import { formatBytes, formatCount, formatDuration, formatMiB, slackDate, stepLabel, textBar } from './format.js';
import {
  actions,
  button,
  composeMessage,
  confirm,
  context,
  escapeMrkdwn,
  fallbackText,
  fit,
  header,
  joinWithMore,
  pageLines,
  section,
  type Button,
  type KnownBlock,
} from './limits.js';
import { code, codeBlock, escapeFit, mentionId } from './mrkdwn.js';

const STEP_ICON: Record<StepRecord['status'], string> = {
  pending: ':white_circle:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
  skipped: ':fast_forward:',
};

/** One thread reply per finished step. */
export function stepMessage(step: StepRecord): SlackMessage {
  const status = escapeMrkdwn(String(step.status));
  const line = `${STEP_ICON[step.status] ?? ''} *${stepLabel(step.name)}*: ${status}`;
  const detail = step.detail ? `\n${escapeFit(step.detail, 2800)}` : '';
  return {
    text: fallbackText(`${stepLabel(step.name)}: ${status}${step.detail ? ` (${escapeFit(step.detail, 2000)})` : ''}`),
    blocks: composeMessage([section(fit(line + detail, 2900))]),
  };
}

const PHASE_LABEL: Record<CopyProgress['phase'], string> = {
  scanning: 'Scanning folders',
  copying: 'Copying messages',
  'syncing-flags': 'Synchronising flags',
  verifying: 'Verifying',
  done: 'Copy finished',
};

/** The one live progress message, edited in place; `step` names the copy step it belongs to. */
export function progressMessage(progress: CopyProgress, step?: StepName): SlackMessage {
  const fraction =
    progress.bytesTotal > 0
      ? progress.bytesDone / progress.bytesTotal
      : progress.messagesTotal > 0
        ? progress.messagesDone / progress.messagesTotal
        : progress.phase === 'done'
          ? 1
          : 0;
  const stats = [
    `${formatCount(progress.messagesDone)} / ${formatCount(progress.messagesTotal)} ${progress.unit ?? 'messages'}`,
    `${formatMiB(progress.bytesDone)} / ${formatMiB(progress.bytesTotal)} MiB`,
    `${formatMiB(progress.rate)} MiB/s`,
    progress.phase === 'done' ? 'done' : `ETA ${formatDuration(progress.etaSeconds)}`,
  ].join(' · ');
  const folder = progress.folder ? ` · folder ${code(progress.folder, 200)}` : '';
  const phase = progress.unit === 'items' && progress.phase === 'copying' ? 'Copying items' : (PHASE_LABEL[progress.phase] ?? escapeMrkdwn(String(progress.phase)));
  const title = step ? `${stepLabel(step)}: ${phase.toLowerCase()}` : phase;
  const nothing = progress.phase === 'done' && progress.messagesTotal === 0 && progress.bytesTotal === 0;
  return {
    text: fallbackText(`${title}: ${Math.floor(fraction * 100)}%`),
    blocks: composeMessage([section(`*${title}*${folder}\n\`${textBar(fraction)}\`\n${nothing ? 'nothing left to copy' : stats}`)]),
  };
}

/**
 * What Undo does, for its confirm dialog: it removes the destination account (and the mail copied into it) and
 * renames the temporary source back. With the plan, the accounts are named.
 */
export function undoConfirmText(plan?: Pick<MigrationPlan, 'destination' | 'temporaryAddress' | 'order'>, sourceRenamed = true): string {
  if (!plan) {
    return (
      'This REMOVES the destination account (and the mail copied into it) from the destination service, ' +
      'then renames the temporary source account back to its original address.'
    );
  }
  if (plan.order?.kind === 'staged' && !sourceRenamed) {
    return (
      `This REMOVES the staged account ${escapeFit(plan.order.stagedAddress ?? '', 80)} (and the mail copied into it) from ` +
      `${escapeFit(plan.destination.service, 50)}. The source was never renamed: it stays as it is.`
    );
  }
  return (
    `This REMOVES the destination account ${escapeFit(plan.destination.address, 80)} (and the mail copied into it) from ` +
    `${escapeFit(plan.destination.service, 50)}, then renames the temporary source ${escapeFit(plan.temporaryAddress, 80)} back to its original address.`
  );
}

/** A failure, with Retry and (once the source was renamed) Undo; the buttons carry the request's nonce. */
export function failureMessage(input: {
  jobId: string;
  nonce: string;
  step: StepName;
  error: string;
  undoAvailable: boolean;
  plan?: MigrationPlan;
  /** False for a staged run that failed before renaming the source: undo only removes the staged account. */
  sourceRenamed?: boolean;
}): SlackMessage {
  const value = buttonValue(input.jobId, input.nonce);
  const buttons: Button[] = [
    button({
      text: 'Retry the failed step',
      actionId: ACTION.retry,
      value,
      style: 'primary',
      confirm: confirm({ title: 'Retry?', text: `The migration resumes at "${stepLabel(input.step)}".`, confirm: 'Retry' }),
    }),
  ];
  if (input.undoAvailable) {
    buttons.push(
      button({
        text: input.sourceRenamed === false ? 'Undo: remove the staged account' : 'Undo: remove the destination, rename the source back',
        actionId: ACTION.undo,
        value,
        style: 'danger',
        confirm: confirm({
          title: 'Undo this migration?',
          text: undoConfirmText(input.plan, input.sourceRenamed !== false),
          confirm: input.sourceRenamed === false ? 'Remove it' : 'Remove and rename back',
          danger: true,
        }),
      }),
    );
  }
  return {
    text: fallbackText(`Migration failed at ${stepLabel(input.step)}: ${escapeFit(input.error, 2000)}`),
    blocks: composeMessage(
      [section(`:x: *Failed at ${stepLabel(input.step)}*\n${codeBlock(input.error, 2800)}`)],
      [actions(buttons, `failure-${input.step}-${input.jobId}`.slice(0, 255))],
    ),
  };
}

/**
 * A staged migration's copy waiting for its cut-over: what it holds, its last and next delta, and (while it waits)
 * "Cut over now" for approvers; once the cut-over began, who asked for it.
 */
export function stagingMessage(input: { jobId: string; nonce: string; staging: StagingSummary; waiting: boolean; source: string }): SlackMessage {
  const { staging } = input;
  const lines = [
    `:package: *Staged copy in ${code(staging.stagedAddress, 200)}*: ${escapeMrkdwn(input.source)} stays in use until the cut-over`,
    `${formatCount(staging.passes)} delta pass(es) so far: ${formatCount(staging.copied)} new message(s) copied, ${formatCount(staging.removed)} removed (deleted or moved at the source)`,
  ];
  if (staging.lastSyncAt) lines.push(`Last delta ${slackDate(staging.lastSyncAt)}`);
  if (staging.nextSyncAt && input.waiting) lines.push(`Next delta ${slackDate(staging.nextSyncAt)}`);
  if (staging.cutover) lines.push(`Cut-over asked by ${staging.cutover.by === 'the schedule' ? 'the schedule' : mentionId(staging.cutover.by)} ${slackDate(staging.cutover.at)}`);
  else if (staging.cutoverAt) lines.push(`Cut-over scheduled ${slackDate(staging.cutoverAt)}`);
  const buttons: KnownBlock[] = input.waiting && !staging.cutover
    ? [
        actions(
          [
            button({
              text: 'Cut over now',
              actionId: ACTION.cutover,
              value: buttonValue(input.jobId, input.nonce),
              style: 'primary',
              confirm: confirm({
                title: 'Cut over now?',
                text: `A last delta, then ${input.source.slice(0, 80)} is renamed, the staged account takes its address and what arrived meanwhile is copied: the mailbox switches within minutes.`,
                confirm: 'Cut over',
              }),
            }),
          ],
          `cutover-${input.jobId}`.slice(0, 255),
        ),
      ]
    : [];
  return {
    text: fallbackText(`Staged copy in ${staging.stagedAddress}: ${staging.passes} delta pass(es)${input.waiting ? ', ready to cut over' : ''}`),
    blocks: composeMessage([section(fit(lines.join('\n'), 2900))], buttons),
  };
}

/**
 * A plain notice in a thread (someone reset, retried, undid, cancelled…). `text` is mrkdwn written by this app:
 * anything from a server or a user in it must have gone through escapeMrkdwn / code() (blocks/mrkdwn.ts) first.
 */
export function noticeMessage(text: string): SlackMessage {
  return { text: fallbackText(text), blocks: composeMessage([context([text])]) };
}

const STATE_ICON: Record<MigrationStatus['state'], string> = {
  'awaiting-approval': ':hourglass:',
  rejected: ':no_entry:',
  queued: ':inbox_tray:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':heavy_minus_sign:',
};

export interface BatchRow {
  jobId: string;
  address: string;
  state: MigrationStatus['state'];
  /** Why a decision taken on the whole batch did not apply to this mailbox (plain text, escaped here). */
  refused?: string;
}

/**
 * The batch thread's summary, updated as its mailboxes move. While any mailbox waits for approval it carries
 * Approve all / Reject all buttons (value = the batch's nonce and id); after that, who decided.
 */
export function batchSummaryMessage(input: { batchId: string; nonce: string; requester: string; rows: BatchRow[]; decision?: DecisionResult }): SlackMessage {
  const counts = new Map<string, number>();
  for (const row of input.rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const tally = [...counts.entries()].map(([state, n]) => `${STATE_ICON[state as MigrationStatus['state']] ?? ''} ${escapeMrkdwn(state)}: ${n}`).join(' · ');
  const lines = input.rows.map(
    (row) =>
      `${STATE_ICON[row.state] ?? ''} ${escapeMrkdwn(row.address)} — ${escapeMrkdwn(String(row.state))} · ${code(row.jobId, 300)}` +
      (row.refused ? ` · :no_entry_sign: not decided: ${escapeFit(row.refused, 300)}` : ''),
  );
  const pages = pageLines(lines, 2900, 3);
  const waiting = input.rows.some((row) => row.state === 'awaiting-approval');
  const value = buttonValue(input.batchId, input.nonce);
  const footer: KnownBlock[] = input.decision
    ? [decisionLine(input.decision)]
    : waiting
      ? [
          actions(
            [
              button({
                text: `Approve all ${input.rows.length}`,
                actionId: ACTION.batchApprove,
                value,
                style: 'primary',
                confirm: confirm({ title: 'Approve the whole batch?', text: `${input.rows.length} mailboxes will be renamed and moved.`, confirm: 'Approve all' }),
              }),
              button({
                text: 'Reject all',
                actionId: ACTION.batchReject,
                value,
                style: 'danger',
                confirm: confirm({ title: 'Reject the whole batch?', text: 'Nothing will be changed.', confirm: 'Reject all', danger: true }),
              }),
            ],
            `batch-decision-${input.batchId}`.slice(0, 255),
          ),
        ]
      : [];
  return {
    text: fallbackText(`Batch migration of ${input.rows.length} mailboxes: ${tally}`),
    blocks: composeMessage(
      [
        header(`Batch migration: ${input.rows.length} mailboxes`),
        context([`Requested by ${mentionId(input.requester)} · batch ${code(input.batchId, 300)}`, tally || 'nothing yet']),
        ...pages.map((page) => section(page)),
      ],
      footer,
    ),
  };
}

/** `/migrate-mailbox status`: one section per migration, newest first. */
export function statusMessage(statuses: MigrationStatus[]): SlackMessage {
  if (statuses.length === 0) return { text: 'No migration found.', blocks: [section('No migration found.')] };
  const body: KnownBlock[] = statuses.map((s) => {
    const current = [...s.steps].reverse().find((step) => step.status !== 'pending');
    const progress = s.progress ? ` · \`${textBar(s.progress.bytesTotal > 0 ? s.progress.bytesDone / s.progress.bytesTotal : 0, 10)}\`` : '';
    return section(
      `${STATE_ICON[s.state] ?? ''} *${escapeMrkdwn(s.plan.source.address)}* → ${code(s.plan.destination.service, 300)} · ${escapeMrkdwn(String(s.state))}${progress}\n` +
        `job ${code(s.jobId, 300)} · size ${formatBytes(s.plan.sizeBytes)}` +
        (current ? ` · last step: ${stepLabel(current.name)} (${escapeMrkdwn(String(current.status))}${current.at ? `, ${slackDate(current.at)}` : ''})` : '') +
        (s.busy ? ` · ${escapeMrkdwn(String(s.busy.action))} in progress` : ''),
    );
  });
  return { text: fallbackText(`${statuses.length} migration(s)`), blocks: composeMessage(body) };
}

export function helpMessage(command: string): SlackMessage {
  const lines = [
    `\`${command}\`: open the request form`,
    `\`${command} ADDRESS to SERVICE\`: open it filled in (e.g. \`${command} john.smith@mydomain.ovh to emailpro-ab12345-1\`)`,
    `\`${command} status [ADDRESS|JOB]\`: where migrations stand`,
    `\`${command} cancel JOB\`: cancel a migration that has not finished (approvers)`,
    `\`${command} batch\`: many mailboxes from a CSV file`,
    `\`${command} help\`: this text`,
    'Every request waits for an approver; the job then reports each step in the request thread.',
  ];
  return { text: 'migrate-mailbox help', blocks: [section(joinWithMore(lines, 2900))] };
}
