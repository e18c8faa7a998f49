import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../log/logger.js';

/**
 * At debug level the Slack SDKs log whole payloads: the Web API client every request body and response (message
 * texts, the modal that shows a destination password), Socket Mode every message received (a modal submission with
 * the password typed in it) and every acknowledgement sent, Bolt the body of each ack. Those lines keep their first
 * words only. Anything else that still looks like a payload or a token is masked as well.
 */
const PAYLOAD_LINES: RegExp[] = [
  // @slack/web-api
  /^(http request (?:body|result|headers)):/,
  // @slack/socket-mode
  /^(Received a message on the WebSocket):/,
  /^(Unable to parse an incoming WebSocket message)/,
  /^(Sending a WebSocket message):/,
  /^(Calling ack\(\) - type: [\w-]+, envelope_id: [\w-]+), data:/,
  // @slack/bolt receivers
  /^(ack\(\) (?:call begins|response stored|response sent)) \(body:/,
  /^(Error details):/,
];

/** Slack tokens (bot, user, app-level, config) and the values of password inputs, wherever they appear. */
const TOKEN = /\bxox[a-z]-[\w-]+|\bxapp-[\w-]+/g;
const PASSWORD_VALUE = /("(?:password_input|password|destinationPassword)"\s*:\s*(?:\{[^{}]*?"value"\s*:\s*)?)"(?:[^"\\]|\\.)*"/g;

export function scrub(message: string): string {
  for (const line of PAYLOAD_LINES) {
    const m = line.exec(message);
    if (m) return `${m[1]}: [payload omitted]`;
  }
  // a bare JSON document (Bolt's developer mode logs each body so)
  if (/^\s*[[{]/.test(message)) return '[payload omitted]';
  return message.replace(TOKEN, '[token]').replace(PASSWORD_VALUE, '$1"[redacted]"');
}

/** Bolt's logger interface over our pino logger (same redaction, same JSON lines). */
export function boltLogger(logger: Logger): BoltLogger {
  const child = logger.child({ component: 'slack' });
  let level: LogLevel = LogLevel.INFO;
  const join = (msg: unknown[]) =>
    scrub(msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : safeJson(m))).join(' '));
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

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
