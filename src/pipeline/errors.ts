/**
 * Which failures are worth retrying. Transient: network trouble, OVH 429 and 5xx, IMAP connections dropped.
 * Permanent: everything that would fail the same way again (a refusal, a 4xx, a rule). The queue retries
 * transient errors with backoff and fails permanent ones at once (BullMQ `UnrecoverableError`).
 */

/** A refusal or a state that retrying will not change; the message says what to do. */
export class PermanentError extends Error {
  constructor(message: string, readonly field?: 'source' | 'destination' | 'temporaryName' | 'password' | 'general') {
    super(message);
    this.name = 'PermanentError';
  }
}

/** Something that may work later (OVH busy, a connection dropped). */
export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
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
  if (error instanceof PermanentError || error instanceof CancelledError) return false;
  if (error instanceof TransientError) return true;
  if (typeof error !== 'object' || error === null) return true;
  const e = error as { retryable?: unknown; status?: unknown; code?: unknown; name?: unknown; permanent?: unknown };
  if (e.permanent === true) return false;
  if (typeof e.retryable === 'boolean' && typeof e.status === 'number') {
    // OVH errors: the OVH layer knows which are retryable (429, 5xx, no response).
    return e.retryable || e.status === 0 || e.status === 429 || e.status >= 500;
  }
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
