/**
 * Counts bytes handed to the server and not yet acknowledged, and makes senders wait (first come, first served)
 * while the count would pass the limit. One item bigger than the limit still goes, alone.
 */
export class ByteBudget {
  private used = 0;
  private peak = 0;
  private readonly waiting: { bytes: number; grant(): void; refuse(error: Error): void }[] = [];
  private failure: Error | undefined;

  constructor(readonly limit: number) {}

  get inUse(): number {
    return this.used;
  }

  get peakInUse(): number {
    return this.peak;
  }

  acquire(bytes: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting.length === 0 && this.fits(bytes)) {
      this.take(bytes);
      return Promise.resolve();
    }
    return new Promise((grant, refuse) => this.waiting.push({ bytes, grant, refuse }));
  }

  release(bytes: number): void {
    this.used -= bytes;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) {
      const next = this.waiting.shift()!;
      this.take(next.bytes);
      next.grant();
    }
  }

  /** Refuses every waiting and future acquire with `error`. */
  fail(error: Error): void {
    this.failure = error;
    for (const waiter of this.waiting.splice(0)) waiter.refuse(error);
  }

  private fits(bytes: number): boolean {
    return this.used === 0 || this.used + bytes <= this.limit;
  }

  private take(bytes: number): void {
    this.used += bytes;
    if (this.used > this.peak) this.peak = this.used;
  }
}
