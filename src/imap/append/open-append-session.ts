import { z } from 'zod';
import type { ImapEndpoint } from '../endpoint.js';
import type { AppendSessionOptions, OpenAppendSession } from './append-session.js';
import { chooseAppendMode } from './append-mode.js';
import { ImapHandshake } from '../wire/imap-handshake.js';
import { ImapAppendSession } from './imap-append-session.js';

const MiB = 1024 * 1024;

const optionsSchema = z.object({
  mode: z.enum(['multiappend', 'pipelined', 'plain']).optional(),
  batchSize: z.number().int().min(1).max(10_000).default(100),
  batchBytes: z.number().int().min(1).default(4 * MiB),
  maxInFlightBytes: z.number().int().min(1).default(16 * MiB),
  greetingTimeoutMs: z.number().int().positive().default(15_000),
  loginTimeoutMs: z.number().int().positive().default(30_000),
  responseTimeoutMs: z.number().int().positive().default(120_000),
  onAlert: z.custom<(text: string) => void>((value) => value === undefined || typeof value === 'function').optional(),
});

/**
 * Connects, logs in and picks the append mode from the server's capabilities (see chooseAppendMode).
 * Errors say what to check: ImapTimeout, ImapAuthenticationFailed, PlaintextLoginRefused, ImapProtocolError.
 */
export const openAppendSession = (async (endpoint: ImapEndpoint, options: AppendSessionOptions = {}): Promise<ImapAppendSession> => {
  const settings = optionsSchema.parse(options);
  const { connection, capabilities } = await new ImapHandshake(endpoint, {
    greetingMs: settings.greetingTimeoutMs,
    loginMs: settings.loginTimeoutMs,
  }).establish();
  let chosen: ReturnType<typeof chooseAppendMode>;
  try {
    chosen = chooseAppendMode(capabilities, settings.mode);
  } catch (error) {
    connection.destroy();
    throw error;
  }
  connection.setResponseTimeout(settings.responseTimeoutMs);
  if (settings.onAlert) {
    const onAlert = settings.onAlert;
    connection.onUntagged((response) => {
      if (response.code?.toUpperCase() === 'ALERT' || response.status === 'NO' || response.status === 'BAD') onAlert(response.text);
    });
  }
  return new ImapAppendSession(connection, capabilities, {
    ...chosen,
    batchSize: settings.batchSize,
    batchBytes: settings.batchBytes,
    maxInFlightBytes: settings.maxInFlightBytes,
    logoutTimeoutMs: 5_000,
    appendLimit: appendLimit(capabilities),
  });
}) satisfies OpenAppendSession;

/** `APPENDLIMIT=n` (RFC 7889); a bare APPENDLIMIT means per-mailbox limits, not handled here. */
function appendLimit(capabilities: ReadonlySet<string>): number | undefined {
  for (const capability of capabilities) {
    const match = /^APPENDLIMIT=(\d+)$/.exec(capability);
    if (match) return Number(match[1]);
  }
  return undefined;
}
