import { DelayedError, type Job } from 'bullmq';
import type { StepDeps } from './dependencies.js';
import { describeError } from './errors.js';
import { applyPendingLinks } from './features.js';
import type { BatchJobData, MigrationJobData } from './job-data.js';
import type { FeatureLinks } from './links.js';
import type { MigrationEvent, MigrationStatus } from './migration-service.js';
import type { QueueHandles } from './queue-handles.js';
import type { Statuses } from './status.js';

/**
 * A batch as the workers run it: at most `concurrency` of its mailboxes at once, its rows published each time one
 * of them ends, and its end.
 */
export class BatchRuns {
  constructor(
    private readonly handles: QueueHandles,
    private readonly statuses: Statuses,
    private readonly links: FeatureLinks,
    private readonly deps: Pick<StepDeps, 'directory' | 'logger'>,
    private readonly publish: (event: MigrationEvent) => Promise<void>,
    /** BATCH_CONCURRENCY, for a batch stored without its own. */
    private readonly concurrency: number,
  ) {}

  /**
   * A mailbox of the batch may start when it is among the `concurrency` running; a job over the limit waits a
   * moment and tries again (throws DelayedError).
   */
  async admit(job: Job, batchId: string, token: string | undefined): Promise<void> {
    const { redis, keys } = this.handles;
    const limit = Number((await redis.hget(keys.batch(batchId), 'concurrency')) ?? this.concurrency);
    const key = keys.batchRunning(batchId);
    // Atomic admission: already in (a resumed job), or a free place; otherwise wait and try again.
    const admitted = await redis.eval(
      "if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 1 end " +
        "if redis.call('SCARD', KEYS[1]) < tonumber(ARGV[2]) then redis.call('SADD', KEYS[1], ARGV[1]) return 1 end return 0",
      1,
      key,
      job.id!,
      String(limit),
    );
    if (admitted === 1) return;
    await job.moveToDelayed(Date.now() + 500 + Math.floor(Math.random() * 500), token);
    throw new DelayedError();
  }

  /** The mailbox stopped running (finished, failed, or back in the queue): its place is free, the rows published. */
  async release(batchId: string, jobId: string): Promise<void> {
    const { redis, keys } = this.handles;
    await redis.srem(keys.batchRunning(batchId), jobId);
    const raw = await redis.hget(keys.batch(batchId), 'origin');
    const origin = raw ? JSON.parse(raw) : undefined;
    const rows = await this.rows(batchId);
    await this.publish({ type: 'batch', batchId, rows, origin });
  }

  /**
   * The end of a batch (BullMQ runs the parent once every child has finished, failed ones included): every pending
   * link on each destination service of the batch whose ends all exist now is applied, whatever the order in which
   * the rows ran. A failure here leaves the links pending for a later migration to the same service.
   */
  async finish(job: Job<BatchJobData>): Promise<unknown> {
    const services = new Map<string, { platform: MigrationJobData['plan']['destination']['platform']; service: string }>();
    for (const jobId of job.data.jobIds) {
      const child = await this.handles.queue.getJob(jobId);
      if (child?.data.kind !== 'migration' || child.data.batchId !== job.data.batchId || child.data.request.dryRun) continue;
      const { platform, service } = child.data.plan.destination;
      services.set(`${platform}:${service.toLowerCase()}`, { platform, service });
    }
    for (const ref of services.values()) {
      try {
        const platform = await this.deps.directory.open({ platform: ref.platform, name: ref.service });
        await this.links.withServiceLock(ref, undefined, () => applyPendingLinks(platform, this.links, job.id!));
      } catch (error) {
        this.deps.logger.warn({ err: { message: describeError(error) }, batchId: job.data.batchId, service: ref.service }, 'cannot apply the pending links at the end of the batch; they stay pending');
      }
    }
    const rows = await this.rows(job.data.batchId);
    await this.publish({ type: 'batch', batchId: job.data.batchId, rows, origin: job.data.origin });
    return { rows };
  }

  private async rows(batchId: string): Promise<{ jobId: string; address: string; state: MigrationStatus['state'] }[]> {
    const { redis, keys } = this.handles;
    const raw = await redis.hget(keys.batch(batchId), 'jobIds');
    const jobIds = raw ? (JSON.parse(raw) as string[]) : [];
    return Promise.all(
      jobIds.map(async (jobId) => {
        const status = await this.statuses.read(jobId);
        return { jobId, address: status?.plan.source.address ?? jobId.replace(/^mig-/, ''), state: status?.state ?? 'cancelled' };
      }),
    );
  }
}
