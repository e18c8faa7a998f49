import type { AppendItem, AppendOutcome, AppendSession, AppendSessionStats } from './append-session.js';
import { ImapConnectionLost } from '../wire/imap-errors.js';
import { appendCommand, itemProblem, type LiteralPolicy } from './append-command.js';
import { mailboxArgument } from '../wire/imap-syntax.js';
import { classifyRefusal } from './append-refusal.js';
import type { AppendMode } from './append-mode.js';
import { ByteBudget } from './byte-budget.js';
import { parseAppendUids } from '../wire/imap-response.js';
import type { ImapWireConnection } from '../wire/imap-wire-connection.js';

export interface SessionSettings {
  mode: AppendMode;
  literals: LiteralPolicy;
  batchSize: number;
  batchBytes: number;
  maxInFlightBytes: number;
  logoutTimeoutMs: number;
  /** The server's APPENDLIMIT (RFC 7889): bigger messages are refused here, without sending them. */
  appendLimit?: number;
}

/** Messages that travel in one APPEND command (one for single APPENDs), by position in the caller's list. */
interface Unit {
  indices: number[];
  bytes: number;
}

/**
 * Appends over one authenticated connection. Every command is pipelined; a MULTIAPPEND batch the server
 * refuses (all-or-nothing, RFC 3502) is split in halves and retried until each refused message is isolated,
 * so the others land exactly once.
 */
export class ImapAppendSession implements AppendSession {
  private readonly budget: ByteBudget;
  private readonly active = new Set<Promise<unknown>>();
  private closing: Promise<void> | undefined;
  /** Bytes handed to append() whose outcome is not known yet; ready() waits while it is at the limit. */
  private pending = 0;
  private peakPending = 0;
  private readonly readyWaiters: (() => void)[] = [];
  private commands = 0;
  private appended = 0;
  private refused = 0;
  /** A single message was refused for quota: later refused batches are over quota too, not worth splitting. */
  private quotaFull = false;

  constructor(
    private readonly connection: ImapWireConnection,
    readonly capabilities: ReadonlySet<string>,
    private readonly settings: SessionSettings,
  ) {
    this.budget = new ByteBudget(settings.maxInFlightBytes);
    connection.onLost((error) => {
      this.budget.fail(error);
      this.wakeReady();
    });
  }

  get mode(): AppendMode {
    return this.settings.mode;
  }

  get stats(): AppendSessionStats {
    return {
      pendingBytes: this.pending,
      peakPendingBytes: this.peakPending,
      inFlightBytes: this.budget.inUse,
      peakInFlightBytes: this.budget.peakInUse,
      commands: this.commands,
      appended: this.appended,
      refused: this.refused,
    };
  }

