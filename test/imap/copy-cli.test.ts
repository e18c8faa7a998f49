import { spawn } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as runCopy } from '../../src/cli/commands/copy.js';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyReportSchema } from '../../src/domain/copy-report.js';
import { fingerprint, PASSWORD, readFolder, seedMessages, startServer } from './support.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined> = {}, onSpawn?: (kill: () => void) => void): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'copy', ...args], {
      cwd: ROOT,
      env: { ...process.env, MIGRATE_FROM_PASSWORD: PASSWORD, MIGRATE_TO_PASSWORD: PASSWORD, LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    onSpawn?.(() => child.kill('SIGKILL'));
  });
}

/** Runs the command in this process with stdout/stderr captured (fast: no process start-up). */
async function runInProcess(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const saved = { ...process.env };
  Object.assign(process.env, { MIGRATE_FROM_PASSWORD: PASSWORD, MIGRATE_TO_PASSWORD: PASSWORD, LOG_LEVEL: 'silent' }, env);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const code = await runCopy(args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.env = saved;
  }
}

const url = (server: DovecotServer, user: string) => `imap://${encodeURIComponent(user)}@${server.host}:${server.port}`;

async function messageCount(server: DovecotServer, user: string, folder: string): Promise<number> {
  const out = await server.doveadm(['-f', 'flow', 'mailbox', 'status', '-u', user, 'messages', folder]).catch(() => 'messages=0');
  return Number(/messages=(\d+)/.exec(out)?.[1] ?? 0);
}

/** Messages stored in a folder, counted from the Maildir itself: cheap enough to poll while a copy runs. */
async function maildirCount(server: DovecotServer, user: string, folder: string): Promise<number> {
  const dir = server.maildirOf(user, folder);
  const counts = await Promise.all(['cur', 'new'].map((sub) => readdir(join(dir, sub)).then((names) => names.length, () => 0)));
  return counts[0] + counts[1];
}

