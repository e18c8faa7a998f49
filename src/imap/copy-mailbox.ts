import type { Logger } from 'pino';
import type { CopyFailure, CopyOutcome, CopyProgress, CopyReport, FolderMismatch, FolderState } from '../domain/copy-report.js';
import type { OpenAppendSession } from './append/append-session.js';
import { openAppendSession as defaultOpenAppendSession } from './append/open-append-session.js';
import { describeEndpoint, type ImapEndpoint } from './endpoint.js';
import { BodyArena } from './body-arena.js';
import { CopyLane, folderConnection, type Reconnecting } from './copy-lane.js';
import { FETCH_BUFFER_BYTES, type FolderSession } from './fetch/folder-session.js';
import { bytesOf, derivePlan, planFolder, prepareDestination, summarisePlan, type CopyPlanSummary, type DerivedPlan, type FolderPlan } from './copy-plan.js';
import { isConnectionLoss, isRefusal, ReconnectBudgetExhausted } from './copy-errors.js';
import { copyErrorKind, tell, type CopyObserver } from './copy-observer.js';
import { FlagPolicy } from './flag-policy.js';
import { isIdentified, scanFolder } from './folder-scan.js';
import { syncFlags } from './flag-sync.js';
import { extraMessages, pruneFolder } from './prune.js';
import { ProgressTracker } from './progress-tracker.js';
import { assertFits } from './quota-check.js';
import { DEFAULT_STREAM_LIMITS, streamCopy, type StreamLimits } from './message-stream-copier.js';
import { ReconnectBudget, runOnWorkers } from './task-pool.js';

export interface CopyMailboxOptions {
  from: ImapEndpoint;
  to: ImapEndpoint;
  /** Parallel connection pairs (folders copied at once); default 4, at most MAX_CONNECTIONS. */
  connections?: number;
  /** Source folders (Unicode paths) matching this are skipped. */
  exclude?: RegExp;
  /** Scan and map only: nothing is created, stored or copied. */
  dryRun?: boolean;
  /** Called at most every `progressIntervalMs` (default 250 ms) and at each phase change. */
  onProgress?: (progress: CopyProgress) => void;
  progressIntervalMs?: number;
  /** Cancels the copy, also in the middle of a folder; copyMailbox then rejects with the signal's reason. */
  signal?: AbortSignal;
  logger?: Logger;
  openAppendSession?: OpenAppendSession;
  /** How many dropped connections a run survives (default 16). */
  maxReconnects?: number;
  /** Pause before the first reconnection, doubled for each later one up to 5 s (default 200 ms). */
  reconnectDelayMs?: number;
  /** Total bytes fetched but not yet acknowledged, across all lanes (default 8 MiB, at least 2 MiB per lane). */
  maxInFlightBytes?: number;
  /**
   * Also remove from the destination the messages the source no longer holds (deleted or moved since they were
   * copied). Only for a destination nobody else writes to: a staged copy before its cut-over.
   */
  prune?: boolean;
  /** Return the source folders' states (see FolderState) for a later pass to skip what did not change. */
  recordStates?: boolean;
  /** States an earlier pass returned: folders still identical are not scanned (servers with CONDSTORE and LIST-STATUS). */
  previous?: readonly FolderState[];
  /** Told of messages and bytes as they land, reconnections and errors (by kind), and the final report; nothing by default. */
  observer?: CopyObserver;
}

/**
 * Dovecot (and most servers) allow 10 connections per user and address. Each lane uses one connection at the
 * source and an append session at the destination; destination scans use up to 4 more, fewer as lanes grow,
 * so the destination never sees more than 9 (room for the user's own client). Listing, CREATE and the quota
 * go over the first lane's source connection and the first scan connection.
 */
export const MAX_CONNECTIONS = 8;
const MAX_DESTINATION_CONNECTIONS = 9;
const MAX_SCAN_CONNECTIONS = 4;
const DEFAULT_CONNECTIONS = 4;
const DEFAULT_IN_FLIGHT_BYTES = 8 * 1024 * 1024;
/** Rounds for messages refused with a temporary error before they are reported as failures. */
const TRANSIENT_ROUNDS = 2;
/** Source UIDs listed per folder mismatch. */
const MISMATCH_UID_LIMIT = 100;

/** Scans both accounts and returns the folder map and sizes, copying nothing (`--dry-run`). */
export async function planCopy(options: Omit<CopyMailboxOptions, 'dryRun' | 'openAppendSession'>): Promise<CopyPlanSummary> {
  const run = new CopyRun({ ...options, dryRun: true });
  return run.plan();
}

