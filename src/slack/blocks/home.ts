import type { types } from '@slack/bolt';
import type { Actor, DecisionResult, MigrationStatus } from '../../pipeline/migration-service.js';
import { ACTION, buttonValue } from '../ids.js';
import { formatBytes, formatCount, formatMiB, platformLabel, slackDate, stepLabel, textBar } from './format.js';
import {
  LIMITS,
  actions,
  button,
  composeHome,
  confirm,
  context,
  divider,
  header,
  moreLine,
  pageLines,
  section,
  type Button,
  type KnownBlock,
} from './limits.js';
import { code, codeBlock, escapeFit, escapeMrkdwn, who } from './mrkdwn.js';
import { undoConfirmText } from './thread.js';

/** The view `views.publish` takes for a user's Home tab. */
export type HomeView = types.HomeView;

/** What the Home tab shows of a batch: its mailboxes' states and who asked. */
export interface HomeBatch {
  batchId: string;
  requester: Actor;
  /** Mailboxes in the batch. */
  total: number;
  /** Those whose state is known here (the service lists a bounded number of migrations). */
  rows: { jobId: string; address: string; state: MigrationStatus['state'] }[];
  decision?: DecisionResult;
}

export interface HomeInput {
  /** The Slack user whose Home tab this is. */
  viewer: string;
  /** approver: every migration, with the buttons; requester: their own requests; none: a refusal. */
  role: 'approver' | 'requester' | 'none';
  /** Migrations, as the service lists them (the caller keeps only the viewer's own for a requester). */
  statuses: readonly MigrationStatus[];
  batches: readonly HomeBatch[];
  allowSelfApproval: boolean;
  /** When the view was built (ISO), shown as "updated …". */
  at: string;
  /** Who to ask, for someone who may not request migrations (AccessPolicy.notRequesterText()). */
  refusal?: string;
}

export const HOME_CALLBACK = 'migrate_mailbox_home';

/**
 * How many requests and failures the tab shows with their buttons before "… N more" (two or three blocks each: the
 * whole view stays within 100 blocks); one-line lists take at most two sections each, also ending with "… N more".
 */
export const HOME_LIMITS = { approvals: 10, failures: 6, staged: 6 } as const;

const STATE_ICON: Record<MigrationStatus['state'], string> = {
  'awaiting-approval': ':hourglass:',
  rejected: ':no_entry:',
  queued: ':inbox_tray:',
  running: ':arrows_counterclockwise:',
  done: ':white_check_mark:',
  failed: ':x:',
  cancelled: ':heavy_minus_sign:',
};

function isSelf(status: MigrationStatus, viewer: string): boolean {
  return status.requester.kind === 'slack' && status.requester.id === viewer;
}

function route(status: MigrationStatus): string {
  const { plan } = status;
  return `*${escapeFit(plan.source.address, 200)}* → ${platformLabel(plan.destination.platform)} ${code(plan.destination.service, 150)}`;
}

/** The step running now (or the last one that moved), for a one-line summary. */
function currentStep(status: MigrationStatus): string {
  const step = status.steps.find((s) => s.status === 'running' && (s.run ?? 1) === status.run) ?? [...status.steps].reverse().find((s) => s.status !== 'pending');
  return step ? `${stepLabel(step.name)} (${escapeMrkdwn(String(step.status))})` : 'waiting for a worker';
}

function progressText(status: MigrationStatus): string {
  const p = status.progress;
  if (!p || status.state !== 'running') return '';
  const fraction = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : p.messagesTotal > 0 ? p.messagesDone / p.messagesTotal : 0;
  return ` · \`${textBar(fraction, 10)}\` ${formatCount(p.messagesDone)} / ${formatCount(p.messagesTotal)} ${p.unit ?? 'messages'}, ${formatMiB(p.bytesDone)} MiB`;
}

/** A failure worth acting on: not an expired or rejected request (those close at approval), not a cancel before the start. */
function actionableFailure(status: MigrationStatus): boolean {
  if (status.state !== 'failed' && status.state !== 'cancelled') return false;
  const outcome = status.outcome;
  if (outcome?.state === 'failed' && outcome.step === 'approval') return false;
  return status.steps.some((s) => s.name !== 'preflight' && s.name !== 'approval' && s.status !== 'pending');
}

function failureStep(status: MigrationStatus): MigrationStatus['steps'][number]['name'] {
  if (status.outcome?.state === 'failed') return status.outcome.step;
  return [...status.steps].reverse().find((s) => s.status !== 'pending')?.name ?? 'approval';
}

