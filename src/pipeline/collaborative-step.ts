import type { CopyProgress } from '../domain/copy-report.js';
import type { CollaborativeCounts, CollaborativeProgress } from '../domain/collaborative-report.js';
import { copyCollaborative, countCollaborative, type CollaborativeOutcome, type EwsEndpoint } from '../ews/index.js';
import { PermanentError, TransientError, retryVerdict } from './errors.js';
import { currentAddresses, destinationPassword, openPlatform, sourcePassword, type StepContext, type StepFunction, type StepOutcome } from './step-context.js';

/**
 * Calendars, contacts, tasks, inbox rules and out-of-office over EWS, after the mail copy (and again, items only,
 * in the delta pass). Resumable: the EWS layer's journal is kept in the checkpoint after every change, and the
 * items it uploaded carry a marker, so a run killed at any moment uploads nothing twice. Towards MX Plan (no
 * calendars) it counts what stays on the source. A failure that another try cannot fix (EWS refusing the login,
 * say) is reported and the migration goes on: the mail is what matters most, and it is there.
 */
export const collaborativeStep: StepFunction = async (ctx) => {
  const mode = ctx.plan.collaborative?.mode ?? 'none';
  if (mode === 'none') return { status: 'skipped', detail: ctx.plan.collaborative?.detail ?? 'not planned' };
  const from = await endpoints(ctx, 'source');
  if (!from) return { status: 'skipped', detail: 'EWS is not configured here' };
  if (mode === 'count') {
    const left = await guarded(ctx, () => countCollaborative(from));
    if ('failed' in left) return left.failed;
    ctx.checkpoint.collaborativeLeft = left.value;
    await ctx.save();
    return { status: 'done', detail: `${describeCounts(left.value)} stay on ${currentAddresses(ctx).source} (the destination has no calendars): export them from the source webmail` };
  }
  const outcome = await copyPass(ctx, from, 'copy');
  if ('failed' in outcome) return outcome.failed;
  return summary(outcome.value, 'copy');
};

/** The delta pass's second look: items created meanwhile (rules and out-of-office were copied by the first pass). */
export async function collaborativeDelta(ctx: StepContext): Promise<string | undefined> {
  if (ctx.plan.collaborative?.mode !== 'copy' || ctx.checkpoint.steps.collaborative?.status !== 'done') return undefined;
  const from = await endpoints(ctx, 'source');
  if (!from) return undefined;
  const outcome = await copyPass(ctx, from, 'delta');
  return 'failed' in outcome ? `calendars, contacts and tasks: ${outcome.failed.detail}` : summary(outcome.value, 'delta').detail;
}

async function endpoints(ctx: StepContext, side: 'source'): Promise<EwsEndpoint | undefined> {
  const { deps } = ctx;
  const password = deps.ews ? await sourcePassword(ctx) : undefined;
  if (!deps.ews || !password) return undefined;
  const source = await openPlatform(ctx, side);
  return deps.ews.endpoint(source, currentAddresses(ctx).source, password);
}

async function copyPass(ctx: StepContext, from: EwsEndpoint, pass: 'copy' | 'delta'): Promise<{ value: CollaborativeOutcome } | { failed: StepOutcome }> {
  const { deps, plan, checkpoint } = ctx;
  const destination = await openPlatform(ctx, 'destination');
  const to = await deps.ews!.endpoint(destination, currentAddresses(ctx).destination, await destinationPassword(ctx, destination));
  if (!to) return { failed: { status: 'failed', detail: `${destination.platform} has no EWS` } };
  const result = await guarded(ctx, () =>
    copyCollaborative({
      from,
      to,
      ...(pass === 'delta' ? { rules: false, oof: false } : {}),
      ...(checkpoint.collaborativeJournal ? { journal: checkpoint.collaborativeJournal } : {}),
      saveJournal: async (journal) => {
        checkpoint.collaborativeJournal = journal;
        await ctx.save();
      },
      signal: ctx.signal,
      logger: deps.logger,
      onProgress: (progress) => ctx.onProgress(asCopyProgress(progress)),
    }),
  );
  if ('failed' in result) return result;
  checkpoint[pass === 'copy' ? 'collaborative' : 'collaborativeDelta'] = result.value.report;
  checkpoint.collaborativeIssues = [...(pass === 'copy' ? [] : (checkpoint.collaborativeIssues ?? [])), ...issuesOf(result.value)];
  await ctx.save();
  return result;
}

/** Transient trouble retries the step (the journal resumes it); anything else is reported, and the run goes on. */
async function guarded<T>(ctx: StepContext, run: () => Promise<T>): Promise<{ value: T } | { failed: StepOutcome }> {
  try {
    return { value: await run() };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const message = (error as Error)?.message ?? String(error);
    if (retryVerdict(error) === false || error instanceof PermanentError) {
      return { failed: { status: 'failed', detail: `not copied: ${message}; calendars, contacts and tasks stay on ${currentAddresses(ctx).source} (export them from its webmail)` } };
    }
    throw new TransientError(`calendars, contacts and tasks: ${message}`, { cause: error });
  }
}

function issuesOf(outcome: CollaborativeOutcome): string[] {
  return [
    ...outcome.failures.map((f) => `${f.folder}: ${f.reason}`),
    ...outcome.folderFailures.map((f) => `${f.folder}: ${f.reason}`),
    ...outcome.rules.filter((r) => r.status === 'refused' || r.status === 'failed').map((r) => `rule "${r.name}": ${r.reason ?? r.status}`),
    ...(outcome.oofReason ? [`out-of-office: ${outcome.oofReason}`] : []),
  ];
}

function summary(outcome: CollaborativeOutcome, pass: 'copy' | 'delta'): StepOutcome {
  const r = outcome.report;
  const kinds = (['calendar', 'contacts', 'tasks'] as const).map((k) => `${k} ${r[k].copied} copied, ${r[k].skipped} already there${r[k].failed ? `, ${r[k].failed} failed` : ''}`);
  const extra = pass === 'copy' ? [`rules ${r.rules.copied} copied${r.rules.failed ? `, ${r.rules.failed} refused` : ''}`, `out-of-office ${r.oof.status}`] : [];
  const issues = issuesOf(outcome);
  return {
    status: issues.length || !r.ok ? 'failed' : 'done',
    detail: [...kinds, ...extra].join('; ') + (issues.length ? `; to look at: ${issues.slice(0, 5).join('; ')}${issues.length > 5 ? ` (${issues.length - 5} more)` : ''}` : ''),
  };
}

function describeCounts(counts: CollaborativeCounts): string {
  return `${counts.calendar} calendar items, ${counts.contacts} contacts and ${counts.tasks} tasks`;
}

/** The thread's and the CLI's progress line shows items where it shows messages for the mail copy. */
function asCopyProgress(p: CollaborativeProgress): CopyProgress {
  const phase = p.phase === 'rules' || p.phase === 'oof' ? 'copying' : p.phase;
  return { phase, ...(p.folder ? { folder: p.folder } : {}), messagesDone: p.itemsDone, messagesTotal: p.itemsTotal, bytesDone: p.bytesDone, bytesTotal: 0, rate: p.rate, unit: 'items' };
}
