import { createHash } from 'node:crypto';
import type { MigrationStatus, StepRecord } from '../../pipeline/migration-service.js';
import { handoverMessage } from '../blocks/password.js';
import { finalReportMessage } from '../blocks/report.js';
import { requestMessage, type SlackMessage } from '../blocks/request-message.js';
import { escapeMrkdwn } from '../blocks/limits.js';
import { failureMessage, noticeMessage, progressMessage, stagingMessage, stepMessage } from '../blocks/thread.js';

/**
 * One message of a migration's thread, as its stored state says it should be. `key` names it in the ThreadLedger:
 * it is posted once per key; an `editable` one is edited when its content changes (a step that failed and is
 * retried within the same run, the hand-over once acknowledged, the live progress).
 */
export interface ThreadItem {
  key: string;
  message: SlackMessage;
  editable: boolean;
  /** The live progress message: edited at a bounded rate, and first posted only while the copy runs. */
  live?: boolean;
}

/** What the thread parent (the request message) should show, keyed so it is redrawn once per change. */
export interface ParentState {
  key: string;
  message: SlackMessage;
}

export function contentHash(message: SlackMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}

const COPY_STEPS = new Set(['copy', 'collaborative', 'stage', 'delta']);

function finished(step: StepRecord): boolean {
  return step.status === 'done' || step.status === 'skipped' || step.status === 'failed';
}

/**
 * The thread of one migration, in order: a reply per finished step (per run), the live progress message of a copy
 * under way, the password hand-over once the destination account exists, then the failure or the final report.
 * A batch's mailboxes share the batch summary's thread: only their failures and hand-overs go there.
 */
export function threadItems(status: MigrationStatus, options: { batch: boolean }): ThreadItem[] {
  const items: ThreadItem[] = [];
  const run = status.run;
  const handover = status.handover.state === 'pending' || !status.handover.recipient
    ? undefined
    : { key: 'handover', message: handoverMessage({ jobId: status.jobId, nonce: status.nonce, address: status.plan.destination.address, handover: status.handover }), editable: true };
  let handoverPlaced = false;
  let progressPlaced = false;

  // a request rejected, expired or run dry skips every step after its approval: one reply says so, not ten
  const closedAtApproval = status.dryRun || status.steps.some((s) => s.name === 'approval' && s.status === 'failed');
  for (const step of status.steps) {
    if (step.name === 'preflight') continue;
    if (closedAtApproval && step.status === 'skipped') continue;
    if (!options.batch && COPY_STEPS.has(step.name) && !progressPlaced && status.progress && (step.run ?? 1) === run && step.status !== 'pending') {
      // one live message per run, placed before the copy's own reply (the notifier posts it only while copying)
      progressPlaced = true;
      items.push({ key: `progress#${run}`, message: progressMessage(status.progress, runningCopyStep(status) ?? step.name), editable: true, live: true });
    }
    if (finished(step) && (!options.batch || step.status === 'failed')) {
      items.push({ key: `step:${step.name}#${step.run ?? 1}`, message: stepMessage(step), editable: true });
    }
    if (step.name === 'stage' && status.staging && step.status !== 'pending' && !options.batch) {
      const waiting = step.status === 'running' && status.state === 'running';
      items.push({ key: `staging#${run}`, message: stagingMessage({ jobId: status.jobId, nonce: status.nonce, staging: status.staging, waiting, source: status.plan.source.address }), editable: true });
    }
    // the password is handed over once the account has the real address: at its creation, or at the staged cut-over
    if (step.name === (status.staging ? 'rename-destination' : 'create-destination') && handover && finished(step)) {
      items.push(handover);
      handoverPlaced = true;
    }
  }
  if (handover && !handoverPlaced) items.push(handover);

  const failure = failureItem(status);
  if (failure) items.push(failure);
  if (status.state === 'done' && !options.batch) {
    if (status.report) {
      const resetDone = status.steps.some((s) => s.name === 'reset-source' && s.status === 'done');
      items.push({
        key: `report#${run}`,
        message: finalReportMessage({ jobId: status.jobId, nonce: status.nonce, source: status.plan.source.address, report: status.report, offerReset: !resetDone }),
        editable: false,
      });
    } else if (status.dryRun) {
      const why = status.steps.find((s) => s.status === 'skipped')?.detail ?? 'nothing changed';
      items.push({ key: `report#${run}`, message: noticeMessage(`:white_check_mark: Finished: every check passed; ${escapeMrkdwn(why)}.`), editable: false });
    }
  }
  return items;
}

/** A run that stopped: Retry, and Undo once the source was renamed. Approval failures close the request instead. */
function failureItem(status: MigrationStatus): ThreadItem | undefined {
  const outcome = status.outcome;
  if (!outcome || (status.state !== 'failed' && status.state !== 'cancelled')) return undefined;
  if (outcome.state === 'failed' && outcome.step === 'approval') return undefined;
  if (outcome.state === 'cancelled' && !startedRun(status)) return undefined;
  const error = outcome.state === 'cancelled' ? `cancelled by ${outcome.by}` : outcome.error;
  const step = outcome.state === 'failed' ? outcome.step : lastStartedStep(status);
  return {
    key: `failure#${status.run}`,
    message: failureMessage({
      jobId: status.jobId,
      nonce: status.nonce,
      step,
      error,
      undoAvailable: status.undoAvailable,
      plan: status.plan,
      sourceRenamed: status.steps.find((s) => s.name === 'rename-source')?.status !== 'pending',
    }),
    editable: true,
  };
}

function startedRun(status: MigrationStatus): boolean {
  return status.steps.some((s) => s.name !== 'preflight' && s.name !== 'approval' && s.status !== 'pending');
}

function lastStartedStep(status: MigrationStatus): StepRecord['name'] {
  return [...status.steps].reverse().find((s) => s.status !== 'pending')?.name ?? 'approval';
}

function runningCopyStep(status: MigrationStatus): StepRecord['name'] | undefined {
  return status.steps.find((s) => COPY_STEPS.has(s.name) && s.status === 'running')?.name;
}

/**
 * The request message as the job's state says (single requests only): after a decision, who decided; closed
 * without one (expired, cancelled before approval, a refused decision), why; undefined while it waits.
 */
export function parentState(status: MigrationStatus): ParentState | undefined {
  const base = { plan: status.plan, requester: status.requester, nonce: status.nonce, handover: status.handover, dryRun: status.dryRun };
  if (status.decision) {
    return { key: `decided:${status.decision.state}`, message: requestMessage({ ...base, decision: status.decision }) };
  }
  const approval = status.steps.find((s) => s.name === 'approval');
  if (approval?.status === 'failed' || status.state === 'rejected' || (status.state === 'cancelled' && !startedRun(status))) {
    const why = approval?.status === 'failed' ? (approval.detail ?? 'closed') : status.outcome?.state === 'cancelled' ? `cancelled by ${status.outcome.by}` : status.state;
    return { key: `closed:${why}`.slice(0, 200), message: requestMessage({ ...base, closed: `:no_entry: Closed without a decision: ${escapeMrkdwn(why)}` }) };
  }
  return undefined;
}
