import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../log/logger.js';
import { Approvals } from './approvals.js';
import { AuditLog } from './audit-log.js';
import { actor, AuditRecorder, failure, type AuditSubject } from './audit-recorder.js';
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
  /** AUDIT_RETENTION_DAYS: how long the audit trail keeps an entry (365 days unless set). */
  auditRetentionDays?: number;
}

/**
 * The MigrationService over BullMQ. Any number of these (Slack bot, CLI) and of MigrationWorkers share one
 * Redis: requests become jobs, decisions and cancellations are Redis keys the workers read, events travel
 * over pub/sub. Each part of the contract is a class of its own; this one opens the queue and Redis they share.
 */
export class BullMigrationService implements MigrationService {
  readonly queue: Queue<JobData>;
  readonly threads: RedisThreadLedger;
  /** Who did what, when, on which migration, with what outcome (see AuditRecorder for what is recorded). */
  readonly audit: AuditLog;
  private readonly recorder: AuditRecorder;
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
    this.audit = new AuditLog(this.redis, keys.audit(), { retentionDays: options.auditRetentionDays ?? 365 });
    this.recorder = new AuditRecorder(this.audit, options.logger, this.queue);
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

  async submit(request: MigrationRequest): Promise<SubmitResult> {
    const who = actor(request.requester);
    const asked = { address: request.sourceAddress, destination: request.destinationService };
    let result: SubmitResult;
    try {
      result = await this.submissions.submit(request);
    } catch (error) {
      await this.recorder.record({ action: 'request', ...who, ...asked, ...failure(error) });
      throw error;
    }
    if (!result.ok) {
      await this.recorder.record({ action: 'request', ...who, ...asked, outcome: 'refused', reason: result.problems.map((p) => `${p.field}: ${p.message}`).join('; ') });
      return result;
    }
    const subject = { jobId: result.jobId, address: result.plan.source.address, destination: result.plan.destination.service };
    const notes = [result.duplicate ? 'duplicate: the mailbox already had a live request, nothing new was queued' : '', request.dryRun ? 'dry run' : ''].filter(Boolean);
    await this.recorder.record({ action: 'request', ...who, ...subject, outcome: 'ok', ...(notes.length ? { detail: notes.join('; ') } : {}) });
    if (request.preapproved && !result.duplicate) await this.recorder.record({ action: 'approve', ...who, ...subject, outcome: 'ok', detail: 'approved at submission by the requester' });
    return result;
  }

  async decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    const action = decision.approve ? 'approve' : 'reject';
    const subject = await this.recorder.subject(jobId);
    try {
      const result = await this.approvals.decide(jobId, decision);
      await this.recordDecision(decision, subject, result);
      return result;
    } catch (error) {
      await this.recorder.record({ action, ...actor(decision.by), ...subject, ...failure(error), ...comment(decision) });
      throw error;
    }
  }

  async decideBatch(batchId: string, decision: Decision): Promise<BatchDecisionResult> {
    const action = decision.approve ? 'approve' : 'reject';
    let result: BatchDecisionResult;
    try {
      result = await this.approvals.decideBatch(batchId, decision);
    } catch (error) {
      await this.recorder.record({ action, ...actor(decision.by), batchId, ...failure(error), ...comment(decision) });
      throw error;
    }
    for (const job of result.jobs) {
      const subject = { ...(await this.recorder.subject(job.jobId)), batchId };
      if (job.result) await this.recordDecision(decision, subject, job.result);
      else await this.recorder.record({ action, ...actor(decision.by), ...subject, outcome: 'refused', reason: job.refused ?? 'refused', ...comment(decision) });
    }
    return result;
  }

  /** A decision taken (changed), or one that found an earlier decision in place (refused, naming it). */
  private recordDecision(decision: Decision, subject: AuditSubject, result: DecisionResult): Promise<void> {
    return this.recorder.record({
      action: decision.approve ? 'approve' : 'reject',
      ...actor(decision.by),
      ...subject,
      ...(result.changed ? { outcome: 'ok' as const } : { outcome: 'refused' as const, reason: `already ${result.state} by ${result.by.kind} ${result.by.id} at ${result.at}` }),
      ...comment(decision),
    });
  }

  cutover(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.recorder.around('cutover', by, jobId, () => this.followUps.cutover(jobId, by, options));
  }

  cancel(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.recorder.around('cancel', by, jobId, () => this.followUps.cancel(jobId, by, options));
  }

  undo(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.recorder.around('undo', by, jobId, () => this.followUps.undo(jobId, by, options));
  }

  retry(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.recorder.around('retry', by, jobId, () => this.followUps.retry(jobId, by, options));
  }

  resetSource(jobId: string, by: Actor, options: FollowUpOptions & { force?: boolean } = {}): Promise<void> {
    return this.recorder.around(options.force ? 'reset-anyway' : 'reset', by, jobId, () => this.followUps.resetSource(jobId, by, options));
  }

  /** Recorded as shown, or refused with why; the password itself never reaches the trail. */
  revealDestinationPassword(jobId: string, by: Actor): Promise<PasswordReveal> {
    return this.recorder.around('password-shown', by, jobId, () => this.handovers.reveal(jobId, by), (revealed) =>
      revealed.ok ? { outcome: 'ok' } : { outcome: 'refused', reason: revealed.reason },
    );
  }

  acknowledgeDestinationPassword(jobId: string, by: Actor): Promise<PasswordAcknowledgement> {
    return this.recorder.around('password-acknowledged', by, jobId, () => this.handovers.acknowledge(jobId, by), (acknowledged) =>
      !acknowledged.ok ? { outcome: 'refused', reason: acknowledged.reason } : acknowledged.changed ? { outcome: 'ok' } : { outcome: 'ok', detail: 'acknowledged earlier already' },
    );
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

  async submitBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin }): Promise<BatchSubmitResult> {
    const who = actor(requester);
    let result: BatchSubmitResult;
    try {
      result = await this.batches.submit(csv, requester, options);
    } catch (error) {
      await this.recorder.record({ action: 'request', ...who, ...failure(error), detail: 'batch from a CSV' });
      throw error;
    }
    if (!result.ok) {
      // row numbers only: a CSV parser's message may quote a cell, and a cell may be a password
      const lines = [...new Set(result.errors.map((e) => e.row))].join(', ');
      await this.recorder.record({ action: 'request', ...who, outcome: 'refused', reason: `batch from a CSV: ${result.errors.length} problem(s) on line(s) ${lines}; nothing started` });
      return result;
    }
    for (const jobId of result.jobIds) {
      const subject = { ...(await this.recorder.subject(jobId)), batchId: result.batchId };
      await this.recorder.record({ action: 'request', ...who, ...subject, outcome: 'ok' });
      if (options.preapproved) await this.recorder.record({ action: 'approve', ...who, ...subject, outcome: 'ok', detail: 'approved at submission by the requester' });
    }
    return result;
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

/** The comment a decider typed (a rejection's reason), kept as the entry's detail. */
function comment(decision: Decision): { detail?: string } {
  return decision.reason ? { detail: `comment: ${decision.reason}` } : {};
}
