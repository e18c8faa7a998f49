import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CopyProgress } from '../domain/copy-report.js';
import { RUN_STEPS, nextStep, stepChange, type RunStepName, type StepName } from '../domain/steps.js';
import type { StepDeps } from './dependencies.js';
import { checkDecision, type StoredDecision } from './decisions.js';
import { CancelledError, PermanentError, describeError, isTransient, retryAfterMs } from './errors.js';
import { EventBus, newRedis, rateLimiter } from './events.js';
import { applyPendingLinks, linkKeys } from './features.js';
import type { BatchJobData, Checkpoint, JobData, MigrationJobData, MigrationResult } from './job-data.js';
import { FeatureLinks } from './links.js';
import type { MigrationEvent, MigrationStatus, StepRecord } from './migration-service.js';
import { preflight } from './preflight.js';
import { DEFAULT_QUEUE_NAME, DEFAULT_TUNING, Keys, type QueueSettings, type QueueTuning } from './queue-names.js';
import { buildReport, isUndoAvailable } from './report.js';
import { Statuses } from './status.js';
import { SECRET_AAD, changeDone, type StepContext } from './step-context.js';
import { RUN_STEP_FUNCTIONS, resetSource } from './steps.js';
import { markChanged } from './thread-ledger.js';

export interface MigrationWorkerOptions extends QueueSettings {
  deps: StepDeps;
  concurrency?: number;
  tuning?: Partial<QueueTuning>;
}

/**
 * Runs migration jobs: one BullMQ job per mailbox, steps in order from the job's checkpoint, the checkpoint
 * saved in the job after every change, so any worker resumes a job another one left (killed, crashed).
 */
export class MigrationWorker {
  readonly worker: Worker<JobData>;
  private readonly queue: Queue<JobData>;
  private readonly keys: Keys;
  private readonly redis: Redis;
  private readonly control: Redis;
  private readonly bus: EventBus;
  private readonly tuning: QueueTuning;
  private readonly running = new Map<string, AbortController>();
  private readonly links: FeatureLinks;
  private readonly statuses: Statuses;

