import { describe, expect, it } from 'vitest';
import {
  GB,
  canRename,
  checkMailboxSize,
  checkPlatformPair,
  destinationLimitBytes,
  fitsFixedDomain,
  formatBytes,
  mxPlanMigrationRoute,
  needsDomainAttachment,
  pickQuota,
} from '../../src/domain/rules.js';
import { generatePassword, passwordProblems } from '../../src/domain/password.js';
import { randomInt } from 'node:crypto';

describe('platform pairs', () => {
  it.each([
    ['exchange', 'emailpro'],
    ['exchange', 'exchange'],
    ['exchange', 'mxplan'],
    ['exchange', 'mxplan-legacy'],
    ['emailpro', 'exchange'],
    ['emailpro', 'emailpro'],
    ['emailpro', 'mxplan'],
  ] as const)('accepts %s -> %s', (source, destination) => {
    expect(checkPlatformPair(source, destination).ok).toBe(true);
  });

  it('warns that calendars, contacts and tasks stay behind on an MX Plan destination; E-mail Pro is left to the EWS probe', () => {
    const result = checkPlatformPair('exchange', 'mxplan');
    expect(result.ok && result.warnings[0]).toMatch(/no calendars, contacts or tasks/);
    for (const destination of ['exchange', 'emailpro'] as const) {
      const pair = checkPlatformPair('exchange', destination);
      expect(pair.ok && pair.warnings).toEqual([]);
    }
  });

  it('refuses MX Plan sources with a pointer to the built-in migration', () => {
    for (const source of ['mxplan', 'mxplan-legacy'] as const) {
      const result = checkPlatformPair(source, 'exchange', 'john@d.fr');
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain('/email/domain/d.fr/account/john/migrate');
    }
    expect(mxPlanMigrationRoute('John@D.fr')).toBe('/email/domain/d.fr/account/john/migrate');
  });
});

describe('size limits', () => {
  it('E-mail Pro 10 GB, MX Plan 5 GB, Exchange none by the guide', () => {
    expect(destinationLimitBytes('emailpro')).toBe(10 * GB);
    expect(destinationLimitBytes('mxplan')).toBe(5 * GB);
    expect(destinationLimitBytes('mxplan-legacy')).toBe(5 * GB);
    expect(destinationLimitBytes('exchange')).toBeUndefined();
    expect(destinationLimitBytes('exchange', 50 * GB)).toBe(50 * GB);
    expect(destinationLimitBytes('emailpro', 2 * GB)).toBe(2 * GB);
  });

  it('refuses a mailbox over the limit and accepts one at the limit', () => {
    expect(checkMailboxSize(10 * GB, 'emailpro').ok).toBe(true);
    const over = checkMailboxSize(10 * GB + 1, 'emailpro');
    expect(over.ok).toBe(false);
    if (!over.ok) expect(over.reason).toMatch(/10\.0 GiB/);
    expect(checkMailboxSize(6 * GB, 'mxplan').ok).toBe(false);
    expect(checkMailboxSize(undefined, 'mxplan').ok).toBe(true);
    expect(checkMailboxSize(400 * GB, 'exchange').ok).toBe(true);
  });

  it('picks the smallest MX Plan quota with headroom', () => {
    const allowed = [5 * GB, 0.5 * GB, 2.5 * GB, 1 * GB];
    expect(pickQuota(allowed, 0.2 * GB)).toBe(0.5 * GB);
    expect(pickQuota(allowed, 0.95 * GB)).toBe(2.5 * GB);
    expect(pickQuota(allowed, 4.9 * GB)).toBeUndefined();
  });

  it('formats bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * GB)).toBe('5.0 GiB');
  });
});

describe('platform facts', () => {
  it('fixed domains, attachment and renames', () => {
    expect(fitsFixedDomain('a@d.fr', 'D.fr')).toBe(true);
    expect(fitsFixedDomain('a@e.fr', 'd.fr')).toBe(false);
    expect(fitsFixedDomain('a@e.fr', undefined)).toBe(true);
    expect(needsDomainAttachment('emailpro')).toBe(true);
    expect(needsDomainAttachment('mxplan')).toBe(false);
    expect(canRename('mxplan-legacy')).toBe(false);
    expect(canRename('exchange')).toBe(true);
  });
});

describe('passwords', () => {
  const legacy = { minLength: 9, maxLength: 30, complexity: false, asciiOnly: true };
  const hosted = { minLength: 8, maxLength: 64, complexity: true, asciiOnly: false };

  it('generated passwords satisfy the policy', () => {
    for (let i = 0; i < 200; i++) {
      for (const rules of [legacy, hosted, { minLength: 24, maxLength: 24, complexity: true, asciiOnly: true }]) {
        const password = generatePassword(rules, randomInt);
        expect(passwordProblems(password, rules)).toEqual([]);
        expect(password).toMatch(/^[a-zA-Z]/);
      }
    }
  });

  it('names what is wrong with a given password', () => {
    expect(passwordProblems(' short', legacy)).toEqual(['at least 9 characters', 'no space at the beginning or the end']);
    expect(passwordProblems('élévation123', legacy)).toEqual(['no accented or non-ASCII character']);
    expect(passwordProblems('alllowercase', hosted)).toEqual(['three of: lower case, upper case, digit, special character']);
  });
});
