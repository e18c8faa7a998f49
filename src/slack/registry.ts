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
 * Threads this bot process posted. The durable link is the job's `origin` (channel + thread ts, kept by the
 * pipeline); this map fills the gap for batches, whose summary is posted after the pipeline accepted them.
 */
export class ThreadRegistry {
  private readonly jobs = new Map<string, ThreadRef & { batchId?: string }>();
  private readonly batches = new Map<string, BatchThread>();
  private readonly decided = new Set<string>();

  rememberJob(jobId: string, thread: ThreadRef, batchId?: string): void {
    this.jobs.set(jobId, { ...thread, ...(batchId ? { batchId } : {}) });
  }

  rememberBatch(batch: BatchThread): void {
    this.batches.set(batch.batchId, batch);
    for (const jobId of batch.jobIds) this.rememberJob(jobId, batch, batch.batchId);
  }

  /** Someone decided (Slack button or CLI), and the request message shows it. */
  markDecided(jobId: string): void {
    this.decided.add(jobId);
  }

  wasDecided(jobId: string): boolean {
    return this.decided.has(jobId);
  }

  job(jobId: string): (ThreadRef & { batchId?: string }) | undefined {
    return this.jobs.get(jobId);
  }

  batch(batchId: string): BatchThread | undefined {
    return this.batches.get(batchId);
  }
}