/**
 * Copies every folder of `from` into `to`: what is left to copy is derived each run by comparing message
 * identities on both sides (no local state, so a renamed login or a killed run changes nothing), bodies are
 * streamed from the source and appended in batches over parallel lanes, flags of earlier copies are re-synced,
 * and every touched folder is verified at the end.
 */
export async function copyMailbox(options: CopyMailboxOptions): Promise<ImapCopyOutcome> {
  return new CopyRun(options).copy();
}

/** A folder the copy could not work on (a refusal: SELECT, CREATE, STORE answered NO or BAD); the others went on. */
export interface FolderFailure {
  folder: string;
  reason: string;
}

/** Flags of source messages the destination folder cannot keep (not in its PERMANENTFLAGS): the messages were copied without them. */
export interface DroppedFlag {
  folder: string;
  flag: string;
  /** Source messages carrying it. */
  messages: number;
}

/** What copyMailbox returns: the report contract, plus what only the copier knows. */
export interface ImapCopyOutcome extends CopyOutcome {
  /** Folders that could not be scanned, created or copied, with the server's refusal. */
  folderFailures: FolderFailure[];
  /** Flags (mostly keywords: Exchange keeps none but $MDNSent) the destination could not store. */
  droppedFlags: DroppedFlag[];
}

interface FolderResult {
  plan: FolderPlan;
  appended: number;
  /** Bytes of the messages the destination acknowledged, as streamed (not the servers' RFC822.SIZE). */
  bytes: number;
  touched: boolean;
  /** The folder as verified at the end. */
  final?: FolderPlan;
}

class CopyRun {
  private readonly started = Date.now();
  private readonly lanes: CopyLane[] = [];
  /** One per lane (by lane id), allocated on first use: bodies wait there for the destination's answer. */
  private readonly arenas: BodyArena[] = [];
  /** Destination connections for scans and STORE, shared by the lanes. */
  private readonly scanners: Array<Reconnecting<FolderSession>> = [];
  private readonly progress: ProgressTracker;

  private readonly budget: ReconnectBudget;
  private readonly failures: CopyFailure[] = [];
  private readonly folderFailures: FolderFailure[] = [];
  private readonly droppedFlags = new Map<string, Map<string, number>>();
  private removed = 0;
  private readonly limits: StreamLimits;
  private readonly connections: number;

  constructor(private readonly options: CopyMailboxOptions) {
    this.connections = Math.min(MAX_CONNECTIONS, Math.max(1, Math.floor(options.connections ?? DEFAULT_CONNECTIONS)));
    const scanConnections = Math.max(1, Math.min(MAX_SCAN_CONNECTIONS, this.connections, MAX_DESTINATION_CONNECTIONS - this.connections));
    for (let i = 0; i < scanConnections; i++) this.scanners.push(folderConnection(options.to, `destination scan connection ${i + 1}`));
    this.progress = new ProgressTracker(options.onProgress, options.progressIntervalMs ?? 250);
    this.budget = new ReconnectBudget(options.maxReconnects ?? 16, (attempts, cause) => new ReconnectBudgetExhausted(attempts, { cause }), options.reconnectDelayMs ?? 200);
    const inFlightBytes = Math.max(2 * 1024 * 1024, Math.floor((options.maxInFlightBytes ?? DEFAULT_IN_FLIGHT_BYTES) / this.connections));
    this.limits = { ...DEFAULT_STREAM_LIMITS, inFlightBytes, batchBytes: Math.min(DEFAULT_STREAM_LIMITS.batchBytes, Math.ceil(inFlightBytes / 3)) };
    for (let id = 0; id < this.connections; id++) {
      this.lanes.push(
        new CopyLane(id, options.from, options.to, options.dryRun ? undefined : options.openAppendSession ?? defaultOpenAppendSession, { batchSize: this.limits.batchMessages, maxInFlightBytes: this.limits.inFlightBytes }, this.scanners[id % this.scanners.length]!),
      );
      // In flight (which may overshoot by one batch), the batch being filled and what the fetch holds ahead of
      // it; a body that finds no room gets a Buffer of its own.
      this.arenas.push(new BodyArena(this.limits.inFlightBytes + 2 * this.limits.batchBytes + FETCH_BUFFER_BYTES));
    }
  }

  async plan(): Promise<CopyPlanSummary> {
    return this.guarded(async () => summarisePlan(await this.derive()));
  }

