import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { MIGRATION_STATES, type MigrationState } from '../domain/steps.js';
import { newRedis } from './events.js';
import type { JobData, MigrationJobData } from './job-data.js';
import { DEFAULT_QUEUE_NAME, Keys, type QueueSettings } from './queue-names.js';
import type { SecretBox } from './secret-box.js';
import { stateOf, validDecision } from './status.js';

/**
 * How many migrations are in each state, and how deep the queue is, read from the queue when asked (a metrics
 * scrape). Each migration's state comes from the one state machine (domain `migrationState`, through status.ts's
 * `stateOf`), as the CLI, Slack and the Home tab read it.
 *
 * Jobs are kept after they finish (one per mailbox), so the finished ones are most of the queue: a finished job's
 * state is read once and remembered while it stays in the same finished set with the same finish time (the score
 * BullMQ gives it there); a retry moves it out and back with a new time, and it is read again. Jobs still live
 * (waiting for approval, a retry or a slot, running) are read at every call.
 */

/** BullMQ states counted as the queue's depth. */
export const DEPTH_STATES = ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children'] as const;
export type DepthState = (typeof DEPTH_STATES)[number];

/** BullMQ states a migration waits or runs in; their decision (approved or not) matters to the migration's state. */
const LIVE_STATES = ['waiting', 'prioritized', 'delayed', 'active'] as const;
const FINISHED_STATES = ['completed', 'failed'] as const;

const PAGE = 500;
const HYDRATE_AT_ONCE = 50;

export interface QueueCensus {
  queue: string;
  depth: Record<DepthState, number>;
  migrations: Record<MigrationState, number>;
}

export class QueueCensusReader {
  private readonly queue: Queue<JobData>;
  private readonly redis: Redis;
  private readonly keys: Keys;
  readonly queueName: string;
  /** Finished jobs: `state:id` -> their finish score and migration state (undefined for a batch's own job). */
  private readonly finished = new Map<string, { score: string; state: MigrationState | undefined }>();

  constructor(settings: QueueSettings, private readonly secrets: SecretBox) {
    this.queueName = settings.queueName ?? DEFAULT_QUEUE_NAME;
    this.queue = new Queue<JobData>(this.queueName, { connection: settings.connection, prefix: settings.prefix });
    this.redis = newRedis(settings.connection);
    this.keys = new Keys(settings.prefix, this.queueName);
  }

  async read(): Promise<QueueCensus> {
    const migrations = Object.fromEntries(MIGRATION_STATES.map((state) => [state, 0])) as Record<MigrationState, number>;
    const count = (state: MigrationState | undefined) => {
      if (state) migrations[state]++;
    };
    const counts = await this.queue.getJobCounts(...DEPTH_STATES);
    const depth = Object.fromEntries(DEPTH_STATES.map((state) => [state, counts[state] ?? 0])) as Record<DepthState, number>;
    for (const bullState of LIVE_STATES) {
      for (let start = 0; ; start += PAGE) {
        const page = await this.queue.getJobs([bullState], start, start + PAGE - 1, true);
        const jobs = page.filter((job): job is Job<MigrationJobData> => job?.data?.kind === 'migration');
        const decisions = jobs.length > 0 ? await this.redis.mget(jobs.map((job) => this.keys.decision(job.id!))) : [];
        jobs.forEach((job, i) => count(stateOf(job, bullState, validDecision(job, decisions[i] ?? null, this.secrets))));
        if (page.length < PAGE) break;
      }
    }
    const seen = new Set<string>();
    for (const bullState of FINISHED_STATES) {
      const ids = await this.redis.zrange(this.queue.keys[bullState]!, 0, -1, 'WITHSCORES');
      const unread: { id: string; score: string }[] = [];
      for (let i = 0; i < ids.length; i += 2) {
        const key = `${bullState}:${ids[i]}`;
        seen.add(key);
        const known = this.finished.get(key);
        if (known && known.score === ids[i + 1]) count(known.state);
        else unread.push({ id: ids[i]!, score: ids[i + 1]! });
      }
      for (let i = 0; i < unread.length; i += HYDRATE_AT_ONCE) {
        const batch = unread.slice(i, i + HYDRATE_AT_ONCE);
        const jobs = await Promise.all(batch.map(({ id }) => this.queue.getJob(id)));
        jobs.forEach((job, j) => {
          if (!job) return;
          // the decision does not matter once a job finished (migrationState reads the result and the outcome)
          const state = job.data?.kind === 'migration' ? stateOf(job as Job<MigrationJobData>, bullState, undefined) : undefined;
          this.finished.set(`${bullState}:${batch[j]!.id}`, { score: batch[j]!.score, state });
          count(state);
        });
      }
    }
    for (const key of this.finished.keys()) if (!seen.has(key)) this.finished.delete(key);
    return { queue: this.queueName, depth, migrations };
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    this.redis.disconnect();
  }
}
