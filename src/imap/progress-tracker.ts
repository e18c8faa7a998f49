import type { CopyProgress } from '../domain/copy-report.js';

const RATE_WINDOW_MS = 10_000;

/**
 * Counts messages and bytes as they are copied and reports them at most every `intervalMs`, with a rate over the
 * last seconds and an ETA, so a fast copy does not flood the queue, Slack or the terminal.
 */
export class ProgressTracker {
  private phase: CopyProgress['phase'] = 'scanning';
  private folder: string | undefined;
  private messagesDone = 0;
  private messagesTotal = 0;
  private bytesDone = 0;
  private bytesTotal = 0;
  private lastEmit = 0;
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  constructor(
    private readonly listener: ((progress: CopyProgress) => void) | undefined,
    private readonly intervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  setTotals(messages: number, bytes: number): void {
    this.messagesTotal = messages;
    this.bytesTotal = bytes;
  }

  enter(phase: CopyProgress['phase'], folder?: string): void {
    this.phase = phase;
    this.folder = folder;
    this.emit(true);
  }

  add(messages: number, bytes: number, folder?: string): void {
    this.messagesDone += messages;
    this.bytesDone += bytes;
    if (folder) this.folder = folder;
    this.emit(false);
  }

  snapshot(): CopyProgress {
    const now = this.now();
    this.samples.push({ at: now, bytes: this.bytesDone });
    while (this.samples.length > 2 && now - this.samples[0].at > RATE_WINDOW_MS) this.samples.shift();
    const first = this.samples[0];
    const seconds = (now - first.at) / 1000;
    const rate = seconds > 0 ? (this.bytesDone - first.bytes) / seconds : 0;
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    return {
      phase: this.phase,
      ...(this.folder ? { folder: this.folder } : {}),
      messagesDone: this.messagesDone,
      messagesTotal: this.messagesTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      rate: Math.round(rate),
      ...(rate > 0 ? { etaSeconds: Math.ceil(left / rate) } : left === 0 ? { etaSeconds: 0 } : {}),
    };
  }

  private emit(force: boolean): void {
    if (!this.listener) return;
    const now = this.now();
    if (!force && now - this.lastEmit < this.intervalMs) return;
    this.lastEmit = now;
    try {
      this.listener(this.snapshot());
    } catch {
      // A failing progress listener must not break the copy.
    }
  }
}