function approvalBlocks(status: MigrationStatus, input: HomeInput): KnownBlock[] {
  const value = buttonValue(status.jobId, status.nonce);
  const self = isSelf(status, input.viewer) && !input.allowSelfApproval;
  const text =
    `${STATE_ICON['awaiting-approval']} ${route(status)}${status.dryRun ? ' · _dry run_' : ''}\n` +
    `requested by ${who(status.requester)} · ${formatBytes(status.plan.sizeBytes)} · renamed to ${code(status.plan.temporaryAddress, 200)} first · job ${code(status.jobId, 200)}`;
  const buttons: Button[] = [];
  if (!self) {
    buttons.push(
      button({
        text: 'Approve',
        actionId: ACTION.approve,
        value,
        style: 'primary',
        confirm: confirm({
          title: 'Approve this migration?',
          text: `${escapeFit(status.plan.source.address, 120)} will be renamed and moved to ${escapeFit(status.plan.destination.service, 120)}.`,
          confirm: 'Approve',
        }),
      }),
    );
  }
  buttons.push(
    button({
      text: 'Reject',
      actionId: ACTION.reject,
      value,
      style: 'danger',
      confirm: confirm({ title: 'Reject this request?', text: 'Nothing will be changed.', confirm: 'Reject', danger: true }),
    }),
  );
  const blocks: KnownBlock[] = [section(text)];
  if (self) blocks.push(context(['Your own request: another approver approves it (you may still reject it).']));
  blocks.push(actions(buttons, `home-decide-${status.jobId}`.slice(0, LIMITS.blockId)));
  return blocks;
}

/** A staged copy waiting for its cut-over (nobody asked yet). */
function readyToCutOver(status: MigrationStatus): boolean {
  return status.state === 'running' && !status.staging?.cutover && status.steps.some((s) => s.name === 'stage' && s.status === 'running');
}

function stagedBlocks(status: MigrationStatus): KnownBlock[] {
  const staging = status.staging!;
  const last = staging.lastSyncAt ? ` · last delta ${slackDate(staging.lastSyncAt)}` : '';
  const blocks: KnownBlock[] = [
    section(`${STATE_ICON.running} ${route(status)} · staged in ${code(staging.stagedAddress, 200)} · ${formatCount(staging.passes)} delta pass(es)${last} · job ${code(status.jobId, 200)}`),
  ];
  if (status.busy) {
    blocks.push(context([`:hourglass_flowing_sand: ${escapeMrkdwn(status.busy.action)} in progress (by ${who(status.busy.by)})`]));
    return blocks;
  }
  blocks.push(
    actions(
      [
        button({
          text: 'Cut over now',
          actionId: ACTION.cutover,
          value: buttonValue(status.jobId, status.nonce),
          style: 'primary',
          confirm: confirm({ title: 'Cut over now?', text: `${escapeFit(status.plan.source.address, 120)} switches to its new mailbox within minutes.`, confirm: 'Cut over' }),
        }),
      ],
      `home-cutover-${status.jobId}`.slice(0, LIMITS.blockId),
    ),
  );
  return blocks;
}

function failureBlocks(status: MigrationStatus): KnownBlock[] {
  const step = failureStep(status);
  const error = status.outcome?.state === 'failed' ? status.outcome.error : status.outcome?.state === 'cancelled' ? `cancelled by ${status.outcome.by}` : 'stopped';
  const blocks: KnownBlock[] = [
    section(`${STATE_ICON[status.state]} ${route(status)} · ${status.state === 'cancelled' ? 'cancelled' : 'failed'} at ${stepLabel(step)} · job ${code(status.jobId, 200)}\n${codeBlock(error, 400)}`),
  ];
  if (status.busy) {
    blocks.push(context([`:hourglass_flowing_sand: ${escapeMrkdwn(status.busy.action)} in progress (by ${who(status.busy.by)})`]));
    return blocks;
  }
  const value = buttonValue(status.jobId, status.nonce);
  const buttons: Button[] = [
    button({
      text: 'Retry',
      actionId: ACTION.retry,
      value,
      style: 'primary',
      confirm: confirm({ title: 'Retry?', text: `The migration resumes at "${stepLabel(step)}".`, confirm: 'Retry' }),
    }),
  ];
  if (status.undoAvailable) {
    buttons.push(
      button({
        text: 'Undo',
        actionId: ACTION.undo,
        value,
        style: 'danger',
        confirm: confirm({ title: 'Undo this migration?', text: undoConfirmText(status.plan), confirm: 'Remove and rename back', danger: true }),
      }),
    );
  }
  blocks.push(actions(buttons, `home-failure-${status.jobId}`.slice(0, LIMITS.blockId)));
  return blocks;
}

/** One-line entries in at most two sections, the last one ending with "… N more" when they do not all fit. */
function lineSections(lines: readonly string[]): KnownBlock[] {
  return pageLines(lines, 2900, 2).map((page) => section(page));
}

function batchLine(batch: HomeBatch): string {
  const counts = new Map<string, number>();
  for (const row of batch.rows) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  const tally = [...counts].map(([state, n]) => `${STATE_ICON[state as MigrationStatus['state']] ?? ''} ${escapeMrkdwn(state)} ${n}`).join(' · ');
  const decision = batch.decision ? ` · ${escapeMrkdwn(batch.decision.state)} by ${who(batch.decision.by)}` : '';
  const unknown = batch.total - batch.rows.length;
  const rest = unknown > 0 ? ` · ${unknown} not listed here (\`/migrate-mailbox status\`)` : '';
  return `batch ${code(batch.batchId, 100)}: ${batch.total} mailboxes, requested by ${who(batch.requester)}${decision}\n      ${tally || 'nothing yet'}${rest}`;
}

