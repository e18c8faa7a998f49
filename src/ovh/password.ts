import { randomInt } from 'node:crypto';
import type { PasswordPolicy } from './mail-platform.js';

const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const DIGITS = '23456789';
/** Specials every OVH platform accepts and that need no quoting in a shell, a URL user part or IMAP LOGIN. */
const SPECIALS = '-_.+=!#%';

/** Length used when the policy allows it: long enough for any policy, short enough for legacy MX Plan (30). */
export const DEFAULT_PASSWORD_LENGTH = 20;

/** The legacy MX Plan rule: 9 to 30 characters, ASCII only (no accents), no leading or trailing space. */
export const LEGACY_MXPLAN_POLICY: PasswordPolicy = { minLength: 9, maxLength: 30, complexity: false, asciiOnly: true };

/**
 * A random password satisfying `policy`: always at least one upper, lower, digit and special character
 * (whether or not complexity is required), ASCII only, no spaces, never starting or ending with a special.
 */
export function generatePassword(policy: PasswordPolicy, length = DEFAULT_PASSWORD_LENGTH): string {
  const min = Math.max(policy.minLength, 8);
  const size = Math.min(Math.max(length, min), policy.maxLength);
  if (size < 4 || size < policy.minLength) {
    throw new Error(`cannot generate a password for policy ${JSON.stringify(policy)}`);
  }
  const all = UPPER + LOWER + DIGITS + SPECIALS;
  const alnum = UPPER + LOWER + DIGITS;
  const chars: string[] = [pick(UPPER), pick(LOWER), pick(DIGITS), pick(SPECIALS)];
  while (chars.length < size) chars.push(pick(all));
  shuffle(chars);
  // Keep the ends alphanumeric: some forms trim or refuse punctuation at the edges.
  for (const end of [0, chars.length - 1]) {
    if (!alnum.includes(chars[end]!)) {
      const swap = chars.findIndex((c, i) => i > 0 && i < chars.length - 1 && alnum.includes(c));
      [chars[end], chars[swap]] = [chars[swap]!, chars[end]!];
    }
  }
  const password = chars.join('');
  const problems = checkPassword(password, policy);
  if (problems.length > 0) throw new Error(`generated password breaks the policy: ${problems.join('; ')}`);
  return password;
}

/** What is wrong with `password` under `policy` (empty when it complies). */
export function checkPassword(password: string, policy: PasswordPolicy): string[] {
  const problems: string[] = [];
  if (password.length < policy.minLength) problems.push(`at least ${policy.minLength} characters`);
  if (password.length > policy.maxLength) problems.push(`at most ${policy.maxLength} characters`);
  if (policy.asciiOnly && !/^[\x20-\x7e]*$/.test(password)) problems.push('ASCII characters only (no accents)');
  if (password !== password.trim()) problems.push('no space at the beginning or the end');
  if (policy.complexity) {
    if (!/[A-Z]/.test(password)) problems.push('an upper-case letter');
    if (!/[a-z]/.test(password)) problems.push('a lower-case letter');
    if (!/[0-9]/.test(password)) problems.push('a digit');
    if (!/[^A-Za-z0-9]/.test(password)) problems.push('a special character');
  }
  return problems;
}

function pick(set: string): string {
  return set[randomInt(set.length)]!;
}

function shuffle(items: string[]): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