  private constructor(private readonly options: MigrationWorkerOptions) {
    const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.keys = new Keys(options.prefix, queueName);
    this.redis = newRedis(options.connection);
    this.control = newRedis(options.connection);
    this.queue = new Queue<JobData>(queueName, { connection: options.connection, prefix: options.prefix });
    this.bus = new EventBus(this.redis, options.connection, this.keys.events());
    this.links = new FeatureLinks(this.redis, this.keys, this.tuning.lockDurationMs);
    this.statuses = new Statuses({ queue: this.queue, redis: this.redis, keys: this.keys, bus: this.bus }, options.deps.secrets);
    this.worker = new Worker<JobData>(queueName, (job, token, signal) => this.process(job, token, signal), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 2,
      lockDuration: this.tuning.lockDurationMs,
      stalledInterval: this.tuning.stalledIntervalMs ?? Math.round(this.tuning.lockDurationMs / 2),
      maxStalledCount: 5,
      autorun: false,
    });
    this.worker.on('error', (error) => options.deps.logger.error({ err: error }, 'worker error'));
  }

  static async start(options: MigrationWorkerOptions): Promise<MigrationWorker> {
    const worker = new MigrationWorker(options);
    worker.control.on('message', (_channel: string, message: string) => {
      try {
        const command = JSON.parse(message) as { type: string; jobId: string };
        if (command.type === 'cancel') worker.running.get(command.jobId)?.abort(new Error('cancelled'));
      } catch {
        // ignore malformed control messages
      }
    });
    await worker.control.subscribe(worker.keys.control());
    void worker.worker.run();
    await worker.worker.waitUntilReady();
    return worker;
  }

  /**
   * Stops taking jobs. `force`: do not wait for running jobs either; they keep their lock until it expires and
   * are then resumed from their checkpoint by any worker (exactly like after a crash). Nothing is aborted, so a
   * shutdown is never mistaken for a cancellation.
   */
  async close(force = false): Promise<void> {
    await this.worker.close(force);
    await this.queue.close();
    this.control.disconnect();
    this.redis.disconnect();
    await this.bus.close();
  }

  private publish(event: MigrationEvent): Promise<void> {
    return this.bus.publish(event).catch((error) => this.options.deps.logger.warn({ err: error }, 'cannot publish an event'));
  }

  private async process(job: Job<JobData>, token: string | undefined, signal?: AbortSignal): Promise<unknown> {
    if (job.data.kind === 'batch') return this.processBatch(job as Job<BatchJobData>);
    const data = job.data as MigrationJobData;
    if (data.batchId) await this.acquireBatchSlot(job, data.batchId, token);
    try {
      return await this.processMigration(job as Job<MigrationJobData>, token, signal);
    } finally {
      if (data.batchId) {
        await this.redis.srem(this.keys.batchRunning(data.batchId), job.id!);
        await this.publishBatch(data.batchId, job.id!);
      }
    }
  }

  /** A batch runs at most `concurrency` mailboxes at once: a job over the limit waits a moment and tries again. */
  private async acquireBatchSlot(job: Job, batchId: string, token: string | undefined): Promise<void> {
    const limit = Number((await this.redis.hget(this.keys.batch(batchId), 'concurrency')) ?? this.tuning.batchConcurrency);
    const key = this.keys.batchRunning(batchId);
    // Atomic admission: already in (a resumed job), or a free place; otherwise wait and try again.
    const admitted = await this.redis.eval(
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

  private async processMigration(job: Job<MigrationJobData>, token: string | undefined, bullSignal?: AbortSignal): Promise<MigrationResult> {
    const jobId = job.id!;
    const data = structuredClone(job.data);
    const { checkpoint, plan } = data;
    const logger = this.options.deps.logger.child({ jobId });
    const controller = new AbortController();
    bullSignal?.addEventListener('abort', () => controller.abort(bullSignal.reason), { once: true });
    this.running.set(jobId, controller);
    const progressGate = rateLimiter(this.tuning.progressIntervalMs);

    const save = async (): Promise<void> => {
      await job.updateData(data);
      await markChanged(this.redis, this.keys, jobId);
    };
    const setStep = async (name: StepName, status: StepRecord['status'], detail?: string): Promise<void> => {
      checkpoint.steps[name] = stepChange(checkpoint.steps[name], status, detail, new Date().toISOString(), checkpoint.run ?? 1);
      await save();
      await this.publish({ type: 'step', jobId, step: { name, ...checkpoint.steps[name]! }, origin: data.request.origin });
    };
    const cancelledBy = async (): Promise<string | undefined> => (await this.redis.get(this.keys.cancel(jobId))) ?? undefined;

    let current: RunStepName | undefined;
    const ctx: StepContext = {
      jobId,
      plan,
      request: data.request,
      checkpoint,
      save,
      signal: controller.signal,
      deps: this.options.deps,
      links: this.links,
      handOver: (password) => this.handOver(jobId, data, password),
      onProgress: (progress: CopyProgress) => {
        if (!progressGate(progress.phase === 'done')) return;
        void job
          .updateProgress(progress as unknown as object)
          .then(() => markChanged(this.redis, this.keys, jobId))
          .catch(() => undefined);
        // the step names itself, so that whichever bot tells this job titles the progress without having seen it start
        void this.publish({ type: 'progress', jobId, progress, ...(current ? { step: current } : {}), origin: data.request.origin });
      },
    };

    const finish = async (result: MigrationResult): Promise<MigrationResult> => {
      const links = checkpoint.features ? await this.links.get(plan.destination, linkKeys(plan)).catch(() => undefined) : undefined;
      await this.publish({ type: 'finished', jobId, report: buildReport(data, links), origin: data.request.origin, requester: data.request.requester });
      return result;
    };

    try {
      for (;;) {
        current = nextStep(checkpoint.steps, checkpoint.softFailures);
        if (!current) break;
        const by = await cancelledBy();
        if (by) throw new CancelledError(by);
        if (current === 'preflight') {
          await setStep('preflight', 'done', 'plan built');
          continue;
        }
        if (current === 'approval') {
          const outcome = await this.approvalGate(jobId, data);
          if (outcome.state === 'rejected') {
            await setStep('approval', 'failed', outcome.detail);
            this.skipRest('approval', checkpoint, outcome.detail);
            await save();
            return await finish({ state: 'rejected', detail: outcome.detail });
          }
          await setStep('approval', 'done', outcome.detail);
          if (data.request.dryRun) {
            this.skipRest('approval', checkpoint, 'dry run: nothing changed');
            await save();
            return await finish({ state: 'done', detail: 'dry run' });
          }
          continue;
        }
        const fn = RUN_STEP_FUNCTIONS[current];
        if (!fn) throw new Error(`no function for step ${current}`);
        await setStep(current, 'running');
        logger.info({ step: current }, 'step started');
        const outcome = await fn(ctx);
        if (controller.signal.aborted) throw new CancelledError((await cancelledBy()) ?? 'a worker shutdown');
        // A step that reports a failure without throwing (verify, features): recorded, reported, and the run goes on.
        if (outcome.status === 'failed') checkpoint.softFailures = [...new Set([...(checkpoint.softFailures ?? []), current])];
        delete checkpoint.retrying;
        await setStep(current, outcome.status, outcome.detail);
        logger.info({ step: current, status: outcome.status }, 'step finished');
      }
      if (data.request.resetSourceAfter && !changeDone(checkpoint, 'reset-source') && !checkpoint.steps['reset-source']) {
        const clean = (checkpoint.mismatches ?? []).every((m) => m.missing === 0) && !checkpoint.copyFailures;
        if (clean) {
          await setStep('reset-source', 'running');
          const outcome = await resetSource(ctx);
          await setStep('reset-source', outcome.status, outcome.detail);
        } else {
          await setStep('reset-source', 'skipped', 'the copy is not complete: the temporary source account is kept');
        }
      }
      return await finish({ state: 'done' });
    } catch (error) {
      const step: StepName = current ?? 'preflight';
      if (error instanceof DelayedError) throw error;
      const cancelled = error instanceof CancelledError || controller.signal.aborted;
      const by = cancelled ? (error instanceof CancelledError ? error.by : ((await cancelledBy()) ?? 'a worker shutdown')) : undefined;
      const message = cancelled ? `cancelled by ${by}` : describeError(error);
      const retryAt = cancelled || !isTransient(error) ? undefined : this.retryTime(checkpoint, error);
      if (retryAt !== undefined) {
        const attempt = checkpoint.retrying!.attempts;
        await setStep(step, 'failed', `${message} (attempt ${attempt}, retrying at ${new Date(retryAt).toISOString()})`).catch(() => undefined);
        logger.warn({ step, attempt, retryAt, err: { message } }, 'step failed; retrying later');
        // back to the queue until then: any worker takes it up again and resumes from the checkpoint
        await job.moveToDelayed(retryAt, token);
        throw new DelayedError();
      }
      const undo = isUndoAvailable(checkpoint);
      checkpoint.outcome = cancelled ? { state: 'cancelled', by: by! } : { state: 'failed', error: message, step };
      delete checkpoint.retrying;
      await setStep(step, 'failed', message).catch(() => undefined);
      await this.publish({
        type: 'failed',
        jobId,
        error: undo ? `${message}. The source was renamed: undo (rename back) is available` : message,
        step,
        undoAvailable: undo,
        origin: data.request.origin,
      });
      logger.warn({ step, err: { message } }, 'migration failed');
      throw new UnrecoverableError(message);
    } finally {
      this.running.delete(jobId);
    }
  }

  /**
   * When to try again after a transient failure, or undefined once failures in a row have lasted the retry budget
   * (OVH_RETRY_MINUTES). OVH's Retry-After is honoured as given; otherwise exponential backoff with jitter.
   */
  private retryTime(checkpoint: Checkpoint, error: unknown): number | undefined {
    const now = Date.now();
    const retrying = (checkpoint.retrying ??= { since: new Date(now).toISOString(), attempts: 0 });
    retrying.attempts += 1;
    const deadline = Date.parse(retrying.since) + this.tuning.retryBudgetMs;
    const asked = retryAfterMs(error);
    const backoff = Math.min(this.tuning.maxBackoffMs, this.tuning.backoffMs * 2 ** (retrying.attempts - 1));
    const delay = asked ?? Math.round(backoff * (0.8 + Math.random() * 0.4));
    if (now + delay > deadline) return undefined;
    return now + delay;
  }

  /**
   * Keeps the destination password, sealed, for the person it is handed over to; never overwrites one already
   * kept or acknowledged (a resumed step calls this again).
   */
  private async handOver(jobId: string, data: MigrationJobData, password: string): Promise<void> {
    const decision = await this.verifiedDecision(jobId, data);
    const recipient = data.request.handoverTo === 'approver' ? decision?.by : data.request.requester;
    if (!recipient) throw new PermanentError('the destination password goes to the approver, but no approval is recorded');
    const sealed = this.options.deps.secrets.seal(password, SECRET_AAD.handover(jobId, data.request.nonce));
    await this.redis.eval(
      "if redis.call('HEXISTS', KEYS[1], 'sealed') == 1 or redis.call('HEXISTS', KEYS[1], 'acknowledgedAt') == 1 then return 0 end " +
        "redis.call('HSET', KEYS[1], 'sealed', ARGV[1], 'recipient', ARGV[2], 'readyAt', ARGV[3]) return 1",
      1,
      this.keys.handover(jobId),
      sealed,
      JSON.stringify(recipient),
      new Date().toISOString(),
    );
    await markChanged(this.redis, this.keys, jobId);
  }

  private async verifiedDecision(jobId: string, data: MigrationJobData): Promise<StoredDecision | undefined> {
    const raw = await this.redis.get(this.keys.decision(jobId));
    if (!raw) return undefined;
    const checked = checkDecision(this.options.deps.secrets, raw, { jobId, nonce: data.request.nonce });
    if (!checked.ok) throw new PermanentError(`refused to run on the approval stored for ${jobId}: ${checked.reason}. Nothing was changed; submit the request again`);
    return checked.decision;
  }

  private skipRest(after: RunStepName, checkpoint: Checkpoint, detail: string): void {
    const at = new Date().toISOString();
    for (const step of RUN_STEPS.slice(RUN_STEPS.indexOf(after) + 1)) {
      if (!checkpoint.steps[step]) checkpoint.steps[step] = stepChange(undefined, 'skipped', detail, at, checkpoint.run ?? 1);
    }
  }

  /**
   * The job reaches the worker once approved (decide() promotes it) or once the approval timeout is over.
   * Approved: the plan's checks are run again (things may have changed while it waited).
   */
  private async approvalGate(jobId: string, data: MigrationJobData): Promise<{ state: 'approved' | 'rejected'; detail: string }> {
    const decision = await this.verifiedDecision(jobId, data);
    if (!decision) return { state: 'rejected', detail: 'no decision before the approval timeout' };
    if (!decision.approve) return { state: 'rejected', detail: `rejected by ${decision.by.id}${decision.reason ? `: ${decision.reason}` : ''}` };
    const again = await preflight(
      this.options.deps.directory,
      {
        sourceAddress: data.request.sourceAddress,
        destinationService: data.request.destinationService,
        temporaryName: data.plan.temporaryAddress,
        requester: data.request.requester,
      },
      { features: false },
    );
    if (!again.ok) throw new PermanentError(`the checks fail now: ${again.problems.map((p) => p.message).join('; ')}`);
    return { state: 'approved', detail: `approved by ${decision.by.id} at ${decision.at}; checks passed again` };
  }

  /**
   * The end of a batch (BullMQ runs the parent once every child has finished, failed ones included): every pending
   * link on each destination service of the batch whose ends all exist now is applied, whatever the order in which
   * the rows ran. A failure here leaves the links pending for a later migration to the same service.
   */
  private async processBatch(job: Job<BatchJobData>): Promise<unknown> {
    const services = new Map<string, { platform: MigrationJobData['plan']['destination']['platform']; service: string }>();
    for (const jobId of job.data.jobIds) {
      const child = await this.queue.getJob(jobId);
      if (child?.data.kind !== 'migration' || child.data.batchId !== job.data.batchId || child.data.request.dryRun) continue;
      const { platform, service } = child.data.plan.destination;
      services.set(`${platform}:${service.toLowerCase()}`, { platform, service });
    }
    for (const ref of services.values()) {
      try {
        const platform = await this.options.deps.directory.open({ platform: ref.platform, name: ref.service });
        await this.links.withServiceLock(ref, undefined, () => applyPendingLinks(platform, this.links, job.id!));
      } catch (error) {
        this.options.deps.logger.warn({ err: { message: describeError(error) }, batchId: job.data.batchId, service: ref.service }, 'cannot apply the pending links at the end of the batch; they stay pending');
      }
    }
    const rows = await this.batchRows(job.data.batchId);
    await this.publish({ type: 'batch', batchId: job.data.batchId, rows, origin: job.data.origin });
    return { rows };
  }

  private async batchRows(batchId: string): Promise<{ jobId: string; address: string; state: MigrationStatus['state'] }[]> {
    const raw = await this.redis.hget(this.keys.batch(batchId), 'jobIds');
    const jobIds = raw ? (JSON.parse(raw) as string[]) : [];
    return Promise.all(
      jobIds.map(async (jobId) => {
        const status = await this.statuses.read(jobId);
        return { jobId, address: status?.plan.source.address ?? jobId.replace(/^mig-/, ''), state: status?.state ?? 'cancelled' };
      }),
    );
  }

  private async publishBatch(batchId: string, _changed: string): Promise<void> {
    const raw = await this.redis.hget(this.keys.batch(batchId), 'origin');
    const origin = raw ? JSON.parse(raw) : undefined;
    const rows = await this.batchRows(batchId);
    await this.publish({ type: 'batch', batchId, rows, origin });
  }
}
