import type { Logger } from 'pino';
import { COLLABORATIVE_KINDS, type CollaborativeKind, type CollaborativeProgress, type CollaborativeReport, type OofReport } from '../domain/collaborative-report.js';
import type { MessageCounts } from '../domain/copy-report.js';
import { EwsClient } from './client.js';
import { describeEwsEndpoint, type EwsEndpoint } from './endpoint.js';
import { collaborativeFolders, MailboxFolders, type CollaborativeFolder } from './folders.js';
import { DEFAULT_BATCH, FolderCopy, type BatchLimits, type ItemFailure } from './folder-copy.js';
import { JournalKeeper, type CollaborativeJournal } from './journal.js';
import { copyOof } from './oof-copy.js';
import { copyRules, type RuleResult } from './rules-copy.js';
import type { RetryPolicy } from './transport.js';

export interface CopyCollaborativeOptions {
  from: EwsEndpoint;
  to: EwsEndpoint;
  /** Which parts to copy (default all): item kinds, inbox rules, out-of-office. */
  kinds?: readonly CollaborativeKind[];
  rules?: boolean;
  oof?: boolean;
  /** Read both mailboxes and report what a copy would do; nothing is created or written. */
  dryRun?: boolean;
  /** The journal a previous (interrupted) run left; see `journal.ts`. */
  journal?: CollaborativeJournal;
  /**
   * Called with the whole journal after each change, and awaited before the copy goes on: persist it (the
   * pipeline keeps it in the job's checkpoint) and pass it back as `journal` to the next run.
   */
  saveJournal?: (journal: CollaborativeJournal) => Promise<void> | void;
  /** Called at most every `progressIntervalMs` (default 250 ms) and at each phase change. */
  onProgress?: (progress: CollaborativeProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  logger?: Logger;
  /** Requests in flight per mailbox (default 2). */
  maxInFlight?: number;
  /** Items and estimated bytes per ExportItems/UploadItems call (default 100 and 20 MB). */
  batch?: Partial<BatchLimits>;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout (default 120 s). */
  timeoutMs?: number;
  /** Test and benchmark hook: runs before each export batch. */
  onBatch?: () => void;
}

export interface CollaborativeFolderFailure {
  folder: string;
  reason: string;
}

/** What copyCollaborative returns: the report contract, plus what only the copier knows. */
export interface CollaborativeOutcome {
  report: CollaborativeReport;
  /** Items refused by either server, by folder, with the reason. */
  failures: ItemFailure[];
  /** Folders that could not be created or copied. */
  folderFailures: CollaborativeFolderFailure[];
  /** Each source rule and what became of it (`refused` and `failed` ones with the reason). */
  rules: RuleResult[];
  /** Why out-of-office failed, when it did. */
  oofReason?: string;
  /** Things worth telling the user (destination rules removed by Exchange, items copied but not marked...). */
  notes: string[];
  /** Folders whose destination still lacks items after the copy (items not otherwise reported). */
  mismatches: Array<{ folder: string; missing: number }>;
  /** The journal as the run left it (empty when everything uploaded was marked). */
  journal: CollaborativeJournal;
  /** Folders the run created at the destination (or would create, in a dry run). */
  createdFolders: string[];
}

const zero = (): MessageCounts => ({ total: 0, copied: 0, skipped: 0, failed: 0 });

/**
 * Copies contacts, calendars, tasks, inbox rules and out-of-office settings of one Exchange mailbox into another
 * over EWS. Calendar, contacts and tasks folders (sub-folders included; hidden and system ones skipped) are
 * matched by path, created when missing with the same folder class, and each item travels as a full-fidelity
 * stream (ExportItems -> UploadItems CreateNew): recurrences, exceptions, attendees, attachments and contact groups
 * included. Idempotent and resumable: see `journal.ts`. A second run uploads nothing.
 */
export async function copyCollaborative(options: CopyCollaborativeOptions): Promise<CollaborativeOutcome> {
  return new CollaborativeRun(options).run();
}

/** `copyCollaborative` with `dryRun`: what would be copied, created and skipped. */
export async function planCollaborative(options: Omit<CopyCollaborativeOptions, 'dryRun' | 'saveJournal'>): Promise<CollaborativeOutcome> {
  return new CollaborativeRun({ ...options, dryRun: true }).run();
}

class CollaborativeRun {
  private readonly started = Date.now();
  private readonly source: EwsClient;
  private readonly destination: EwsClient;
  private readonly journal: JournalKeeper;
  private readonly failures: ItemFailure[] = [];
  private readonly folderFailures: CollaborativeFolderFailure[] = [];
  private readonly notes: string[] = [];
  private readonly createdFolders: string[] = [];
  private readonly progress: ProgressTracker;

