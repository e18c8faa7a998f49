import { describe, expect, it } from 'vitest';
import { nextFreeStagedName, nextFreeTemporaryName, resolveTemporaryName, temporaryNameWithSuffix } from '../../src/domain/temporary-name.js';

describe('the temporary-name rule', () => {
  it('appends 01 to the part before @ (the OVH guide example)', () => {
    expect(nextFreeTemporaryName('john.smith@mydomain.ovh', [])).toBe('john.smith01@mydomain.ovh');
  });

  it('takes the next free suffix, whatever the case of taken addresses', () => {
    const taken = ['JOHN.SMITH01@mydomain.ovh', 'john.smith02@mydomain.ovh', 'john.smith04@mydomain.ovh'];
    expect(nextFreeTemporaryName('John.Smith@mydomain.ovh', taken)).toBe('john.smith03@mydomain.ovh');
    expect(nextFreeTemporaryName('john.smith@mydomain.ovh', taken, 4)).toBe('john.smith05@mydomain.ovh');
  });

  it('gives up after 99', () => {
    const taken = Array.from({ length: 99 }, (_, i) => temporaryNameWithSuffix('a@d.fr', i + 1));
    expect(nextFreeTemporaryName('a@d.fr', taken)).toBeUndefined();
  });

  it('refuses a suffix that would make the local part too long', () => {
    expect(() => temporaryNameWithSuffix(`${'a'.repeat(63)}@d.fr`, 1)).toThrow(/too long/);
  });

  it('reads a requested name as an address or a local part on the same domain', () => {
    expect(resolveTemporaryName('john@d.fr', 'john-old')).toEqual({ ok: true, address: 'john-old@d.fr' });
    expect(resolveTemporaryName('john@d.fr', 'John-Old@D.fr')).toEqual({ ok: true, address: 'john-old@d.fr' });
    expect(resolveTemporaryName('john@d.fr', 'john@other.fr')).toMatchObject({ ok: false, error: expect.stringContaining('stay on d.fr') });
    expect(resolveTemporaryName('john@d.fr', 'JOHN')).toMatchObject({ ok: false, error: expect.stringContaining('differ') });
    expect(resolveTemporaryName('john@d.fr', ' ')).toMatchObject({ ok: false });
  });
});

describe('the staged name', () => {
  it('is NAME.migrating, then .migrating2..9, whatever the case of taken addresses; none when all are taken or too long', () => {
    expect(nextFreeStagedName('John.Smith@mydomain.ovh', [])).toBe('john.smith.migrating@mydomain.ovh');
    expect(nextFreeStagedName('john.smith@mydomain.ovh', ['JOHN.SMITH.MIGRATING@mydomain.ovh'])).toBe('john.smith.migrating2@mydomain.ovh');
    const all = ['', '2', '3', '4', '5', '6', '7', '8', '9'].map((n) => `a.migrating${n}@d.ovh`);
    expect(nextFreeStagedName('a@d.ovh', all)).toBeUndefined();
    expect(nextFreeStagedName(`${'x'.repeat(60)}@d.ovh`, [])).toBeUndefined();
  });
});
