/**
 * Fault injection for the EWS double, like Exchange misbehaves: throttling with a back-off (`ErrorServerBusy`
 * and `BackOffMilliseconds`), IIS's HTTP 503, too many concurrent requests for one user
 * (`ErrorExceededConnectionCount`), a per-item error inside a batch, and a crash once an upload was carried out
 * (the items exist, the answer never leaves). Each fault matches an operation (any when absent) and a mailbox
 * (any when absent) and fires `times` times (default once).
 */

export interface OperationMatch {
  operation?: string;
  mailbox?: string;
}

export interface BusyFault extends OperationMatch {
  backOffMs: number;
  times?: number;
}

export interface HttpFault extends OperationMatch {
  status: 503 | 502 | 500;
  times?: number;
}

export interface ItemFault extends OperationMatch {
  operation: 'ExportItems' | 'UploadItems' | 'UpdateItem';
  /** Which item of the batch (0-based); default the last one. */
  index?: number;
  /** Only batches of at least this many items (e.g. 100: "one item of a full batch"). */
  minBatch?: number;
  code: string;
  message?: string;
  backOffMs?: number;
  times?: number;
}

export interface CrashFault {
  mailbox?: string;
  /** Only after the n-th matching upload (1-based, default the first). */
  after?: number;
  times?: number;
}

interface Armed<T> {
  fault: T;
  left: number;
  seen: number;
}

function matches(match: OperationMatch, operation: string, mailbox: string): boolean {
  return (!match.operation || match.operation === operation) && (!match.mailbox || match.mailbox.toLowerCase() === mailbox.toLowerCase());
}

export class EwsFaults {
  private busy: Armed<BusyFault>[] = [];
  private http: Armed<HttpFault>[] = [];
  private items: Armed<ItemFault>[] = [];
  private crashes: Armed<CrashFault>[] = [];
  /** Concurrent requests one user may have; more get ErrorExceededConnectionCount (default: no limit). */
  maxConcurrentPerUser: number | undefined;
  private holds: Array<{ matches: (operation: string, mailbox: string) => boolean; reached: () => void }> = [];
  private released: Array<() => void> = [];

  serverBusy(fault: BusyFault): void {
    this.busy.push({ fault, left: fault.times ?? 1, seen: 0 });
  }

  httpError(fault: HttpFault): void {
    this.http.push({ fault, left: fault.times ?? 1, seen: 0 });
  }

  itemError(fault: ItemFault): void {
    this.items.push({ fault, left: fault.times ?? 1, seen: 0 });
  }

  /** After an UploadItems is carried out, the connection is destroyed instead of answering. */
  crashAfterUpload(fault: CrashFault = {}): void {
    this.crashes.push({ fault, left: fault.times ?? 1, seen: 0 });
  }

  /**
   * Holds the answer to the next matching request once it has been carried out (a test kills its client at that
   * moment); resolves when it is reached. `clear()` releases held answers (their connections are destroyed).
   */
  holdAfter(match: OperationMatch): Promise<void> {
    return new Promise((resolve) => {
      const hold = {
        matches: (operation: string, mailbox: string) => matches(match, operation, mailbox),
        reached: () => {
          this.holds = this.holds.filter((h) => h !== hold);
          resolve();
        },
      };
      this.holds.push(hold);
    });
  }

  clear(): void {
    this.busy = [];
    this.http = [];
    this.items = [];
    this.crashes = [];
    this.maxConcurrentPerUser = undefined;
    this.holds = [];
    for (const release of this.released.splice(0)) release();
  }

  private take<T extends OperationMatch | CrashFault>(list: Armed<T>[], test: (fault: T) => boolean): T | undefined {
    for (const armed of list) {
      if (armed.left <= 0 || !test(armed.fault)) continue;
      armed.left--;
      return armed.fault;
    }
    return undefined;
  }

  busyFor(operation: string, mailbox: string): BusyFault | undefined {
    return this.take(this.busy, (fault) => matches(fault, operation, mailbox));
  }

  httpFor(operation: string, mailbox: string): HttpFault | undefined {
    return this.take(this.http, (fault) => matches(fault, operation, mailbox));
  }

  /** The error for item `index` of a batch of `size`, if a fault is armed for it (consumes it). */
  itemFor(operation: string, mailbox: string, index: number, size: number): ItemFault | undefined {
    for (const armed of this.items) {
      const fault = armed.fault;
      if (armed.left <= 0 || !matches(fault, operation, mailbox) || size < (fault.minBatch ?? 0)) continue;
      if ((fault.index ?? size - 1) !== index) continue;
      armed.left--;
      return fault;
    }
    return undefined;
  }

  /** True when this upload's answer must be dropped (the items stay). */
  crashFor(mailbox: string): boolean {
    for (const armed of this.crashes) {
      const fault = armed.fault;
      if (armed.left <= 0 || (fault.mailbox && fault.mailbox.toLowerCase() !== mailbox.toLowerCase())) continue;
      armed.seen++;
      if (armed.seen < (fault.after ?? 1)) continue;
      armed.left--;
      return true;
    }
    return false;
  }

  /** A promise to wait on before answering, if a hold matches (the answer is then dropped). */
  holdFor(operation: string, mailbox: string): Promise<void> | undefined {
    const hold = this.holds.find((h) => h.matches(operation, mailbox));
    if (!hold) return undefined;
    hold.reached();
    return new Promise((release) => this.released.push(release));
  }
}
