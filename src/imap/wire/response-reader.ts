/** The byte stream cannot be split into responses (a literal or a line beyond any bound): the connection is unusable. */
export class FramingError extends Error {
  constructor(
    message: string,
    /** The first bytes of the response that could not be framed, for the error message. */
    readonly head: Buffer,
  ) {
    super(message);
    this.name = 'FramingError';
  }
}

const HEAD_BYTES = 512;
const KiB = 1024;
const MiB = 1024 * KiB;
const KEEP_GROWN_BYTES = 8 * MiB;

/**
 * Splits the server's byte stream into IMAP responses: one CRLF-terminated line, or several when a line ends
 * with a literal announcement `{n}` (the n bytes that follow belong to the same response).
 *
 * Received bytes are copied into one reusable assembly buffer and each complete response is handed over as a
 * view into it, valid only during the callback: whoever keeps bytes copies them. Why: a mailbox copy moves
 * hundreds of MB; a fresh Buffer per response (or per joined literal) is garbage V8 collects late, and glibc
 * keeps the freed memory, so the process grew with the size of the mailbox rather than with what it holds.
 */
export class ResponseReader {
  private assembly: Buffer;
  /** Bytes of `assembly` holding received data not yet handed over. */
  private filled = 0;
  /** Where to resume looking for the end of the current response (past any complete literals). */
  private scanFrom = 0;
  /** Bytes that must be present before scanning is worth resuming (the end of an announced literal). */
  private needed = 0;

  constructor(
    // A message body of tens of MB is one response: this bound only stops a server sending garbage without end.
    private readonly maxResponseBytes = 256 * MiB,
    private readonly initialBytes = 256 * KiB,
  ) {
    this.assembly = Buffer.allocUnsafeSlow(initialBytes);
  }

  /**
   * Feeds received bytes (the chunk may be reused by the caller as soon as this returns) and calls `onResponse`
   * for every response they complete, without its final CRLF.
   */
  push(chunk: Buffer, onResponse: (raw: Buffer) => void): void {
    this.append(chunk);
    if (this.filled < this.needed) return;
    this.needed = 0;
    let start = 0;
    const data = this.assembly.subarray(0, this.filled);
    try {
      for (;;) {
        const lineEnd = data.indexOf('\r\n', this.scanFrom, 'latin1');
        if (lineEnd < 0) break;
        const literalSize = announcedLiteral(data, start, lineEnd);
        if (literalSize !== undefined) {
          if (literalSize > this.maxResponseBytes) {
            throw new FramingError(`it announces a ${literalSize}-byte literal, more than the ${this.maxResponseBytes} accepted`, Buffer.from(data.subarray(start, Math.min(lineEnd, start + HEAD_BYTES))));
          }
          const literalEnd = lineEnd + 2 + literalSize;
          this.scanFrom = literalEnd;
          if (literalEnd > this.filled) {
            this.needed = literalEnd - start;
            break;
          }
          continue;
        }
        const response = data.subarray(start, lineEnd);
        start = lineEnd + 2;
        this.scanFrom = start;
        onResponse(response);
      }
    } finally {
      this.compact(start);
    }
    if (this.filled > this.maxResponseBytes) {
      throw new FramingError(`a response longer than ${this.maxResponseBytes} bytes without an end`, Buffer.from(this.assembly.subarray(0, Math.min(this.filled, HEAD_BYTES))));
    }
  }

  /** Bytes received but not yet part of a complete response (must be none when switching to TLS). */
  get buffered(): number {
    return this.filled;
  }

  private append(chunk: Buffer): void {
    const required = this.filled + chunk.length;
    if (required > this.assembly.length) this.resize(Math.max(required, this.needed, this.assembly.length * 2));
    chunk.copy(this.assembly, this.filled);
    this.filled = required;
  }

  /** Moves the unfinished response to the front; gives back a buffer grown for one huge message. */
  private compact(consumed: number): void {
    if (consumed === 0) return;
    const remaining = this.filled - consumed;
    // Kept at its high-water mark for ordinary attachments (re-growing per message would be garbage again),
    // given back after an unusually large one.
    if (this.assembly.length > KEEP_GROWN_BYTES && remaining <= this.initialBytes && this.needed <= this.initialBytes) {
      const smaller = Buffer.allocUnsafeSlow(this.initialBytes);
      this.assembly.copy(smaller, 0, consumed, this.filled);
      this.assembly = smaller;
    } else if (remaining > 0) {
      this.assembly.copyWithin(0, consumed, this.filled);
    }
    this.filled = remaining;
    this.scanFrom -= consumed;
  }

  private resize(capacity: number): void {
    const larger = Buffer.allocUnsafeSlow(capacity);
    this.assembly.copy(larger, 0, 0, this.filled);
    this.assembly = larger;
  }
}

/** The size n when the line from `start` to `lineEnd` ends with `{n}` (or `{n+}` / `~{n}`), else undefined. */
function announcedLiteral(buffer: Buffer, start: number, lineEnd: number): number | undefined {
  if (lineEnd === start || buffer[lineEnd - 1] !== 0x7d /* } */) return undefined;
  let i = lineEnd - 2;
  if (buffer[i] === 0x2b /* + */) i--;
  const digitsEnd = i + 1;
  while (i >= start && buffer[i]! >= 0x30 && buffer[i]! <= 0x39) i--;
  if (i < start || buffer[i] !== 0x7b /* { */ || i + 1 === digitsEnd) return undefined;
  return Number(buffer.toString('latin1', i + 1, digitsEnd));
}
