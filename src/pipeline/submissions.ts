import type { Job, JobsOptions } from 'bullmq';
import { randomBytes, randomUUID } from 'node:crypto';
import { tryParseAddress } from '../domain/address.js';
import { migrationJobId } from '../domain/plan.js';
import { signDecision } from './decisions.js';
import type { PlatformDirectory } from './dependencies.js';
import { PermanentError } from './errors.js';
import type { EwsAccess } from './ews-access.js';
import type { JobData, MigrationJobData } from './job-data.js';
import type { FeatureLinks } from './links.js';
import type { Actor, MigrationPlan, MigrationRequest, PreflightResult, SubmitResult } from './migration-service.js';
import { preflight } from './preflight.js';
import type { QueueHandles } from './queue-handles.js';
import { isUndoAvailable, undoSubject } from './report.js';
import type { SecretBox } from './secret-box.js';
import { LIVE_STATES, readSideState, statusOf } from './status.js';
import { SECRET_AAD } from './step-context.js';
import { markChanged } from './thread-ledger.js';
import type { FeatureReading } from '../ovh/feature-reading.js';

export interface SubmissionSettings {
  directory: PlatformDirectory;
  /** Where EWS is: preflight probes it to plan the copy of calendars, contacts, tasks, rules and out-of-office. */
  ews?: EwsAccess;
  /** Pending links per destination service and the registry of migrated mailboxes, read by preflight. */
  links: FeatureLinks;
  /** HANDOVER_TO: who receives the destination password of requests made from now on. */
  handoverTo: 'requester' | 'approver';
  approvalTimeoutMs: number;
}

/** Carried by the buttons of a request (or a batch summary): a decision or a follow-up checks it. */
export function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

/** Requests becoming migration jobs: checked first, one live job per mailbox, passwords sealed. */
export class Submissions {
  constructor(private readonly handles: QueueHandles, private readonly secrets: SecretBox, private readonly settings: SubmissionSettings) {}

  async preflight(request: MigrationRequest, featureReading?: FeatureReading): Promise<PreflightResult> {
    const result = await preflight(this.settings.directory, request, {
      registry: this.settings.links,
      ...(this.settings.ews ? { ews: this.settings.ews } : {}),
      ...(featureReading ? { featureReading } : {}),
    });
    return result.ok ? { ok: true, plan: result.plan } : { ok: false, problems: result.problems };
  }

  async submit(request: MigrationRequest): Promise<SubmitResult> {
    const { queue, redis, keys, bus } = this.handles;
    const parsed = tryParseAddress(request.sourceAddress);
    if (!parsed.ok) return { ok: false, problems: [{ field: 'source', message: parsed.error }] };
    const jobId = migrationJobId(parsed.value.address);
    try {
      const live = await this.liveJob(jobId);
      if (live && live.data.kind === 'migration') return { ok: true, jobId, plan: live.data.plan, duplicate: true, nonce: live.data.request.nonce };
    } catch (error) {
      if (error instanceof PermanentError) return { ok: false, problems: [{ field: 'source', message: error.message }] };
      throw error;
    }
    if (request.destinationPassword && this.settings.handoverTo === 'approver') {
      return { ok: false, problems: [{ field: 'password', message: 'the destination password is generated and handed to the approver here (HANDOVER_TO=approver): leave it empty' }] };
    }
    const checked = await this.preflight(request);
    if (!checked.ok) return checked;
    const { data, opts } = await this.newJob(request, checked.plan);
    const job = await queue.add('migration', data, opts);
    const duplicate = (job.data as MigrationJobData).createdAt !== data.createdAt;
    if (!duplicate) {
      await markChanged(redis, keys, jobId);
      const status = statusOf(job as Job<MigrationJobData>, request.preapproved ? 'waiting' : 'delayed', await readSideState(redis, keys, jobId), this.secrets);
      await bus.publish({ type: 'submitted', jobId, status });
    }
    return { ok: true, jobId, plan: (job.data as MigrationJobData).plan, duplicate, nonce: (job.data as MigrationJobData).request.nonce };
  }

  /** A live job for this id (duplicate), or nothing after clearing a finished one so the mailbox can go again. */
  async liveJob(jobId: string): Promise<Job<JobData> | undefined> {
    const { queue, redis, keys } = this.handles;
    const existing = await queue.getJob(jobId);
    if (!existing) return undefined;
    const state = await existing.getState();
    if (LIVE_STATES.has(state)) return existing;
    if (state === 'failed' && existing.data.kind === 'migration' && isUndoAvailable(existing.data.checkpoint)) {
      throw new PermanentError(
        `the last migration of this mailbox failed ${undoSubject(existing.data)}: retry it or undo it first (job ${jobId})`,
        'source',
      );
    }
    await existing.remove().catch(() => undefined);
    await redis.del(keys.decision(jobId), keys.cancel(jobId), keys.cutover(jobId), keys.handover(jobId), keys.thread(jobId), keys.followUp(jobId));
    await redis.zrem(keys.changed(), jobId);
    return undefined;
  }

  /**
   * A checked request's job data and options. A preapproval (the CLI's `--yes`) is recorded here, bound to the
   * request's nonce: before the job exists, or a worker could reach its approval gate first.
   */
  async newJob(request: MigrationRequest, plan: MigrationPlan, batchId?: string): Promise<{ data: MigrationJobData; opts: JobsOptions }> {
    const data: MigrationJobData = {
      kind: 'migration',
      request: {
        sourceAddress: plan.source.address,
        destinationService: request.destinationService,
        temporaryName: plan.temporaryAddress,
        destinationPassword: request.destinationPassword ? this.secrets.seal(request.destinationPassword, SECRET_AAD.request(plan.jobId)) : undefined,
        passwordTyped: Boolean(request.destinationPassword),
        dryRun: request.dryRun ?? false,
        resetSourceAfter: request.resetSourceAfter ?? false,
        requester: request.requester,
        origin: request.origin,
        nonce: newNonce(),
        handoverTo: this.settings.handoverTo,
        ...(plan.order?.kind === 'staged' && !request.dryRun
          ? {
              sourcePassword: this.secrets.seal(request.sourcePassword!, SECRET_AAD.requestSource(plan.jobId)),
              ...(request.syncEverySeconds !== undefined ? { syncEverySeconds: request.syncEverySeconds } : {}),
              ...(request.cutoverAt !== undefined ? { cutoverAt: request.cutoverAt } : {}),
            }
          : {}),
      },
      plan,
      checkpoint: { steps: { preflight: { status: 'done', detail: 'plan built, every check passed', at: new Date().toISOString() } } },
      batchId,
      createdAt: `${new Date().toISOString()} ${randomUUID()}`,
    };
    if (request.preapproved) await this.recordPreapproval(plan.jobId, data.request.nonce, request.requester);
    // Transient failures are retried by the worker itself (retry budget, Retry-After): BullMQ runs each job once.
    const opts = { jobId: plan.jobId, delay: request.preapproved ? 0 : this.settings.approvalTimeoutMs, attempts: 1, removeOnComplete: false, removeOnFail: false };
    return { data, opts };
  }

  /** The requester approves at submission (they hold the OVH credentials anyway). */
  private async recordPreapproval(jobId: string, nonce: string, requester: Actor): Promise<void> {
    const { redis, keys } = this.handles;
    const decision = signDecision(this.secrets, { approve: true, by: requester, reason: 'approved at submission', at: new Date().toISOString(), jobId, nonce });
    // NX: a live job's own decision (a concurrent submission of the same address) is never replaced
    await redis.set(keys.decision(jobId), JSON.stringify(decision), 'NX');
  }
}