  async copy(): Promise<ImapCopyOutcome> {
    return this.guarded(async () => {
      const plan = await this.derive();
      const summary = summarisePlan(plan);
      this.log('info', { folders: plan.folders.length, messages: summary.messages, toCopy: summary.toCopy, bytesToCopy: summary.bytesToCopy }, 'copy plan');
      for (const folder of plan.folders) if (folder.refused) this.folderFailures.push({ folder: folder.mapping.from, reason: folder.refused });
      if (this.options.dryRun) return this.outcome(plan.folders.map((folder) => ({ plan: folder, appended: 0, bytes: 0, touched: false })), []);
      assertFits(plan.quota, summary.bytesToCopy);
      const notCreated = await this.withReconnect(async () => prepareDestination(await this.lanes[0]!.destination.get(), plan.mappings, plan.delimiter));

      this.progress.setTotals(summary.toCopy, summary.bytesToCopy);
      this.progress.enter('copying');
      const results = new Map<string, FolderResult>();
      // Biggest first, so the last lane to finish does not start a large folder late.
      const order = [...plan.folders].sort((a, b) => bytesOf(b.missing) - bytesOf(a.missing) || b.matched.length - a.matched.length);
      await runOnWorkers(order, this.lanes, async (folder, lane) => {
        const refusal = folder.refused ? undefined : notCreated.get(folder.mapping.to);
        if (folder.unchanged !== undefined) {
          results.set(folder.mapping.from, { plan: folder, appended: 0, bytes: 0, touched: false });
          return;
        }
        if (folder.refused || refusal) {
          if (refusal) this.folderFailures.push({ folder: folder.mapping.from, reason: refusal });
          results.set(folder.mapping.from, { plan: folder, appended: 0, bytes: 0, touched: false });
          return;
        }
        const result = await this.copyFolder(folder, lane);
        // Verified right away, overlapping with the other lanes' copying.
        if (result.touched) result.final = await this.rescan(result.plan, lane);
        results.set(folder.mapping.from, result);
      });

      this.progress.enter('verifying');
      const folderResults = plan.folders.map((folder) => results.get(folder.mapping.from)!);
      const mismatches = this.mismatches(folderResults);
      const outcome = this.outcome(folderResults, mismatches);
      this.progress.enter('done');
      return outcome;
    });
  }

  /** Opens nothing the caller has to close: every connection is closed on success, error or abort. */
  private async guarded<T>(work: () => Promise<T>): Promise<T> {
    const { signal } = this.options;
    signal?.throwIfAborted();
    const onAbort = () => {
      for (const connection of this.everyConnection()) connection.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return await work();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      tell(this.options.observer, (o) => o.error(copyErrorKind(error)));
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await Promise.allSettled(this.everyConnection().map((connection) => connection.close()));
    }
  }

  private async derive(): Promise<DerivedPlan> {
    this.progress.enter('scanning');
    return this.withReconnect(() =>
      derivePlan(this.lanes, {
        exclude: this.options.exclude,
        onFolder: (folder) => this.progress.enter('scanning', folder),
        states: this.options.recordStates,
        ...(this.options.previous ? { previous: this.options.previous } : {}),
      }),
    );
  }

  private everyConnection(): Array<{ close(): Promise<void>; destroy(): void }> {
    return [...this.lanes, ...this.scanners];
  }

  /**
   * Retries a whole step after a dropped connection, within the run's reconnect budget. The control connection
   * reopens by itself; lanes are reset only for steps that use them (not while other lanes are copying).
   */
  private async withReconnect<T>(step: () => Promise<T>, options: { resetLanes: boolean } = { resetLanes: true }): Promise<T> {
    for (;;) {
      try {
        return await step();
      } catch (error) {
        this.options.signal?.throwIfAborted();
        if (!isConnectionLoss(error)) throw error;
        this.log('warn', { err: error, attempt: this.budget.attempts + 1 }, 'connection lost, reconnecting');
        tell(this.options.observer, (o) => o.error(copyErrorKind(error)));
        await this.budget.spend(error, this.options.signal);
        tell(this.options.observer, (o) => o.reconnect());
        if (options.resetLanes) await Promise.all(this.lanes.map((lane) => lane.reset()));
      }
    }
  }

