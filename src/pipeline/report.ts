import type { CollaborativeReport } from '../domain/collaborative-report.js';
import { stepList, undoAvailable, type MigrationOrder } from '../domain/steps.js';
import { reportedFeatures } from './features.js';
import type { LinkEntry } from './links.js';
import type { MigrationReport, ReportedFeature, StagingSummary, StepRecord } from './migration-service.js';
import type { Checkpoint, MigrationJobData } from './job-data.js';

export function stepRecords(checkpoint: Checkpoint, order?: MigrationOrder): StepRecord[] {
  return stepList(checkpoint.steps, order) as StepRecord[];
}

export function isRunComplete(checkpoint: Checkpoint): boolean {
  return checkpoint.steps.handover?.status === 'done';
}

/**
 * Undo is offered as soon as the rename was attempted (its intent recorded), not only once its step shows done;
 * in the staged order, as soon as the staged account may exist (undo removes it).
 */
export function isUndoAvailable(checkpoint: Checkpoint): boolean {
  const changes = checkpoint.changes ?? {};
  return undoAvailable({ renameAttempted: Boolean(changes['rename-source'] || changes['create-destination']), undone: Boolean(checkpoint.undone), runComplete: isRunComplete(checkpoint) });
}

/** What an undo would put right, in words: the rename of the source, or (staged, never renamed) the staged account. */
export function undoSubject(data: Pick<MigrationJobData, 'plan' | 'checkpoint'>): string {
  const { plan, checkpoint } = data;
  if (checkpoint.changes?.['rename-source'] || plan.order?.kind !== 'staged') return `after renaming the source to ${plan.temporaryAddress}`;
  return `leaving the staged account ${plan.order.stagedAddress} on ${plan.destination.service} (the source was not renamed)`;
}

/**
 * The final report of a run, from its checkpoint; `links` (the destination service's link entries of this plan's
 * features, when the caller read them) shows links resolved or put back to pending since the run ended.
 */
export function buildReport(data: MigrationJobData, links?: Record<string, LinkEntry>): MigrationReport {
  const { checkpoint, plan } = data;
  const copy = checkpoint.copy && checkpoint.delta ? mergeReports(checkpoint.copy, checkpoint.delta) : (checkpoint.delta ?? checkpoint.copy);
  return {
    copy,
    foldersNotInSync: (checkpoint.mismatches ?? []).filter((m) => m.missing > 0).map((m) => ({ folder: m.folder, missing: m.missing })),
    dns: checkpoint.dns ?? [],
    clientSettings: checkpoint.clientSettings,
    features: reportedFeatures(plan, checkpoint, links),
    ...(checkpoint.collaborative || checkpoint.collaborativeDelta ? { collaborative: mergeCollaborative(checkpoint.collaborative, checkpoint.collaborativeDelta) } : {}),
    ...(checkpoint.collaborativeIssues?.length ? { collaborativeIssues: checkpoint.collaborativeIssues } : {}),
    ...(checkpoint.collaborativeLeft ? { collaborativeLeft: checkpoint.collaborativeLeft } : {}),
    ...cutoverWindowOf(checkpoint),
    ...staged(data),
  };
}

/** From the start of the source's rename to the end of the final delta (both orders), once both are known. */
function cutoverWindowOf(checkpoint: Checkpoint): Pick<MigrationReport, 'cutoverWindow'> {
  const startedAt = checkpoint.steps['rename-source']?.startedAt;
  const endedAt = checkpoint.steps.delta?.status === 'done' ? checkpoint.steps.delta.endedAt : undefined;
  if (!startedAt || !endedAt) return {};
  return { cutoverWindow: { startedAt, endedAt, seconds: (Date.parse(endedAt) - Date.parse(startedAt)) / 1000 } };
}

/** `{ staging }` for a staged migration, nothing for a classic one: for spreading into a report or a status. */
export function staged(data: MigrationJobData): { staging?: StagingSummary } {
  const staging = stagingSummary(data);
  return staging ? { staging } : {};
}

function stagingSummary(data: MigrationJobData): StagingSummary | undefined {
  const { plan, checkpoint, request } = data;
  if (plan.order?.kind !== 'staged') return undefined;
  const staging = checkpoint.staging;
  return {
    stagedAddress: plan.order.stagedAddress!,
    passes: staging?.passes ?? 0,
    copied: staging?.copied ?? 0,
    removed: staging?.removed ?? 0,
    ...(staging?.lastSyncAt ? { lastSyncAt: staging.lastSyncAt } : {}),
    ...(staging?.nextSyncAt ? { nextSyncAt: staging.nextSyncAt } : {}),
    ...(request.cutoverAt ? { cutoverAt: request.cutoverAt } : {}),
    ...(staging?.cutover ? { cutover: staging.cutover } : {}),
  };
}

/** The report's three feature sections: recreated (created or already there), pending, by hand (with conflicts and failures). */
export function featureSections(features: readonly ReportedFeature[]): { recreated: ReportedFeature[]; pending: ReportedFeature[]; byHand: ReportedFeature[] } {
  return {
    recreated: features.filter((f) => f.status === 'created' || f.status === 'exists'),
    pending: features.filter((f) => f.status === 'pending'),
    byHand: features.filter((f) => f.status === 'byHand' || f.status === 'conflict' || f.status === 'failed'),
  };
}

/**
 * The copy and the delta pass seen as one transfer: messages copied by either, skipped = what the delta found
 * already there minus what the first pass copied; totals and folders from the delta (the latest view).
 */
export function mergeReports(first: NonNullable<Checkpoint['copy']>, second: NonNullable<Checkpoint['copy']>): NonNullable<Checkpoint['copy']> {
  const byFolder = new Map(first.folders.map((f) => [f.from, f]));
  return {
    ok: first.ok && second.ok,
    messages: {
      total: second.messages.total,
      copied: first.messages.copied + second.messages.copied,
      skipped: Math.max(0, second.messages.total - first.messages.copied - second.messages.copied - second.messages.failed),
      failed: second.messages.failed,
    },
    bytes: first.bytes + second.bytes,
    seconds: first.seconds + second.seconds,
    folders: second.folders.map((f) => {
      const before = byFolder.get(f.from);
      const copied = (before?.copied ?? 0) + f.copied;
      return { ...f, copied, skipped: Math.max(0, f.total - copied - f.failed) };
    }),
  };
}

/**
 * Both passes as one transfer, as the mail copy's report does: copied by either pass, the latest totals; rules and
 * out-of-office from the first pass.
 */
export function mergeCollaborative(first: CollaborativeReport | undefined, second: CollaborativeReport | undefined): CollaborativeReport | undefined {
  if (!first || !second) return first ?? second;
  const kind = (k: 'calendar' | 'contacts' | 'tasks') => {
    const copied = first[k].copied + second[k].copied;
    return { total: second[k].total, copied, failed: second[k].failed, skipped: Math.max(0, second[k].total - copied - second[k].failed) };
  };
  return {
    ...first,
    ok: first.ok && second.ok,
    calendar: kind('calendar'),
    contacts: kind('contacts'),
    tasks: kind('tasks'),
    bytes: first.bytes + second.bytes,
    seconds: first.seconds + second.seconds,
    folders: second.folders,
  };
}
