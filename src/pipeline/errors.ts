/**
 * Which failures are worth retrying. Transient: network trouble, OVH 429 and 5xx, IMAP connections dropped.
 * Permanent: everything that would fail the same way again (a refusal, a 4xx, a rule). The queue retries
 * transient errors with backoff and fails permanent ones at once (BullMQ `UnrecoverableError`).
 */

/** A refusal or a state that retrying will not change; the message says what to do. */
export class PermanentError extends Error {
  readonly retryable = false;
  constructor(message: string, readonly field?: 'source' | 'destination' | 'temporaryName' | 'password' | 'general') {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Another follow-up action (undo, retry, reset, cancel) runs on this migration right now. */
export class FollowUpBusyError extends PermanentError {
  constructor(readonly action: string, readonly by: string) {
    super(`${action} is in progress on this migration (started by ${by}): wait for it to finish, then look again`);
    this.name = 'FollowUpBusyError';
  }
}

/** Something that may work later (OVH busy, a connection dropped). */
export class TransientError extends Error {
  readonly retryable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * What an error says of itself: its `retryable` property, set where it is raised (OVH errors, the copier's IMAP
 * errors, ours); undefined when it carries no verdict.
 */
export function retryVerdict(error: unknown): boolean | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const retryable = (error as { retryable?: unknown }).retryable;
  return typeof retryable === 'boolean' ? retryable : undefined;
}

/** When the error asks to be retried no sooner than (OVH 429 `Retry-After`), in ms from now. */
export function retryAfterMs(error: unknown): number | undefined {
  const value = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return value;
  const seconds = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  return typeof seconds === 'number' && Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** The job was cancelled by a person. */
export class CancelledError extends Error {
  constructor(readonly by: string) {
    super(`cancelled by ${by}`);
    this.name = 'CancelledError';
  }
}

const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
  'ECONNABORTED', 'ESOCKET', 'ETHROTTLE', 'NoConnection', 'EConnectionClosed', 'ClosedAfterConnectTLS', 'ClosedAfterConnectText',
]);

/** True when retrying later may succeed. Unknown errors count as transient (a bounded number of retries). */
export function isTransient(error: unknown): boolean {
  if (error instanceof CancelledError) return false;
  const verdict = retryVerdict(error);
  if (verdict !== undefined) return verdict;
  if (typeof error !== 'object' || error === null) return true;
  const e = error as { status?: unknown; code?: unknown; name?: unknown };
  if (typeof e.status === 'number' && e.status >= 400) return e.status === 429 || e.status >= 500;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'AbortError') return false;
  if (e.name === 'ZodError' || error instanceof TypeError || error instanceof RangeError) return false;
  return true;
}

/** A human message for any error, preferring the OVH layer's `describe()`. */
export function describeError(error: unknown): string {
  if (error && typeof error === 'object' && typeof (error as { describe?: unknown }).describe === 'function') {
    return String((error as { describe(): string }).describe());
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