function statusLine(status: MigrationStatus): string {
  const outcome =
    status.state === 'failed' && status.outcome?.state === 'failed'
      ? ` · ${escapeFit(status.outcome.error, 200)}`
      : status.state === 'running' || status.state === 'queued'
        ? ` · ${currentStep(status)}${progressText(status)}`
        : '';
  return `${STATE_ICON[status.state] ?? ''} ${route(status)} · ${escapeMrkdwn(String(status.state))}${outcome}`;
}

function title(text: string, count: number): KnownBlock {
  return section(`*${text}* (${count})`);
}

/**
 * A user's Home tab. For approvers: what waits for approval (Approve / Reject, the same buttons and nonces as the
 * request message), what runs (step, progress), what failed (Retry, and Undo once the source was renamed), recent
 * batches, what finished lately. For requesters: their own requests and batches. Anyone else: who to ask. Lists
 * are cut with a visible "… N more" so the view stays within Slack's 100 blocks.
 */
export function homeView(input: HomeInput): HomeView {
  const blocks: KnownBlock[] = [header('Mailbox migrations')];
  const updated = `Updated ${slackDate(input.at)}.`;
  if (input.role === 'none') {
    blocks.push(section(`:no_entry_sign: ${input.refusal ?? 'You are not allowed to request migrations.'}`), context([updated]));
    return { type: 'home', callback_id: HOME_CALLBACK, blocks: composeHome(blocks) };
  }
  const statuses = input.role === 'approver' ? [...input.statuses] : input.statuses.filter((s) => isSelf(s, input.viewer));
  blocks.push(
    context([
      input.role === 'approver'
        ? `${updated} You approve: every request is here. Type \`/migrate-mailbox\` to request one, \`/migrate-mailbox status\` for details.`
        : `${updated} Your own requests. Type \`/migrate-mailbox\` to request a migration.`,
    ]),
  );

  if (input.role === 'approver') {
    const waiting = statuses.filter((s) => s.state === 'awaiting-approval');
    blocks.push(divider(), title(':hourglass: Waiting for approval', waiting.length));
    if (waiting.length === 0) blocks.push(context(['Nothing waits for a decision.']));
    for (const status of waiting.slice(0, HOME_LIMITS.approvals)) blocks.push(...approvalBlocks(status, input));
    if (waiting.length > HOME_LIMITS.approvals) blocks.push(context([`${moreLine(waiting.length - HOME_LIMITS.approvals)} waiting: see \`/migrate-mailbox status\``]));

    const staged = statuses.filter(readyToCutOver);
    if (staged.length > 0) {
      blocks.push(divider(), title(':package: Staged, ready to cut over', staged.length));
      for (const status of staged.slice(0, HOME_LIMITS.staged)) blocks.push(...stagedBlocks(status));
      if (staged.length > HOME_LIMITS.staged) blocks.push(context([`${moreLine(staged.length - HOME_LIMITS.staged)} staged: see \`/migrate-mailbox status\``]));
    }

    const running = statuses.filter((s) => (s.state === 'running' || s.state === 'queued') && !readyToCutOver(s));
    blocks.push(divider(), title(':arrows_counterclockwise: Running', running.length));
    blocks.push(...(running.length ? lineSections(running.map(statusLine)) : [context(['Nothing runs.'])]));

    const failed = statuses.filter(actionableFailure);
    blocks.push(divider(), title(':x: Failed', failed.length));
    if (failed.length === 0) blocks.push(context(['No failure to look at.']));
    for (const status of failed.slice(0, HOME_LIMITS.failures)) blocks.push(...failureBlocks(status));
    if (failed.length > HOME_LIMITS.failures) blocks.push(context([`${moreLine(failed.length - HOME_LIMITS.failures)} failed: see \`/migrate-mailbox status\``]));
  } else {
    blocks.push(divider(), title('Your requests', statuses.length));
    blocks.push(...(statuses.length ? lineSections(statuses.map(statusLine)) : [context(['You have no request yet.'])]));
  }

  const batches = input.role === 'approver' ? input.batches : input.batches.filter((b) => b.requester.kind === 'slack' && b.requester.id === input.viewer);
  if (batches.length > 0 || input.role === 'approver') {
    blocks.push(divider(), title(':package: Recent batches', batches.length));
    blocks.push(...(batches.length ? lineSections(batches.map(batchLine)) : [context(['No batch yet.'])]));
  }

  if (input.role === 'approver') {
    const done = statuses.filter((s) => s.state === 'done');
    if (done.length > 0) {
      blocks.push(divider(), title(':white_check_mark: Done', done.length));
      blocks.push(...lineSections(done.map(statusLine)));
    }
  }
  return { type: 'home', callback_id: HOME_CALLBACK, blocks: composeHome(blocks) };
}
