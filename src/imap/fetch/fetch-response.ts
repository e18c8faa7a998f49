import { parseInternalDate } from '../wire/imap-syntax.js';

/** The message data items of one `* n FETCH (...)` response that the copier asks for. */
export interface FetchedMessage {
  sequence: number;
  uid?: number;
  flags?: string[];
  /** RFC822.SIZE. */
  size?: number;
  internalDate?: Date;
  /** `BODY[]` (the whole message); a view into the response buffer, not a copy. */
  body?: Buffer;
  /** `BODY[HEADER.FIELDS (...)]`; a view into the response buffer. */
  headerFields?: Buffer;
}

/** A response that is not a FETCH, or a FETCH whose syntax this parser cannot follow. */
export class FetchSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FetchSyntaxError';
  }
}

const SPACE = 0x20;
const OPEN = 0x28;
const CLOSE = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const LESS = 0x3c;
const GREATER = 0x3e;
const TILDE = 0x7e;
const CR = 0x0d;

const FETCH_PREFIX = /^\* (\d+) FETCH \(/i;

/**
 * Parses `* n FETCH (UID 7 FLAGS (\Seen) RFC822.SIZE 9 INTERNALDATE "..." BODY[] {9}\r\n...)` straight from the
 * received bytes: literals become views into `raw`, nothing is decoded that is not asked for. Data items the
 * copier does not use (ENVELOPE, MODSEQ...) are skipped whatever their shape. Returns undefined when `raw` is
 * not a FETCH response; throws FetchSyntaxError when it is one that does not parse.
 */
export function parseFetchResponse(raw: Buffer): FetchedMessage | undefined {
  const head = FETCH_PREFIX.exec(raw.toString('latin1', 0, Math.min(raw.length, 32)));
  if (!head) return undefined;
  const cursor = new Cursor(raw, head[0].length);
  const message: FetchedMessage = { sequence: Number(head[1]) };
  cursor.skipSpaces();
  while (!cursor.at(CLOSE)) {
    const name = cursor.itemName();
    cursor.expect(SPACE);
    switch (name) {
      case 'UID':
        message.uid = cursor.number();
        break;
      case 'RFC822.SIZE':
        message.size = cursor.number();
        break;
      case 'FLAGS':
        message.flags = cursor.flagList();
        break;
      case 'INTERNALDATE': {
        const text = cursor.nstring()?.toString('latin1');
        const date = text === undefined ? undefined : parseInternalDate(text);
        if (text !== undefined && !date) throw new FetchSyntaxError(`unreadable INTERNALDATE ${JSON.stringify(text)}`);
        message.internalDate = date;
        break;
      }
      case 'BODY[]':
      case 'RFC822':
        message.body = cursor.nstring() ?? Buffer.alloc(0);
        break;
      default:
        if (name.startsWith('BODY[HEADER.FIELDS')) message.headerFields = cursor.nstring() ?? Buffer.alloc(0);
        else cursor.skipValue();
    }
    cursor.skipSpaces();
  }
  return message;
}

/** A read position in one response, with the few IMAP grammar rules a FETCH needs. */
class Cursor {
  constructor(
    private readonly raw: Buffer,
    private position: number,
  ) {}

  at(byte: number): boolean {
    if (this.position >= this.raw.length) throw this.error('the response ends before its closing parenthesis');
    return this.raw[this.position] === byte;
  }

  expect(byte: number): void {
    if (!this.at(byte)) throw this.error(`expected ${JSON.stringify(String.fromCharCode(byte))}`);
    this.position++;
  }

  skipSpaces(): void {
    while (this.position < this.raw.length && this.raw[this.position] === SPACE) this.position++;
  }

  /** `UID`, `BODY[HEADER.FIELDS (A B)]`, `BODY[]<0>`: upper-cased, a partial's `<origin>` dropped. */
  itemName(): string {
    const start = this.position;
    while (this.position < this.raw.length) {
      const byte = this.raw[this.position]!;
      if (byte === SPACE || byte === CLOSE || byte === OPEN) break;
      if (byte === OPEN_BRACKET) {
        const close = this.raw.indexOf(CLOSE_BRACKET, this.position);
        if (close < 0) throw this.error('unterminated section');
        this.position = close + 1;
        continue;
      }
      this.position++;
    }
    if (this.position === start) throw this.error('expected a data item name');
    let name = this.raw.toString('latin1', start, this.position).toUpperCase();
    const partial = name.indexOf(String.fromCharCode(LESS));
    if (partial > 0 && name.endsWith(String.fromCharCode(GREATER))) name = name.slice(0, partial);
    return name;
  }

  number(): number {
    const start = this.position;
    while (this.position < this.raw.length && this.raw[this.position]! >= 0x30 && this.raw[this.position]! <= 0x39) this.position++;
    if (this.position === start) throw this.error('expected a number');
    return Number(this.raw.toString('latin1', start, this.position));
  }

  flagList(): string[] {
    this.expect(OPEN);
    const flags: string[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.at(CLOSE)) {
        this.position++;
        return flags;
      }
      const start = this.position;
      while (this.position < this.raw.length && this.raw[this.position] !== SPACE && this.raw[this.position] !== CLOSE) this.position++;
      const flag = this.raw.toString('latin1', start, this.position);
      if (flag.toLowerCase() !== '\\recent') flags.push(flag);
    }
  }

  /** A quoted string, a literal (a view, not a copy) or NIL (undefined). */
  nstring(): Buffer | undefined {
    const byte = this.raw[this.position];
    if (byte === QUOTE) return this.quoted();
    if (byte === OPEN_BRACE || byte === TILDE) return this.literal();
    if (this.raw.toString('latin1', this.position, this.position + 3).toUpperCase() === 'NIL') {
      this.position += 3;
      return undefined;
    }
    throw this.error('expected a string, a literal or NIL');
  }

  /** Any value: atom, number, string, literal or (nested) list. */
  skipValue(): void {
    const byte = this.raw[this.position];
    if (byte === QUOTE || byte === OPEN_BRACE || byte === TILDE) {
      this.nstring();
      return;
    }
    if (byte === OPEN) {
      this.position++;
      for (;;) {
        this.skipSpaces();
        if (this.at(CLOSE)) {
          this.position++;
          return;
        }
        this.skipValue();
      }
    }
    const start = this.position;
    while (this.position < this.raw.length) {
      const next = this.raw[this.position]!;
      if (next === SPACE || next === CLOSE) break;
      this.position++;
    }
    if (this.position === start) throw this.error('expected a value');
  }

  private quoted(): Buffer {
    this.position++;
    const parts: Buffer[] = [];
    let start = this.position;
    for (;;) {
      if (this.position >= this.raw.length) throw this.error('unterminated quoted string');
      const byte = this.raw[this.position]!;
      if (byte === QUOTE) break;
      if (byte === BACKSLASH) {
        parts.push(this.raw.subarray(start, this.position));
        start = this.position + 1;
        this.position += 2;
        continue;
      }
      this.position++;
    }
    parts.push(this.raw.subarray(start, this.position));
    this.position++;
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private literal(): Buffer {
    if (this.raw[this.position] === TILDE) this.position++;
    this.expect(OPEN_BRACE);
    const size = this.number();
    if (this.raw[this.position] === 0x2b /* + */) this.position++;
    this.expect(CLOSE_BRACE);
    if (this.raw[this.position] !== CR || this.raw[this.position + 1] !== 0x0a) throw this.error('expected CRLF after a literal announcement');
    const start = this.position + 2;
    const end = start + size;
    if (end > this.raw.length) throw this.error('literal longer than the response');
    this.position = end;
    return this.raw.subarray(start, end);
  }

  private error(problem: string): FetchSyntaxError {
    const context = this.raw.toString('latin1', Math.max(0, this.position - 20), Math.min(this.raw.length, this.position + 20));
    return new FetchSyntaxError(`unreadable FETCH response at byte ${this.position} (${problem}) near ${JSON.stringify(context)}`);
  }
}
