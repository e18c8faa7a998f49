import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `migrate-mailbox sandbox`, then `migrate` against it, as a user would run them. */
let sandbox: ChildProcess;
let dataDir: string;
let line: { env: Record<string, string>; services: { platform: string; service: string }[]; mailboxes: { address: string; platform: string; service: string; messages: number }[] };

function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  // Short: Dovecot's Unix sockets live below it.
  dataDir = await mkdtemp(join(tmpdir(), 'mm-'));
  sandbox = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'sandbox'], { env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  line = await new Promise((resolve, reject) => {
    let buffer = '';
    sandbox.stdout!.on('data', (c: Buffer) => {
      buffer += c.toString();
      const newline = buffer.indexOf('\n');
      if (newline >= 0) resolve(JSON.parse(buffer.slice(0, newline)));
    });
    sandbox.once('exit', (code) => reject(new Error(`sandbox exited with ${code}`)));
  });
}, 60_000);

afterAll(async () => {
  if (sandbox && sandbox.exitCode === null) {
    const exited = new Promise((resolve) => sandbox.once('exit', resolve));
    sandbox.kill('SIGTERM');
    await exited;
  }
  await rm(dataDir, { recursive: true, force: true });
});

describe('the CLI against `migrate-mailbox sandbox`', () => {

  it('sandbox prints one JSON line: env, services of the four kinds, mailboxes with their message counts', () => {
    expect(Object.keys(line)).toEqual(['env', 'services', 'mailboxes']);
    expect(line.env).toMatchObject({ OVH_HOST: '127.0.0.1', REDIS_URL: expect.stringMatching(/^redis:\/\//), IMAP_ENDPOINTS: expect.any(String), SECRETS_KEY: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(line.services.map((s) => s.platform).sort()).toEqual(['emailpro', 'exchange', 'exchange', 'mxplan', 'mxplan-legacy']);
    // each Exchange service has its EWS (the doubles), E-mail Pro and MX Plan none
    expect(line.services.filter((s) => (s as { ews?: string }).ews).map((s) => s.service).sort()).toEqual(['hosted-sb11111-1/hosted-sb11111-1', 'hosted-sb55555-1/hosted-sb55555-1']);
    expect(line.mailboxes).toContainEqual({ address: 'john.smith@mydomain.ovh', platform: 'exchange', service: 'hosted-sb11111-1/hosted-sb11111-1', messages: 30 });
  });

  it('migrate refuses what preflight refuses, with exit code 2 and the reason', async () => {
    const result = await cli(['migrate', 'big.mailbox@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--yes', '--json'], line.env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/over the 10\.0 GiB/);
    expect(JSON.parse(result.stdout)).toMatchObject({ ok: false, steps: [{ name: 'preflight', status: 'failed' }], copy: null });
  }, 60_000);

  it('migrate --dry-run shows the plan and changes nothing', async () => {
    const result = await cli(['migrate', 'jane.doe@mydomain.ovh', '--to', 'mxplan-sb33333-1', '--dry-run'], line.env);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Temporary name:\s+jane\.doe01@mydomain\.ovh/);
    // every feature with its verdict: the rights with john.smith wait for him on the MX Plan
    expect(result.stdout).toMatch(/Features:\s+\d+ on the source: \d+ to create, \d+ already there, \d+ pending, \d+ by hand, 0 in conflict/);
    expect(result.stdout).toContain('  pending   full access on jane.doe@mydomain.ovh for john.smith@mydomain.ovh: waits for john.smith@mydomain.ovh on mxplan-sb33333-1');
    expect(result.stdout).toContain('  by hand   jane.doe@mydomain.ovh as a manager of the group team@mydomain.ovh: MX Plan has no groups (distribution lists): ');
    expect(result.stdout).toMatch(/Order:\s+classic: the staged order reads the live mailbox, which needs its current password/);
    // a staged-only option on a migration that cannot be staged: refused, saying why
    const classic = await cli(['migrate', 'jane.doe@mydomain.ovh', '--to', 'mxplan-sb33333-1', '--cutover', 'now', '--dry-run'], line.env);
    expect(classic).toMatchObject({ code: 2, stderr: expect.stringMatching(/need the staged order, which is not possible here: .*current password/) });
    const staged = await cli(['migrate', 'jane.doe@mydomain.ovh', '--to', 'mxplan-sb33333-1', '--dry-run'], { ...line.env, MIGRATE_SOURCE_PASSWORD: 'Exchange-Pass-02' });
    expect(staged.stdout).toMatch(/Order:\s+staged: the mail is copied into jane\.doe\.migrating@mydomain\.ovh/);
  }, 60_000);

  it('migrate --yes --json runs the whole procedure and prints the contract object', async () => {
    const result = await cli(['migrate', 'john.smith@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--yes', '--json'], line.env);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(Object.keys(json)).toEqual(['ok', 'source', 'destination', 'temporaryName', 'steps', 'copy', 'features', 'collaborative', 'order', 'cutoverWindow', 'staging']);
    // no MIGRATE_SOURCE_PASSWORD: the classic order, and the window holds the whole copy
    expect(json.order).toMatchObject({ kind: 'classic', reason: expect.stringMatching(/current password/), stagedAddress: null });
    expect(json.cutoverWindow.seconds).toBeGreaterThan(0);
    expect(json.staging).toBeNull();
    // E-mail Pro answers no EWS in the sandbox: calendars and contacts are not copied, and the plan said why
    expect(json.collaborative).toBeNull();
    // every feature with what became of it: the report's three sections, as JSON
    expect(json.features).toEqual(
      expect.arrayContaining([
        { kind: 'alias', target: 'alias john@mydomain.ovh of john.smith@mydomain.ovh', status: 'created', detail: null },
        { kind: 'externalContact', target: 'external contact partner@example.com (Partner Example)', status: 'exists', detail: null },
        { kind: 'right', target: 'full access on john.smith@mydomain.ovh for jane.doe@mydomain.ovh', status: 'pending', detail: 'waits for jane.doe@mydomain.ovh on emailpro-sb22222-1' },
        expect.objectContaining({ kind: 'externalContact', target: 'external contact supplier@example.org (Supplier Example)', status: 'conflict', detail: expect.stringMatching(/Supplier \(old name\).*to do: /) }),
        expect.objectContaining({ kind: 'forwarding', status: 'byHand', detail: expect.stringMatching(/no forwarding setting.*to do: create an inbox rule/) }),
      ]),
    );
    for (const f of json.features) expect(Object.keys(f)).toEqual(['kind', 'target', 'status', 'detail']);
    expect(result.stderr).toMatch(/\+\+\+\+ Features pending \(recreated once the other mailbox is migrated to the same service\)/);
    expect(json).toMatchObject({ ok: true, source: 'john.smith@mydomain.ovh', temporaryName: 'john.smith01@mydomain.ovh' });
    expect(json.steps.map((s: { name: string }) => s.name)).toEqual(['preflight', 'approval', 'attach-domain', 'rename-source', 'create-destination', 'copy', 'collaborative', 'delta', 'features', 'verify', 'dns', 'handover']);
    expect(Object.keys(json.copy)).toEqual(['ok', 'messages', 'bytes', 'seconds', 'folders']);
    expect(json.copy.messages).toMatchObject({ total: 30, copied: 30, failed: 0 });
    expect(result.stderr).toMatch(/\+\+\+\+ Statistics/);
    const shown = /Initial password of john\.smith@mydomain\.ovh: (\S+)\n/.exec(result.stderr)?.[1];
    expect(shown, 'the password is shown once the destination exists').toBeDefined();

    const status = await cli(['migrate', 'john.smith@mydomain.ovh', '--status', '--json'], line.env);
    expect(status.code).toBe(0);
    const stored = JSON.parse(status.stdout);
    expect(stored).toMatchObject({ state: 'done', password: 'ready', undoAvailable: false });
    const handover = stored.steps.find((s: { name: string }) => s.name === 'handover');
    expect(handover).toMatchObject({ status: 'done', startedAt: expect.any(String), endedAt: expect.any(String), finishedAt: handover.endedAt });
    expect(Date.parse(handover.endedAt)).toBeGreaterThanOrEqual(Date.parse(handover.startedAt));

    // the password again, until acknowledged; then it is gone
    const again = await cli(['migrate', 'john.smith@mydomain.ovh', '--password'], line.env);
    expect(again).toMatchObject({ code: 0, stdout: `${shown}\n` });
    expect(await cli(['migrate', 'john.smith@mydomain.ovh', '--ack-password'], line.env)).toMatchObject({ code: 0 });
    const gone = await cli(['migrate', 'john.smith@mydomain.ovh', '--password'], line.env);
    expect(gone.code).toBe(1);
    expect(gone.stdout).toBe('');
    expect(gone.stderr).toMatch(/acknowledged .* no longer stored/);

    // the same command again: the migration is found and reported, not refused because the source was renamed
    const rerun = await cli(['migrate', 'john.smith@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--yes', '--json'], line.env);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/was already migrated to emailpro-sb22222-1/);
    expect(JSON.parse(rerun.stdout)).toMatchObject({ ok: true, source: 'john.smith@mydomain.ovh' });
    const undo = await cli(['migrate', 'john.smith@mydomain.ovh', '--undo'], line.env);
    expect(undo.code).toBe(1);
    expect(undo.stderr).toMatch(/undo is for a failed or cancelled migration/);
  }, 120_000);

  it('migrate Exchange -> Exchange copies calendars, contacts, tasks, rules and out-of-office over EWS, and --json says so', async () => {
    const result = await cli(['migrate', 'jane.doe@mydomain.ovh', '--to', 'hosted-sb55555-1/hosted-sb55555-1', '--yes', '--json'], line.env);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.steps.find((s: { name: string }) => s.name === 'collaborative')).toMatchObject({ status: 'done' });
    expect(json.collaborative).toMatchObject({ ok: true, rules: { copied: 2 }, oof: { status: 'copied' } });
    expect(json.collaborative.calendar.copied).toBeGreaterThan(0);
    expect(json.collaborative.contacts.copied).toBeGreaterThan(0);
    expect(json.collaborative.tasks.copied).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/\+\+\+\+ Calendars, contacts, tasks, rules and out-of-office \(EWS\)/);
  }, 120_000);

  it('migrate --cutover now with MIGRATE_SOURCE_PASSWORD stages the copy (IMAP switched on meanwhile) and reports the cut-over window', async () => {
    const env = { ...line.env, MIGRATE_SOURCE_PASSWORD: 'Exchange-Pass-04' };
    const result = await cli(['migrate', 'imap.off@mydomain.ovh', '--to', 'hosted-sb55555-1/hosted-sb55555-1', '--yes', '--json', '--cutover', 'now', '--sync-every', '30m'], env);
    expect(result.code, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json.order).toEqual({ kind: 'staged', reason: expect.stringContaining('imap.off.migrating@mydomain.ovh'), stagedAddress: 'imap.off.migrating@mydomain.ovh' });
    expect(json.steps.map((s: { name: string }) => s.name)).toEqual(['preflight', 'approval', 'attach-domain', 'create-destination', 'copy', 'collaborative', 'stage', 'rename-source', 'rename-destination', 'delta', 'features', 'verify', 'dns', 'handover']);
    expect(json.steps.filter((s: { status: string }) => s.status !== 'done' && s.status !== 'skipped')).toEqual([]);
    expect(json.staging).toMatchObject({ stagedAddress: 'imap.off.migrating@mydomain.ovh', cutover: { by: 'the schedule' } });
    const rename = json.steps.find((s: { name: string }) => s.name === 'rename-source');
    const delta = json.steps.find((s: { name: string }) => s.name === 'delta');
    expect(json.cutoverWindow).toEqual({ startedAt: rename.startedAt, endedAt: delta.finishedAt, seconds: (Date.parse(delta.finishedAt) - Date.parse(rename.startedAt)) / 1000 });
    expect(result.stderr).toMatch(/Cut-over window \(rename to final delta\)\s*: \d+\.\d sec/);
    expect(result.stderr).toMatch(/Initial password of imap\.off@mydomain\.ovh: \S+/);
  }, 120_000);

  it('bad staged options are refused with what to type, before anything is planned', async () => {
    const noPassword = await cli(['migrate', 'big.mailbox@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--order', 'staged', '--dry-run'], line.env);
    expect(noPassword).toMatchObject({ code: 2, stderr: expect.stringContaining('MIGRATE_SOURCE_PASSWORD') });
    const badEvery = await cli(['migrate', 'big.mailbox@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--sync-every', '5x', '--dry-run'], line.env);
    expect(badEvery).toMatchObject({ code: 2, stderr: expect.stringContaining('--sync-every takes a duration') });
    const badWhen = await cli(['migrate', 'big.mailbox@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--cutover', 'tomorrow', '--dry-run'], line.env);
    expect(badWhen).toMatchObject({ code: 2, stderr: expect.stringContaining('--cutover takes now or manual, and --cutover-at an ISO time') });
    const badAt = await cli(['migrate', 'big.mailbox@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--cutover-at', '2026-13-45T99:00:00Z', '--dry-run'], line.env);
    expect(badAt).toMatchObject({ code: 2, stderr: expect.stringContaining('--cutover-at an ISO time') });
    const both = await cli(['migrate', 'big.mailbox@mydomain.ovh', '--to', 'emailpro-sb22222-1', '--cutover', 'now', '--cutover-at', '2026-12-05T18:00:00Z'], line.env);
    expect(both).toMatchObject({ code: 2, stderr: expect.stringContaining('not both') });
  }, 60_000);
});
