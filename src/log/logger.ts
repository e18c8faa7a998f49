import { pino, type Logger, type DestinationStream } from 'pino';

/** Paths pino blanks out wherever they appear in a log event: passwords, tokens, keys. */
const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'pass',
  '*.pass',
  'auth.pass',
  '*.auth.pass',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'appSecret',
  '*.appSecret',
  'consumerKey',
  '*.consumerKey',
  'headers.authorization',
  '*.headers.authorization',
  'headers["x-ovh-signature"]',
  'headers["x-ovh-consumer"]',
];

/** One JSON line per event on stderr (stdout is kept for command results such as `--json`). */
export function createLogger(level = process.env.LOG_LEVEL ?? 'info', destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: 'migrate-mailbox' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

export type { Logger };