  /**
   * Copies one folder on one lane. After a dropped connection it reconnects, re-derives what is missing from the
   * destination (APPEND is atomic: a message is there or not) and continues.
   */
  private async copyFolder(initial: FolderPlan, lane: CopyLane): Promise<FolderResult> {
    const { mapping } = initial;
    const refused = new Set<number>();
    let plan = initial;
    let source = initial.source;
    let rescan = plan.mapping.create;
    let flagsSynced = false;
    let appended = 0;
    let bytes = 0;
    let touched = false;
    let transientRounds = 0;
    let transientReasons = new Map<number, string>();
    const result = () => ({ plan: { ...initial, source }, appended, bytes, touched });
    for (;;) {
      this.options.signal?.throwIfAborted();
      try {
        if (rescan) {
          const destination = await scanFolder(await lane.destination.get(), mapping.to, { readOnly: false });
          if (!isIdentified(source) && destination.messages.length > 0) source = await scanFolder(await lane.source.get(), mapping.from, { readOnly: true });
          plan = planFolder(mapping, source, destination);
          rescan = false;
        }
        const policy = new FlagPolicy(plan.destination?.permanentFlags);
        if (!flagsSynced) {
          this.noteDroppedFlags(mapping.from, source, policy);
          const changed = await syncFlags(await lane.destination.get(), mapping.to, plan.matched, policy);
          if (changed > 0) this.log('debug', { folder: mapping.from, changed }, 'flags re-synced');
          if (this.options.prune && plan.destination && isIdentified(source)) await this.prune(plan, lane);
          flagsSynced = true;
        }
        const missing = plan.missing.filter((message) => !refused.has(message.uid));
        if (missing.length === 0) return result();
        touched = true;
        transientReasons = new Map();
        const streamed = await streamCopy({
          source: await lane.source.get(),
          sourcePath: mapping.from,
          session: await lane.session(),
          destinationPath: mapping.to,
          messages: missing,
          policy,
          limits: this.limits,
          arena: this.arenas[lane.id],
          signal: this.options.signal,
          onAppended: (messages, size) => {
            appended += messages;
            bytes += size;
            this.progress.add(messages, size, mapping.from);
            tell(this.options.observer, (o) => o.appended(messages, size));
          },
          onRefused: (uid, reason) => {
            refused.add(uid);
            this.failures.push({ folder: mapping.from, uid, reason });
            tell(this.options.observer, (o) => o.error({ kind: 'message-refused', retryable: 'false' }));
          },
          onDeferred: (uid, reason) => transientReasons.set(uid, reason),
        });
        if (streamed.transient === 0) return result();
        if (++transientRounds > TRANSIENT_ROUNDS) {
          for (const [uid, reason] of transientReasons) this.failures.push({ folder: mapping.from, uid, reason });
          return result();
        }
        rescan = true;
      } catch (error) {
        this.options.signal?.throwIfAborted();
        if (isRefusal(error)) {
          // The server refused a command for this folder (SELECT, STORE...): the other folders go on.
          this.log('error', { err: error, folder: mapping.from }, 'folder failed');
          tell(this.options.observer, (o) => o.error(copyErrorKind(error)));
          this.folderFailures.push({ folder: mapping.from, reason: (error as Error).message });
          return { ...result(), touched: true };
        }
        // A response we cannot read, a reconnection that failed, our own bug: the run stops here.
        if (!isConnectionLoss(error)) throw error;
        this.log('warn', { err: error, folder: mapping.from, attempt: this.budget.attempts + 1 }, 'connection lost, reconnecting');
        tell(this.options.observer, (o) => o.error(copyErrorKind(error)));
        await this.budget.spend(error, this.options.signal);
        tell(this.options.observer, (o) => o.reconnect());
        await lane.reset();
        rescan = true;
        touched = true;
      }
    }
  }

  private async prune(plan: FolderPlan, lane: CopyLane): Promise<void> {
    const extras = extraMessages(plan.destination!.messages, plan.matched);
    if (extras.length === 0) return;
    const removed = await pruneFolder(await lane.destination.get(), plan.mapping.to, extras);
    if (removed === 'unsupported') {
      this.folderFailures.push({ folder: plan.mapping.from, reason: `${extras.length} message(s) left the source but stay on the destination: it cannot expunge them alone (no UIDPLUS)` });
      return;
    }
    this.removed += removed;
    this.log('info', { folder: plan.mapping.from, removed }, 'removed what left the source');
  }

  /** Counts, per flag, the folder's source messages whose flag the destination folder will not keep. */
  private noteDroppedFlags(folder: string, source: { messages: readonly { flags: readonly string[] }[] }, policy: FlagPolicy): void {
    let counts: Map<string, number> | undefined;
    for (const message of source.messages) {
      for (const flag of policy.rejected(message.flags)) {
        counts ??= new Map();
        counts.set(flag, (counts.get(flag) ?? 0) + 1);
      }
    }
    if (counts) this.droppedFlags.set(folder, counts);
  }

