import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RedisDirectoryBusy, RedisServer } from '../../src/redis/redis-server.js';
import { RedisChild, redisServersIn } from './processes.js';

const cleanups: (() => Promise<unknown> | void)[] = [];
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

  it('replaces a server left behind by a process killed with -9', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const owner = new RedisChild('server', dir);
    cleanups.push(() => void owner.process.kill('SIGKILL'));
    const orphan = (await owner.next('connected')).processId as number;
    cleanups.push(() => void (redisServersIn(dir).includes(orphan) && process.kill(orphan, 'SIGKILL')));
    await owner.kill9();
    expect(redisServersIn(dir)).toEqual([orphan]);
    // Its lock names a dead process: the next start on the directory stops the orphan and starts its own.
    const second = await RedisServer.start({ dir });
    cleanups.push(() => second.stop());
    const client = new Redis(second.url);
    cleanups.push(async () => client.disconnect());
    expect(await client.ping()).toBe('PONG');
    expect(redisServersIn(dir)).toEqual([second.pid]);
  });

  it('refuses a directory whose owner is alive, and leaves that owner’s server running', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'redis-test-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await RedisServer.start({ dir });
    cleanups.push(() => first.stop());
    await expect(RedisServer.start({ dir, port: first.port })).rejects.toThrow(RedisDirectoryBusy);
    await expect(RedisServer.start({ dir })).rejects.toThrow(`the redis-server of ${dir} belongs to process ${process.pid}, which is still running`);
    const client = new Redis(first.url);
    cleanups.push(async () => client.disconnect());
    expect(await client.ping()).toBe('PONG');
    expect(redisServersIn(dir)).toEqual([first.pid]);
    // Once it stopped, the directory is free again.
    client.disconnect();
    await first.stop();
    const again = await RedisServer.start({ dir });
    cleanups.push(() => again.stop());
    expect(redisServersIn(dir)).toEqual([again.pid]);
  });

  it('says what went wrong when redis-server cannot start', async () => {
    await expect(RedisServer.start({ binary: '/nonexistent/redis-server' })).rejects.toThrow(/install the Debian package redis-server/);
  });
});
