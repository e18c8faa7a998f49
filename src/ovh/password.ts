import { randomInt } from 'node:crypto';
import { DEFAULT_PASSWORD_LENGTH, generatePassword as generateForRules, passwordProblems } from '../domain/password.js';
import type { PasswordPolicy } from './mail-platform.js';

/** The legacy MX Plan rule: 9 to 30 characters, ASCII only (no accents), no leading or trailing space. */
export const LEGACY_MXPLAN_POLICY: PasswordPolicy = { minLength: 9, maxLength: 30, complexity: false, asciiOnly: true };

/**
 * What is wrong with `password` under `policy` (empty when it complies). The domain's rule, so that the pipeline's
 * preflight and the adapters never disagree about a password after the source has been renamed.
 */
export const checkPassword: (password: string, policy: PasswordPolicy) => string[] = passwordProblems;

/** A random password satisfying `policy`, from a cryptographic source. */
export function generatePassword(policy: PasswordPolicy, length = DEFAULT_PASSWORD_LENGTH): string {
  return generateForRules(policy, randomInt, length);
}
