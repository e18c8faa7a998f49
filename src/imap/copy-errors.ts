import { ImapCommandFailed, ImapConnectionLost, ImapError, InvalidMailboxName } from './wire/imap-errors.js';

/** The destination cannot hold what is left to copy; nothing was copied. Waiting will not make room. */
export class QuotaExceededError extends ImapError {
  readonly retryable = false;
  constructor(
    readonly bytesNeeded: number,
    readonly bytesFree: number,
    readonly limit: number,
  ) {
    super(
      `the destination quota is too small: ${mib(bytesNeeded)} to copy but only ${mib(bytesFree)} free of ${mib(limit)}; ` +
        `raise the destination account's quota to at least ${mib(limit - bytesFree + bytesNeeded)} (or exclude folders with --exclude) and run again. Nothing was copied.`,
    );
    this.name = 'QuotaExceededError';
  }
}

/** Connections kept dropping: the copy stopped after its reconnect budget; a new run later resumes where it stopped. */
export class ReconnectBudgetExhausted extends ImapError {
  readonly retryable = true;
  constructor(attempts: number, options: { cause?: unknown }) {
    super(`lost the IMAP connection ${attempts} times, giving up; check both servers and run the same command again to resume (nothing is copied twice)`, options);
    this.name = 'ReconnectBudgetExhausted';
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * True when an error means a connection went away (reconnect and resume), as its type says: an
 * ImapConnectionLost that is retryable. Not a refusal (ImapCommandFailed), not a response we cannot read
 * (ImapResponseUnreadable, or a connection we closed because of one: retryable false), not a failed reconnection
 * (ImapConnectFailed, ImapTimeout...): those end the folder or the run, whatever their text says.
 */
export function isConnectionLoss(error: unknown): boolean {
  return error instanceof ImapConnectionLost && error.retryable;
}

/** A refusal of one command (NO/BAD, or a name we cannot send): reported for the folder or message it concerns. */
export function isRefusal(error: unknown): boolean {
  return error instanceof ImapCommandFailed || error instanceof InvalidMailboxName;
}
