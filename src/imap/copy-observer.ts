import type { CopyReport } from '../domain/copy-report.js';
import { ImapError, InvalidMailboxName } from './wire/imap-errors.js';

/**
 * What the copier tells whoever watches it (the ops layer's metrics), without knowing who that is. Errors are
 * named by their class (`ImapConnectionLost`, `ImapCommandFailed`, `QuotaExceededError`...) and `retryable`
 * verdict, never by their message (which carries folder names and server text).
 */

export interface CopyErrorKind {
  /** The error's class for our own IMAP errors; `message-refused` for a message the destination refused; `other` for anything else. */
  kind: string;
  retryable: 'true' | 'false' | 'unknown';
}

export interface CopyObserver {
  /** The destination acknowledged `messages` more messages, `bytes` bytes in all. */
  appended(messages: number, bytes: number): void;
  /** A dropped connection is being reopened (within the run's reconnect budget). */
  reconnect(): void;
  /** An error the copy met: a dropped connection, a refused folder or message, or the one that ended the run. */
  error(kind: CopyErrorKind): void;
  /** A copy run (not a dry run) ended with this report. */
  finished(report: CopyReport): void;
}

export const NO_COPY_OBSERVER: CopyObserver = Object.freeze({ appended() {}, reconnect() {}, error() {}, finished() {} });

/** The kind of an error, from its type alone. */
export function copyErrorKind(error: unknown): CopyErrorKind {
  const ours = error instanceof ImapError || error instanceof InvalidMailboxName;
  const retryable = (error as { retryable?: unknown } | null)?.retryable;
  return {
    kind: ours ? (error as Error).name : 'other',
    retryable: typeof retryable === 'boolean' ? (String(retryable) as 'true' | 'false') : 'unknown',
  };
}

/** Calls `notify` on the observer, never letting a failing watcher break the copy. */
export function tell(observer: CopyObserver | undefined, notify: (observer: CopyObserver) => void): void {
  if (!observer) return;
  try {
    notify(observer);
  } catch {
    // metrics are not worth a failed copy
  }
}
