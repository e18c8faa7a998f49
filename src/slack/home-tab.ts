import { webApi } from '@slack/bolt';
import type { Logger } from '../log/logger.js';
import type { MigrationEvent, MigrationService, MigrationStatus } from '../pipeline/migration-service.js';
import type { AccessPolicy } from './approvers.js';
import { homeView, type HomeBatch, type HomeInput } from './blocks/home.js';
import { errorText } from './deps.js';

type WebClient = webApi.WebClient;

export interface HomeTabOptions {
  /**
   * The client `views.publish` goes through. It should reject rate-limited calls (`rejectRateLimitedCalls`): a
   * 429 then holds every Home tab publish until Slack's Retry-After has passed, instead of pausing the client
   * that posts the threads.
   */
  client: WebClient;
  service: MigrationService;
  access: AccessPolicy;
  logger: Logger;
  allowSelfApproval: boolean;
  /** At most one publish per user this often (a user's view is rebuilt from the latest state when it goes). 5 s. */
  minIntervalMs?: number;
  /** A user's tab is kept current this long after they last opened it; later changes wait for their next visit. 2 h. */
  watchMs?: number;
  now?: () => number;
}

interface Viewer {
  /** Until when changes re-publish this user's tab. */
  until: number;
  /** When the last publish went out. */
  last: number;
  /** The migrations (and batches) the last view showed: a requester's tab changes only when one of them does. */
  shown: Set<string>;
  role?: HomeInput['role'];
  dirty: boolean;
  timer?: NodeJS.Timeout;
  publishing?: Promise<void>;
}

/** How long one read of every migration is shared by the publishes that need it (unless an event came since). */
const SNAPSHOT_MS = 500;

/**
 * Keeps each user's Home tab current without flooding Slack. A tab is published when its user opens it
 * (`app_home_opened`) and, while they are watched (`watchMs` after their last visit), when a migration they see
 * changes (the pipeline's events, as the thread notifier gets them): approvers see every migration, requesters
 * their own. Per user at most one publish every `minIntervalMs`: changes in between are folded into the next one,
 * which renders what is stored then. A 429 holds every publish until its Retry-After has passed, then the tabs
 * that changed meanwhile go out once each. Each bot process keeps the tabs of the users who opened them on it.
 */