  constructor(private readonly options: CopyCollaborativeOptions) {
    const transport = { maxInFlight: options.maxInFlight ?? 2, retry: options.retry, logger: options.logger, signal: options.signal, timeoutMs: options.timeoutMs };
    this.source = new EwsClient(options.from, transport);
    this.destination = new EwsClient(options.to, transport);
    this.journal = new JournalKeeper(options.journal, options.dryRun ? undefined : options.saveJournal);
    this.progress = new ProgressTracker(options.onProgress, options.progressIntervalMs ?? 250);
  }

  async run(): Promise<CollaborativeOutcome> {
    const { signal } = this.options;
    signal?.throwIfAborted();
    try {
      return await this.copy();
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    } finally {
      this.source.close();
      this.destination.close();
    }
  }

  private async copy(): Promise<CollaborativeOutcome> {
    const kinds = this.options.kinds ?? COLLABORATIVE_KINDS;
    this.progress.enter('scanning');
    const [sourceFolders, destinationFolders] = await Promise.all([MailboxFolders.read(this.source), MailboxFolders.read(this.destination)]);
    const folders = collaborativeFolders(sourceFolders, kinds);
    this.progress.setTotal(folders.reduce((sum, folder) => sum + (folder.source.totalCount ?? 0), 0));
    this.log('info', { from: describeEwsEndpoint(this.options.from), to: describeEwsEndpoint(this.options.to), folders: folders.length, dryRun: !!this.options.dryRun }, 'collaborative copy plan');

    const counts: Record<CollaborativeKind, MessageCounts> = { calendar: zero(), contacts: zero(), tasks: zero() };
    const folderReports: CollaborativeReport['folders'] = [];
    const mismatches: CollaborativeOutcome['mismatches'] = [];
    let bytes = 0;
    this.progress.enter('copying');
    for (const folder of folders) {
      this.options.signal?.throwIfAborted();
      const result = await this.copyFolder(folder, sourceFolders, destinationFolders);
      if (!result) continue;
      const { report, missing, bytes: folderBytes } = result;
      folderReports.push(report);
      for (const key of ['total', 'copied', 'skipped', 'failed'] as const) counts[folder.kind][key] += report[key];
      bytes += folderBytes;
      if (missing > 0) mismatches.push({ folder: folder.name, missing });
    }

    let rules: RuleResult[] = [];
    const ruleCounts = zero();
    if (this.options.rules !== false) {
      this.progress.enter('rules');
      try {
        const outcome = await copyRules({ source: this.source, destination: this.destination, sourceFolders, destinationFolders, dryRun: this.options.dryRun, logger: this.options.logger });
        rules = outcome.results;
        this.notes.push(...outcome.notes);
      } catch (error) {
        this.options.signal?.throwIfAborted();
        if (isRetryableError(error)) throw error;
        rules = [{ name: '(all rules)', status: 'failed', reason: (error as Error).message }];
      }
      for (const rule of rules) {
        ruleCounts.total++;
        if (rule.status === 'copied') ruleCounts.copied += this.options.dryRun ? 0 : 1;
        else if (rule.status === 'skipped') ruleCounts.skipped++;
        else ruleCounts.failed++;
      }
    }

    let oof: OofReport = { status: 'not requested', state: null };
    let oofReason: string | undefined;
    if (this.options.oof !== false) {
      this.progress.enter('oof');
      const result = await copyOof(this.source, this.destination, this.options.dryRun);
      oof = { status: this.options.dryRun && result.status === 'copied' ? 'not requested' : result.status, state: result.state };
      oofReason = result.reason;
    }

    this.progress.enter('done');
    const failed = Object.values(counts).some((c) => c.failed > 0) || ruleCounts.failed > 0 || oof.status === 'failed' || this.folderFailures.length > 0;
    const report: CollaborativeReport = {
      ok: !failed,
      calendar: counts.calendar,
      contacts: counts.contacts,
      tasks: counts.tasks,
      rules: ruleCounts,
      oof,
      bytes,
      seconds: Math.round((Date.now() - this.started) / 10) / 100,
      folders: folderReports,
    };
    this.log('info', { calendar: counts.calendar, contacts: counts.contacts, tasks: counts.tasks, rules: ruleCounts, oof: oof.status, seconds: report.seconds }, 'collaborative copy finished');
    return {
      report,
      failures: [...this.failures],
      folderFailures: [...this.folderFailures],
      rules,
      oofReason,
      notes: [...this.notes],
      mismatches,
      journal: this.journal.snapshot(),
      createdFolders: [...this.createdFolders],
    };
  }

