import { webApi } from '@slack/bolt';
import type { CopyProgress } from '../../domain/copy-report.js';
import type { Logger } from '../../log/logger.js';
import type { Actor, DecisionResult, MigrationEvent, MigrationService, RequestOrigin, StepName } from '../../pipeline/migration-service.js';
import type { SlackMessage } from '../blocks/request-message.js';
import { finalReportMessage } from '../blocks/report.js';
import { requestMessage } from '../blocks/request-message.js';
import { batchSummaryMessage, failureMessage, noticeMessage, progressMessage, stepMessage, type BatchRow } from '../blocks/thread.js';
import { errorText } from '../deps.js';
import type { ThreadRef, ThreadRegistry } from '../registry.js';

type WebClient = webApi.WebClient;

export interface ThreadNotifierOptions {
  client: WebClient;
  service: MigrationService;
  registry: ThreadRegistry;
  logger: Logger;
  /** Minimum time between two edits of the same live message (progress, batch summary). */
  progressIntervalMs?: number;
  /** How many times a message that must not be lost (steps, failures, final report) is re-sent. */
  criticalAttempts?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** A live message's content: ready, or drawn when it is sent (so that it shows the state of that moment). */
type LiveContent = SlackMessage | (() => Promise<SlackMessage>);

interface LiveMessage {
  ts?: string;
  lastSentAt: number;
  /** The newest content not yet sent. */
  pending?: LiveContent;
  timer?: NodeJS.Timeout;
}

/**
 * Every bot process on one Redis subscribes in this group: the pipeline hands each job's (and each batch's) events
 * to one of them, so each reply is posted once and one process keeps each live message (see EventBus).
 */
export const NOTIFIER_GROUP = 'slack-threads';

/**
 * Tells each migration's story in its request thread: one reply per finished step, one live progress message
 * edited at a bounded rate, a failure with Retry/Undo, and the final report; the destination password goes to the
 * requester alone. Events of one job are handled in order, one at a time; Slack rate limits (429) are honoured
 * by the Web API client (it waits `Retry-After`), and messages that must not be lost are re-sent here as well.
 */
export class ThreadNotifier {
  private readonly queues = new Map<string, Promise<void>>();
  private readonly live = new Map<string, LiveMessage>();
  /** Jobs without a Slack origin (CLI), until when: no status lookup per event for them. */
  private readonly noThread = new Map<string, number>();
  /** The step each job is running, to title its progress message (copy, then delta). */
  private readonly runningStep = new Map<string, StepName>();
  private unsubscribe?: () => void;
  private readonly interval: number;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ThreadNotifierOptions) {
    this.interval = options.progressIntervalMs ?? 3000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  start(): () => void {
    this.unsubscribe ??= this.options.service.subscribe((event) => this.handle(event), { group: NOTIFIER_GROUP });
    return () => this.stop();
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const live of this.live.values()) clearTimeout(live.timer);
  }