export class HomeTab {
  private readonly viewers = new Map<string, Viewer>();
  private heldUntil = 0;
  private unsubscribe: (() => void) | undefined;
  private snapshot: { at: number; statuses: Promise<MigrationStatus[]> } | undefined;
  private stopped = false;
  private readonly interval: number;
  private readonly watchMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HomeTabOptions) {
    this.interval = options.minIntervalMs ?? 5000;
    this.watchMs = options.watchMs ?? 2 * 3600_000;
    this.now = options.now ?? Date.now;
  }

  /** The user opened their Home tab: publish it (now, or as soon as their rate allows) and watch it. */
  async opened(user: string): Promise<void> {
    if (this.stopped) return;
    this.unsubscribe ??= this.options.service.subscribe((event) => this.handle(event));
    const viewer = this.viewers.get(user) ?? { until: 0, last: Number.NEGATIVE_INFINITY, shown: new Set<string>(), dirty: false };
    viewer.until = this.now() + this.watchMs;
    this.viewers.set(user, viewer);
    viewer.dirty = true;
    this.schedule(user, viewer);
    await viewer.publishing;
  }

  /** Something the user did may have changed what they see (a click on their tab): refresh it within the rate. */
  touched(user: string): void {
    const viewer = this.viewers.get(user);
    if (!viewer || this.stopped) return;
    viewer.dirty = true;
    this.schedule(user, viewer);
  }

  handle(event: MigrationEvent): void {
    // what was read before this change must not be shown after it
    this.snapshot = undefined;
    const t = this.now();
    for (const [user, viewer] of this.viewers) {
      if (viewer.until < t) {
        if (!viewer.timer && !viewer.publishing) this.viewers.delete(user);
        continue;
      }
      if (!this.sees(viewer, user, event)) continue;
      viewer.dirty = true;
      this.schedule(user, viewer);
    }
  }

  private sees(viewer: Viewer, user: string, event: MigrationEvent): boolean {
    if (viewer.role === 'approver' || viewer.role === undefined) return true;
    if (viewer.role === 'none') return false;
    if (event.type === 'batch') return viewer.shown.has(`batch:${event.batchId}`) || event.rows.some((row) => viewer.shown.has(row.jobId));
    if (viewer.shown.has(event.jobId)) return true;
    if (event.type === 'submitted') return event.status.requester.kind === 'slack' && event.status.requester.id === user;
    if (event.type === 'finished') return event.requester.kind === 'slack' && event.requester.id === user;
    return false;
  }

  private schedule(user: string, viewer: Viewer): void {
    if (viewer.timer || viewer.publishing || this.stopped) return;
    const wait = Math.max(viewer.last + this.interval, this.heldUntil) - this.now();
    if (wait <= 0) {
      viewer.publishing = this.publish(user, viewer).finally(() => {
        viewer.publishing = undefined;
        if (viewer.dirty) this.schedule(user, viewer);
      });
      return;
    }
    viewer.timer = setTimeout(() => {
      viewer.timer = undefined;
      this.schedule(user, viewer);
    }, wait);
  }

  private statuses(): Promise<MigrationStatus[]> {
    const t = this.now();
    if (!this.snapshot || t - this.snapshot.at > SNAPSHOT_MS) {
      const statuses = this.options.service.status({});
      statuses.catch(() => undefined);
      this.snapshot = { at: t, statuses };
    }
    return this.snapshot.statuses;
  }

  private async batches(statuses: readonly MigrationStatus[]): Promise<HomeBatch[]> {
    const byJob = new Map(statuses.map((s) => [s.jobId, s]));
    const ids = [...new Set(statuses.flatMap((s) => (s.origin?.batchId ? [s.origin.batchId] : [])))];
    const found = await Promise.all(ids.map((id) => this.options.service.batch?.(id).catch(() => undefined)));
    return found.flatMap((batch) =>
      batch
        ? [
            {
              batchId: batch.batchId,
              requester: batch.requester,
              total: batch.jobIds.length,
              rows: batch.jobIds.flatMap((jobId) => {
                const status = byJob.get(jobId);
                return status ? [{ jobId, address: status.plan.source.address, state: status.state }] : [];
              }),
              ...(batch.decision ? { decision: batch.decision } : {}),
            },
          ]
        : [],
    );
  }

  private async publish(user: string, viewer: Viewer): Promise<void> {
    viewer.dirty = false;
    try {
      const { access } = this.options;
      const role: HomeInput['role'] = (await access.isApprover(user)) ? 'approver' : (await access.isRequester(user)) ? 'requester' : 'none';
      const all = role === 'none' ? [] : await this.statuses();
      const statuses = role === 'approver' ? all : all.filter((s) => s.requester.kind === 'slack' && s.requester.id === user);
      const batches = role === 'none' ? [] : await this.batches(statuses);
      const view = homeView({
        viewer: user,
        role,
        statuses,
        batches,
        allowSelfApproval: this.options.allowSelfApproval,
        at: new Date(this.now()).toISOString(),
        refusal: access.notRequesterText(),
      });
      await this.options.client.views.publish({ user_id: user, view });
      viewer.last = this.now();
      viewer.role = role;
      viewer.shown = new Set([...statuses.map((s) => s.jobId), ...batches.map((b) => `batch:${b.batchId}`)]);
    } catch (error) {
      const limited = error as { code?: string; retryAfter?: number };
      if (limited.code === webApi.ErrorCode.RateLimitedError) {
        // Slack's limit is per app and method: every tab waits, this one goes again once it has passed
        this.heldUntil = Math.max(this.heldUntil, this.now() + (limited.retryAfter ?? 1) * 1000);
        viewer.dirty = true;
        this.options.logger.warn({ user, retryAfterSeconds: limited.retryAfter }, 'home tab rate limited by Slack; publishing again after Retry-After');
        return;
      }
      viewer.last = this.now();
      this.options.logger.warn({ user, err: errorText(error) }, 'home tab not published; it is published again on the next change or visit');
    }
  }

  /** Resolves once nothing is scheduled or under way (tests, graceful shutdown). */
  async idle(): Promise<void> {
    for (;;) {
      const busy = [...this.viewers.values()].filter((v) => v.timer || v.publishing);
      if (busy.length === 0) return;
      await Promise.all(busy.map((v) => v.publishing ?? new Promise((r) => setTimeout(r, Math.min(50, this.interval)))));
    }
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const viewer of this.viewers.values()) {
      clearTimeout(viewer.timer);
      viewer.timer = undefined;
    }
  }
}
