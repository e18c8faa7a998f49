import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const published = resolve(here, '../../../shared/ovh-api-schemas');
const copies = resolve(here, '../../src/sandbox/ovh-simulator/schemas');

// The simulator ships copies of the published schemas so that `sandbox` works from a clone on its own;
// they must stay byte-for-byte the published ones, or the simulator would accept calls OVH refuses.
describe('the simulator schema copies', () => {
  it('are identical to ../shared/ovh-api-schemas', () => {
    for (const file of ['exchange.json', 'pro.json', 'mxplan.json', 'domain.json']) {
      const copy = readFileSync(resolve(copies, file));
      const original = readFileSync(resolve(published, file));
      expect(copy.equals(original), `${file} differs from the published schema`).toBe(true);
    }
  });
});
