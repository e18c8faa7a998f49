/**
 * Splits the server's byte stream into IMAP responses: one CRLF-terminated line, or several when a line ends
 * with a literal announcement `{n}` (the n bytes that follow belong to the same response).
 */
export class ResponseReader {
  private buffer: Buffer = Buffer.alloc(0);
  /** Where to resume looking for the end of the current response (past any complete literals). */
  private scanFrom = 0;
  /**
   * Chunks received while a literal is incomplete, joined once the literal is: joining on every chunk would copy
   * a 1 MB message body about sixteen times.
   */
  private parked: Buffer[] = [];
  private parkedBytes = 0;
  /** Bytes the buffer must hold before scanning is worth resuming (the end of an announced literal). */
  private needed = 0;

  // A message body of tens of MB is one response: this bound only stops a server sending garbage without end.
  constructor(private readonly maxResponseBytes = 256 * 1024 * 1024) {}

  /** Feeds received bytes; returns the complete responses they finish, without their final CRLF. */
  push(chunk: Buffer): Buffer[] {
    if (this.needed > 0 && this.buffer.length + this.parkedBytes + chunk.length < this.needed) {
      this.parked.push(chunk);
      this.parkedBytes += chunk.length;
      return [];
    }
    if (this.parked.length > 0) {
      this.buffer = Buffer.concat([this.buffer, ...this.parked, chunk]);
      this.parked = [];
      this.parkedBytes = 0;
    } else {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    }
    this.needed = 0;
    const responses: Buffer[] = [];
    for (;;) {
      const lineEnd = this.buffer.indexOf('\r\n', this.scanFrom, 'latin1');
      if (lineEnd < 0) break;
      const literalSize = announcedLiteral(this.buffer, lineEnd);
      if (literalSize !== undefined) {
        const literalEnd = lineEnd + 2 + literalSize;
        if (literalSize > this.maxResponseBytes) throw new Error(`server announced a ${literalSize}-byte literal, more than the ${this.maxResponseBytes} accepted`);
        if (literalEnd > this.buffer.length) {
          this.needed = literalEnd;
          break;
        }
        this.scanFrom = literalEnd;
        continue;
      }
      responses.push(this.buffer.subarray(0, lineEnd));
      this.buffer = this.buffer.subarray(lineEnd + 2);
      this.scanFrom = 0;
    }
    if (this.buffer.length > this.maxResponseBytes) {
      throw new Error(`server response longer than ${this.maxResponseBytes} bytes without an end`);
    }
    return responses;
  }

  /** Bytes received but not yet part of a complete response (must be none when switching to TLS). */
  get buffered(): number {
    return this.buffer.length + this.parkedBytes;
  }
}

/** The size n when the line ending at `lineEnd` ends with `{n}` (or `{n+}` / `~{n}`), else undefined. */
function announcedLiteral(buffer: Buffer, lineEnd: number): number | undefined {
  if (lineEnd === 0 || buffer[lineEnd - 1] !== 0x7d /* } */) return undefined;
  let i = lineEnd - 2;
  if (buffer[i] === 0x2b /* + */) i--;
  const digitsEnd = i + 1;
  while (i >= 0 && buffer[i]! >= 0x30 && buffer[i]! <= 0x39) i--;
  if (i < 0 || buffer[i] !== 0x7b /* { */ || i + 1 === digitsEnd) return undefined;
  return Number(buffer.toString('latin1', i + 1, digitsEnd));
}
