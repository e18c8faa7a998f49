import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CopyProgress } from '../domain/copy-report.js';
import type { MigrationStatus } from './migration-service.js';
import type { Keys } from './queue-names.js';
import { isUndoAvailable, stepRecords } from './report.js';
import type { JobData, MigrationJobData, MigrationResult, StoredDecision } from './types.js';

/** The status of one migration job, from BullMQ's state, the job's checkpoint and the decision key. */
export async function readStatus(queue: Queue<JobData>, redis: Redis, keys: Keys, jobId: string): Promise<MigrationStatus | undefined> {
  // State first, then the job: read the other way round, a job completing in between looks completed without
  // its return value (a rejected request then showed as done under load).
  const bullState = await queue.getJobState(jobId);
  const job = (await queue.getJob(jobId)) as Job<MigrationJobData> | undefined;
  if (!job || job.data?.kind !== 'migration') return undefined;
  return statusOf(job, bullState, await redis.get(keys.decision(jobId)));
}

export function statusOf(job: Job<MigrationJobData>, bullState: string, decisionRaw: string | null): MigrationStatus {
  const data = job.data;
  const decision = decisionRaw ? (JSON.parse(decisionRaw) as StoredDecision) : undefined;
  const checkpoint = data.checkpoint;
  let state: MigrationStatus['state'];
  switch (bullState) {
    case 'completed':
      state = ((job.returnvalue as MigrationResult | undefined)?.state ?? 'done') as MigrationStatus['state'];
      break;
    case 'failed':
      state = checkpoint.outcome?.state === 'cancelled' ? 'cancelled' : 'failed';
      break;
    case 'active':
      // Picked up but not past its first step yet (e.g. waiting for a place in its batch): still queued.
      state = Object.keys(checkpoint.steps).some((step) => step !== 'preflight') ? 'running' : 'queued';
      break;
    case 'delayed':
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      if (!decision) state = 'awaiting-approval';
      else if (!decision.approve) state = 'rejected';
      else state = 'queued';
      break;
    default:
      state = 'queued';
  }
  const progress = job.progress && typeof job.progress === 'object' ? (job.progress as unknown as CopyProgress) : undefined;
  return {
    jobId: job.id!,
    plan: data.plan,
    state,
    steps: stepRecords(checkpoint),
    progress,
    requester: data.request.requester,
    origin: data.request.origin,
    ...(decision ? { decision: { changed: false, state: decision.approve ? 'approved' : 'rejected', by: decision.by, at: decision.at } as const } : {}),
    undoAvailable: (state === 'failed' || state === 'cancelled') && isUndoAvailable(checkpoint),
  };
}
