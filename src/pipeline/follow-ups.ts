import type { Job } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { stepChange, type StepName } from '../domain/steps.js';
import type { Logger } from '../log/logger.js';
import type { PlatformDirectory } from './dependencies.js';
import { FollowUpBusyError, PermanentError } from './errors.js';
import type { JobData, MigrationJobData } from './job-data.js';
import type { FeatureLinks } from './links.js';
import type { Actor, FollowUpAction, FollowUpOptions } from './migration-service.js';
import type { QueueHandles } from './queue-handles.js';
import { isUndoAvailable } from './report.js';
import type { SecretBox } from './secret-box.js';
import { LIVE_STATES, type Statuses } from './status.js';
import type { OnRequestStep, StepContext } from './step-context.js';
import { resetSource, undo } from './steps.js';
import { markChanged } from './thread-ledger.js';

/** How long a follow-up action may hold a migration before its lock is considered abandoned (a crashed process). */
const FOLLOW_UP_LOCK_MS = 15 * 60_000;

const RELEASE_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

/** What undo and reset need to run outside a worker (they never copy, nor create an account). */
export interface OnRequestDeps {
  directory: PlatformDirectory;
  secrets: SecretBox;
  /** OVH_MX_RELAY. */
  mxRelay?: string;
  logger: Logger;
}

/**
 * Cancel, undo, retry and reset, one at a time per migration. Undo and reset run here directly (they need no
 * IMAP), recorded in the job like a worker's steps.
 */
export class FollowUps {
  constructor(private readonly handles: QueueHandles, private readonly statuses: Statuses, private readonly links: FeatureLinks, private readonly deps: OnRequestDeps) {}

  cancel(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.underLock(jobId, 'cancel', by, options, () => this.cancelNow(jobId, by));
  }

  cutover(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    const { queue, redis, keys } = this.handles;
    return this.underLock(jobId, 'cutover', by, options, async () => {
      const job = await queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const { plan, checkpoint } = job.data;
      if (plan.order?.kind !== 'staged') throw new PermanentError(`${jobId} runs in the classic order: there is no staged copy to cut over (${plan.order?.reason ?? 'planned before the staged order existed'})`);
      const state = await job.getState();
      if (!LIVE_STATES.has(state)) throw new PermanentError(`${jobId} is not running (${state}): retry it first`);
      if (checkpoint.steps.stage?.status === 'done' || checkpoint.changes?.['rename-source']) throw new PermanentError(`the cut-over of ${jobId} has already begun`);
      await redis.set(keys.cutover(jobId), JSON.stringify({ by: by.id, at: new Date().toISOString() }), 'NX');
      // a staged copy sleeping until its next delta is woken to cut over now; one still copying cuts over right after
      if (state === 'delayed' && checkpoint.steps.stage) await job.promote().catch(() => undefined);
    });
  }

  undo(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    const { queue, redis, keys } = this.handles;
    return this.underLock(jobId, 'undo', by, options, async () => {
      const job = await queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const state = await job.getState();
      if (state !== 'failed') throw new PermanentError(`undo is for a failed or cancelled migration; ${jobId} is ${state}`);
      if (!isUndoAvailable(job.data.checkpoint)) throw new PermanentError(`nothing to undo for ${jobId}: the source was not renamed, or it was already renamed back`);
      await this.runOnRequest(job, 'undo', undo);
      await redis.del(keys.cancel(jobId), keys.handover(jobId));
    });
  }

  retry(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    const { queue, redis, keys } = this.handles;
    return this.underLock(jobId, 'retry', by, options, async () => {
      const job = await queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const state = await job.getState();
      if (state !== 'failed') throw new PermanentError(`only a failed or cancelled migration can be retried; ${jobId} is ${state}`);
      if (job.data.checkpoint.undone) throw new PermanentError(`${jobId} was undone: submit it again`);
      const data = structuredClone(job.data as MigrationJobData);
      delete data.checkpoint.outcome;
      delete data.checkpoint.retrying;
      data.checkpoint.run = (data.checkpoint.run ?? 1) + 1;
      await (job as Job<JobData>).updateData(data);
      await redis.del(keys.cancel(jobId));
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    });
  }

  resetSource(jobId: string, by: Actor, options: FollowUpOptions & { force?: boolean } = {}): Promise<void> {
    const { queue } = this.handles;
    return this.underLock(jobId, 'reset-source', by, options, async () => {
      const job = await queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const status = await this.statuses.read(jobId);
      if (status?.state !== 'done' || job.data.request.dryRun) throw new PermanentError(`the temporary source account is reset only after a completed migration; ${jobId} is ${status?.state}`);
      const missing = outOfSync(job.data);
      if (missing && !options.force) {
        throw new PermanentError(`${missing}: resetting ${job.data.plan.temporaryAddress} would delete them for good. Copy them first (retry, or by hand), or confirm the reset explicitly (--force, "Reset anyway")`);
      }
      await this.runOnRequest(job, 'reset-source', resetSource);
    });
  }

