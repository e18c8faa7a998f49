import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

/**
 * At debug level the Slack Web API client logs every request body and response: message texts, including
 * the one that hands the destination password to its requester. Those lines keep their first words only.
 */
const BODY_LINE = /^(http request (?:body|result|headers)):/;

function scrub(message: string): string {
  const m = BODY_LINE.exec(message);
  return m ? `${m[1]}: [omitted]` : message;
}

/** Bolt's logger interface over our pino logger (same redaction, same JSON lines). */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'slack' });
  let level: LogLevel = LogLevel.INFO;
  const join = (msg: unknown[]) =>
    scrub(msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' '));
  return {
    debug: (...msg) => child.debug(join(msg)),
    info: (...msg) => child.info(join(msg)),
    warn: (...msg) => child.warn(join(msg)),
    error: (...msg) => child.error(join(msg)),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
