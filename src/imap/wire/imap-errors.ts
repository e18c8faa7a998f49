/**
 * Errors of our own IMAP connections (append and folder sessions). Each message says what to check, and each
 * error says in `retryable` whether running the same copy again later may succeed: the copier's callers (the
 * pipeline's job queue) decide on that, never on the wording of a message.
 */

import { codeName } from './imap-response.js';

/** The verdict an error carries in its `retryable` property; undefined when it carries none. */
export function isRetryable(error: unknown): boolean | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const retryable = (error as { retryable?: unknown }).retryable;
  return typeof retryable === 'boolean' ? retryable : undefined;
}

/** Every error our IMAP code raises: it knows whether a later retry can help. */
export abstract class ImapError extends Error {
  /** True when the same copy may succeed later (the server was busy, slow or away), false when it would fail the same way. */
  abstract readonly retryable: boolean;
}

/** The server did not answer in time (greeting, TLS handshake, login): it may be overloaded or the network slow. */
export class ImapTimeout extends ImapError {
  readonly retryable = true;
  constructor(message: string) {
    super(message);
    this.name = 'ImapTimeout';
  }
}

/** The server refused the credentials: a retry sends the same ones. */
export class ImapAuthenticationFailed extends ImapError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly serverText: string,
  ) {
    super(message);
    this.name = 'ImapAuthenticationFailed';
  }
}

/** A password would travel unencrypted to a host other than loopback: our policy, not the server's mood. */
export class PlaintextLoginRefused extends ImapError {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'PlaintextLoginRefused';
  }
}

/**
 * STARTTLS was required (the plain-text policy forbids clear text to this host) but the server greeted with
 * PREAUTH: the session is authenticated already, so STARTTLS can no longer be negotiated (RFC 3501 and 9051,
 * section 6.2.1). A machine in the middle uses exactly this to strip TLS. Nothing was sent on the connection.
 */
export class StartTlsDowngradeRefused extends ImapError {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'StartTlsDowngradeRefused';
  }
}

/**
 * The server said something this client cannot continue from (bad greeting, STARTTLS refused, garbage):
 * not retryable, unless it is really the server going away (`retryable: true` where raised, e.g. a BYE greeting).
 */
export class ImapProtocolError extends ImapError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options);
    this.name = 'ImapProtocolError';
    this.retryable = options?.retryable ?? false;
  }
}

/** Longest part of a server's line quoted in an error message. */
const QUOTED_LINE_CHARS = 160;

/**
 * A server line as an error message may show it: the first line only (a message body after a literal is never
 * quoted), at most QUOTED_LINE_CHARS characters, control characters escaped by JSON quoting.
 */
export function quoteServerLine(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1', 0, Math.min(raw.length, 4 * QUOTED_LINE_CHARS));
  const lineEnd = text.indexOf('\r\n');
  const line = lineEnd < 0 ? text : text.slice(0, lineEnd);
  return JSON.stringify(line.length > QUOTED_LINE_CHARS ? `${line.slice(0, QUOTED_LINE_CHARS)}...` : line);
}

/**
 * The server sent a response this client cannot read. Not retryable and not a lost connection: a new
 * connection to the same server would get the same answer, so the copy stops at once instead of reconnecting.
 * Names the command it answered and quotes the server's line (truncated, first line only).
 */
export class ImapResponseUnreadable extends ImapProtocolError {
  constructor(
    /** Where the server is (host:port). */
    readonly where: string,
    /** The command the response belonged to (`UID FETCH`, `GETQUOTAROOT`...), when known. */
    readonly command: string | undefined,
    /** What could not be read, e.g. `expected a number at byte 12`. */
    readonly problem: string,
    /** The server's line, quoted and truncated (quoteServerLine). */
    readonly line: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${where} answered ${command ?? 'a command'} with a response this client cannot read (${problem}): ${line}. ` +
        'The server does not follow the IMAP syntax there and would answer a new connection the same way, so the copy stopped',
      { ...options, retryable: false },
    );
    this.name = 'ImapResponseUnreadable';
  }
}

/**
 * The TCP or TLS connection could not be set up. Network trouble (refused, reset, unreachable, timed out, DNS)
 * is retryable; a certificate we do not trust or a port that does not speak TLS is not.
 * ENOTFOUND stays retryable on purpose: a misspelt host cannot be told from a DNS outage, and the job queue
 * bounds how often it retries.
 */
export class ImapConnectFailed extends ImapError {
  readonly retryable: boolean;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ImapConnectFailed';
    this.retryable = isNetworkFailure(options.cause);
  }
}

/** Codes node gives socket and DNS failures that may clear up by themselves. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function isNetworkFailure(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && NETWORK_CODES.has(code);
}

/**
 * The connection went away (dropped, BYE, timeout): commands pending on it may or may not have taken effect.
 * Retryable, except when we cut it ourselves because the server sent something we cannot read (the cause is then
 * a non-retryable error, e.g. an ImapProtocolError): a new connection would read the same garbage.
 */
export class ImapConnectionLost extends ImapError {
  readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImapConnectionLost';
    this.retryable = !(options?.cause instanceof ImapError) || options.cause.retryable;
  }
}

/**
 * Response codes (RFC 5530 and RFC 3501) meaning "not now" rather than "no": the same command may succeed later.
 * UNAVAILABLE: a subsystem is down; INUSE: someone else holds the mailbox; SERVERBUG: the server tripped on
 * itself; EXPUNGEISSUED: messages vanished under us, and a new run scans afresh.
 * LIMIT is not here: RFC 5530 defines it as an implementation limit (flags per mailbox, sizes), which a retry
 * hits again. Dovecot also answers a login with [LIMIT] when the user has too many connections: that case is
 * retryable, decided by the login itself (LOGIN_TRY_LATER_CODES).
 */
const TRY_LATER_CODES = new Set(['UNAVAILABLE', 'INUSE', 'SERVERBUG', 'EXPUNGEISSUED']);

/** At login, [LIMIT] is Dovecot's "Maximum number of connections from user+IP exceeded". */
export const LOGIN_TRY_LATER_CODES = new Set([...TRY_LATER_CODES, 'LIMIT']);

/**
 * The server answered a command with NO or BAD: the connection is fine, the command did not happen. Not
 * retryable, unless the response code says to try later (TRY_LATER_CODES).
 */
export class ImapCommandFailed extends ImapError {
  readonly retryable: boolean;
  constructor(
    readonly command: string,
    readonly status: string,
    readonly serverText: string,
    readonly code?: string,
    options: { message?: string; retryable?: boolean; cause?: unknown } = {},
  ) {
    super(options.message ?? `${command} failed: ${status}${code ? ` [${code}]` : ''} ${serverText}`, { cause: options.cause });
    this.name = 'ImapCommandFailed';
    this.retryable = options.retryable ?? TRY_LATER_CODES.has(codeName(code) ?? '');
  }
}

/** A mailbox name we cannot put on the wire (line break or NUL): a TypeError, and never retryable. */
export class InvalidMailboxName extends TypeError {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMailboxName';
  }
}
