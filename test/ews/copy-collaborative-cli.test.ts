import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/cli/commands/copy-collaborative.js';
import { collaborativeReportSchema } from '../../src/domain/collaborative-report.js';
import type { EwsDouble } from '../../src/sandbox/ews/index.js';
import { PASSWORD, SOURCE, SOURCE_PASSWORD, contentByFolder, expectedCopy, newDestination, startDouble, uploads } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('migrate-mailbox copy-collaborative (CLI)', () => {
  let double: EwsDouble;
  let dir: string;
  let env: Record<string, string>;
  const url = (address: string) => `https://${encodeURIComponent(address)}@127.0.0.1:${double.port}`;

  beforeAll(async () => {
    double = await startDouble();
    dir = await mkdtemp(join(tmpdir(), 'ews-cli-'));
    await writeFile(join(dir, 'ca.pem'), double.caCertificate);
    env = { MIGRATE_FROM_PASSWORD: SOURCE_PASSWORD, MIGRATE_TO_PASSWORD: PASSWORD, EWS_CA_FILE: join(dir, 'ca.pem'), DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' };
  });
  afterAll(async () => {
    await double?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function inProcess(args: string[], extra: Record<string, string | undefined> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const saved = { ...process.env };
    Object.assign(process.env, env, extra);
    for (const [key, value] of Object.entries(extra)) if (value === undefined) delete process.env[key];
    let stdout = '';
    let stderr = '';
    const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
    const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
    try {
      return { code: await run(args), stdout, stderr };
    } finally {
      out.mockRestore();
      err.mockRestore();
      process.env = saved;
    }
  }

  it('--json prints the report contract; a second run copies nothing', async () => {
    const dest = newDestination(double);
    const first = await inProcess(['--from', url(SOURCE), '--to', url(dest.address), '--json']);
    expect(first.code, first.stderr).toBe(0);
    const report = collaborativeReportSchema.parse(JSON.parse(first.stdout));
    expect(Object.keys(JSON.parse(first.stdout))).toEqual(['ok', 'calendar', 'contacts', 'tasks', 'rules', 'oof', 'bytes', 'seconds', 'folders']);
    expect(report).toMatchObject({ ok: true, calendar: { copied: 3 }, contacts: { copied: 6 }, tasks: { copied: 3 }, rules: { copied: 2 }, oof: { status: 'copied' } });
    expect(first.stderr).toMatch(/^done in /);
    const second = await inProcess(['--from', url(SOURCE), '--to', url(dest.address), '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ ok: true, calendar: { copied: 0, skipped: 3 }, contacts: { copied: 0, skipped: 6 } });
  });

  it('--dry-run lists folders, counts and rules, and changes nothing', async () => {
    const dest = newDestination(double);
    const result = await inProcess(['--from', url(SOURCE), '--to', url(dest.address), '--dry-run']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/dry run: nothing was changed/);
    expect(result.stderr).toMatch(/Calendar\/Projets\s+-> Calendrier\/Projets \(new\): 1 items, to copy 1/);
    expect(result.stderr).toMatch(/rules: 2 to create/);
    expect(uploads(double, dest.address)).toBe(0);
  });

  it('refuses bad arguments with exit code 2: no password, a URL without a user, plain http to a remote host', async () => {
    expect((await inProcess(['--from', url(SOURCE), '--to', url('x@y.z')], { MIGRATE_TO_PASSWORD: undefined })).stderr).toMatch(/MIGRATE_TO_PASSWORD/);
    expect((await inProcess(['--from', `https://127.0.0.1:${double.port}`, '--to', url('x@y.z')])).code).toBe(2);
    const plain = await inProcess(['--from', 'http://john%40example.org@ex5.mail.ovh.net', '--to', url('x@y.z')]);
    expect(plain.code).toBe(2);
    expect(plain.stderr).toMatch(/plain http/);
  });

  it('killed with SIGKILL right after an upload was carried out: the same command again finishes with every item once', async () => {
    const dest = newDestination(double);
    const journal = join(dir, 'killed-journal.json');
    const held = double.faults.holdAfter({ operation: 'UploadItems', mailbox: dest.address });
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'copy-collaborative', '--from', url(SOURCE), '--to', url(dest.address), '--journal', journal], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | null>((done) => child.on('close', (_code, signal) => done(signal)));
    await held;
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    double.faults.clear();
    expect(dest.store.items.size).toBeGreaterThan(0);
    const again = await inProcess(['--from', url(SOURCE), '--to', url(dest.address), '--journal', journal, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
  }, 60_000);
});
