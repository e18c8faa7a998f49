import { describe, expect, it } from 'vitest';
import type { PasswordPolicy } from '../../src/ovh/mail-platform.js';
import { checkPassword, generatePassword, LEGACY_MXPLAN_POLICY } from '../../src/ovh/password.js';

const policies: PasswordPolicy[] = [
  LEGACY_MXPLAN_POLICY,
  { minLength: 8, maxLength: 64, complexity: true, asciiOnly: true },
  { minLength: 24, maxLength: 64, complexity: true, asciiOnly: true },
  { minLength: 9, maxLength: 9, complexity: true, asciiOnly: true },
];

describe('generatePassword', () => {
  for (const policy of policies) {
    it(`satisfies ${JSON.stringify(policy)} every time`, () => {
      for (let i = 0; i < 300; i++) {
        const password = generatePassword(policy);
        expect(checkPassword(password, policy)).toEqual([]);
        expect(password).toMatch(/^[A-Za-z0-9][\x21-\x7e]*[A-Za-z0-9]$/);
        expect(password).toMatch(/[A-Z]/);
        expect(password).toMatch(/[a-z]/);
        expect(password).toMatch(/[0-9]/);
        expect(password).toMatch(/[^A-Za-z0-9]/);
      }
    });
  }

  it('uses the requested length within the policy bounds', () => {
    expect(generatePassword(LEGACY_MXPLAN_POLICY, 100)).toHaveLength(30);
    expect(generatePassword({ minLength: 12, maxLength: 64, complexity: true, asciiOnly: true }, 4)).toHaveLength(12);
    expect(generatePassword({ minLength: 8, maxLength: 64, complexity: false, asciiOnly: true })).toHaveLength(20);
  });

  it('does not repeat itself', () => {
    const seen = new Set(Array.from({ length: 200 }, () => generatePassword(LEGACY_MXPLAN_POLICY)));
    expect(seen.size).toBe(200);
  });

  it('refuses an impossible policy', () => {
    expect(() => generatePassword({ minLength: 40, maxLength: 30, complexity: true, asciiOnly: true })).toThrow(/cannot generate/);
  });
});

describe('checkPassword', () => {
  it('names every broken rule', () => {
    expect(checkPassword(' Évian1 ', LEGACY_MXPLAN_POLICY)).toEqual(['at least 9 characters', 'no space at the beginning or the end', 'no accented or non-ASCII character']);
    expect(checkPassword('a'.repeat(31), LEGACY_MXPLAN_POLICY)).toEqual(['at most 30 characters']);
    // Complexity is Active Directory's rule, as on OVH's Exchange and E-mail Pro: three of the four classes.
    expect(checkPassword('abcdefgh', { minLength: 8, maxLength: 64, complexity: true, asciiOnly: true })).toEqual([
      'three of: lower case, upper case, digit, special character',
    ]);
    expect(checkPassword('Abcdefg1', { minLength: 8, maxLength: 64, complexity: true, asciiOnly: true })).toEqual([]);
    expect(checkPassword('Abcdefg1!', { minLength: 8, maxLength: 64, complexity: true, asciiOnly: true })).toEqual([]);
  });
});
