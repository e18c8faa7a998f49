/**
 * Errors of the EWS layer. Each says in `retryable` whether running the same copy again later may succeed (the
 * pipeline's job queue decides on that, never on the wording of a message), as the IMAP copier's errors do.
 */

/** The verdict an error carries in its `retryable` property; undefined when it carries none. */
export function isRetryable(error: unknown): boolean | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const retryable = (error as { retryable?: unknown }).retryable;
  return typeof retryable === 'boolean' ? retryable : undefined;
}

export abstract class EwsError extends Error {
  /** True when the same call may succeed later (server busy, away, connection lost), false when it would fail the same way. */
  abstract readonly retryable: boolean;
}

/** Response codes that mean "later": throttling, a store or directory briefly away, a transient server error. */
const TRANSIENT_CODES = new Set([
  'ErrorServerBusy',
  'ErrorExceededConnectionCount',
  'ErrorTooManyObjectsOpened',
  'ErrorTimeoutExpired',
  'ErrorInternalServerTransientError',
  'ErrorMailboxStoreUnavailable',
  'ErrorMailboxMoveInProgress',
  'ErrorConnectionFailed',
  'ErrorADUnavailable',
  'ErrorBatchProcessingStopped',
]);

export function isTransientCode(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

/** The server refused the whole request with a response code (a SOAP fault, or the only response message). */
export class EwsRequestFailed extends EwsError {
  readonly retryable: boolean;
  constructor(
    readonly operation: string,
    readonly code: string,
    readonly serverMessage: string,
    /** Throttling: how long the server asks us to wait before the next request. */
    readonly backOffMs?: number,
  ) {
    super(`EWS ${operation} refused: ${code}${serverMessage ? ` (${serverMessage})` : ''}`);
    this.name = 'EwsRequestFailed';
    this.retryable = isTransientCode(code);
  }
}

/** An HTTP status other than 200 without a SOAP answer we can read (503 from IIS queueing, 502 from a proxy...). */
export class EwsHttpError extends EwsError {
  readonly retryable: boolean;
  constructor(
    readonly operation: string,
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`EWS ${operation}: HTTP ${status}${status === 503 ? ' (server busy)' : ''}`);
    this.name = 'EwsHttpError';
    this.retryable = status === 429 || status >= 500;
  }
}

/** The server refused the credentials (or offers no scheme we speak): the same ones will be refused again. */
export class EwsAuthenticationFailed extends EwsError {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'EwsAuthenticationFailed';
  }
}

/** Could not reach the server, or it went away before answering a call that changes nothing: try again later. */
export class EwsConnectionLost extends EwsError {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EwsConnectionLost';
  }
}

/**
 * The connection went away while a call that changes the mailbox (UploadItems, CreateFolder, UpdateInboxRules)
 * was on the wire: it may or may not have been carried out. Callers reconcile with what the mailbox holds.
 */
export class EwsOutcomeUnknown extends EwsError {
  readonly retryable = true;
  constructor(
    readonly operation: string,
    options?: { cause?: unknown },
  ) {
    super(`EWS ${operation}: the connection was lost before the answer; whether it was carried out is unknown`, options);
    this.name = 'EwsOutcomeUnknown';
  }
}

/** The server answered something we cannot read (not SOAP, or not the shape the schema describes): a retry gets the same. */
export class EwsResponseUnreadable extends EwsError {
  readonly retryable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EwsResponseUnreadable';
  }
}

/** Our own refusal: a password over plain HTTP to a host that is not loopback, a URL we cannot use. */
export class EwsConfigurationError extends EwsError {
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'EwsConfigurationError';
  }
}

/** Retries did not get through (busy server, dropped connections): a later run resumes where this one stopped. */
export class EwsRetriesExhausted extends EwsError {
  readonly retryable = true;
  constructor(operation: string, attempts: number, options: { cause?: unknown }) {
    super(`EWS ${operation}: still failing after ${attempts} attempts (${(options.cause as Error)?.message ?? 'unknown error'}); run the same copy again later to resume`, options);
    this.name = 'EwsRetriesExhausted';
  }
}