describe('migrate-mailbox copy (CLI)', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  const SOURCE = 'jean.dupont@source.example';

  beforeAll(async () => {
    [source, destination] = await Promise.all([
      startServer({ separator: '.', prefix: 'INBOX.' }, [{ name: SOURCE }]),
      startServer({ separator: '/' }, [{ name: 'killed@dest.example' }, { name: 'json@dest.example' }]),
    ]);
    await source.seed(SOURCE, 'INBOX', seedMessages(2500, 'bulk', {}, 4000));
    await source.seed(SOURCE, 'INBOX.Petit', seedMessages(5, 'petit'));
  });
  afterAll(async () => Promise.all([source?.destroy(), destination?.destroy()]));

  it('rejects bad arguments with one clear line on stderr and exit code 2', async () => {
    const to = url(destination, 'json@dest.example');
    const from = url(source, SOURCE);
    const cases: Array<[string[], RegExp, Record<string, string>?]> = [
      [['--to', to], /--from .* is required/],
      [['--from', from, '--to', to], /MIGRATE_TO_PASSWORD/, { MIGRATE_TO_PASSWORD: '' }],
      [['--from', from, '--to', to], /MIGRATE_FROM_PASSWORD/, { MIGRATE_FROM_PASSWORD: '' }],
      [['--from', 'http://x@y', '--to', to], /imap:\/\/ or imaps:\/\//],
      [['--from', from, '--to', to, '--connections', '0'], /--connections must be a whole number from 1 to 8/],
      [['--from', from, '--to', to, '--connections', 'many'], /--connections/],
      [['--from', from, '--to', to, '--exclude', '(['], /--exclude .* is not a valid regular expression/],
      [['--from', from, '--to', to, '--bogus'], /bogus/],
    ];
    for (const [args, message, env] of cases) {
      const result = await runInProcess(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
      expect(result.stdout, args.join(' ')).toBe('');
    }
  });

  it('dispatches from the CLI entry point', async () => {
    const result = await cli(['--to', url(destination, 'json@dest.example')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^migrate-mailbox copy: --from .* is required/);
  });

  it('resumes after kill -9 mid-copy without duplicates, then --json reports the exact shape', async () => {
    const args = ['--from', url(source, SOURCE), '--to', url(destination, 'killed@dest.example'), '--exclude', '^INBOX\\.Petit$'];
    const killed = await cli(args, {}, (kill) => {
      const poll = setInterval(async () => {
        const count = await maildirCount(destination, 'killed@dest.example', 'INBOX');
        if (count > 100) {
          clearInterval(poll);
          kill();
        }
      }, 25);
    });
    expect(killed.signal).toBe('SIGKILL');
    const partial = await messageCount(destination, 'killed@dest.example', 'INBOX');
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(2500);

    const resumed = await cli([...args, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout.trim().split('\n')).toHaveLength(1);
    const report = copyReportSchema.strict().parse(JSON.parse(resumed.stdout));
    expect(Object.keys(JSON.parse(resumed.stdout))).toEqual(['ok', 'messages', 'bytes', 'seconds', 'folders']);
    expect(Object.keys(JSON.parse(resumed.stdout).folders[0])).toEqual(['from', 'to', 'total', 'copied', 'skipped', 'failed']);
    expect(report.messages.total).toBe(2500);
    expect(report.messages.skipped).toBeGreaterThanOrEqual(partial - 100);
    expect(report.messages.copied + report.messages.skipped).toBe(2500);
    expect(report.ok).toBe(true);
    expect(fingerprint(await readFolder(destination, 'killed@dest.example', 'INBOX'))).toEqual(fingerprint(await readFolder(source, SOURCE, 'INBOX')));
    expect(resumed.stderr).toMatch(/copied/);
  }, 150_000);

  it('copies over imaps:// and STARTTLS, trusting the CA from IMAP_CA_FILE', async () => {
    const secure = await startServer({ separator: '/', tls: true }, [{ name: 'tls@dest.example' }]);
    try {
      const caFile = join(secure.dir, 'ca-for-test.pem');
      await writeFile(caFile, secure.caCertificate!);
      const implicit = `imaps://${encodeURIComponent('tls@dest.example')}@127.0.0.1:${secure.tlsPort}`;
      const result = await runInProcess(['--from', url(source, SOURCE), '--to', implicit, '--exclude', '^INBOX$', '--json'], { IMAP_CA_FILE: caFile });
      expect(result.code, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout).messages).toMatchObject({ total: 5, copied: 5 });
      const starttls = await runInProcess(['--from', url(source, SOURCE), '--to', url(secure, 'tls@dest.example'), '--exclude', '^INBOX$', '--json'], { IMAP_CA_FILE: caFile });
      expect(starttls.code, starttls.stderr).toBe(0);
      expect(JSON.parse(starttls.stdout).messages).toMatchObject({ total: 5, copied: 0, skipped: 5 });
      const untrusted = await runInProcess(['--from', url(source, SOURCE), '--to', implicit, '--json']);
      expect(untrusted.code).toBe(1);
      expect(untrusted.stderr).toMatch(/cannot log in to imaps:\/\/tls%40dest.example@127.0.0.1.*IMAP_CA_FILE/);
    } finally {
      await secure.destroy();
    }
  });

  it('--dry-run shows the plan and copies nothing', async () => {
    const result = await cli(['--from', url(source, SOURCE), '--to', url(destination, 'json@dest.example'), '--dry-run', '--json', '--exclude', '^INBOX$']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('INBOX.Petit');
    expect(result.stderr).toMatch(/-> Petit \(new\)/);
    const report = copyReportSchema.strict().parse(JSON.parse(result.stdout));
    expect(report.messages).toEqual({ total: 5, copied: 0, skipped: 0, failed: 0 });
    expect(await messageCount(destination, 'json@dest.example', 'Petit')).toBe(0);
  });
});
