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
  /**
   * How long transient failures in a row (OVH 429/5xx, network, IMAP connections) are retried before the job fails
   * (ms; OVH_RETRY_MINUTES).
   */
  retryBudgetMs: number;
  /** First backoff delay (ms), doubled per attempt up to maxBackoffMs; an OVH `Retry-After` wins. */
  backoffMs: number;
  maxBackoffMs: number;
  /** How long a request waits at the approval gate before it expires (ms). */
  approvalTimeoutMs: number;
  /**
   * Worker lock duration (ms; JOB_LOCK_SECONDS): a killed worker's job is taken over once its lock expired and the
   * next stalled-job check ran, i.e. after between 1 and 1.5 times this.
   */
  lockDurationMs: number;
  /** How often workers look for jobs whose lock expired; half the lock duration unless set. */
  stalledIntervalMs?: number;
  /** Minimum time between two progress events of one job (ms). */
  progressIntervalMs: number;
  /** Mailboxes of one batch running at once. */
  batchConcurrency: number;
}

export const DEFAULT_TUNING: QueueTuning = {
  retryBudgetMs: 30 * 60_000,
  backoffMs: 5_000,
  maxBackoffMs: 5 * 60_000,
  approvalTimeoutMs: 7 * 24 * 3600_000,
  lockDurationMs: 60_000,
  progressIntervalMs: 2_000,
  batchConcurrency: 3,
};

/** Keys outside BullMQ's own: decisions, cancellations, password hand-overs, follow-up locks, threads, batches, pending links, events. */
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
  /** A staged migration's cut-over request: who asked and when (JSON). */
  cutover(jobId: string): string {
    return this.key('cutover', jobId);
  }
  /** The destination password handed over (sealed) and its state; deleted parts once acknowledged. */
  handover(jobId: string): string {
    return this.key('handover', jobId);
  }
  /** The follow-up action (undo, retry, reset, cancel) running on a job. */
  followUp(jobId: string): string {
    return this.key('follow-up', jobId);
  }
  /** What was posted in a job's Slack thread (ThreadLedger). */
  /** A thread notifier's liveness (its claims to post are abandoned once it expires). */
  threadOwner(owner: string): string {
    return this.key('thread-owner', owner);
  }
  thread(jobId: string): string {
    return this.key('thread', jobId);
  }
  /** Jobs whose state changed since their thread was last brought up to date (sorted set, scored by changeSeq). */
  changed(): string {
    return this.key('changed');
  }
  changeSeq(): string {
    return this.key('change-seq');
  }
  batch(batchId: string): string {
    return this.key('batch', batchId);
  }
  batchRunning(batchId: string): string {
    return this.key('batch', batchId, 'running');
  }
  /**
   * Links (rights, memberships) waiting on one destination service (`PLATFORM:service`) for another mailbox, and
   * what became of them: a hash, field = the feature's natural key (FeatureLinks in links.ts).
   */
  links(serviceKey: string): string {
    return this.key('links', serviceKey);
  }
  /** The lock serialising feature changes on one destination service (held by a features step or a batch end). */
  linksLock(serviceKey: string): string {
    return this.key('links-lock', serviceKey);
  }
  /** The destination services that have a links hash. */
  linkServices(): string {
    return this.key('links-services');
  }
  /** Mailboxes migrated, by address: where to (hash, value JSON MigratedMailbox). */
  migrated(): string {
    return this.key('migrated');
  }
  /** Temporary addresses of migrated mailboxes -> their address (rights read on a source point at the renamed account). */
  migratedTemporary(): string {
    return this.key('migrated-temporary');
  }
  /** The audit trail: a stream of who did what on which migration, trimmed by age (AuditLog). */
  audit(): string {
    return this.key('audit');
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
