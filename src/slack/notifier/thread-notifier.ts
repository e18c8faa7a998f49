import { webApi } from '@slack/bolt';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log/logger.js';
import type { MigrationEvent, MigrationService, MigrationStatus } from '../../pipeline/migration-service.js';
import type { SlackMessage } from '../blocks/request-message.js';
import { batchSummaryMessage } from '../blocks/thread.js';
import { errorText } from '../deps.js';
import { contentHash, parentState, threadItems, type ThreadItem } from './thread-items.js';

type WebClient = webApi.WebClient;

export interface ThreadNotifierOptions {
  client: WebClient;
  service: MigrationService;
  logger: Logger;
  /** Minimum time between two edits of the same live message (progress, batch summary); 3 s. */
  progressIntervalMs?: number;
  /** How often the migrations that changed are looked at, whatever events arrived (catch-up, lost events); 5 s. */
  reconcileIntervalMs?: number;
  /**
   * A claim to post with no result after this long is abandoned even if its bot still beats (a post stuck in
   * retries); 60 s. A claim of a bot that stopped beating (killed) is abandoned at once.
   */
  claimStaleMs?: number;
  /** How many times a message is re-sent after rate limits and network errors. */
  criticalAttempts?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Every bot process on one Redis subscribes in this group: the pipeline hands each job's (and each batch's) events
 * to one of them (see EventBus), so that usually one process tells each thread.
 */
export const NOTIFIER_GROUP = 'slack-threads';

/** How long a bot counts as alive after its last beat; it beats every third of it while it reconciles. */
const OWNER_ALIVE_MS = 10_000;

/** Marks our messages so that a bot that took over an interrupted post can find out whether it went out. */
const METADATA_TYPE = 'migrate_mailbox_thread';

type Outcome = 'complete' | 'deferred' | 'blocked';

interface Thread {
  channel: string;
  ts: string;
  batchId?: string;
}

/**
 * Renders each migration's Slack thread from stored state. Events only wake it up; it then reads the migration's
 * status and the ThreadLedger (what was posted, kept in Redis beside the job), posts what is missing in order and
 * edits what changed: a reply per finished step, one live progress message, the password hand-over, the failure
 * or the final report. Each post is claimed in the ledger first (atomically) and recorded after, so whichever bot
 * process was killed when, each message appears once; a bot that finds a claim its dead owner left looks in the
 * thread (message metadata) before posting. On start and every few seconds it also reconciles every migration
 * that changed since its thread was last brought up to date, so a bot that was down catches up and an event lost
 * on the way changes nothing.
 */
