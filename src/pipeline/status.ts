import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { tryParseAddress } from '../domain/address.js';
import type { CopyProgress } from '../domain/copy-report.js';
import { migrationJobId } from '../domain/plan.js';
import { migrationState, type MigrationState, type QueueState } from '../domain/steps.js';
import { checkDecision, decisionResult, type StoredDecision } from './decisions.js';
import { linkKeys } from './features.js';
import type { MigrationJobData, MigrationResult } from './job-data.js';
import { readLinks, type LinkEntry } from './links.js';
import type { Actor, FollowUpAction, MigrationStatus } from './migration-service.js';
import { handoverOf } from './password-handover.js';
import type { QueueHandles } from './queue-handles.js';
import type { Keys } from './queue-names.js';
import { buildReport, isUndoAvailable, staged, stepRecords } from './report.js';
import type { SecretBox } from './secret-box.js';

/** Everything stored about a job besides the job itself. */
export interface JobSideState {
  decision: string | null;
  handover: Record<string, string>;
  followUp: string | null;
}

export async function readSideState(redis: Redis, keys: Keys, jobId: string): Promise<JobSideState> {
  const [decision, handover, followUp] = await Promise.all([redis.get(keys.decision(jobId)), redis.hgetall(keys.handover(jobId)), redis.get(keys.followUp(jobId))]);
  return { decision, handover, followUp };
}

/** BullMQ states of a job that has not finished: waiting (for approval, a retry, a batch slot) or running. */
export const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children', 'paused']);

/** Migration statuses, read from the queue and the keys kept beside each job. */
export class Statuses {
  constructor(private readonly handles: QueueHandles, private readonly secrets: SecretBox) {}

  /** The status of one migration job, from BullMQ's state, the job's checkpoint and the keys kept beside it. */
  async read(jobId: string): Promise<MigrationStatus | undefined> {
    // State first, then the job: read the other way round, a job completing in between looks completed without
    // its return value (a rejected request then showed as done under load).
    const { queue, redis, keys } = this.handles;
    const bullState = await queue.getJobState(jobId);
    const job = (await queue.getJob(jobId)) as Job<MigrationJobData> | undefined;
    if (!job || job.data?.kind !== 'migration') return undefined;
    // links of a finished run may have been resolved (or put back to pending) by later migrations since
    const links = bullState === 'completed' && job.data.checkpoint.features ? await readLinks(redis, keys, job.data.plan.destination, linkKeys(job.data.plan)) : undefined;
    return statusOf(job, bullState, await readSideState(redis, keys, jobId), this.secrets, links);
  }

  /** The migration of a job id or of an address, or else those of the first 50 jobs in the queue. */
  async find(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]> {
    let jobId = query.jobId;
    if (!jobId && query.address) {
      const parsed = tryParseAddress(query.address);
      if (!parsed.ok) return [];
      jobId = migrationJobId(parsed.value.address);
    }
    if (jobId) {
      const one = await this.read(jobId);
      return one ? [one] : [];
    }
    const jobs = await this.handles.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'], 0, 49);
    const statuses = await Promise.all(jobs.filter((j) => j?.data?.kind === 'migration').map((j) => this.read(j.id!)));
    return statuses.filter((s): s is MigrationStatus => s !== undefined);
  }
}

function queueState(bullState: string): QueueState {
  switch (bullState) {
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
    case 'paused':
      return 'waiting';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return bullState;
    default:
      return 'unknown';
  }
}

/** Only a decision signed for this very request counts; anything else is shown as no decision (the worker refuses it). */
export function validDecision(job: Job<MigrationJobData>, raw: string | null, secrets: SecretBox): StoredDecision | undefined {
  if (!raw) return undefined;
  const checked = checkDecision(secrets, raw, { jobId: job.id!, nonce: job.data.request.nonce });
  return checked.ok ? checked.decision : undefined;
}

/**
 * The state of a migration job (the domain's state machine, migrationState) from its BullMQ state, its checkpoint
 * and its stored decision (only a decision signed for this very request counts).
 */
export function stateOf(job: Job<MigrationJobData>, bullState: string, decision: StoredDecision | undefined): MigrationState {
  const checkpoint = job.data.checkpoint;
  const returned = (job.returnvalue as MigrationResult | undefined)?.state;
  return migrationState({
    queue: queueState(bullState),
    steps: checkpoint.steps,
    ...(decision ? { decision: decision.approve ? 'approved' : 'rejected' } : {}),
    ...(returned ? { returned } : {}),
    ...(checkpoint.outcome ? { outcome: checkpoint.outcome.state } : {}),
  });
}

export function statusOf(job: Job<MigrationJobData>, bullState: string, side: JobSideState, secrets: SecretBox, links?: Record<string, LinkEntry>): MigrationStatus {
  const data = job.data;
  const decision = validDecision(job, side.decision, secrets);
  const checkpoint = data.checkpoint;
  const state = stateOf(job, bullState, decision);
  const progress = job.progress && typeof job.progress === 'object' ? (job.progress as unknown as CopyProgress) : undefined;
  const busy = side.followUp ? (JSON.parse(side.followUp) as { action: FollowUpAction; by: Actor }) : undefined;
  return {
    jobId: job.id!,
    plan: data.plan,
    state,
    steps: stepRecords(checkpoint, data.plan.order?.kind),
    ...(progress ? { progress } : {}),
    requester: data.request.requester,
    ...(data.request.origin ? { origin: data.request.origin } : {}),
    ...(decision ? { decision: decisionResult(decision, false) } : {}),
    undoAvailable: (state === 'failed' || state === 'cancelled') && isUndoAvailable(checkpoint),
    nonce: data.request.nonce,
    handover: handoverOf(data, decision, side.handover),
    ...(checkpoint.outcome && state !== 'running' ? { outcome: checkpoint.outcome } : {}),
    ...(state === 'done' && !data.request.dryRun ? { report: buildReport(data, links) } : {}),
    run: checkpoint.run ?? 1,
    ...(busy ? { busy } : {}),
    dryRun: data.request.dryRun,
    ...staged(data),
  };
}
