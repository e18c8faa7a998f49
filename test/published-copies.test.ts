import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Files published beside the repository (../shared) are copied into it so that a clone works alone: the OVH
// schemas the simulator answers from, Slack's manifest schema. A copy must stay byte-for-byte the published
// file (or the simulator would accept calls OVH refuses), so each one's SHA-256 is recorded in
// published-copies.json: the copies are checked against it always, and ../shared against it when present, so
// an update of a published file is noticed.

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..');
const shared = resolve(repoRoot, '../shared');
const hasShared = existsSync(shared);
const { copies } = JSON.parse(readFileSync(resolve(here, 'published-copies.json'), 'utf8')) as {
  copies: { copy: string; published: string; sha256: string }[];
};

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('copies of published files (test/published-copies.json)', () => {
  it('each copy in the repository has its recorded SHA-256', () => {
    expect(copies.length).toBeGreaterThanOrEqual(5);
    const differing = copies.filter((c) => !existsSync(resolve(repoRoot, c.copy)) || sha256(resolve(repoRoot, c.copy)) !== c.sha256).map((c) => c.copy);
    expect(differing, 'missing or changed copies').toEqual([]);
  });

  it('every OVH schema the simulator ships is a recorded copy, except the hand-written auth.json', () => {
    const dir = 'src/sandbox/ovh-simulator/schemas';
    const files = readdirSync(resolve(repoRoot, dir)).filter((f) => f !== 'auth.json').map((f) => `${dir}/${f}`);
    expect(files.filter((f) => !copies.some((c) => c.copy === f))).toEqual([]);
  });

  it.skipIf(!hasShared)(
    hasShared
      ? 'the published files in ../shared still have the recorded SHA-256'
      : 'the published files in ../shared still have the recorded SHA-256: not checked, there is no ../shared beside this clone',
    () => {
      const changed = copies.filter((c) => !existsSync(resolve(shared, c.published)) || sha256(resolve(shared, c.published)) !== c.sha256).map((c) => c.published);
      expect(changed, 'published files that are missing or changed: copy them again and record their new SHA-256').toEqual([]);
    },
  );
});
