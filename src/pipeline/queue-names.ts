import type { ConnectionOptions } from 'bullmq';

/** Where everything of one deployment lives in Redis: `<prefix>:<queue>:...` (BullMQ) and `<prefix>:x:...` (ours). */
export interface QueueSettings {
  connection: ConnectionOptions;
  /** QUEUE_PREFIX; tests use a fresh one each. */
  prefix: string;
  queueName?: string;
}

export const DEFAULT_QUEUE_NAME = 'migrations';

/** Retry and timing knobs; production defaults, tests shorten them. */
export interface QueueTuning {
  /** Attempts for transient failures (OVH 429/5xx, network). */
  attempts: number;
  /** First backoff delay (ms), exponential. */
  backoffMs: number;
  /** How long a request waits at the approval gate before it expires (ms). */
  approvalTimeoutMs: number;
  /** Worker lock duration (ms): a killed worker's job is taken over after about this long. */
  lockDurationMs: number;
  stalledIntervalMs: number;
  /** Minimum time between two progress events of one job (ms). */
  progressIntervalMs: number;
  /** Mailboxes of one batch running at once. */
  batchConcurrency: number;
}

export const DEFAULT_TUNING: QueueTuning = {
  attempts: 6,
  backoffMs: 5_000,
  approvalTimeoutMs: 7 * 24 * 3600_000,
  lockDurationMs: 60_000,
  stalledIntervalMs: 30_000,
  progressIntervalMs: 2_000,
  batchConcurrency: 3,
};

/** Keys outside BullMQ's own: decisions, cancellations, one-time password hand-over, batches, events. */
export class Keys {
  constructor(private readonly prefix: string, private readonly queueName: string) {}
  private key(...parts: string[]): string {
    return [this.prefix, 'x', this.queueName, ...parts].join(':');
  }
  decision(jobId: string): string {
    return this.key('decision', jobId);
  }
  cancel(jobId: string): string {
    return this.key('cancel', jobId);
  }
  passwordTaken(jobId: string): string {
    return this.key('password-taken', jobId);
  }
  batch(batchId: string): string {
    return this.key('batch', batchId);
  }
  batchRunning(batchId: string): string {
    return this.key('batch', batchId, 'running');
  }
  /** Pub/sub channel of MigrationEvents. */
  events(): string {
    return this.key('events');
  }
  /** Pub/sub channel telling workers to abort a running job. */
  control(): string {
    return this.key('control');
  }
}