export class ThreadNotifier {
  readonly id = randomUUID();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly wakes = new Map<string, { scheduled: boolean; mark?: string }>();
  private readonly lastLiveEdit = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private beatTimer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;
  private unsubscribe?: () => void;
  private stopped = false;
  private readonly interval: number;
  private lastBeat = Number.NEGATIVE_INFINITY;
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: ThreadNotifierOptions) {
    this.interval = options.progressIntervalMs ?? 3000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  start(): () => void {
    this.stopped = false;
    this.unsubscribe ??= this.options.service.subscribe((event) => this.handle(event), { group: NOTIFIER_GROUP });
    if (!this.sweepTimer) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.options.reconcileIntervalMs ?? 5000);
      this.sweepTimer.unref();
      // beats while it runs, even through a post stuck in Slack's rate limits: its claims hold meanwhile
      this.beatTimer = setInterval(() => void this.beat().catch(() => undefined), OWNER_ALIVE_MS / 3);
      this.beatTimer.unref();
      void this.sweep();
    }
    return () => this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
    clearInterval(this.beatTimer);
    this.beatTimer = undefined;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  /** Resolves once every reconciliation under way or scheduled has run (tests, graceful shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      await this.sweeping;
      const pending = [...this.queues.values()];
      if (pending.length === 0 && this.timers.size === 0) return;
      await Promise.all(pending);
      if (this.queues.size === 0 && this.timers.size > 0) await this.sleep(Math.min(this.interval, 50));
    }
  }

  handle(event: MigrationEvent): void {
    if (event.type === 'batch') this.wakeBatch(event.batchId);
    else this.wake(event.jobId);
  }

  /** Reconciles every migration that changed since its thread was last brought up to date. */
  async sweep(): Promise<void> {
    if (this.sweeping || this.stopped) return this.sweeping;
    this.sweeping = (async () => {
      try {
        for (const { jobId, mark } of await this.options.service.threads.changed(500)) this.wake(jobId, mark);
      } catch (error) {
        this.options.logger.warn({ err: errorText(error) }, 'cannot read which migrations changed; retrying at the next sweep');
      }
    })().finally(() => {
      this.sweeping = undefined;
    });
    return this.sweeping;
  }

  // ---- scheduling -----------------------------------------------------------------------------------------

  /** Queues one reconciliation of `jobId` (several wake-ups before it starts make one). */
  wake(jobId: string, mark?: string): void {
    if (this.stopped) return;
    const state = this.wakes.get(jobId) ?? { scheduled: false };
    this.wakes.set(jobId, state);
    if (mark) state.mark = mark;
    if (state.scheduled) return;
    state.scheduled = true;
    this.enqueue(`job:${jobId}`, async () => {
      state.scheduled = false;
      const settled = state.mark;
      state.mark = undefined;
      const outcome = await this.reconcile(jobId);
      if (outcome === 'complete' && settled) await this.options.service.threads.settle(jobId, settled);
      if (!state.scheduled) this.wakes.delete(jobId);
    });
  }

  private wakeLater(key: string, ms: number, wake: () => void): void {
    if (this.timers.has(key) || this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(key);
      wake();
    }, Math.max(0, ms));
    this.timers.set(key, timer);
  }

  private enqueue(key: string, task: () => Promise<void>): void {
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous
      .then(task)
      .catch((error: unknown) => this.options.logger.error({ key, err: errorText(error) }, 'slack thread not brought up to date; retrying at the next sweep'))
      .finally(() => {
        if (this.queues.get(key) === next) this.queues.delete(key);
      });
    this.queues.set(key, next);
  }

  // ---- one migration ----------------------------------------------------------------------------------------

  /** Brings the thread of `jobId` up to date with its stored state. */
  async reconcile(jobId: string): Promise<Outcome> {
    await this.beat();
    const [status] = await this.options.service.status({ jobId });
    if (!status) return 'complete';
    const thread = await this.threadOf(status);
    if (!thread) return 'complete';
    const ledger = await this.options.service.threads.read(jobId);
    if (!thread.batchId) {
      const parent = parentState(status);
      if (parent && ledger.parent !== parent.key) {
        await this.call(() => this.options.client.chat.update({ channel: thread.channel, ts: thread.ts, ...parent.message }), true);
        await this.options.service.threads.record(jobId, 'parent', parent.key);
      }
    }
    let outcome: Outcome = 'complete';
    for (const item of threadItems(status, { batch: Boolean(thread.batchId) })) {
      const result = await this.ensure(status, thread, item, ledger);
      if (result === 'blocked') return 'blocked';
      if (result === 'deferred') outcome = 'deferred';
    }
    if (thread.batchId) this.wakeBatch(thread.batchId);
    return outcome;
  }

  /** One message of the thread: posted once (claimed first), edited when its content changed. */
  private async ensure(status: MigrationStatus, thread: Thread, item: ThreadItem, ledger: Record<string, string>): Promise<Outcome> {
    const { jobId } = status;
    const threads = this.options.service.threads;
    let entry = ledger[item.key];
    // a bot that was away during the whole copy does not post a progress message after it
    if (entry === undefined && item.live && !copying(status)) return 'complete';
    if (entry === undefined) {
      if (await threads.claim(jobId, item.key, this.id)) return this.postItem(jobId, thread, item, ledger);
      entry = ledger[item.key] = (await threads.read(jobId))[item.key] ?? '';
      if (!entry) return 'blocked';
    }
    const claim = /^claim:([^:]+):(\d+)$/.exec(entry);
    if (claim) {
      const mine = claim[1] === this.id;
      if (!mine && this.now() - Number(claim[2]) < (this.options.claimStaleMs ?? 60_000) && (await threads.alive(claim[1]!))) return 'blocked';
      // ours from an earlier failed attempt, or left by a bot that died: it may or may not have gone out
      if (!mine && !(await threads.takeOver(jobId, item.key, entry, this.id))) return 'blocked';
      const found = await this.findPosted(thread, jobId, item.key);
      if (!found) return this.postItem(jobId, thread, item, ledger);
      entry = ledger[item.key] = `${found}|`;
      await threads.record(jobId, item.key, entry);
    }
    const [ts, hash] = entry.split('|') as [string, string | undefined];
    const wanted = contentHash(item.message);
    if (!item.editable || hash === wanted || !ts) return 'complete';
    if (item.live && status.state === 'running') {
      const wait = (this.lastLiveEdit.get(jobId) ?? Number.NEGATIVE_INFINITY) + this.interval - this.now();
      if (wait > 0) {
        this.wakeLater(`job:${jobId}`, wait, () => this.wake(jobId));
        return 'deferred';
      }
    }
    await this.call(() => this.options.client.chat.update({ channel: thread.channel, ts, ...item.message }), !item.live);
    if (item.live) this.lastLiveEdit.set(jobId, this.now());
    ledger[item.key] = `${ts}|${wanted}`;
    await threads.record(jobId, item.key, ledger[item.key]!);
    return 'complete';
  }

  /** This bot is alive: its claims hold. Refreshed on each reconciliation, at most every third of the lifetime. */
  private async beat(): Promise<void> {
    if (this.now() - this.lastBeat < OWNER_ALIVE_MS / 3) return;
    this.lastBeat = this.now();
    await this.options.service.threads.beat(this.id, OWNER_ALIVE_MS);
  }

  private async postItem(jobId: string, thread: Thread, item: ThreadItem, ledger: Record<string, string>): Promise<Outcome> {
    const result = await this.call(
      () =>
        this.options.client.chat.postMessage({
          channel: thread.channel,
          thread_ts: thread.ts,
          ...item.message,
          metadata: { event_type: METADATA_TYPE, event_payload: { job: jobId, key: item.key } },
        }),
      true,
    );
    if (!result?.ts) throw new Error(`Slack gave no ts for ${item.key} of ${jobId}`);
    if (item.live) this.lastLiveEdit.set(jobId, this.now());
    ledger[item.key] = `${result.ts}|${contentHash(item.message)}`;
    await this.options.service.threads.record(jobId, item.key, ledger[item.key]!);
    return 'complete';
  }

  /**
   * Looks in the thread for a message we posted under `key` (its metadata) before the bot that claimed it died.
   * Reading threads needs the history scopes; without them the message is posted again (at most once more).
   */
  private async findPosted(thread: Thread, jobId: string, key: string): Promise<string | undefined> {
    try {
      let cursor: string | undefined;
      do {
        const page = await this.options.client.conversations.replies({ channel: thread.channel, ts: thread.ts, include_all_metadata: true, limit: 200, ...(cursor ? { cursor } : {}) });
        for (const message of page.messages ?? []) {
          const metadata = (message as { metadata?: { event_type?: string; event_payload?: { job?: string; key?: string } } }).metadata;
          if (metadata?.event_type === METADATA_TYPE && metadata.event_payload?.job === jobId && metadata.event_payload.key === key && message.ts) return message.ts;
        }
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
    } catch (error) {
      this.options.logger.warn({ jobId, key, err: errorText(error) }, 'cannot read the thread to find an interrupted post; posting it again');
    }
    return undefined;
  }

  private async threadOf(status: MigrationStatus): Promise<Thread | undefined> {
    const origin = status.origin;
    if (!origin) return undefined;
    if (origin.batchId) {
      const batch = await this.options.service.batch?.(origin.batchId);
      const where = batch?.origin?.threadTs ? batch.origin : origin.threadTs ? origin : undefined;
      return where?.threadTs ? { channel: where.channel, ts: where.threadTs, batchId: origin.batchId } : undefined;
    }
    return origin.threadTs ? { channel: origin.channel, ts: origin.threadTs } : undefined;
  }

  // ---- batches ------------------------------------------------------------------------------------------

  /** Redraws a batch's summary (the thread parent) from its mailboxes' states, at most every interval. */
  private wakeBatch(batchId: string): void {
    const key = `batch:${batchId}`;
    if (this.stopped || this.timers.has(key)) return;
    const wait = (this.lastLiveEdit.get(key) ?? Number.NEGATIVE_INFINITY) + this.interval - this.now();
    if (wait > 0) {
      this.wakeLater(key, wait, () => this.wakeBatch(batchId));
      return;
    }
    this.lastLiveEdit.set(key, this.now());
    this.enqueue(key, () => this.redrawBatch(batchId));
  }

  private async redrawBatch(batchId: string): Promise<void> {
    const batch = await this.options.service.batch?.(batchId);
    if (!batch?.origin?.threadTs) return;
    const statuses = await Promise.all(batch.jobIds.map((jobId) => this.options.service.status({ jobId }).then((s) => s[0])));
    const rows = batch.jobIds.map((jobId, i) => ({ jobId, address: statuses[i]?.plan.source.address ?? jobId.replace(/^mig-/, ''), state: statuses[i]?.state ?? ('cancelled' as const) }));
    const message: SlackMessage = batchSummaryMessage({
      batchId,
      nonce: batch.nonce,
      requester: batch.requester.id,
      rows,
      ...(batch.decision ? { decision: batch.decision } : {}),
    });
    const { channel, threadTs } = batch.origin;
    await this.call(() => this.options.client.chat.update({ channel, ts: threadTs, ...message }), false);
    this.lastLiveEdit.set(`batch:${batchId}`, this.now());
  }

  // ---- Slack calls --------------------------------------------------------------------------------------

  /** A Web API call; `critical` ones are re-sent after rate limits and network errors, then throw. */
  private async call<T>(fn: () => Promise<T>, critical: boolean): Promise<T | undefined> {
    const attempts = critical ? (this.options.criticalAttempts ?? 5) : 1;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const code = (error as { code?: string }).code;
        const retryable = code === webApi.ErrorCode.RateLimitedError || code === webApi.ErrorCode.HTTPError || code === webApi.ErrorCode.RequestError;
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
}

function copying(status: MigrationStatus): boolean {
  return status.state === 'running' && status.steps.some((s) => (s.name === 'copy' || s.name === 'collaborative' || s.name === 'delta') && s.status === 'running' && (s.run ?? 1) === status.run);
}