  private async copyFolder(folder: CollaborativeFolder, sourceFolders: MailboxFolders, destinationFolders: MailboxFolders): Promise<{ report: CollaborativeReport['folders'][number]; missing: number; bytes: number } | undefined> {
    let destinationId: string | undefined;
    const to = destinationFolders.anchorIds.has(folder.path.anchor) ? destinationFolders.describe(folder.path) : folder.name;
    try {
      const classes = sourceFolders.classesAlong(folder.source.id);
      const resolved = await destinationFolders.resolve(folder.path, this.options.dryRun ? undefined : { folderClass: folder.source.folderClass ?? 'IPF.Note', classes });
      destinationId = resolved.id;
      if (resolved.created || !resolved.id) this.createdFolders.push(to);
      if (!resolved.id && !this.options.dryRun) throw new Error(`no folder ${to} at the destination`);
    } catch (error) {
      this.options.signal?.throwIfAborted();
      if (isRetryableError(error)) throw error;
      this.folderFailures.push({ folder: folder.name, reason: (error as Error).message });
      this.log('error', { err: error, folder: folder.name }, 'collaborative folder failed');
      return { report: { from: folder.name, to, kind: folder.kind, total: folder.source.totalCount ?? 0, copied: 0, skipped: 0, failed: folder.source.totalCount ?? 0 }, missing: 0, bytes: 0 };
    }
    this.progress.enter('copying', folder.name);
    const copy = new FolderCopy(
      {
        source: this.source,
        destination: this.destination,
        journal: this.journal,
        limits: { ...DEFAULT_BATCH, ...this.options.batch },
        logger: this.options.logger,
        signal: this.options.signal,
        dryRun: this.options.dryRun,
        onItems: (items, itemBytes) => this.progress.add(items, itemBytes, folder.name),
        onFailure: (failure) => this.failures.push(failure),
        onNote: (note) => this.notes.push(note),
        onBatch: this.options.onBatch,
      },
      { name: folder.name, kind: folder.kind, sourceId: folder.source.id, destinationId },
    );
    const result = await copy.run();
    const toCopy = result.total - result.skipped;
    const report = this.options.dryRun
      ? { from: folder.name, to, kind: folder.kind, total: result.total, copied: 0, skipped: result.skipped, failed: 0 }
      : { from: folder.name, to, kind: folder.kind, total: result.total, copied: result.copied, skipped: result.skipped, failed: result.failed };
    if (this.options.dryRun) this.log('debug', { folder: folder.name, toCopy }, 'dry run');
    return { report, missing: result.missing, bytes: result.bytes };
  }

  private log(level: 'debug' | 'info' | 'warn' | 'error', data: object, message: string): void {
    this.options.logger?.[level](data, message);
  }
}

function isRetryableError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { retryable?: unknown }).retryable === true;
}

/** Progress at a bounded rate: items done (copied or found already there) of the source folders' item counts. */
class ProgressTracker {
  private itemsDone = 0;
  private itemsTotal = 0;
  private bytesDone = 0;
  private phase: CollaborativeProgress['phase'] = 'scanning';
  private folder: string | undefined;
  private lastEmit = 0;
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  constructor(
    private readonly listener: ((progress: CollaborativeProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  setTotal(items: number): void {
    this.itemsTotal = items;
  }

  enter(phase: CollaborativeProgress['phase'], folder?: string): void {
    this.phase = phase;
    this.folder = folder;
    this.emit(true);
  }

  add(items: number, bytes: number, folder: string): void {
    this.itemsDone += items;
    this.bytesDone += bytes;
    this.folder = folder;
    this.itemsTotal = Math.max(this.itemsTotal, this.itemsDone);
    this.emit(false);
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const now = Date.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    this.samples.push({ at: now, bytes: this.bytesDone });
    while (this.samples.length > 2 && now - this.samples[0].at > 5000) this.samples.shift();
    const first = this.samples[0];
    const rate = now > first.at ? ((this.bytesDone - first.bytes) * 1000) / (now - first.at) : 0;
    this.listener({ phase: this.phase, folder: this.folder, itemsDone: this.itemsDone, itemsTotal: this.itemsTotal, bytesDone: this.bytesDone, rate: Math.round(rate) });
  }
}
