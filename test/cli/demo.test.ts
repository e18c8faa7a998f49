import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// The README's quick start: `npm run demo` must migrate the sample mailbox end to end on a fresh checkout.
describe('npm run demo (the quick start)', () => {
  it('migrates the sample Exchange mailbox to E-mail Pro on the sandbox and reports every step done', async () => {
    const { stdout, stderr } = await run('npm', ['run', '--silent', 'demo', '--', '--json'], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn' },
      timeout: 240_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const report = JSON.parse(stdout) as {
      ok: boolean;
      source: string;
      temporaryName: string;
      steps: { name: string; status: string }[];
      copy: { ok: boolean; messages: { total: number; copied: number; failed: number } };
    };
    expect(report.ok).toBe(true);
    expect(report.source).toBe('john.smith@mydomain.ovh');
    expect(report.temporaryName).toBe('john.smith01@mydomain.ovh');
    expect(report.steps.filter((s) => s.status !== 'done' && s.status !== 'skipped')).toEqual([]);
    expect(report.steps.map((s) => s.name)).toEqual(expect.arrayContaining(['rename-source', 'create-destination', 'copy', 'features', 'dns', 'handover']));
    expect(report.copy.ok).toBe(true);
    expect(report.copy.messages.failed).toBe(0);
    expect(report.copy.messages.total).toBeGreaterThan(0);
    // The human report and the one-time password go to stderr, never to the JSON on stdout.
    expect(stderr).toContain('The migration looks good');
    expect(stdout).not.toContain('Initial password');
  }, 300_000);
});
