import { FlowProducer, Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomBytes, randomUUID } from 'node:crypto';
import { isFreeSlot, tryParseAddress } from '../domain/address.js';
import { batchJobId, migrationJobId } from '../domain/plan.js';
import { PLATFORM_LABEL, SOURCE_PLATFORMS } from '../domain/platform.js';
import { stepChange, type StepName } from '../domain/steps.js';
import type { Logger } from '../log/logger.js';
import { parseBatchCsv } from './batch-csv.js';
import { decisionResult, signDecision } from './decisions.js';
import type { EwsAccess } from './ews-access.js';
import { FollowUpBusyError, PermanentError } from './errors.js';
import { EventBus, newRedis } from './events.js';
import { FeatureLinks } from './links.js';
import type {
  AccountChoice,
  Actor,
  BatchDecisionResult,
  BatchInfo,
  BatchSubmitResult,
  Decision,
  DecisionResult,
  FollowUpAction,
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
import { preflight } from './preflight.js';
import { DEFAULT_QUEUE_NAME, DEFAULT_TUNING, Keys, type QueueSettings, type QueueTuning } from './queue-names.js';
import { isUndoAvailable } from './report.js';
import type { SecretBox } from './secret-box.js';
import { readSideState, readStatus, statusOf, validDecision } from './status.js';
import { SECRET_AAD, type StepContext, type StepFunction } from './step-context.js';
import { resetSource, undo } from './steps.js';
import { RedisThreadLedger, markChanged } from './thread-ledger.js';
import type { PlatformDirectory } from './dependencies.js';
import type { BatchJobData, JobData, MigrationJobData } from './job-data.js';

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

/** How long a follow-up action may hold a migration before its lock is considered abandoned (a crashed process). */
const FOLLOW_UP_LOCK_MS = 15 * 60_000;

const RELEASE_LOCK = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

function sameActor(a: Actor, b: Actor): boolean {
  return a.kind === b.kind && a.id === b.id;
}

function newNonce(): string {
  return randomBytes(12).toString('base64url');
}

const LIVE_STATES = new Set(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children', 'paused']);

/**
 * The MigrationService over BullMQ. Any number of these (Slack bot, CLI) and of MigrationWorkers share one
 * Redis: requests become jobs, decisions and cancellations are Redis keys the workers read, events travel
 * over pub/sub. Undo and reset run here directly (they need no IMAP), recorded in the job.
 */
export class BullMigrationService implements MigrationService {
  readonly queue: Queue<JobData>;
  private readonly flows: FlowProducer;
  private readonly redis: Redis;
  private readonly bus: EventBus;
  private readonly keys: Keys;
  private readonly tuning: QueueTuning;
  private readonly queueName: string;
  readonly threads: RedisThreadLedger;
  /** Pending links per destination service and the registry of migrated mailboxes (read by preflight, undo). */
  readonly links: FeatureLinks;

  constructor(private readonly options: BullMigrationServiceOptions) {
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.keys = new Keys(options.prefix, this.queueName);
    this.queue = new Queue<JobData>(this.queueName, { connection: options.connection, prefix: options.prefix });
    this.flows = new FlowProducer({ connection: options.connection, prefix: options.prefix });
    this.redis = newRedis(options.connection);
    this.bus = new EventBus(this.redis, options.connection, this.keys.events());
    this.threads = new RedisThreadLedger(this.redis, this.keys);
    this.links = new FeatureLinks(this.redis, this.keys, this.tuning.lockDurationMs);
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.queue.close();
    await this.flows.close();
    this.redis.disconnect();
  }

  async preflight(request: MigrationRequest): Promise<PreflightResult> {
    const result = await preflight(this.options.directory, request, { registry: this.links, ...(this.options.ews ? { ews: this.options.ews } : {}) });
    return result.ok ? { ok: true, plan: result.plan } : { ok: false, problems: result.problems };
  }

  /** Transient failures are retried by the worker itself (retry budget, Retry-After): BullMQ runs each job once. */
  private jobOptions(jobId: string, preapproved: boolean) {
    return {
      jobId,
      delay: preapproved ? 0 : this.tuning.approvalTimeoutMs,
      attempts: 1,
      removeOnComplete: false,
      removeOnFail: false,
    };
  }

  private async status1(jobId: string): Promise<MigrationStatus | undefined> {
    return readStatus(this.queue, this.redis, this.keys, this.options.secrets, jobId);
  }

  /** A live job for this id (duplicate), or nothing after clearing a finished one so the mailbox can go again. */
  private async liveJob(jobId: string): Promise<Job<JobData> | undefined> {
    const existing = await this.queue.getJob(jobId);
    if (!existing) return undefined;
    const state = await existing.getState();
    if (LIVE_STATES.has(state)) return existing;
    if (state === 'failed' && existing.data.kind === 'migration' && isUndoAvailable(existing.data.checkpoint)) {
      throw new PermanentError(
        `the last migration of this mailbox failed after renaming the source (${existing.data.plan.temporaryAddress}): retry it or undo it first (job ${jobId})`,
        'source',
      );
    }
    await existing.remove().catch(() => undefined);
    await this.redis.del(this.keys.decision(jobId), this.keys.cancel(jobId), this.keys.handover(jobId), this.keys.thread(jobId), this.keys.followUp(jobId));
    await this.redis.zrem(this.keys.changed(), jobId);
    return undefined;
  }

  private async newJobData(request: MigrationRequest, plan: MigrationJobData['plan'], batchId?: string): Promise<MigrationJobData> {
    return {
      kind: 'migration',
      request: {
        sourceAddress: plan.source.address,
        destinationService: request.destinationService,
        temporaryName: plan.temporaryAddress,
        destinationPassword: request.destinationPassword ? this.options.secrets.seal(request.destinationPassword, SECRET_AAD.request(plan.jobId)) : undefined,
        passwordTyped: Boolean(request.destinationPassword),
        dryRun: request.dryRun ?? false,
        resetSourceAfter: request.resetSourceAfter ?? false,
        requester: request.requester,
        origin: request.origin,
        nonce: newNonce(),
        handoverTo: this.options.handoverTo ?? 'requester',
      },
      plan,
      checkpoint: { steps: { preflight: { status: 'done', detail: 'plan built, every check passed', at: new Date().toISOString() } } },
      batchId,
      createdAt: `${new Date().toISOString()} ${randomUUID()}`,
    };
  }

  /** The CLI's `--yes`: the requester approves at submission (they hold the OVH credentials anyway). */
  private async recordPreapproval(jobId: string, nonce: string, requester: Actor): Promise<void> {
    const decision = signDecision(this.options.secrets, { approve: true, by: requester, reason: 'approved at submission', at: new Date().toISOString(), jobId, nonce });
    // NX: a live job's own decision (a concurrent submission of the same address) is never replaced
    await this.redis.set(this.keys.decision(jobId), JSON.stringify(decision), 'NX');
  }

  async submit(request: MigrationRequest): Promise<SubmitResult> {
    const parsed = tryParseAddress(request.sourceAddress);
    if (!parsed.ok) return { ok: false, problems: [{ field: 'source', message: parsed.error }] };
    const jobId = migrationJobId(parsed.value.address);
    try {
      const live = await this.liveJob(jobId);
      if (live && live.data.kind === 'migration') return { ok: true, jobId, plan: live.data.plan, duplicate: true, nonce: live.data.request.nonce };
    } catch (error) {
      if (error instanceof PermanentError) return { ok: false, problems: [{ field: 'source', message: error.message }] };
      throw error;
    }
    if (request.destinationPassword && (this.options.handoverTo ?? 'requester') === 'approver') {
      return { ok: false, problems: [{ field: 'password', message: 'the destination password is generated and handed to the approver here (HANDOVER_TO=approver): leave it empty' }] };
    }
    const checked = await this.preflight(request);
    if (!checked.ok) return checked;
    const data = await this.newJobData(request, checked.plan);
    // before the job exists, or a worker could reach its approval gate first; bound to this request's nonce
    if (request.preapproved) await this.recordPreapproval(jobId, data.request.nonce, request.requester);
    const job = await this.queue.add('migration', data, this.jobOptions(jobId, request.preapproved ?? false));
    const duplicate = (job.data as MigrationJobData).createdAt !== data.createdAt;
    if (!duplicate) {
      await markChanged(this.redis, this.keys, jobId);
      const status = statusOf(job as Job<MigrationJobData>, request.preapproved ? 'waiting' : 'delayed', await readSideState(this.redis, this.keys, jobId), this.options.secrets);
      await this.bus.publish({ type: 'submitted', jobId, status });
    }
    return { ok: true, jobId, plan: (job.data as MigrationJobData).plan, duplicate, nonce: (job.data as MigrationJobData).request.nonce };
  }

  async decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
    const data = job.data;
    if (decision.nonce !== data.request.nonce) {
      throw new PermanentError(`this button belongs to an earlier request for ${data.plan.source.address}: decide on the current request (job ${jobId}) instead`);
    }
    if (decision.approve && sameActor(decision.by, data.request.requester) && !this.options.allowSelfApproval) {
      throw new PermanentError('you cannot approve your own request: another approver has to');
    }
    const state = await job.getState();
    const stored = signDecision(this.options.secrets, { approve: decision.approve, by: decision.by, ...(decision.reason ? { reason: decision.reason } : {}), at: new Date().toISOString(), jobId, nonce: data.request.nonce });
    const first = state === 'delayed' || state === 'waiting' ? await this.redis.set(this.keys.decision(jobId), JSON.stringify(stored), 'NX') : null;
    if (first !== 'OK') {
      const earlier = validDecision(job as Job<MigrationJobData>, await this.redis.get(this.keys.decision(jobId)), this.options.secrets);
      if (!earlier) throw new PermanentError(`${jobId} is no longer waiting for a decision (it is ${state})`);
      return decisionResult(earlier, false);
    }
    if (state === 'delayed') await job.promote().catch(() => undefined);
    const result = decisionResult(stored, true);
    await markChanged(this.redis, this.keys, jobId);
    await this.bus.publish({ type: 'decided', jobId, decision: result });
    return result;
  }

  async decideBatch(batchId: string, decision: Decision): Promise<BatchDecisionResult> {
    const fields = await this.redis.hgetall(this.keys.batch(batchId));
    if (!fields.jobIds) throw new PermanentError(`no batch ${batchId}`);
    if (decision.nonce !== fields.nonce) throw new PermanentError(`this button does not belong to batch ${batchId}`);
    const jobs: BatchDecisionResult['jobs'] = [];
    for (const jobId of JSON.parse(fields.jobIds) as string[]) {
      const job = await this.queue.getJob(jobId);
      // job ids are per address: the job under this id may now be a later request, outside this batch
      if (!job || job.data.kind !== 'migration' || job.data.batchId !== batchId || job.data.request.origin?.batchId !== batchId) {
        jobs.push({ jobId, refused: 'no longer part of this batch' });
        continue;
      }
      if (decision.approve && sameActor(decision.by, job.data.request.requester) && !this.options.allowSelfApproval) {
        jobs.push({ jobId, refused: 'requested by you: another approver has to approve it' });
        continue;
      }
      try {
        jobs.push({ jobId, result: await this.decide(jobId, { ...decision, nonce: job.data.request.nonce }) });
      } catch (error) {
        jobs.push({ jobId, refused: error instanceof Error ? error.message : String(error) });
      }
    }
    const first = jobs.find((j) => j.result?.changed)?.result ?? jobs.find((j) => j.result)?.result;
    if (first?.changed) await this.updateBatch(batchId, { decision: first });
    return { ...(first ? { decision: first } : {}), jobs };
  }

  /**
   * Runs a follow-up action on a migration under its lock: one at a time, and while it runs the status shows it
   * (`busy`); a lock left by a crashed process expires after FOLLOW_UP_LOCK_MS.
   */
  private async followUp<T>(jobId: string, action: FollowUpAction, by: Actor, options: FollowUpOptions, run: () => Promise<T>): Promise<T> {
    const key = this.keys.followUp(jobId);
    const token = JSON.stringify({ action, by, id: randomUUID() });
    if ((await this.redis.set(key, token, 'PX', FOLLOW_UP_LOCK_MS, 'NX')) !== 'OK') {
      const held = JSON.parse((await this.redis.get(key)) ?? '{}') as { action?: string; by?: Actor };
      throw new FollowUpBusyError(held.action ?? 'another action', held.by?.id ?? 'someone');
    }
    await markChanged(this.redis, this.keys, jobId);
    try {
      if (options.nonce !== undefined) {
        const job = await this.queue.getJob(jobId);
        if (job?.data.kind === 'migration' && job.data.request.nonce !== options.nonce) {
          throw new PermanentError(`this button belongs to an earlier request for ${job.data.plan.source.address}: nothing was done; use the buttons of the current request (job ${jobId})`);
        }
      }
      return await run();
    } finally {
      await this.redis.eval(RELEASE_LOCK, 1, key, token);
      await markChanged(this.redis, this.keys, jobId);
    }
  }

  cancel(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUp(jobId, 'cancel', by, options, () => this.cancelNow(jobId, by));
  }

  private async cancelNow(jobId: string, by: Actor): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job) throw new PermanentError(`no migration ${jobId}`);
    const state = await job.getState();
    if (!LIVE_STATES.has(state)) throw new PermanentError(`${jobId} is already finished (${state})`);
    await this.redis.set(this.keys.cancel(jobId), by.id, 'NX');
    await this.redis.publish(this.keys.control(), JSON.stringify({ type: 'cancel', jobId }));
    // A job waiting (for approval, a retry or a batch slot) is run at once, to end as cancelled.
    if (state === 'delayed') await job.promote().catch(() => undefined);
  }

  /** Runs an on-request step (undo, reset) here, recording it in the (finished) job like the worker does. */
  private async runOnRequest(job: Job<JobData>, name: StepName, fn: StepFunction): Promise<void> {
    const data = structuredClone(job.data as MigrationJobData);
    const { checkpoint } = data;
    const save = async () => {
      await job.updateData(data);
      await markChanged(this.redis, this.keys, job.id!);
    };
    const setStep = async (status: 'running' | 'done' | 'skipped' | 'failed', detail?: string) => {
      checkpoint.steps[name] = stepChange(checkpoint.steps[name], status, detail, new Date().toISOString(), checkpoint.run ?? 1);
      await save();
      await this.bus.publish({ type: 'step', jobId: job.id!, step: { name, ...checkpoint.steps[name]! }, origin: data.request.origin });
    };
    await setStep('running');
    const ctx: StepContext = {
      jobId: job.id!,
      plan: data.plan,
      request: data.request,
      checkpoint,
      save,
      signal: new AbortController().signal,
      links: this.links,
      onProgress: () => undefined,
      handOver: async () => {
        throw new Error('no account is created outside a worker');
      },
      deps: {
        directory: this.options.directory,
        secrets: this.options.secrets,
        mxRelay: this.options.mxRelay ?? 'mx1.mail.ovh.net',
        imapConnections: 1,
        logger: this.options.logger,
        copier: async () => {
          throw new Error('no copy outside a worker');
        },
        imapEndpoint: async () => {
          throw new Error('no IMAP outside a worker');
        },
      },
    };
    try {
      const outcome = await fn(ctx);
      await setStep(outcome.status, outcome.detail);
    } catch (error) {
      await setStep('failed', error instanceof Error ? error.message : String(error));
      throw error;
    }
  }

  undo(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUp(jobId, 'undo', by, options, async () => {
      const job = await this.queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const state = await job.getState();
      if (state !== 'failed') throw new PermanentError(`undo is for a failed or cancelled migration; ${jobId} is ${state}`);
      if (!isUndoAvailable(job.data.checkpoint)) throw new PermanentError(`nothing to undo for ${jobId}: the source was not renamed, or it was already renamed back`);
      await this.runOnRequest(job, 'undo', undo);
      await this.redis.del(this.keys.cancel(jobId), this.keys.handover(jobId));
    });
  }

  retry(jobId: string, by: Actor, options: FollowUpOptions = {}): Promise<void> {
    return this.followUp(jobId, 'retry', by, options, async () => {
      const job = await this.queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const state = await job.getState();
      if (state !== 'failed') throw new PermanentError(`only a failed or cancelled migration can be retried; ${jobId} is ${state}`);
      if (job.data.checkpoint.undone) throw new PermanentError(`${jobId} was undone: submit it again`);
      const data = structuredClone(job.data as MigrationJobData);
      delete data.checkpoint.outcome;
      delete data.checkpoint.retrying;
      data.checkpoint.run = (data.checkpoint.run ?? 1) + 1;
      await (job as Job<JobData>).updateData(data);
      await this.redis.del(this.keys.cancel(jobId));
      await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
    });
  }

  resetSource(jobId: string, by: Actor, options: FollowUpOptions & { force?: boolean } = {}): Promise<void> {
    return this.followUp(jobId, 'reset-source', by, options, async () => {
      const job = await this.queue.getJob(jobId);
      if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
      const status = await this.status1(jobId);
      if (status?.state !== 'done' || job.data.request.dryRun) throw new PermanentError(`the temporary source account is reset only after a completed migration; ${jobId} is ${status?.state}`);
      const missing = outOfSync(job.data);
      if (missing && !options.force) {
        throw new PermanentError(`${missing}: resetting ${job.data.plan.temporaryAddress} would delete them for good. Copy them first (retry, or by hand), or confirm the reset explicitly (--force, "Reset anyway")`);
      }
      await this.runOnRequest(job, 'reset-source', resetSource);
    });
  }

  async revealDestinationPassword(jobId: string, by: Actor): Promise<PasswordReveal> {
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') return { ok: false, reason: `no migration ${jobId}` };
    const data = job.data;
    const stored = await this.redis.hgetall(this.keys.handover(jobId));
    const recipient = stored.recipient ? (JSON.parse(stored.recipient) as Actor) : undefined;
    if (stored.acknowledgedAt) return { ok: false, reason: `the password was acknowledged on ${stored.acknowledgedAt} and is no longer stored` };
    if (!stored.sealed || !recipient) return { ok: false, reason: 'the destination account does not exist yet: the password is available as soon as it does' };
    if (!sameActor(recipient, by)) return { ok: false, reason: `the password of ${data.plan.destination.address} is handed to ${recipient.kind === 'slack' ? `<@${recipient.id}>` : recipient.id} only` };
    return { ok: true, address: data.plan.destination.address, password: this.options.secrets.open(stored.sealed, SECRET_AAD.handover(jobId, data.request.nonce)) };
  }

  async acknowledgeDestinationPassword(jobId: string, by: Actor): Promise<PasswordAcknowledgement> {
    const key = this.keys.handover(jobId);
    const stored = await this.redis.hgetall(key);
    if (stored.acknowledgedAt) return { ok: true, changed: false };
    const recipient = stored.recipient ? (JSON.parse(stored.recipient) as Actor) : undefined;
    if (!stored.sealed || !recipient) return { ok: false, reason: 'there is no password to acknowledge yet' };
    if (!sameActor(recipient, by)) return { ok: false, reason: 'only the person the password is handed to can acknowledge it' };
    const changed = await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], 'acknowledgedAt') == 1 then return 0 end redis.call('HDEL', KEYS[1], 'sealed') redis.call('HSET', KEYS[1], 'acknowledgedAt', ARGV[1]) return 1",
      1,
      key,
      new Date().toISOString(),
    );
    await markChanged(this.redis, this.keys, jobId);
    return { ok: true, changed: changed === 1 };
  }

  async status(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]> {
    let jobId = query.jobId;
    if (!jobId && query.address) {
      const parsed = tryParseAddress(query.address);
      if (!parsed.ok) return [];
      jobId = migrationJobId(parsed.value.address);
    }
    if (jobId) {
      const one = await this.status1(jobId);
      return one ? [one] : [];
    }
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'], 0, 49);
    const statuses = await Promise.all(jobs.filter((j) => j?.data?.kind === 'migration').map((j) => this.status1(j.id!)));
    return statuses.filter((s): s is MigrationStatus => s !== undefined);
  }

  async searchSourceAccounts(query: string, limit: number): Promise<AccountChoice[]> {
    const wanted = query.trim().toLowerCase();
    const services = (await this.options.directory.listServices()).filter((s) => SOURCE_PLATFORMS.includes(s.platform));
    const choices: AccountChoice[] = [];
    for (const service of services) {
      const platform = await this.options.directory.open(service);
      for (const address of await platform.listAccounts()) {
        if (isFreeSlot(address) || !address.toLowerCase().includes(wanted)) continue;
        choices.push({ address, platform: service.platform, service: platform.service });
        if (choices.length >= limit) return choices;
      }
    }
    return choices;
  }

  async listDestinationServices(): Promise<ServiceChoice[]> {
    const services = await this.options.directory.listServices();
    return services.map((service) => ({ ...service, label: `${service.name} (${PLATFORM_LABEL[service.platform]})` }));
  }

  /** Parses and checks a batch CSV (every row, every rule) without starting anything. */
  async checkBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin } = {}): Promise<
    { ok: true; planned: { row: number; request: MigrationRequest; plan: MigrationJobData['plan'] }[] } | { ok: false; errors: { row: number; message: string }[] }
  > {
    const parsed = parseBatchCsv(csv, { maxRows: this.options.batchMaxRows });
    // Rows that parsed are pre-checked even when others did not: every problem is reported at once.
    const errors: { row: number; message: string }[] = parsed.ok ? [] : [...parsed.errors];
    if (!parsed.rows) return { ok: false, errors };
    const planned: { row: number; request: MigrationRequest; plan: MigrationJobData['plan'] }[] = [];
    for (const row of parsed.rows) {
      const request: MigrationRequest = {
        sourceAddress: row.source,
        destinationService: row.destinationService,
        temporaryName: row.temporaryName,
        destinationPassword: row.password,
        resetSourceAfter: row.resetSource,
        requester,
        preapproved: options.preapproved,
        origin: options.origin,
      };
      const jobId = migrationJobId(row.source);
      const existing = await this.queue.getJob(jobId);
      if (existing && LIVE_STATES.has(await existing.getState())) {
        errors.push({ row: row.row, message: `${row.source} is already being migrated (job ${jobId})` });
        continue;
      }
      const checked = await this.preflight(request);
      if (!checked.ok) errors.push({ row: row.row, message: checked.problems.map((p) => `${p.field}: ${p.message}`).join('; ') });
      else planned.push({ row: row.row, request, plan: checked.plan });
    }
    // Temporary names proposed independently must not collide within the batch.
    const temporary = new Map<string, number>();
    for (const p of planned) {
      const other = temporary.get(p.plan.temporaryAddress);
      if (other !== undefined) errors.push({ row: p.row, message: `temporaryName: ${p.plan.temporaryAddress} is also the temporary name of row ${other}` });
      temporary.set(p.plan.temporaryAddress, p.row);
    }
    if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.row - b.row) };
    return { ok: true, planned };
  }

  async submitBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin }): Promise<BatchSubmitResult> {
    const checked = await this.checkBatch(csv, requester, options);
    if (!checked.ok) return checked;
    const { planned } = checked;
    const batchId = randomUUID().slice(0, 8);
    const nonce = newNonce();
    const jobIds = planned.map((p) => p.plan.jobId);
    for (const jobId of jobIds) {
      try {
        await this.liveJob(jobId);
      } catch (error) {
        return { ok: false, errors: [{ row: planned.find((p) => p.plan.jobId === jobId)!.row, message: (error as Error).message }] };
      }
    }
    await this.redis.hset(this.keys.batch(batchId), {
      jobIds: JSON.stringify(jobIds),
      origin: JSON.stringify(options.origin ?? null),
      concurrency: String(this.tuning.batchConcurrency),
      requester: JSON.stringify(requester),
      nonce,
    });
    const children = [];
    for (const p of planned) {
      const data = await this.newJobData({ ...p.request, origin: { channel: '', ...options.origin, batchId } }, p.plan, batchId);
      if (options.preapproved) await this.recordPreapproval(p.plan.jobId, data.request.nonce, requester);
      children.push({
        name: 'migration',
        queueName: this.queueName,
        data,
        opts: { ...this.jobOptions(p.plan.jobId, options.preapproved ?? false), ignoreDependencyOnFailure: true },
      });
    }
    const parent: BatchJobData = { kind: 'batch', batchId, requester, origin: options.origin, jobIds, concurrency: this.tuning.batchConcurrency };
    await this.flows.add({
      name: 'batch',
      queueName: this.queueName,
      data: parent,
      opts: { jobId: batchJobId(batchId), removeOnComplete: false, removeOnFail: false },
      children,
    });
    await this.bus.publish({ type: 'batch', batchId, rows: planned.map((p) => ({ jobId: p.plan.jobId, address: p.plan.source.address, state: options.preapproved ? 'queued' : 'awaiting-approval' })), origin: options.origin });
    return { ok: true, batchId, jobIds, nonce };
  }

  subscribe(listener: (event: MigrationEvent) => void, options: SubscribeOptions = {}): () => void {
    let unsubscribe: (() => void) | undefined;
    let cancelled = false;
    void this.bus.subscribe(listener, options).then((off) => {
      if (cancelled) off();
      else unsubscribe = off;
    });
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }

  /** subscribe(), resolving once events published from now on will be received. */
  async subscribeReady(listener: (event: MigrationEvent) => void, options: SubscribeOptions = {}): Promise<() => void> {
    return this.bus.subscribe(listener, options);
  }

  async batch(batchId: string): Promise<BatchInfo | undefined> {
    const fields = await this.redis.hgetall(this.keys.batch(batchId));
    if (!fields.jobIds) return undefined;
    const parse = <T>(raw: string | undefined): T | undefined => (raw ? (JSON.parse(raw) as T | null) ?? undefined : undefined);
    const origin = parse<BatchInfo['origin']>(fields.origin);
    const decision = parse<BatchInfo['decision']>(fields.decision);
    return {
      batchId,
      jobIds: JSON.parse(fields.jobIds) as string[],
      requester: parse<Actor>(fields.requester) ?? { kind: 'cli', id: 'unknown' },
      nonce: fields.nonce ?? '',
      ...(origin ? { origin } : {}),
      ...(decision ? { decision } : {}),
    };
  }

  /**
   * The origin is merged into the stored one, which the worker puts on every batch event: a bot that never saw
   * the batch (restarted, or another replica) finds the summary from the event or from here.
   */
  async updateBatch(batchId: string, change: { origin?: RequestOrigin; decision?: DecisionResult }): Promise<void> {
    const key = this.keys.batch(batchId);
    if (!(await this.redis.hexists(key, 'jobIds'))) throw new PermanentError(`no batch ${batchId}`);
    if (change.origin) {
      const stored = JSON.parse((await this.redis.hget(key, 'origin')) ?? 'null') as RequestOrigin | null;
      await this.redis.hset(key, 'origin', JSON.stringify({ ...stored, ...change.origin }));
    }
    if (change.decision) await this.redis.hsetnx(key, 'decision', JSON.stringify({ ...change.decision, changed: false }));
  }

  /** The batch summary: one row per mailbox with its state. */
  async batchStatus(batchId: string): Promise<MigrationStatus[]> {
    const raw = await this.redis.hget(this.keys.batch(batchId), 'jobIds');
    if (!raw) return [];
    const all = await Promise.all((JSON.parse(raw) as string[]).map((jobId) => this.status1(jobId)));
    return all.filter((s): s is MigrationStatus => s !== undefined);
  }
}

/** What a reset would lose: folders not in sync and messages the destination refused, or undefined when none. */
function outOfSync(data: MigrationJobData): string | undefined {
  const { checkpoint } = data;
  const folders = (checkpoint.mismatches ?? []).filter((m) => m.missing > 0);
  const parts = folders.map((m) => `${m.missing} message(s) of ${m.folder}`);
  if (checkpoint.copyFailures) parts.push(`${checkpoint.copyFailures} message(s) the destination refused`);
  return parts.length ? `not on the destination: ${parts.join(', ')}` : undefined;
}
