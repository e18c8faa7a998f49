import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { CopyProgress } from '../domain/copy-report.js';
import { nextStep, runSteps, stepChange, type RunStepName, type StepName } from '../domain/steps.js';
import { BatchRuns } from './batch-runs.js';
import type { StepDeps } from './dependencies.js';
import { checkDecision, type StoredDecision } from './decisions.js';
import { CancelledError, PermanentError, describeError } from './errors.js';
import { EventBus, newRedis, rateLimiter } from './events.js';
import { linkKeys } from './features.js';
import type { BatchJobData, Checkpoint, JobData, MigrationJobData, MigrationResult } from './job-data.js';
import { FeatureLinks } from './links.js';
import type { MigrationEvent, StepRecord } from './migration-service.js';
import { PasswordHandovers } from './password-handover.js';
import { tellPipeline } from './pipeline-observer.js';
import { preflight } from './preflight.js';
import { DEFAULT_QUEUE_NAME, DEFAULT_TUNING, Keys, type QueueSettings, type QueueTuning } from './queue-names.js';
import { buildReport, isUndoAvailable } from './report.js';
import { retryTime } from './retry-policy.js';
import { Statuses } from './status.js';
import { changeAttempted, changeDone, isStaged, type StepContext } from './step-context.js';
import { RUN_STEP_FUNCTIONS, resetSource, undo } from './steps.js';
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
  private readonly handovers: PasswordHandovers;
  private readonly batches: BatchRuns;
  /** Jobs this worker is processing now (migrations and batch ends), at most `concurrency`. */
  private inProgress = 0;
  /** How many jobs this worker runs at once. */
  readonly concurrency: number;

  private constructor(private readonly options: MigrationWorkerOptions) {
    const queueName = options.queueName ?? DEFAULT_QUEUE_NAME;
    this.tuning = { ...DEFAULT_TUNING, ...options.tuning };
    this.concurrency = options.concurrency ?? 2;
    this.keys = new Keys(options.prefix, queueName);
    this.redis = newRedis(options.connection);
    this.control = newRedis(options.connection);
    this.queue = new Queue<JobData>(queueName, { connection: options.connection, prefix: options.prefix });
    this.bus = new EventBus(this.redis, options.connection, this.keys.events());
    this.links = new FeatureLinks(this.redis, this.keys, this.tuning.lockDurationMs);
    const handles = { queue: this.queue, redis: this.redis, keys: this.keys, bus: this.bus };
    this.handovers = new PasswordHandovers(handles, options.deps.secrets);
    this.batches = new BatchRuns(handles, new Statuses(handles, options.deps.secrets), this.links, options.deps, (event) => this.publish(event), this.tuning.batchConcurrency);
    this.worker = new Worker<JobData>(queueName, (job, token, signal) => this.process(job, token, signal), {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: this.concurrency,
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

  /** Jobs being processed right now (the part of `concurrency` in use). */
  get activeJobs(): number {
    return this.inProgress;
  }

  private publish(event: MigrationEvent): Promise<void> {
    return this.bus.publish(event).catch((error) => this.options.deps.logger.warn({ err: error }, 'cannot publish an event'));
  }

  private async process(job: Job<JobData>, token: string | undefined, signal?: AbortSignal): Promise<unknown> {
    this.inProgress++;
    try {
      if (job.data.kind === 'batch') return await this.batches.finish(job as Job<BatchJobData>);
      const data = job.data as MigrationJobData;
      if (data.batchId) await this.batches.admit(job, data.batchId, token);
      try {
        return await this.processMigration(job as Job<MigrationJobData>, token, signal);
      } finally {
        if (data.batchId) await this.batches.release(data.batchId, job.id!);
      }
    } finally {
      this.inProgress--;
    }
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
      const state = (checkpoint.steps[name] = stepChange(checkpoint.steps[name], status, detail, new Date().toISOString(), checkpoint.run ?? 1));
      if ((status === 'done' || status === 'failed' || status === 'skipped') && state.startedAt && state.endedAt) {
        const seconds = (Date.parse(state.endedAt) - Date.parse(state.startedAt)) / 1000;
        tellPipeline(this.options.deps.observer, (o) => o.stepEnded({ step: name, status, seconds }));
      }
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
      cutoverRequest: async () => {
        const raw = await this.redis.get(this.keys.cutover(jobId));
        return raw ? (JSON.parse(raw) as { by: string; at: string }) : undefined;
      },
      handOver: async (password) => this.handovers.keep(jobId, data, await this.verifiedDecision(jobId, data), password),
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
        current = nextStep(checkpoint.steps, checkpoint.softFailures, plan.order?.kind);
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
            this.skipRest('approval', checkpoint, outcome.detail, plan.order);
            // passwords typed with a request that will not run are not kept
            delete data.request.destinationPassword;
            delete data.request.sourcePassword;
            await save();
            return await finish({ state: 'rejected', detail: outcome.detail });
          }
          await setStep('approval', 'done', outcome.detail);
          if (data.request.dryRun) {
            this.skipRest('approval', checkpoint, 'dry run: nothing changed', plan.order);
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
        if (outcome.status === 'waiting') {
          // the staged copy sleeps in the queue until its next delta, its scheduled cut-over, or a wake-up (cut-over, cancel)
          delete checkpoint.retrying;
          await setStep(current, 'running', outcome.detail);
          await job.moveToDelayed(Math.max(outcome.until, Date.now() + 1), token);
          // a cut-over or a cancel asked while this run was still active found nothing to wake: wake it now
          if ((await ctx.cutoverRequest()) || (await cancelledBy())) await job.promote().catch(() => undefined);
          throw new DelayedError();
        }
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
      const retryAt = cancelled ? undefined : retryTime(checkpoint, error, this.tuning);
      if (retryAt !== undefined) {
        const attempt = checkpoint.retrying!.attempts;
        tellPipeline(this.options.deps.observer, (o) => o.stepRetry({ step }));
        await setStep(step, 'failed', `${message} (attempt ${attempt}, retrying at ${new Date(retryAt).toISOString()})`).catch(() => undefined);
        logger.warn({ step, attempt, retryAt, err: { message } }, 'step failed; retrying later');
        // back to the queue until then: any worker takes it up again and resumes from the checkpoint
        await job.moveToDelayed(retryAt, token);
        throw new DelayedError();
      }
      if (cancelled && isStaged(plan) && !changeAttempted(checkpoint, 'rename-source') && changeAttempted(checkpoint, 'create-destination') && !checkpoint.undone) {
        // nothing was renamed yet: cancelling a staged copy takes the staged account away, the source stays as it was
        await this.withdrawStaged(ctx, setStep, logger);
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

  private async withdrawStaged(ctx: StepContext, setStep: (name: StepName, status: StepRecord['status'], detail?: string) => Promise<void>, logger: { warn: (o: object, m: string) => void }): Promise<void> {
    try {
      await setStep('undo', 'running');
      const outcome = await undo(ctx);
      await setStep('undo', outcome.status, outcome.detail);
    } catch (error) {
      logger.warn({ err: { message: describeError(error) } }, 'cannot remove the staged account after a cancel');
      await setStep('undo', 'failed', `the staged account could not be removed: ${describeError(error)}; undo it`).catch(() => undefined);
    }
  }

  private async verifiedDecision(jobId: string, data: MigrationJobData): Promise<StoredDecision | undefined> {
    const raw = await this.redis.get(this.keys.decision(jobId));
    if (!raw) return undefined;
    const checked = checkDecision(this.options.deps.secrets, raw, { jobId, nonce: data.request.nonce });
    if (!checked.ok) throw new PermanentError(`refused to run on the approval stored for ${jobId}: ${checked.reason}. Nothing was changed; submit the request again`);
    return checked.decision;
  }

  private skipRest(after: RunStepName, checkpoint: Checkpoint, detail: string, order?: MigrationJobData['plan']['order']): void {
    const at = new Date().toISOString();
    const steps = runSteps(order?.kind);
    for (const step of steps.slice(steps.indexOf(after) + 1)) {
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
}
