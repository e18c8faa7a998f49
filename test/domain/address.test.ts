import { describe, expect, it } from 'vitest';
import { isFreeSlot, normalizeAddress, parseAddress, sameAddress, tryParseAddress } from '../../src/domain/address.js';

describe('mailbox addresses', () => {
  it('normalises case, spaces and internationalised domains', () => {
    expect(parseAddress('  John.Smith@MyDomain.OVH ')).toEqual({ local: 'john.smith', domain: 'mydomain.ovh', address: 'john.smith@mydomain.ovh' });
    expect(normalizeAddress('anne@café.fr')).toBe('anne@xn--caf-dma.fr');
    expect(normalizeAddress('a@example.com.')).toBe('a@example.com');
  });

  it.each([
    ['', 'empty'],
    ['john', 'name@domain'],
    ['a@b@c.fr', 'more than one @'],
    ['john@', 'domain is missing'],
    ['.john@d.fr', 'dots'],
    ['jo..hn@d.fr', 'dots'],
    ['jo hn@d.fr', 'characters'],
    ['john@localhost', 'example.com'],
    ['john@-bad.fr', 'example.com'],
    [`${'a'.repeat(65)}@d.fr`, 'longer than 64'],
  ])('refuses %j with a reason', (input, reason) => {
    const result = tryParseAddress(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain(reason);
  });

  it('compares addresses by normal form', () => {
    expect(sameAddress('A@d.fr', 'a@D.FR')).toBe(true);
    expect(sameAddress('a@d.fr', 'b@d.fr')).toBe(false);
    expect(sameAddress('bad', 'bad')).toBe(false);
  });

  it('recognises free slots', () => {
    expect(isFreeSlot('abc123@configureme.me')).toBe(true);
    expect(isFreeSlot('john@mydomain.ovh')).toBe(false);
  });
});