  /**
   * Runs a follow-up action on a migration under its lock: one at a time, and while it runs the status shows it
   * (`busy`); a lock left by a crashed process expires after FOLLOW_UP_LOCK_MS.
   */
  private async underLock<T>(jobId: string, action: FollowUpAction, by: Actor, options: FollowUpOptions, run: () => Promise<T>): Promise<T> {
    const { queue, redis, keys } = this.handles;
    const key = keys.followUp(jobId);
    const token = JSON.stringify({ action, by, id: randomUUID() });
    if ((await redis.set(key, token, 'PX', FOLLOW_UP_LOCK_MS, 'NX')) !== 'OK') {
      const held = JSON.parse((await redis.get(key)) ?? '{}') as { action?: string; by?: Actor };
      throw new FollowUpBusyError(held.action ?? 'another action', held.by?.id ?? 'someone');
    }
    await markChanged(redis, keys, jobId);
    try {
      if (options.nonce !== undefined) {
        const job = await queue.getJob(jobId);
        if (job?.data.kind === 'migration' && job.data.request.nonce !== options.nonce) {
          throw new PermanentError(`this button belongs to an earlier request for ${job.data.plan.source.address}: nothing was done; use the buttons of the current request (job ${jobId})`);
        }
      }
      return await run();
    } finally {
      await redis.eval(RELEASE_LOCK, 1, key, token);
      await markChanged(redis, keys, jobId);
    }
  }

  private async cancelNow(jobId: string, by: Actor): Promise<void> {
    const { queue, redis, keys } = this.handles;
    const job = await queue.getJob(jobId);
    if (!job) throw new PermanentError(`no migration ${jobId}`);
    const state = await job.getState();
    if (!LIVE_STATES.has(state)) throw new PermanentError(`${jobId} is already finished (${state})`);
    await redis.set(keys.cancel(jobId), by.id, 'NX');
    await redis.publish(keys.control(), JSON.stringify({ type: 'cancel', jobId }));
    // A job waiting (for approval, a retry or a batch slot) is run at once, to end as cancelled.
    if (state === 'delayed') await job.promote().catch(() => undefined);
  }

  /** Runs an on-request step (undo, reset) here, recording it in the (finished) job like the worker does. */
  private async runOnRequest(job: Job<JobData>, name: StepName, fn: OnRequestStep): Promise<void> {
    const { redis, keys, bus } = this.handles;
    const data = structuredClone(job.data as MigrationJobData);
    const { checkpoint } = data;
    const save = async () => {
      await job.updateData(data);
      await markChanged(redis, keys, job.id!);
    };
    const setStep = async (status: 'running' | 'done' | 'skipped' | 'failed', detail?: string) => {
      checkpoint.steps[name] = stepChange(checkpoint.steps[name], status, detail, new Date().toISOString(), checkpoint.run ?? 1);
      await save();
      await bus.publish({ type: 'step', jobId: job.id!, step: { name, ...checkpoint.steps[name]! }, origin: data.request.origin });
    };
    await setStep('running');
    const ctx: StepContext = {
      jobId: job.id!,
      plan: data.plan,
      request: data.request,
      checkpoint,
      save,
      signal: new AbortController().signal,
      links: this.links,
      cutoverRequest: async () => undefined,
      onProgress: () => undefined,
      handOver: async () => {
        throw new Error('no account is created outside a worker');
      },
      deps: {
        directory: this.deps.directory,
        secrets: this.deps.secrets,
        mxRelay: this.deps.mxRelay ?? 'mx1.mail.ovh.net',
        imapConnections: 1,
        logger: this.deps.logger,
        copier: async () => {
          throw new Error('no copy outside a worker');
        },
        imapEndpoint: async () => {
          throw new Error('no IMAP outside a worker');
        },
      },
    };
    try {
      const outcome = await fn(ctx);
      await setStep(outcome.status, outcome.detail);
    } catch (error) {
      await setStep('failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
  }
}

/** What a reset would lose: folders not in sync and messages the destination refused, or undefined when none. */
function outOfSync(data: MigrationJobData): string | undefined {
  const { checkpoint } = data;
  const folders = (checkpoint.mismatches ?? []).filter((m) => m.missing > 0);
  const parts = folders.map((m) => `${m.missing} message(s) of ${m.folder}`);
  if (checkpoint.copyFailures) parts.push(`${checkpoint.copyFailures} message(s) the destination refused`);
  return parts.length ? `not on the destination: ${parts.join(', ')}` : undefined;
}
