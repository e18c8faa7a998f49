import { ImapProtocolError, ImapResponseUnreadable, quoteServerLine } from './imap-errors.js';

/**
 * A server response whose syntax this client cannot follow: protocol garbage, not retryable. Raised by the
 * parsers, which know neither the connection nor the command: `unreadableResponse()` adds them.
 */
export class ImapSyntaxError extends ImapProtocolError {
  constructor(
    /** What could not be read, and where in the response. */
    readonly problem: string,
    /** The bytes around the problem, quoted, when it lies past the response's first line. */
    readonly near?: string,
  ) {
    super(`unreadable response (${problem})${near ? ` near ${near}` : ''}`);
    this.name = 'ImapSyntaxError';
  }
}

/** The error a parser's ImapSyntaxError (or any parse failure) becomes once the connection and command are known. */
export function unreadableResponse(where: string, command: string | undefined, raw: Buffer, error: unknown): ImapResponseUnreadable {
  const syntax = error instanceof ImapSyntaxError ? error : undefined;
  const problem = syntax ? `${syntax.problem}${syntax.near ? ` near ${syntax.near}` : ''}` : (error as Error)?.message ?? String(error);
  return new ImapResponseUnreadable(where, command, problem, quoteServerLine(raw), { cause: error });
}

export const SPACE = 0x20;
export const OPEN = 0x28;
export const CLOSE = 0x29;
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

/** False for the end of the response, a space and the parentheses: what may follow an atom. */
function isAtomChar(byte: number | undefined): boolean {
  return byte !== undefined && byte !== SPACE && byte !== OPEN && byte !== CLOSE && byte !== CR;
}

function isLetter(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a));
}

/** A read position in one response, with the IMAP grammar rules our parsers need (RFC 3501 section 9). */
export class ResponseCursor {
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
    // `12k` is not a number followed by something else: it is no number at all.
    if (this.position === start || isLetter(this.raw[this.position])) {
      this.position = start;
      throw this.error('expected a number');
    }
    return Number(this.raw.toString('latin1', start, this.position));
  }

  /** A number, also quoted (`"123"`), or NIL (undefined): servers put either where a number belongs. */
  numberOrNil(): number | undefined {
    const byte = this.raw[this.position];
    if (byte === QUOTE) {
      const text = this.quoted().toString('latin1').trim();
      if (!/^\d+$/.test(text)) throw this.error('expected a number');
      return Number(text);
    }
    if (this.isNil()) {
      this.position += 3;
      return undefined;
    }
    return this.number();
  }

  /** `(a b c)`, or NIL for an empty list. */
  atomListOrNil(): string[] {
    if (this.isNil()) {
      this.position += 3;
      return [];
    }
    return this.atomList();
  }

  private isNil(): boolean {
    return this.raw.toString('latin1', this.position, this.position + 3).toUpperCase() === 'NIL' && !isAtomChar(this.raw[this.position + 3]);
  }

  /** True when nothing is left to read. */
  get atEnd(): boolean {
    return this.position >= this.raw.length;
  }

  /** `(a b c)`: flags, mailbox attributes. */
  atomList(): string[] {
    this.expect(OPEN);
    const atoms: string[] = [];
    for (;;) {
      this.skipSpaces();
      if (this.at(CLOSE)) {
        this.position++;
        return atoms;
      }
      atoms.push(this.atom());
    }
  }

  /** Characters up to a space or a parenthesis. */
  atom(): string {
    const start = this.position;
    while (this.position < this.raw.length) {
      const byte = this.raw[this.position]!;
      if (byte === SPACE || byte === CLOSE || byte === OPEN) break;
      this.position++;
    }
    if (this.position === start) throw this.error('expected an atom');
    return this.raw.toString('latin1', start, this.position);
  }

  /** An atom, a quoted string or a literal, as bytes. */
  astring(): Buffer {
    const byte = this.raw[this.position];
    if (byte === QUOTE || byte === OPEN_BRACE || byte === TILDE) return this.nstring() ?? Buffer.alloc(0);
    return Buffer.from(this.atom(), 'latin1');
  }

  /** A quoted string, a literal, NIL (undefined) or an atom: wherever servers put a bare word for a string. */
  nstringOrAtom(): Buffer | undefined {
    const byte = this.raw[this.position];
    if (byte === QUOTE || byte === OPEN_BRACE || byte === TILDE || this.isNil()) return this.nstring();
    return Buffer.from(this.atom(), 'latin1');
  }

  /** A quoted string, a literal (a view, not a copy) or NIL (undefined). */
  nstring(): Buffer | undefined {
    const byte = this.raw[this.position];
    if (byte === QUOTE) return this.quoted();
    if (byte === OPEN_BRACE || byte === TILDE) return this.literal();
    if (this.isNil()) {
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

  error(problem: string): ImapSyntaxError {
    // The first line is quoted whole by whoever reports the error; bytes further on (after a literal) are shown here.
    const firstLineEnd = this.raw.indexOf('\r\n', 0, 'latin1');
    const pastFirstLine = firstLineEnd >= 0 && this.position > firstLineEnd;
    const near = pastFirstLine ? JSON.stringify(this.raw.toString('latin1', Math.max(0, this.position - 20), Math.min(this.raw.length, this.position + 20))) : undefined;
    return new ImapSyntaxError(`${problem} at byte ${this.position}`, near);
  }
}
