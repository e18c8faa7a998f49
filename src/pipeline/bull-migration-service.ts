import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { Approvals } from './approvals.js';
import { Batches } from './batches.js';
import type { PlatformDirectory } from './dependencies.js';
import { destinationServiceChoices, sourceAccountChoices } from './directory.js';
import { EventBus, newRedis } from './events.js';
import type { EwsAccess } from './ews-access.js';
import { FollowUps } from './follow-ups.js';
import type { JobData } from './job-data.js';
import { FeatureLinks } from './links.js';
import type {
  AccountChoice,
  Actor,
  BatchDecisionResult,
  BatchInfo,
  BatchSubmitResult,
  Decision,
  DecisionResult,
  FollowUpOptions,
  MigrationEvent,
  MigrationRequest,
  MigrationService,
  MigrationStatus,
  PasswordAcknowledgement,
  PasswordReveal,
  PreflightResult,
  RequestOrigin,
  ServiceChoice,
  SubmitResult,
  SubscribeOptions,
} from './migration-service.js';
import { PasswordHandovers } from './password-handover.js';
import { DEFAULT_QUEUE_NAME, DEFAULT_TUNING, Keys, type QueueSettings, type QueueTuning } from './queue-names.js';
import type { SecretBox } from './secret-box.js';
import { Statuses } from './status.js';
import { Submissions } from './submissions.js';
import { RedisThreadLedger } from './thread-ledger.js';

export interface BullMigrationServiceOptions extends QueueSettings {
  directory: PlatformDirectory;
  /** Where EWS is: preflight probes it to plan the copy of calendars, contacts, tasks, rules and out-of-office. */
  ews?: EwsAccess;
  secrets: SecretBox;
  logger: Logger;
  mxRelay?: string;
  tuning?: Partial<QueueTuning>;
  /** HANDOVER_TO: who receives the destination password of requests made from now on. */
  handoverTo?: 'requester' | 'approver';
  /** ALLOW_SELF_APPROVAL: may a requester approve their own request? */
  allowSelfApproval?: boolean;
  /** BATCH_MAX_ROWS. */
  batchMaxRows?: number;
}

/**
 * The MigrationService over BullMQ. Any number of these (Slack bot, CLI) and of MigrationWorkers share one
 * Redis: requests become jobs, decisions and cancellations are Redis keys the workers read, events travel
 * over pub/sub. Each part of the contract is a class of its own; this one opens the queue and Redis they share.
 */
export class BullMigrationService implements MigrationService {
  readonly queue: Queue<JobData>;
  readonly threads: RedisThreadLedger;
  private readonly flows: FlowProducer;
  private readonly redis: Redis;
  private readonly bus: EventBus;
  private readonly statuses: Statuses;
  private readonly submissions: Submissions;
  private readonly approvals: Approvals;
  private readonly followUps: FollowUps;
  private readonly handovers: PasswordHandovers;
  private readonly batches: Batches;

  constructor(private readonly options: BullMigrationServiceOptions) {
    const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    const tuning = { ...DEFAULT_TUNING, ...options.tuning };
    const keys = new Keys(options.prefix, queueName);
    const { secrets } = options;
    this.queue = new Queue<JobData>(queueName, { connection: options.connection, prefix: options.prefix });
    this.flows = new FlowProducer({ connection: options.connection, prefix: options.prefix });
    this.redis = newRedis(options.connection);
    this.bus = new EventBus(this.redis, options.connection, keys.events());
    this.threads = new RedisThreadLedger(this.redis, keys);
    const links = new FeatureLinks(this.redis, keys, tuning.lockDurationMs);
    const handles = { queue: this.queue, redis: this.redis, keys, bus: this.bus };
    this.statuses = new Statuses(handles, secrets);
    this.submissions = new Submissions(handles, secrets, {
      directory: options.directory,
      ...(options.ews ? { ews: options.ews } : {}),
      links,
      handoverTo: options.handoverTo ?? 'requester',
      approvalTimeoutMs: tuning.approvalTimeoutMs,
    });
    this.batches = new Batches(handles, this.flows, this.statuses, this.submissions, {
      queueName,
      concurrency: tuning.batchConcurrency,
      maxRows: options.batchMaxRows,
    });
    this.approvals = new Approvals(handles, secrets, this.batches, options.allowSelfApproval ?? false);
    this.followUps = new FollowUps(handles, this.statuses, links, options);
    this.handovers = new PasswordHandovers(handles, secrets);
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.queue.close();
    await this.flows.close();
    this.redis.disconnect();
  }

  preflight(request: MigrationRequest): Promise<PreflightResult> {
    return this.submissions.preflight(request);
  }

  submit(request: MigrationRequest): Promise<SubmitResult> {
    return this.submissions.submit(request);
  }

  decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    return this.approvals.decide(jobId, decision);
  }

  decideBatch(batchId: string, decision: Decision): Promise<BatchDecisionResult> {
    return this.approvals.decideBatch(batchId, decision);
  }

  cutover(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUps.cutover(jobId, by, options);
  }

  cancel(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUps.cancel(jobId, by, options);
  }

  undo(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUps.undo(jobId, by, options);
  }

  retry(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUps.retry(jobId, by, options);
  }

  resetSource(jobId: string, by: Actor, options: FollowUpOptions & { force?: boolean } = {}): Promise<void> {
    return this.followUps.resetSource(jobId, by, options);
  }

  revealDestinationPassword(jobId: string, by: Actor): Promise<PasswordReveal> {
    return this.handovers.reveal(jobId, by);
  }

  acknowledgeDestinationPassword(jobId: string, by: Actor): Promise<PasswordAcknowledgement> {
    return this.handovers.acknowledge(jobId, by);
  }

  status(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]> {
    return this.statuses.find(query);
  }

  searchSourceAccounts(query: string, limit: number): Promise<AccountChoice[]> {
    return sourceAccountChoices(this.options.directory, query, limit);
  }

  listDestinationServices(): Promise<ServiceChoice[]> {
    return destinationServiceChoices(this.options.directory);
  }

  /** Parses and checks a batch CSV (every row, every rule) without starting anything. */
  checkBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin } = {}) {
    return this.batches.check(csv, requester, options);
  }

  submitBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin }): Promise<BatchSubmitResult> {
    return this.batches.submit(csv, requester, options);
  }

  batch(batchId: string): Promise<BatchInfo | undefined> {
    return this.batches.get(batchId);
  }

  updateBatch(batchId: string, change: { origin?: RequestOrigin; decision?: DecisionResult }): Promise<void> {
    return this.batches.update(batchId, change);
  }

  /** The batch summary: one row per mailbox with its state. */
  batchStatus(batchId: string): Promise<MigrationStatus[]> {
    return this.batches.status(batchId);
  }

  subscribe(listener: (event: MigrationEvent) => void, options: SubscribeOptions = {}): () => void {
    return this.bus.listen(listener, options);
  }

  /** subscribe(), resolving once events published from now on will be received. */
  subscribeReady(listener: (event: MigrationEvent) => void, options: SubscribeOptions = {}): Promise<() => void> {
    return this.bus.subscribe(listener, options);
  }
}
