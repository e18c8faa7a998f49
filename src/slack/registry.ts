import type { Actor, DecisionResult } from '../pipeline/migration-service.js';

export interface ThreadRef {
  channel: string;
  /** The thread parent: the request message, or the batch summary. */
  ts: string;
}

export interface BatchThread extends ThreadRef {
  batchId: string;
  requester: Actor;
  jobIds: string[];
  /** Set once an approver decided the whole batch from its summary. */
  decision?: DecisionResult;
}

/**
 * What this bot process knows of threads, as a cache. The durable links are kept by the pipeline in Redis: a job's
 * `origin` (channel + thread ts), and for a batch, whose summary is posted after the pipeline accepted it, the
 * batch's origin and decision (`MigrationService.updateBatch`), so that any bot process can update it.
 */
export class ThreadRegistry {
  private readonly jobs = new Map<string, ThreadRef & { batchId?: string }>();
  private readonly batches = new Map<string, BatchThread>();

  rememberJob(jobId: string, thread: ThreadRef, batchId?: string): void {
    this.jobs.set(jobId, { ...thread, ...(batchId ? { batchId } : {}) });
  }

  rememberBatch(batch: BatchThread): void {
    this.batches.set(batch.batchId, batch);
    for (const jobId of batch.jobIds) this.rememberJob(jobId, batch, batch.batchId);
  }

  job(jobId: string): (ThreadRef & { batchId?: string }) | undefined {
    return this.jobs.get(jobId);
  }

  batch(batchId: string): BatchThread | undefined {
    return this.batches.get(batchId);
  }
}