  /**
   * The folder's source scan compared with the destination as it is now. A destination that refuses the check
   * (its folder cannot be selected) leaves the plan as it was: every message it listed as missing counts as failed.
   */
  private async rescan(plan: FolderPlan, lane: CopyLane): Promise<FolderPlan | undefined> {
    try {
      const destination = await this.withReconnect(async () => scanFolder(await lane.destination.get(), plan.mapping.to, { readOnly: false }), { resetLanes: false });
      // Messages never fetched (vanished, or the folder failed) have no identity yet: ask the source for them all.
      let source = plan.source;
      if (!isIdentified(source)) source = await this.withReconnect(async () => scanFolder(await lane.source.get(), plan.mapping.from, { readOnly: true }), { resetLanes: false });
      return planFolder(plan.mapping, source, destination);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      if (!this.folderFailures.some((failure) => failure.folder === plan.mapping.from)) {
        this.folderFailures.push({ folder: plan.mapping.from, reason: `could not be verified: ${(error as Error).message}` });
      }
      return undefined;
    }
  }

  /**
   * Lists what is still missing per folder. Folders this run wrote to were compared again after their copy;
   * the others were compared by the plan itself.
   */
  /** The listed states of the folders this pass left complete: no failure, nothing missing, not refused. */
  private completeStates(results: FolderResult[], mismatches: FolderMismatch[]): FolderState[] {
    const incomplete = new Set([...mismatches.map((m) => m.folder), ...this.failures.map((f) => f.folder), ...this.folderFailures.map((f) => f.folder)]);
    return results.flatMap((result) => (result.plan.state && !result.plan.refused && !incomplete.has(result.plan.mapping.from) ? [result.plan.state] : []));
  }

  private mismatches(results: FolderResult[]): FolderMismatch[] {
    return results
      .filter((result) => !result.plan.refused)
      .map((result) => result.final ?? result.plan)
      .filter((final) => final.missing.length > 0)
      .map((final) => ({ folder: final.mapping.from, missing: final.missing.length, missingUids: final.missing.slice(0, MISMATCH_UID_LIMIT).map((message) => message.uid) }));
  }

  private outcome(results: FolderResult[], mismatches: FolderMismatch[]): ImapCopyOutcome {
    const folders: CopyReport['folders'] = [];
    let bytes = 0;
    for (const result of results) {
      // A folder that could not even be scanned has no numbers to report: it is in folderFailures.
      if (result.plan.refused) continue;
      const final = result.final ?? result.plan;
      const total = result.plan.unchanged ?? result.plan.source.messages.length;
      const skipped = result.plan.unchanged ?? result.plan.matched.length;
      const stillMissing = new Set(final.missing.map((message) => message.uid));
      const failedUids = new Set(this.failures.filter((failure) => failure.folder === result.plan.mapping.from).map((failure) => failure.uid));
      for (const uid of stillMissing) failedUids.add(uid);
      const failed = this.options.dryRun ? 0 : failedUids.size;
      const copied = this.options.dryRun ? 0 : Math.max(0, total - skipped - failed);
      bytes += result.bytes;
      folders.push({ from: result.plan.mapping.from, to: result.plan.mapping.to, total, copied, skipped, failed });
    }
    const sum = (key: 'total' | 'copied' | 'skipped' | 'failed') => folders.reduce((total, folder) => total + folder[key], 0);
    const messages = { total: sum('total'), copied: sum('copied'), skipped: sum('skipped'), failed: sum('failed') };
    const report: CopyReport = {
      ok: messages.failed === 0 && this.failures.length === 0 && mismatches.length === 0 && this.folderFailures.length === 0,
      messages,
      bytes,
      seconds: Math.round((Date.now() - this.started) / 10) / 100,
      folders,
    };
    const droppedFlags = [...this.droppedFlags].flatMap(([folder, counts]) => [...counts].map(([flag, count]) => ({ folder, flag, messages: count })));
    this.log('info', { ...report.messages, bytes, seconds: report.seconds, from: describeEndpoint(this.options.from), to: describeEndpoint(this.options.to) }, 'copy finished');
    if (!this.options.dryRun) tell(this.options.observer, (o) => o.finished(report));
    return {
      report,
      failures: [...this.failures],
      mismatches,
      folderFailures: [...this.folderFailures],
      droppedFlags,
      ...(this.options.prune ? { removed: this.removed } : {}),
      ...(this.options.recordStates && !this.options.dryRun ? { sourceStates: this.completeStates(results, mismatches) } : {}),
    };
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', data: object, message: string): void {
    this.options.logger?.[level](data, message);
  }
}
