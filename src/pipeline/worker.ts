import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CopyProgress } from '../domain/copy-report.js';
import { RUN_STEPS, isFinished, type RunStepName, type StepName } from '../domain/steps.js';
import { CancelledError, PermanentError, describeError, isTransient } from './errors.js';
import { EventBus, newRedis, rateLimiter } from './events.js';
import type { MigrationEvent, MigrationStatus, StepRecord } from './migration-service.js';
import { preflight } from './preflight.js';
import { DEFAULT_QUEUE_NAME, DEFAULT_TUNING, Keys, type QueueSettings, type QueueTuning } from './queue-names.js';
import { buildReport, isUndoAvailable } from './report.js';
import { readStatus } from './status.js';
import { RUN_STEP_FUNCTIONS, resetSource, type StepContext, type StepDeps } from './steps.js';
import type { BatchJobData, JobData, MigrationJobData, MigrationResult, StoredDecision } from './types.js';

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

  private constructor(private readonly options: MigrationWorkerOptions) {
    const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.keys = new Keys(options.prefix, queueName);
    this.redis = newRedis(options.connection);
    this.control = newRedis(options.connection);
    this.queue = new Queue<JobData>(queueName, { connection: options.connection, prefix: options.prefix });
    this.bus = new EventBus(this.redis, options.connection, this.keys.events());
    this.worker = new Worker<JobData>(queueName, (job, token, signal) => this.process(job, token, signal), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 2,
      lockDuration: this.tuning.lockDurationMs,
      stalledInterval: this.tuning.stalledIntervalMs,
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
      return await this.processMigration(job as Job<MigrationJobData>, signal);
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

  private async processMigration(job: Job<MigrationJobData>, bullSignal?: AbortSignal): Promise<MigrationResult> {
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
    };
    const setStep = async (name: StepName, status: StepRecord['status'], detail?: string): Promise<void> => {
      const record: StepRecord = { name, status, detail, at: new Date().toISOString() };
      checkpoint.steps[name] = { status, detail, at: record.at };
      await save();
      await this.publish({ type: 'step', jobId, step: record, origin: data.request.origin });
    };
    const cancelledBy = async (): Promise<string | undefined> => (await this.redis.get(this.keys.cancel(jobId))) ?? undefined;

    const ctx: StepContext = {
      jobId,
      plan,
      request: data.request,
      checkpoint,
      save,
      signal: controller.signal,
      deps: this.options.deps,
      onProgress: (progress: CopyProgress) => {
        if (!progressGate(progress.phase === 'done')) return;
        void job.updateProgress(progress as unknown as object).catch(() => undefined);
        // the step names itself, so that whichever bot tells this job titles the progress without having seen it start
        void this.publish({ type: 'progress', jobId, progress, ...(current ? { step: current } : {}), origin: data.request.origin });
      },
    };

    let current: RunStepName | undefined;
    try {
      for (;;) {
        current = RUN_STEPS.find((step) => !isFinished(step, checkpoint.steps) && !checkpoint.softFailures?.includes(step));
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
            await this.skipRest('approval', checkpoint, outcome.detail);
            await save();
            await this.publish({ type: 'finished', jobId, report: buildReport(data), origin: data.request.origin, requester: data.request.requester });
            return { state: 'rejected', detail: outcome.detail };
          }
          await setStep('approval', 'done', outcome.detail);
          if (data.request.dryRun) {
            await this.skipRest('approval', checkpoint, 'dry run: nothing changed');
            await save();
            await this.publish({ type: 'finished', jobId, report: buildReport(data), origin: data.request.origin, requester: data.request.requester });
            return { state: 'done', detail: 'dry run' };
          }
          continue;
        }
        const fn = RUN_STEP_FUNCTIONS[current];
        if (!fn) throw new Error(`no function for step ${current}`);
        await setStep(current, 'running');
        logger.info({ step: current }, 'step started');
        const outcome = await fn(ctx);
        if (controller.signal.aborted) throw new CancelledError((await cancelledBy()) ?? 'a worker shutdown');
        // A step that reports a failure without throwing (verify, aliases): recorded, reported, and the run goes on.
        if (outcome.status === 'failed') checkpoint.softFailures = [...new Set([...(checkpoint.softFailures ?? []), current])];
        await setStep(current, outcome.status, outcome.detail);
        logger.info({ step: current, status: outcome.status }, 'step finished');
      }
      if (data.request.resetSourceAfter && !checkpoint.sourceReset) {
        const clean = (checkpoint.mismatches ?? []).every((m) => m.missing === 0) && !checkpoint.copyFailures;
        if (clean) {
          await setStep('reset-source', 'running');
          const outcome = await resetSource(ctx);
          await setStep('reset-source', outcome.status, outcome.detail);
        } else {
          await setStep('reset-source', 'skipped', 'the copy is not complete: the temporary source account is kept');
        }
      }
      await this.publish({ type: 'finished', jobId, report: buildReport(data), origin: data.request.origin, requester: data.request.requester });
      return { state: 'done' };
    } catch (error) {
      const step: StepName = current ?? 'preflight';
      if (error instanceof DelayedError) throw error;
      const cancelled = error instanceof CancelledError || controller.signal.aborted;
      const by = cancelled ? (error instanceof CancelledError ? error.by : ((await cancelledBy()) ?? 'a worker shutdown')) : undefined;
      const permanent = cancelled || !isTransient(error);
      const final = permanent || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const message = cancelled ? `cancelled by ${by}` : describeError(error);
      const undo = isUndoAvailable(checkpoint);
      const detail = final ? message : `${message} (attempt ${job.attemptsMade + 1}, retrying)`;
      checkpoint.outcome = cancelled ? { state: 'cancelled', by: by! } : final ? { state: 'failed', error: message, step } : undefined;
      await setStep(step, 'failed', detail).catch(() => undefined);
      if (final) {
        await this.publish({
          type: 'failed',
          jobId,
          error: undo ? `${message}. The source was renamed: undo (rename back) is available` : message,
          step,
          undoAvailable: undo,
          origin: data.request.origin,
        });
      }
      logger.warn({ step, final, err: { message } }, 'step failed');
      if (permanent) throw new UnrecoverableError(message);
      throw error;
    } finally {
      this.running.delete(jobId);
    }
  }

  private async skipRest(after: RunStepName, checkpoint: MigrationJobData['checkpoint'], detail: string): Promise<void> {
    for (const step of RUN_STEPS.slice(RUN_STEPS.indexOf(after) + 1)) {
      if (!checkpoint.steps[step]) checkpoint.steps[step] = { status: 'skipped', detail, at: new Date().toISOString() };
    }
  }

  /**
   * The job reaches the worker once approved (decide() promotes it) or once the approval timeout is over.
   * Approved: the plan's checks are run again (things may have changed while it waited).
   */
  private async approvalGate(jobId: string, data: MigrationJobData): Promise<{ state: 'approved' | 'rejected'; detail: string }> {
    const raw = await this.redis.get(this.keys.decision(jobId));
    if (!raw) return { state: 'rejected', detail: 'no decision before the approval timeout' };
    const decision = JSON.parse(raw) as StoredDecision;
    if (!decision.approve) return { state: 'rejected', detail: `rejected by ${decision.by.id}${decision.reason ? `: ${decision.reason}` : ''}` };
    const again = await preflight(this.options.deps.directory, {
      sourceAddress: data.request.sourceAddress,
      destinationService: data.request.destinationService,
      temporaryName: data.plan.temporaryAddress,
      requester: data.request.requester,
    });
    if (!again.ok) throw new PermanentError(`the checks fail now: ${again.problems.map((p) => p.message).join('; ')}`);
    return { state: 'approved', detail: `approved by ${decision.by.id} at ${decision.at}; checks passed again` };
  }

  private async processBatch(job: Job<BatchJobData>): Promise<unknown> {
    const rows = await this.batchRows(job.data.batchId);
    await this.publish({ type: 'batch', batchId: job.data.batchId, rows, origin: job.data.origin });
    return { rows };
  }

  private async batchRows(batchId: string): Promise<{ jobId: string; address: string; state: MigrationStatus['state'] }[]> {
    const raw = await this.redis.hget(this.keys.batch(batchId), 'jobIds');
    const jobIds = raw ? (JSON.parse(raw) as string[]) : [];
    return Promise.all(
      jobIds.map(async (jobId) => {
        const status = await readStatus(this.queue, this.redis, this.keys, jobId);
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
