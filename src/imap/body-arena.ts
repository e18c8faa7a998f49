/**
 * A fixed ring of memory that message bodies are copied into while they wait for the destination's answer.
 *
 * Why: a body handed over by the fetch parser lives until its APPEND is acknowledged, long enough to survive two
 * young-generation collections and be promoted. Promoted Buffers are freed only by a full mark-compact, which V8
 * starts when external memory has grown by about 64 MiB: the process then carries that much dead body memory
 * whatever the in-flight limit says (measured: 85 MB of ArrayBuffers at 5,000 messages for a 16 MiB budget).
 * Copying each body into this ring right away lets the parser's Buffer die young, and the ring's own memory is
 * allocated once and reused, so memory stays flat.
 *
 * Slots are handed out in order and freed in any order; the space of a freed slot is reused once every older
 * slot is freed too. A body that does not fit (ring full, or bigger than the ring) gets a Buffer of its own:
 * the arena never blocks and never fails, it only saves memory when it can. Either way the bytes are copied,
 * so the source may be a view into a buffer that is reused right after.
 */
export interface ArenaSlot {
  /** The body: a view into the ring, or a Buffer of its own when it did not fit. */
  readonly bytes: Buffer;
  /** True when the ring had no room: the reader is ahead of the writer and should pause. */
  readonly overflow: boolean;
  /** Gives the space back; the bytes must no longer be read or written to a socket afterwards. Idempotent. */
  release(): void;
}

interface Entry {
  start: number;
  end: number;
  released: boolean;
}

/** A copy outside any arena. */
export const ownCopy = (source: Buffer): ArenaSlot => ({ bytes: Buffer.from(source), overflow: false, release: () => undefined });

const overflowCopy = (source: Buffer): ArenaSlot => ({ bytes: Buffer.from(source), overflow: true, release: () => undefined });

export class BodyArena {
  private memory: Buffer | undefined;
  /** Live slots, oldest first. */
  private readonly live: Entry[] = [];
  private liveBytes = 0;

  constructor(readonly capacity: number) {}

  /** Bytes held by slots not yet freed (or freed but behind an older live slot). */
  get inUse(): number {
    return this.liveBytes;
  }

  /** Copies `source` into the ring when there is room, else into a Buffer of its own. */
  copy(source: Buffer): ArenaSlot {
    const size = source.length;
    if (size === 0 || size > this.capacity) return ownCopy(source);
    const start = this.place(size);
    if (start === undefined) return overflowCopy(source);
    this.memory ??= Buffer.allocUnsafeSlow(this.capacity);
    source.copy(this.memory, start);
    const entry: Entry = { start, end: start + size, released: false };
    this.live.push(entry);
    this.liveBytes += size;
    return {
      bytes: this.memory.subarray(start, start + size),
      overflow: false,
      release: () => this.release(entry),
    };
  }

  /** Forgets every slot (only when no slot's bytes are still in use, e.g. between two folders). */
  reset(): void {
    for (const entry of this.live) entry.released = true;
    this.live.length = 0;
    this.liveBytes = 0;
  }

  private place(size: number): number | undefined {
    const oldest = this.live[0];
    const newest = this.live[this.live.length - 1];
    if (!oldest || !newest) return 0;
    if (newest.start >= oldest.start) {
      // Not wrapped: free space after the newest slot, then before the oldest one.
      if (newest.end + size <= this.capacity) return newest.end;
      if (size <= oldest.start) return 0;
      return undefined;
    }
    // Wrapped: the only free space is between the newest and the oldest slot.
    return newest.end + size <= oldest.start ? newest.end : undefined;
  }

  private release(entry: Entry): void {
    if (entry.released) return;
    entry.released = true;
    while (this.live.length > 0 && this.live[0]!.released) {
      const freed = this.live.shift()!;
      this.liveBytes -= freed.end - freed.start;
    }
  }
}
