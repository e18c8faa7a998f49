import { ImapConnectionLost, ImapError } from './wire/imap-errors.js';

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

const CONNECTION_ERROR_CODES = new Set([
  'NoConnection',
  'EConnectionClosed',
  'ETIMEOUT',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ProtocolError',
  'ClosedAfterConnectTLS',
  'ClosedAfterConnectText',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
]);

/** True when an error means a connection went away (retry after reconnecting), not that a command was refused. */
export function isConnectionLoss(error: unknown, clients: Array<{ usable: boolean } | undefined> = []): boolean {
  if (error instanceof ImapConnectionLost) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  if (clients.some((client) => client && !client.usable)) return true;
  return /connection (closed|lost|not available)|socket (hang up|closed)|ECONNRESET|EPIPE|BYE/i.test(String((error as Error)?.message ?? error));
}