  /** Resolves once every event received so far has been handled (tests, graceful shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const pending = [...this.queues.values()];
      const timers = [...this.live.values()].some((l) => l.timer);
      if (pending.length === 0 && !timers) return;
      await Promise.all(pending);
      if (timers) await this.sleep(Math.min(this.interval, 50));
    }
  }

  handle(event: MigrationEvent): void {
    switch (event.type) {
      case 'step':
        if (event.step.status === 'running') this.runningStep.set(event.jobId, event.step.name);
        if (event.step.status === 'running' || event.step.status === 'pending') return;
        this.enqueue(event.jobId, async () => {
          const thread = await this.thread(event.jobId, event.origin);
          // batch threads get the summary and failures, not every step of every mailbox
          if (!thread || (thread.batchId && event.step.status !== 'failed')) return;
          await this.post(thread, stepMessage(event.step), true);
        });
        return;
      case 'progress':
        if (event.step) this.runningStep.set(event.jobId, event.step);
        this.progress(event.jobId, event.progress, event.origin);
        return;
      case 'finished':
        this.enqueue(event.jobId, async () => {
          await this.flushLive(event.jobId);
          this.dropLive(event.jobId);
          await this.finished(event.jobId, event.report, event.requester, event.origin);
        });
        return;
      case 'failed':
        this.enqueue(event.jobId, async () => {
          await this.flushLive(event.jobId);
          this.dropLive(event.jobId);
          const thread = await this.thread(event.jobId, event.origin);
          if (!thread) return;
          if (event.step === 'approval') {
            // expired or cancelled before anyone decided: the buttons go, nothing to retry or undo
            await this.redrawRequest(event.jobId, { closed: `:hourglass: Closed without a decision: ${event.error}` });
            return;
          }
          await this.post(thread, failureMessage(event), true);
        });
        return;
      case 'decided':
        // Slack decisions update the request message in the action listener; the others (CLI) are drawn here.
        if (event.decision.changed && event.decision.by.kind !== 'slack') {
          this.enqueue(event.jobId, () => this.redrawRequest(event.jobId, { decision: event.decision }));
        }
        return;
      case 'batch':
        this.batch(event.batchId, event.rows, event.origin);
        return;
      case 'submitted':
        return;
    }
  }

  // ---- plumbing -----------------------------------------------------------------------------------------

  private enqueue(key: string, task: () => Promise<void>): void {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(task)
      .catch((error: unknown) => this.options.logger.error({ key, err: errorText(error) }, 'slack notification failed'))
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    this.queues.set(key, next);
  }

  private async thread(jobId: string, origin?: RequestOrigin): Promise<(ThreadRef & { batchId?: string }) | undefined> {
    const known = this.options.registry.job(jobId);
    if (known) return known;
    let source = origin;
    if (!source) {
      // jobs started from the CLI have no Slack origin: remember that for a while rather than asking each event
      const until = this.noThread.get(jobId);
      if (until !== undefined && until > this.now()) return undefined;
      const [status] = await this.options.service.status({ jobId }).catch(() => []);
      source = status?.origin;
      if (!source) {
        if (this.noThread.size > 1000) for (const [id, t] of this.noThread) if (t <= this.now()) this.noThread.delete(id);
        this.noThread.set(jobId, this.now() + 60_000);
        return undefined;
      }
    }
    if (source?.batchId) {
      const { thread } = await this.batchThread(source.batchId, source);
      if (thread) {
        this.options.registry.rememberJob(jobId, thread, source.batchId);
        return { ...thread, batchId: source.batchId };
      }
    }
    if (source?.threadTs) {
      const thread = { channel: source.channel, ts: source.threadTs, ...(source.batchId ? { batchId: source.batchId } : {}) };
      this.options.registry.rememberJob(jobId, thread, source.batchId);
      return thread;
    }
    this.options.logger.debug({ jobId }, 'no Slack thread known for this job; notification skipped');
    return undefined;
  }

  /** Posts into the thread. `critical` messages are re-sent after rate limits and transient failures. */
  private async post(thread: ThreadRef, message: SlackMessage, critical: boolean): Promise<string | undefined> {
    const result = await this.call(() => this.options.client.chat.postMessage({ channel: thread.channel, thread_ts: thread.ts, ...message }), critical);
    return result?.ts;
  }

