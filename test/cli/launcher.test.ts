import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// scripts/cli.mjs (what `npm run cli` and the package bin start) on a copy of the checkout: src/, scripts/,
// package.json, tsconfig.json and a symlink to node_modules, so edits here never touch the real src/ or .build/.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
let dir: string;
let copyModule: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function launch(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(
      process.execPath,
      [join(dir, 'scripts', 'cli.mjs'), ...args],
      { cwd: dir, env: { ...process.env, LOG_LEVEL: 'warn', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

const builds = () => readdirSync(join(dir, '.build')).sort();
const mainJs = (build: string) => statSync(join(dir, '.build', build, 'cli', 'main.js'));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mm-launcher-'));
  for (const name of ['src', 'scripts', 'package.json', 'tsconfig.json']) cpSync(join(root, name), join(dir, name), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  copyModule = join(dir, 'src', 'cli', 'commands', 'copy.ts');
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('scripts/cli.mjs, the launcher', () => {
  it('builds src/ once, reuses the build while nothing changed, and rebuilds after any edit', async () => {
    // Cold start, twice at once: both run the command, one build is kept and no temporary directory is left.
    const cold = await Promise.all([launch(['copy', '--help']), launch(['copy', '--help'])]);
    for (const run of cold) {
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^usage: migrate-mailbox copy --from/);
    }
    const [first] = builds();
    expect(builds()).toEqual([first]);
    // The JSON schemas the simulator reads next to its modules are copied along.
    expect(readdirSync(join(dir, '.build', first, 'sandbox', 'ovh-simulator', 'schemas'))).toContain('pro.json');
    const before = mainJs(first);
    const buildsBefore = statSync(join(dir, '.build'), { bigint: true });

    // Warm start: nothing under src/ changed, so the same files are run and nothing is built, not even into a
    // temporary directory (creating or removing one would change .build's own mtime).
    const warm = await launch(['copy', '--help']);
    expect(warm.code).toBe(0);
    expect(warm.stdout).toMatch(/^usage: migrate-mailbox copy --from/);
    expect(builds()).toEqual([first]);
    const after = mainJs(first);
    expect(after.ino).toBe(before.ino);
    expect(after.mtimeMs).toBe(before.mtimeMs);
    expect(statSync(join(dir, '.build'), { bigint: true }).mtimeNs).toBe(buildsBefore.mtimeNs);

    // An edit: a new usage line, and a stack trace printed from the copy command, which must name the .ts line.
    const original = readFileSync(copyModule, 'utf8');
    const edited = original
      .replace('usage: migrate-mailbox copy --from', 'usage: migrate-mailbox copy (edited) --from')
      .replace(/export async function run\(argv: string\[\]\): Promise<number> \{\n/, (line) => `${line}  process.stderr.write(new Error('from the launcher test').stack + '\\n');\n`);
    expect(edited).toContain('(edited)');
    expect(edited).toContain('from the launcher test');
    writeFileSync(copyModule, edited);
    const pinned = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000); // whole seconds: restorable exactly below
    utimesSync(copyModule, pinned, pinned);
    const stackLine = edited.split('\n').findIndex((line) => line.includes('from the launcher test')) + 1;
    // A build nobody started from for two hours is deleted by the next build.
    const stale = join(dir, '.build', 'stale-build');
    mkdirSync(stale);
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);

    const rebuilt = await launch(['copy', '--help']);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stdout).toMatch(/^usage: migrate-mailbox copy \(edited\) --from/);
    expect(rebuilt.stderr).toContain('from the launcher test');
    expect(rebuilt.stderr).toContain(`${copyModule}:${stackLine}:`);
    const second = builds().find((name) => name !== first);
    expect(second).toBeDefined();
    expect(builds()).toEqual([first, second].sort()); // the stale one is gone, the one used a moment ago stays

    // Same size and the same mtime (as `touch -r` or an unpacked archive can leave it): still rebuilt.
    writeFileSync(copyModule, edited.replace('(edited)', '(EDITED)'));
    utimesSync(copyModule, pinned, pinned);
    expect(statSync(copyModule).mtimeMs).toBe(pinned.getTime());
    const sameSize = await launch(['copy', '--help']);
    expect(sameSize.code).toBe(0);
    expect(sameSize.stdout).toMatch(/^usage: migrate-mailbox copy \(EDITED\) --from/);
    expect(builds()).toHaveLength(3);
  });

  it('reports a syntax error in src/ with its file and line, and runs nothing', async () => {
    const original = readFileSync(copyModule, 'utf8');
    writeFileSync(copyModule, original + '\nconst = ;\n');
    try {
      const broken = await launch(['copy', '--help']);
      expect(broken.code).toBe(1);
      expect(broken.stdout).toBe('');
      expect(broken.stderr).toContain('src/cli/commands/copy.ts:');
      expect(readdirSync(join(dir, '.build')).filter((name) => name.includes('.tmp-'))).toEqual([]);
    } finally {
      writeFileSync(copyModule, original);
    }
  });
});