  ready(): Promise<void> {
    if (this.connection.lost || this.pending < this.settings.maxInFlightBytes) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  private settled(bytes: number): void {
    this.pending -= bytes;
    if (this.pending < this.settings.maxInFlightBytes) this.wakeReady();
  }

  private wakeReady(): void {
    for (const resolve of this.readyWaiters.splice(0)) resolve();
  }

  append(mailbox: string, items: AppendItem[]): Promise<AppendOutcome[]> {
    const work = this.appendAll(mailbox, items);
    this.active.add(work);
    const forget = () => this.active.delete(work);
    work.then(forget, forget);
    return work;
  }

  private async appendAll(mailbox: string, items: AppendItem[]): Promise<AppendOutcome[]> {
    if (this.closing) throw new ImapConnectionLost('append() after close()');
    if (this.connection.lost) throw this.connection.lost;
    let argument: string;
    try {
      argument = mailboxArgument(mailbox);
    } catch (error) {
      return items.map(() => ({ ok: false, reason: `not sent: ${(error as Error).message}`, permanent: true, code: 'INVALID' }));
    }
    const outcomes: AppendOutcome[] = new Array(items.length);
    const sendable: number[] = [];
    const limit = this.settings.appendLimit;
    items.forEach((item, index) => {
      const problem = itemProblem(item);
      if (problem) outcomes[index] = { ok: false, reason: `not sent: ${problem}`, permanent: true, code: 'INVALID' };
      else if (limit !== undefined && item.raw.length > limit) {
        outcomes[index] = { ok: false, reason: `too big: ${item.raw.length} bytes, over the server's APPENDLIMIT of ${limit} (not sent)`, permanent: true, code: 'TOOBIG' };
      } else sendable.push(index);
    });
    const total = sendable.reduce((sum, index) => sum + items[index]!.raw.length, 0);
    this.pending += total;
    this.peakPending = Math.max(this.peakPending, this.pending);
    let unsettled = total;
    const running: Promise<void>[] = [];
    try {
      for (const unit of this.units(items, sendable)) {
        await this.budget.acquire(unit.bytes);
        const sent = this.send(argument, unit.indices.map((index) => items[index]!)).then((results) => {
          results.forEach((outcome, k) => (outcomes[unit.indices[k]!] = outcome));
          unsettled -= unit.bytes;
          this.settled(unit.bytes);
        });
        const settledUnit = sent.finally(() => this.budget.release(unit.bytes));
        settledUnit.catch(() => undefined); // observed below; this only keeps a rejection from looking unhandled meanwhile
        running.push(settledUnit);
      }
      await Promise.all(running);
    } catch (error) {
      await Promise.allSettled(running);
      throw error;
    } finally {
      this.settled(unsettled);
    }
    return outcomes;
  }

  /** Batches (MULTIAPPEND) of up to batchSize messages and batchBytes bytes, or one message per command. */
  private *units(items: AppendItem[], indices: number[]): Generator<Unit> {
    if (this.settings.mode !== 'multiappend') {
      for (const index of indices) yield { indices: [index], bytes: items[index]!.raw.length };
      return;
    }
    let unit: Unit = { indices: [], bytes: 0 };
    for (const index of indices) {
      const size = items[index]!.raw.length;
      if (unit.indices.length > 0 && (unit.indices.length >= this.settings.batchSize || unit.bytes + size > this.settings.batchBytes)) {
        yield unit;
        unit = { indices: [], bytes: 0 };
      }
      unit.indices.push(index);
      unit.bytes += size;
    }
    if (unit.indices.length > 0) yield unit;
  }

  private async send(mailbox: string, items: AppendItem[]): Promise<AppendOutcome[]> {
    this.commands++;
    const response = await this.connection.command(appendCommand(mailbox, items, this.settings.literals));
    if (response.status === 'OK') {
      this.appended += items.length;
      const uids = parseAppendUids(response.code, items.length);
      return items.map((_, i) => (uids ? { ok: true, uid: uids[i] } : { ok: true }));
    }
    const refusal = classifyRefusal(response);
    const hopeless = refusal.code === 'OVERQUOTA' && this.quotaFull;
    if (items.length > 1 && refusal.scope === 'message' && !hopeless) {
      // All-or-nothing: the batch held at least one message the server will not take. Find it.
      const half = Math.ceil(items.length / 2);
      const [first, second] = await Promise.all([this.send(mailbox, items.slice(0, half)), this.send(mailbox, items.slice(half))]);
      return [...first, ...second];
    }
    if (refusal.code === 'OVERQUOTA' && items.length === 1) this.quotaFull = true;
    this.refused += items.length;
    return items.map(() => ({ ok: false, reason: refusal.reason, permanent: refusal.permanent, code: refusal.code }));
  }

  close(): Promise<void> {
    this.closing ??= this.logout();
    return this.closing;
  }

  private async logout(): Promise<void> {
    await Promise.allSettled([...this.active]);
    if (!this.connection.lost) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.connection.logout().catch(() => undefined),
        new Promise((resolve) => (timer = setTimeout(resolve, this.settings.logoutTimeoutMs))),
      ]);
      clearTimeout(timer);
    }
    this.connection.destroy();
  }
}
