import { createHash } from 'node:crypto';
import { LIMITS } from './limits.js';

/**
 * Slack refuses option values over 75 characters, and an address or a service name can be longer. Such a value is
 * sent as a short key instead: `~k1~HINT~HASH`, where HASH is 16 characters of the value's SHA-256 and HINT the
 * value's first characters (a substring the account search finds it by). The key needs no memory: any bot process
 * resolves it against the service's own list (see listeners/option-values.ts). Values that fit are sent as they are.
 */
const KEY = /^~k1~(.*)~([A-Za-z0-9_-]{16})$/s;
const PREFIX = '~k1~';
const HASH_LENGTH = 16;

function digest(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, HASH_LENGTH);
}

/** The option value for `value`: itself when it fits, else its key. */
export function optionValue(value: string): string {
  if (value.length <= LIMITS.optionValue) return value;
  const room = LIMITS.optionValue - PREFIX.length - 1 - HASH_LENGTH;
  let hint = value.slice(0, room);
  if (/[\uD800-\uDBFF]$/.test(hint)) hint = hint.slice(0, -1);
  return `${PREFIX}${hint}~${digest(value)}`;
}

/** The key's parts, or undefined when `value` is not a key (a value sent as it is). */
export function parseOptionKey(value: string): { hint: string; hash: string } | undefined {
  const match = KEY.exec(value);
  return match ? { hint: match[1]!, hash: match[2]! } : undefined;
}

/** Does `candidate` have the key `key`? */
export function matchesKey(key: { hash: string }, candidate: string): boolean {
  return candidate.length > LIMITS.optionValue && digest(candidate) === key.hash;
}

/** Option text for a long value: its start and its end, so that the domain of a long address still shows. */
export function middleFit(text: string, max: number = LIMITS.optionText): string {
  if (text.length <= max) return text;
  const tail = Math.floor((max - 1) / 2);
  const head = max - 1 - tail;
  return `${text.slice(0, head)}…${text.slice(text.length - tail)}`;
}