  private async call<T>(fn: () => Promise<T>, critical: boolean): Promise<T | undefined> {
    const attempts = critical ? (this.options.criticalAttempts ?? 5) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const code = (error as { code?: string }).code;
        const retryable =
          code === webApi.ErrorCode.RateLimitedError || code === webApi.ErrorCode.HTTPError || code === webApi.ErrorCode.RequestError || /rate limit/i.test(errorText(error));
        if (!retryable || attempt >= attempts) {
          if (critical) throw error;
          this.options.logger.warn({ err: errorText(error) }, 'slack update skipped');
          return undefined;
        }
        const retryAfter = (error as { retryAfter?: number }).retryAfter;
        await this.sleep(retryAfter !== undefined ? retryAfter * 1000 : Math.min(30_000, 1000 * 2 ** (attempt - 1)));
      }
    }
  }

  // ---- live messages (progress, batch summary) ----------------------------------------------------------

  private progress(jobId: string, progress: CopyProgress, origin?: RequestOrigin): void {
    if (origin?.batchId) return;
    this.updateLive(jobId, progressMessage(progress, this.runningStep.get(jobId)), async () => {
      const thread = await this.thread(jobId, origin);
      return thread?.batchId ? undefined : thread;
    });
  }

  private updateLive(key: string, message: LiveContent, thread: () => Promise<ThreadRef | undefined>, parentIsLive = false): void {
    const live = this.live.get(key) ?? { lastSentAt: Number.NEGATIVE_INFINITY };
    this.live.set(key, live);
    live.pending = message;
    if (live.timer) return; // an edit is already scheduled: it will carry this newest content
    const wait = live.lastSentAt + this.interval - this.now();
    if (wait <= 0) {
      this.enqueue(key, () => this.sendLive(key, thread, parentIsLive));
    } else {
      live.timer = setTimeout(() => {
        live.timer = undefined;
        this.enqueue(key, () => this.sendLive(key, thread, parentIsLive));
      }, wait);
    }
  }

  private async sendLive(key: string, thread: () => Promise<ThreadRef | undefined>, parentIsLive: boolean): Promise<void> {
    const live = this.live.get(key);
    if (!live?.pending) return;
    // the previous edit may have finished after this one was scheduled: wait out the rest of the interval
    const early = live.lastSentAt + this.interval - this.now();
    if (early > 0) {
      if (!live.timer) {
        live.timer = setTimeout(() => {
          live.timer = undefined;
          this.enqueue(key, () => this.sendLive(key, thread, parentIsLive));
        }, early);
      }
      return;
    }
    const content = live.pending;
    live.pending = undefined;
    live.lastSentAt = this.now();
    try {
      const where = await thread();
      if (!where) return;
      const message = typeof content === 'function' ? await content() : content;
      if (parentIsLive) {
        // the batch summary is the thread's parent message itself
        await this.call(() => this.options.client.chat.update({ channel: where.channel, ts: where.ts, ...message }), false);
      } else if (live.ts) {
        await this.call(() => this.options.client.chat.update({ channel: where.channel, ts: live.ts!, ...message }), false);
      } else {
        live.ts = await this.post(where, message, false);
      }
    } finally {
      // the interval counts from the end of the call: a slow Slack never sees two edits closer than that
      live.lastSentAt = this.now();
    }
  }

  private async flushLive(key: string): Promise<void> {
    const live = this.live.get(key);
    if (!live) return;
    clearTimeout(live.timer);
    live.timer = undefined;
    if (live.pending && live.ts) {
      const jobThread = this.options.registry.job(key);
      if (jobThread) {
        const content = live.pending;
        live.pending = undefined;
        const message = typeof content === 'function' ? await content() : content;
        await this.call(() => this.options.client.chat.update({ channel: jobThread.channel, ts: live.ts!, ...message }), false);
      }
    }
  }

  private dropLive(key: string): void {
    this.runningStep.delete(key);
    const live = this.live.get(key);
    if (live) clearTimeout(live.timer);
    this.live.delete(key);
  }

  private batch(batchId: string, rows: BatchRow[], origin?: RequestOrigin): void {
    // drawn when sent: a decision taken meanwhile (in any bot process) shows instead of the buttons
    const draw = async () => {
      const { requester, decision } = await this.batchThread(batchId, origin);
      return batchSummaryMessage({ batchId, requester: requester ?? 'unknown', rows, ...(decision ? { decision } : {}) });
    };
    this.updateLive(`batch:${batchId}`, draw, async () => (await this.batchThread(batchId, origin)).thread, true);
  }

  /**
   * A batch's summary (its thread) and what it shows besides its rows. The batch as stored with its jobs is the
   * reference, so that a bot that did not post the summary (restarted, or another replica) keeps it up to date;
   * this process's memory covers a service that stores no batches, and an event's origin comes last.
   */
  private async batchThread(batchId: string, origin?: RequestOrigin): Promise<{ thread?: ThreadRef; requester?: string; decision?: DecisionResult }> {
    const known = this.options.registry.batch(batchId);
    const stored = await this.options.service.batch?.(batchId).catch((error: unknown) => {
      this.options.logger.warn({ batchId, err: errorText(error) }, 'cannot read the batch; using what this process knows');
      return undefined;
    });
    const where = known ?? (stored?.origin?.threadTs ? stored.origin : origin?.threadTs ? origin : undefined);
    const thread = !where ? undefined : 'ts' in where ? { channel: where.channel, ts: where.ts } : { channel: where.channel, ts: where.threadTs! };
    const requester = (stored?.requester ?? known?.requester)?.id;
    const decision = stored?.decision ?? known?.decision;
    return { ...(thread ? { thread } : {}), ...(requester ? { requester } : {}), ...(decision ? { decision } : {}) };
  }

  /** Re-draws a single request's message (the thread parent) from the job's status. */
  private async redrawRequest(jobId: string, change: { decision?: DecisionResult; closed?: string }): Promise<void> {
    const [status] = await this.options.service.status({ jobId });
    const thread = await this.thread(jobId, status?.origin);
    if (!status || !thread || thread.batchId) return;
    await this.call(
      () => this.options.client.chat.update({ channel: thread.channel, ts: thread.ts, ...requestMessage({ plan: status.plan, requester: status.requester, ...change }) }),
      true,
    );
  }

  // ---- the end ------------------------------------------------------------------------------------------

  private async finished(jobId: string, report: import('../../pipeline/migration-service.js').MigrationReport, requester: Actor, origin?: RequestOrigin): Promise<void> {
    const thread = await this.thread(jobId, origin);
    if (!thread) return;
    const [status] = await this.options.service.status({ jobId }).catch(() => []);
    const approval = status?.steps.find((s) => s.name === 'approval');
    if (status?.state === 'rejected' || approval?.status === 'failed') {
      // Rejected, or no decision in time: nothing ran, there is no report. The request message is drawn from the
      // stored decision, whichever bot (or none, for a CLI decision) saw it taken; an undecided one loses its buttons.
      if (!thread.batchId) {
        await this.redrawRequest(jobId, status?.decision ? { decision: status.decision } : { closed: `:no_entry: Closed: ${approval?.detail ?? 'rejected'}` });
      }
      return;
    }
    const steps = status?.steps ?? [];
    const changedSomething = steps.length === 0 || steps.some((s) => s.status === 'done' && s.name !== 'preflight' && s.name !== 'approval');
    if (!changedSomething) {
      // a dry run (or a request that had nothing to do): the checks passed, nothing changed, nothing to reset
      const why = steps.find((s) => s.status === 'skipped')?.detail ?? 'nothing changed';
      await this.post(thread, noticeMessage(`:white_check_mark: Finished: every check passed; ${why}.`), true);
      return;
    }
    const resetDone = status?.steps.some((s) => s.name === 'reset-source' && s.status === 'done') ?? false;
    const message = finalReportMessage({ jobId, source: status?.plan.source.address ?? jobId, report, offerReset: !resetDone });
    await this.post(thread, message, true);
    await this.handOverPassword(jobId, requester, thread, status?.plan.destination.address);
  }

  /** The destination password, to the requester only: an ephemeral reply in the thread, else a direct message. */
  private async handOverPassword(jobId: string, requester: Actor, thread: ThreadRef, address?: string): Promise<void> {
    if (requester.kind !== 'slack') return;
    const password = await this.options.service.takeDestinationPassword(jobId, requester);
    if (password === undefined) return;
    const text =
      `:key: Password of the new account${address ? ` *${address}*` : ''}: \`${password}\`\n` +
      'Only you can see this, and it is shown once: pass it on safely and have it changed at first login.';
    try {
      await this.call(() => this.options.client.chat.postEphemeral({ channel: thread.channel, user: requester.id, thread_ts: thread.ts, text }), true);
      return;
    } catch (error) {
      this.options.logger.warn({ jobId, err: errorText(error) }, 'ephemeral password message failed; sending a direct message');
    }
    const dm = await this.call(() => this.options.client.conversations.open({ users: requester.id }), true);
    const channel = dm?.channel?.id;
    if (!channel) throw new Error('could not open a direct message with the requester');
    await this.call(() => this.options.client.chat.postMessage({ channel, text }), true);
  }
}
