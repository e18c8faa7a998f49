import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisServer } from '../../src/sandbox/redis.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

describe('RedisServer', () => {
  it('runs a real redis-server on a free port, configured for BullMQ, and removes its temporary directory', async () => {
    const server = await RedisServer.start();
    const client = new Redis(server.url);
    cleanups.push(() => server.stop(), async () => client.disconnect());
    expect(await client.ping()).toBe('PONG');
    expect(await client.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    client.disconnect();
    await server.stop();
    expect(existsSync(server.dir)).toBe(false);
  });

  it('listens on a Unix socket and keeps data across restarts in a given directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const socket = join(dir, 'r.sock');
    let server = await RedisServer.start({ dir, unixSocket: socket });
    let client = new Redis({ path: socket });
    await client.set('kept', 'yes');
    client.disconnect();
    await server.stop();
    server = await RedisServer.start({ dir, unixSocket: socket });
    client = new Redis(server.connection);
    cleanups.push(() => server.stop(), async () => client.disconnect());
    expect(await client.get('kept')).toBe('yes');
  });

  it('replaces a server left behind by a killed process', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await RedisServer.start({ dir });
    const port = first.port!;
    // The owner "dies" without stopping it: the next start on the same directory stops the orphan.
    const second = await RedisServer.start({ dir, port });
    cleanups.push(() => second.stop());
    const client = new Redis(second.url);
    cleanups.push(async () => client.disconnect());
    expect(await client.ping()).toBe('PONG');
    expect(first.pid).not.toBe(second.pid);
  });

  it('says what went wrong when redis-server cannot start', async () => {
    await expect(RedisServer.start({ binary: '/nonexistent/redis-server' })).rejects.toThrow(/install the Debian package redis-server/);
  });
});
