import { FlowProducer, Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { isFreeSlot, tryParseAddress } from '../domain/address.js';
import { batchJobId, migrationJobId } from '../domain/plan.js';
import { PLATFORM_LABEL, SOURCE_PLATFORMS } from '../domain/platform.js';
import type { StepName } from '../domain/steps.js';
import type { Logger } from '../log/logger.js';
import { parseBatchCsv } from './batch-csv.js';
import { PermanentError } from './errors.js';
import { EventBus, newRedis } from './events.js';
import type {
  AccountChoice,
  Actor,
  BatchInfo,
  BatchSubmitResult,
  Decision,
  DecisionResult,
  MigrationEvent,
  MigrationRequest,
  MigrationService,
  MigrationStatus,
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
import { readStatus, statusOf } from './status.js';
import { SECRET_AAD, resetSource, undo, type StepContext, type StepFunction } from './steps.js';
import type { BatchJobData, JobData, MigrationJobData, PlatformDirectory, StoredDecision } from './types.js';

export interface BullMigrationServiceOptions extends QueueSettings {
  directory: PlatformDirectory;
  secrets: SecretBox;
  logger: Logger;
  mxRelay?: string;
  tuning?: Partial<QueueTuning>;
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

  constructor(private readonly options: BullMigrationServiceOptions) {
    this.queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.keys = new Keys(options.prefix, this.queueName);
    this.queue = new Queue<JobData>(this.queueName, { connection: options.connection, prefix: options.prefix });
    this.flows = new FlowProducer({ connection: options.connection, prefix: options.prefix });
    this.redis = newRedis(options.connection);
    this.bus = new EventBus(this.redis, options.connection, this.keys.events());
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.queue.close();
    await this.flows.close();
    this.redis.disconnect();
  }

  async preflight(request: MigrationRequest): Promise<PreflightResult> {
    const result = await preflight(this.options.directory, request);
    return result.ok ? { ok: true, plan: result.plan } : { ok: false, problems: result.problems };
  }

  private jobOptions(jobId: string, preapproved: boolean) {
    return {
      jobId,
      delay: preapproved ? 0 : this.tuning.approvalTimeoutMs,
      attempts: this.tuning.attempts,
      backoff: { type: 'exponential' as const, delay: this.tuning.backoffMs },
      removeOnComplete: false,
      removeOnFail: false,
    };
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
    await this.redis.del(this.keys.decision(jobId), this.keys.cancel(jobId), this.keys.passwordTaken(jobId));
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
        dryRun: request.dryRun ?? false,
        resetSourceAfter: request.resetSourceAfter ?? false,
        requester: request.requester,
        origin: request.origin,
      },
      plan,
      checkpoint: { steps: { preflight: { status: 'done', detail: 'plan built, every check passed', at: new Date().toISOString() } } },
      batchId,
      createdAt: `${new Date().toISOString()} ${randomUUID()}`,
    };
  }

  private async recordPreapproval(jobId: string, requester: Actor): Promise<void> {
    const decision: StoredDecision = { approve: true, by: requester, reason: 'approved at submission', at: new Date().toISOString() };
    await this.redis.set(this.keys.decision(jobId), JSON.stringify(decision));
  }

  async submit(request: MigrationRequest): Promise<SubmitResult> {
    const parsed = tryParseAddress(request.sourceAddress);
    if (!parsed.ok) return { ok: false, problems: [{ field: 'source', message: parsed.error }] };
    const jobId = migrationJobId(parsed.value.address);
    try {
      const live = await this.liveJob(jobId);
      if (live && live.data.kind === 'migration') return { ok: true, jobId, plan: live.data.plan, duplicate: true };
    } catch (error) {
      if (error instanceof PermanentError) return { ok: false, problems: [{ field: 'source', message: error.message }] };
      throw error;
    }
    const checked = await this.preflight(request);
    if (!checked.ok) return checked;
    const data = await this.newJobData(request, checked.plan);
    if (request.preapproved) await this.recordPreapproval(jobId, request.requester);
    const job = await this.queue.add('migration', data, this.jobOptions(jobId, request.preapproved ?? false));
    const duplicate = (job.data as MigrationJobData).createdAt !== data.createdAt;
    if (!duplicate) {
      const status = statusOf(job as Job<MigrationJobData>, request.preapproved ? 'waiting' : 'delayed', request.preapproved ? JSON.stringify({ approve: true, by: request.requester, at: '' }) : null);
      await this.bus.publish({ type: 'submitted', jobId, status: { ...status, state: request.preapproved ? 'queued' : 'awaiting-approval' } });
    }
    return { ok: true, jobId, plan: (job.data as MigrationJobData).plan, duplicate };
  }

  async decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    if (jobId.startsWith('batch-')) return this.decideBatch(jobId, decision);
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
    const stored: StoredDecision = { ...decision, at: new Date().toISOString() };
    const state = await job.getState();
    const first = state === 'delayed' || state === 'waiting' ? await this.redis.set(this.keys.decision(jobId), JSON.stringify(stored), 'NX') : null;
    if (first !== 'OK') {
      const raw = await this.redis.get(this.keys.decision(jobId));
      if (!raw) throw new PermanentError(`${jobId} is no longer waiting for a decision (it is ${state})`);
      const earlier = JSON.parse(raw) as StoredDecision;
      return { changed: false, state: earlier.approve ? 'approved' : 'rejected', by: earlier.by, at: earlier.at };
    }
    if (state === 'delayed') await job.promote().catch(() => undefined);
    const result: DecisionResult = { changed: true, state: decision.approve ? 'approved' : 'rejected', by: decision.by, at: stored.at };
    await this.bus.publish({ type: 'decided', jobId, decision: result });
    return result;
  }

  private async decideBatch(batchKey: string, decision: Decision): Promise<DecisionResult> {
    const batchId = batchKey.replace(/^batch-/, '');
    const raw = await this.redis.hget(this.keys.batch(batchId), 'jobIds');
    if (!raw) throw new PermanentError(`no batch ${batchId}`);
    const results = [];
    for (const jobId of JSON.parse(raw) as string[]) results.push(await this.decide(jobId, decision).catch(() => undefined));
    const first = results.find((r) => r?.changed) ?? results.find(Boolean);
    if (!first) throw new PermanentError(`batch ${batchId} is no longer waiting for a decision`);
    if (first.changed) await this.updateBatch(batchId, { decision: first });
    return first;
  }

  async cancel(jobId: string, by: Actor): Promise<void> {
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
    };
    const publishStep = (status: 'running' | 'done' | 'failed', detail?: string) =>
      this.bus.publish({ type: 'step', jobId: job.id!, step: { name, status, detail, at: new Date().toISOString() }, origin: data.request.origin });
    checkpoint.steps[name] = { status: 'running', at: new Date().toISOString() };
    await save();
    await publishStep('running');
    const ctx: StepContext = {
      jobId: job.id!,
      plan: data.plan,
      request: data.request,
      checkpoint,
      save,
      signal: new AbortController().signal,
      onProgress: () => undefined,
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
      checkpoint.steps[name] = { status: outcome.status, detail: outcome.detail, at: new Date().toISOString() };
      await save();
      await publishStep(outcome.status === 'skipped' ? 'done' : outcome.status, outcome.detail);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      checkpoint.steps[name] = { status: 'failed', detail, at: new Date().toISOString() };
      await save();
      await publishStep('failed', detail);
      throw error;
    }
  }

  async undo(jobId: string, _by: Actor): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
    const state = await job.getState();
    if (state !== 'failed') throw new PermanentError(`undo is for a failed or cancelled migration; ${jobId} is ${state}`);
    if (!isUndoAvailable(job.data.checkpoint)) throw new PermanentError(`nothing to undo for ${jobId}: the source was not renamed, or it was already renamed back`);
    await this.runOnRequest(job, 'undo', undo);
    await this.redis.del(this.keys.cancel(jobId));
  }

  async retry(jobId: string, _by: Actor): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
    const state = await job.getState();
    if (state !== 'failed') throw new PermanentError(`only a failed or cancelled migration can be retried; ${jobId} is ${state}`);
    if (job.data.checkpoint.undone) throw new PermanentError(`${jobId} was undone: submit it again`);
    const data = structuredClone(job.data as MigrationJobData);
    delete data.checkpoint.outcome;
    await (job as Job<JobData>).updateData(data);
    await this.redis.del(this.keys.cancel(jobId));
    await job.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
  }

  async resetSource(jobId: string, _by: Actor): Promise<void> {
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
    const status = await readStatus(this.queue, this.redis, this.keys, jobId);
    if (status?.state !== 'done' || job.data.request.dryRun) throw new PermanentError(`the temporary source account is reset only after a completed migration; ${jobId} is ${status?.state}`);
    await this.runOnRequest(job, 'reset-source', resetSource);
  }

  async takeDestinationPassword(jobId: string, by: Actor): Promise<string | undefined> {
    const job = await this.queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') return undefined;
    const { request, checkpoint } = job.data;
    if (request.requester.kind !== by.kind || request.requester.id !== by.id) return undefined;
    if (!checkpoint.destinationCreated || !checkpoint.destinationPassword) return undefined;
    const first = await this.redis.set(this.keys.passwordTaken(jobId), new Date().toISOString(), 'NX');
    if (first !== 'OK') return undefined;
    return this.options.secrets.open(checkpoint.destinationPassword, SECRET_AAD.destination(jobId));
  }

  async status(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]> {
    let jobId = query.jobId;
    if (!jobId && query.address) {
      const parsed = tryParseAddress(query.address);
      if (!parsed.ok) return [];
      jobId = migrationJobId(parsed.value.address);
    }
    if (jobId) {
      const one = await readStatus(this.queue, this.redis, this.keys, jobId);
      return one ? [one] : [];
    }
    const jobs = await this.queue.getJobs(['active', 'waiting', 'delayed', 'prioritized', 'failed', 'completed'], 0, 49);
    const statuses = await Promise.all(jobs.filter((j) => j?.data?.kind === 'migration').map((j) => readStatus(this.queue, this.redis, this.keys, j.id!)));
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
    const parsed = parseBatchCsv(csv);
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
    });
    const children = [];
    for (const p of planned) {
      if (options.preapproved) await this.recordPreapproval(p.plan.jobId, requester);
      children.push({
        name: 'migration',
        queueName: this.queueName,
        data: await this.newJobData({ ...p.request, origin: { channel: '', ...options.origin, batchId } }, p.plan, batchId),
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
    return { ok: true, batchId, jobIds };
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
    return { batchId, jobIds: JSON.parse(fields.jobIds) as string[], requester: parse<Actor>(fields.requester) ?? { kind: 'cli', id: 'unknown' }, ...(origin ? { origin } : {}), ...(decision ? { decision } : {}) };
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
    const all = await Promise.all((JSON.parse(raw) as string[]).map((jobId) => readStatus(this.queue, this.redis, this.keys, jobId)));
    return all.filter((s): s is MigrationStatus => s !== undefined);
  }
}
