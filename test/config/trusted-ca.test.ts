import { describe, expect, it } from 'vitest';
import { trustingSystemRootsAnd } from '../../src/config/trusted-ca.js';
import { generate } from 'selfsigned';

describe('trustingSystemRootsAnd', () => {
  it('builds one context per CA and shares it (not one per connection)', async () => {
    const [a, b] = await Promise.all([generate([{ name: 'commonName', value: 'a.example' }], { keySize: 2048 }), generate([{ name: 'commonName', value: 'b.example' }], { keySize: 2048 })]);
    expect(trustingSystemRootsAnd(a.cert)).toBe(trustingSystemRootsAnd(a.cert));
    expect(trustingSystemRootsAnd(b.cert)).not.toBe(trustingSystemRootsAnd(a.cert));
  });
});
