import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/pipeline/audit-log.js';
import { RedisServer } from '../../src/redis/redis-server.js';

const DAY = 24 * 3600_000;
let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await RedisServer.start();
  redis = new Redis(server.connection as never);
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

const entry = { action: 'request', outcome: 'ok', actorKind: 'cli', actorId: 'ops' } as const;

/** An entry written `daysAgo` days ago by an earlier process: its stream id carries that time. */
async function writtenAgo(key: string, daysAgo: number, address: string): Promise<string> {
  const ms = Date.now() - daysAgo * DAY;
  return (await redis.xadd(key, `${ms}-0`, 'at', new Date(ms).toISOString(), 'action', 'request', 'outcome', 'ok', 'actorKind', 'cli', 'actorId', 'ops', 'address', address))!;
}

describe('audit trail retention', () => {
  it('each write trims what is older than the retention, and keeps what is not', async () => {
    const key = 'ret:x:migrations:audit';
    await writtenAgo(key, 400, 'a@old.example');
    await writtenAgo(key, 366, 'b@old.example');
    await writtenAgo(key, 364, 'c@recent.example');
    await writtenAgo(key, 1, 'd@recent.example');
    expect(await redis.xlen(key)).toBe(4);
    const log = new AuditLog(redis, key, { retentionDays: 365 });
    await log.append({ ...entry, address: 'e@now.example' });
    expect((await log.read()).map((e) => e.address)).toEqual(['c@recent.example', 'd@recent.example', 'e@now.example']);
    expect(await redis.xlen(key)).toBe(3);
  });

  it('the retention is computed from the injected clock and the configured days', async () => {
    const key = 'ret2:x:migrations:audit';
    await writtenAgo(key, 10, 'a@old.example');
    await writtenAgo(key, 3, 'b@recent.example');
    // a week of retention, read by a clock two days ahead: the cut is 5 days back from now
    const log = new AuditLog(redis, key, { retentionDays: 7, now: () => Date.now() + 2 * DAY });
    const id = await log.append({ ...entry, address: 'c@now.example' });
    expect((await log.read()).map((e) => e.address)).toEqual(['b@recent.example', 'c@now.example']);
    expect((await log.read({ since: new Date(Date.now() - DAY) })).map((e) => e.id)).toEqual([id]);
  });
});
