import { randomInt } from 'node:crypto';
import type { CopyProgress } from '../domain/copy-report.js';
import { generatePassword } from '../domain/password.js';
import type { MailPlatform } from '../ovh/mail-platform.js';
import type { StepDeps } from './dependencies.js';
import type { ChangeName, Checkpoint, StoredRequest } from './job-data.js';
import type { FeatureLinks } from './links.js';
import type { MigrationPlan } from './migration-service.js';

/**
 * What every step works with: its context (plan, checkpoint, save, dependencies), the journal of changes at OVH
 * (intent before, result after) and the migration's passwords.
 */

/** What a step works on: the fixed plan, the checkpoint it advances (and saves), the job's signal. */
export interface StepContext {
  jobId: string;
  plan: MigrationPlan;
  request: StoredRequest;
  checkpoint: Checkpoint;
  /** Persists the checkpoint in the job now (called before and after every change at OVH). */
  save(): Promise<void>;
  signal: AbortSignal;
  onProgress(progress: CopyProgress): void;
  /** The destination account exists with this password: keep it sealed for the person it is handed over to. */
  handOver(password: string): Promise<void>;
  deps: StepDeps;
  /** Pending links per destination service, the registry of migrated mailboxes, the per-service lock (Redis). */
  links: FeatureLinks;
  /** Staged order: the cut-over someone asked for (Slack, CLI), if any. */
  cutoverRequest(): Promise<{ by: string; at: string } | undefined>;
}

export type StepOutcome =
  | { status: 'done' | 'skipped' | 'failed'; detail: string }
  /** Not finished, nothing to do until `until` (ms since the epoch) or until the job is woken (a cut-over, a cancel). */
  | { status: 'waiting'; detail: string; until: number };

/** A step: idempotent over (plan, checkpoint), so re-running it after a crash redoes nothing already done. */
export type StepFunction = (ctx: StepContext) => Promise<StepOutcome>;

/** A step run on request (reset, undo): it never waits. */
export type OnRequestStep = (ctx: StepContext) => Promise<Exclude<StepOutcome, { status: 'waiting' }>>;

const AAD = {
  source: (jobId: string) => `${jobId}:source-password`,
  destination: (jobId: string) => `${jobId}:destination-password`,
  request: (jobId: string) => `${jobId}:request-password`,
  requestSource: (jobId: string) => `${jobId}:request-source-password`,
  /** Bound to the request too: a hand-over left from an earlier request for the address does not open. */
  handover: (jobId: string, nonce: string) => `${jobId}:${nonce}:handover-password`,
};
export const SECRET_AAD = AAD;

/** The platform of one side of the migration. */
export function openPlatform(ctx: Pick<StepContext, 'plan' | 'deps'>, side: 'source' | 'destination'): Promise<MailPlatform> {
  const ref = ctx.plan[side];
  return ctx.deps.directory.open({ platform: ref.platform, name: ref.service });
}

export function changeDone(checkpoint: Checkpoint, name: ChangeName): boolean {
  return Boolean(checkpoint.changes?.[name]?.done);
}

export function changeAttempted(checkpoint: Checkpoint, name: ChangeName): boolean {
  return Boolean(checkpoint.changes?.[name]);
}

/**
 * One change at OVH, recorded in the checkpoint: its intent is saved before the call, its result after. A resume
 * skips a change recorded done; one recorded only as intended may or may not have happened at OVH, so `run` is
 * told (`resumed`) and must look at OVH before acting again. Returns false when the change was already done.
 */
export async function change(ctx: Pick<StepContext, 'checkpoint' | 'save'>, name: ChangeName, run: (resumed: boolean) => Promise<void>): Promise<boolean> {
  const journal = (ctx.checkpoint.changes ??= {});
  const previous = journal[name];
  if (previous?.done) return false;
  if (!previous) {
    journal[name] = { intent: new Date().toISOString() };
    await ctx.save();
  }
  await run(Boolean(previous));
  journal[name] = { ...journal[name]!, done: new Date().toISOString() };
  await ctx.save();
  return true;
}

/** The destination's initial password, in clear (given by the requester, or generated once and kept sealed). */
export async function destinationPassword(ctx: StepContext, platform: MailPlatform): Promise<string> {
  const { checkpoint, request, deps } = ctx;
  if (!checkpoint.destinationPassword) {
    const clear = request.destinationPassword
      ? deps.secrets.open(request.destinationPassword, AAD.request(ctx.jobId))
      : generatePassword((await platform.describeService()).passwordPolicy, randomInt);
    checkpoint.destinationPassword = deps.secrets.seal(clear, AAD.destination(ctx.jobId));
    // the copy typed by the requester is not kept beside the one the run uses
    delete request.destinationPassword;
    await ctx.save();
  }
  return deps.secrets.open(checkpoint.destinationPassword, AAD.destination(ctx.jobId));
}

export function isStaged(plan: Pick<MigrationPlan, 'order'>): boolean {
  return plan.order?.kind === 'staged';
}

/**
 * The addresses each side's mailbox has now. Classic order: the renamed source and the real address. Staged:
 * the live source until it is renamed, and the staged account until it takes the real address.
 */
export function currentAddresses(ctx: Pick<StepContext, 'plan' | 'checkpoint'>): { source: string; destination: string } {
  const { plan, checkpoint } = ctx;
  if (!isStaged(plan)) return { source: plan.temporaryAddress, destination: plan.destination.address };
  return {
    source: changeDone(checkpoint, 'rename-source') ? plan.temporaryAddress : plan.source.address,
    destination: changeDone(checkpoint, 'rename-destination') ? plan.destination.address : plan.order!.stagedAddress!,
  };
}

/**
 * The source's password for the copy, in clear: the migration password set after the rename (classic), or the
 * current one the requester gave (staged), moved from the request into the checkpoint on first use.
 */
export async function sourcePassword(ctx: StepContext): Promise<string | undefined> {
  const { checkpoint, request, deps } = ctx;
  if (!checkpoint.sourcePassword && request.sourcePassword) {
    checkpoint.sourcePassword = deps.secrets.seal(deps.secrets.open(request.sourcePassword, AAD.requestSource(ctx.jobId)), AAD.source(ctx.jobId));
    delete request.sourcePassword;
    await ctx.save();
  }
  return checkpoint.sourcePassword ? deps.secrets.open(checkpoint.sourcePassword, AAD.source(ctx.jobId)) : undefined;
}
