import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { connectRedis } from '../../src/pipeline/runtime.js';
import { parentOf, RedisChild, redisServersIn, shortTempDir, waitGone } from './processes.js';

// `start`, `migrate` and `batch` without REDIS_URL: connectRedis() on DATA_DIR, its server under DATA_DIR/redis.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A fresh DATA_DIR; whatever runs there is killed after the test. */
async function dataDir(): Promise<{ dataDir: string; redisDir: string; socket: string }> {
  const dataDir = await shortTempDir();
  const redisDir = join(dataDir, 'redis');
  cleanups.push(async () => {
    if (existsSync(redisDir)) for (const pid of redisServersIn(redisDir)) process.kill(pid, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });
  return { dataDir, redisDir, socket: join(redisDir, 'redis.sock') };
}

function child(mode: 'connect' | 'server', dir: string, options: { ownGroup?: boolean } = {}): RedisChild {
  const c = new RedisChild(mode, dir, options);
  cleanups.push(() => void c.process.kill('SIGKILL'));
  return c;
}

/** A `connect` child that has called connectRedis. */
async function connected(dir: string, options: { ownGroup?: boolean } = {}): Promise<{ child: RedisChild; processId: number }> {
  const c = child('connect', dir, options);
  await c.next('loaded');
  c.send('go');
  return { child: c, processId: (await c.next('connected')).processId as number };
}

/** connectRedis in this process. */
async function connectHere(dir: string) {
  const redis = await connectRedis({ DATA_DIR: dir, REDIS_URL: undefined } as unknown as Config, createLogger('silent'), { embedded: true });
  const client = new Redis({ ...(redis.connection as { path: string }), maxRetriesPerRequest: 0, retryStrategy: () => null });
  cleanups.push(() => client.disconnect());
  return { redis, client, processId: Number(/process_id:(\d+)/.exec(await client.info('server'))![1]) };
}

describe('the embedded Redis belongs to the process that started it', () => {
  it('two processes connecting at the same moment share one redis-server; the one that did not start it never stops it', async () => {
    const { dataDir: dir, redisDir, socket } = await dataDir();
    const [a, b] = [child('connect', dir), child('connect', dir)];
    await Promise.all([a.next('loaded'), b.next('loaded')]);
    a.send('go');
    b.send('go');
    const [fromA, fromB] = await Promise.all([a.next('connected'), b.next('connected')]);
    expect(fromA.processId).toBe(fromB.processId);
    const pid = fromA.processId as number;
    expect(redisServersIn(redisDir)).toEqual([pid]);
    const owner = parentOf(pid) === a.pid ? a : b;
    const other = owner === a ? b : a;
    expect(parentOf(pid)).toBe(owner.pid);

    await other.ask('stop', 'stopped');
    expect(await other.ended()).toBe(0);
    expect(await owner.ask('ping')).toEqual({ event: 'pong', reply: 'PONG' });
    expect(redisServersIn(redisDir)).toEqual([pid]);

    await owner.ask('stop', 'stopped');
    expect(redisServersIn(redisDir)).toEqual([]);
    expect(existsSync(socket)).toBe(false);
  }, 90_000);

  it('stopping the process that started it (migrate) does not stop it under a process still using it (start); the last one out does', async () => {
    const { dataDir: dir, redisDir } = await dataDir();
    const first = await connected(dir);
    expect(parentOf(first.processId)).toBe(first.child.pid);
    await first.child.ask('set queued job-1', 'ok');
    const second = await connected(dir);
    expect(second.processId).toBe(first.processId);

    await first.child.ask('stop', 'stopped');
    // It ends by itself (nothing of the server it leaves running holds it), and the server serves on.
    expect(await first.child.ended()).toBe(0);
    expect(await second.child.ask('get queued')).toEqual({ event: 'value', value: 'job-1' });
    expect(redisServersIn(redisDir)).toEqual([first.processId]);

    await second.child.ask('stop', 'stopped');
    expect(redisServersIn(redisDir)).toEqual([]);
  }, 90_000);

  it('Ctrl-C on the process that started it does not stop it under another process using it; on the only one, it does', async () => {
    const { dataDir: dir, redisDir } = await dataDir();
    // Started from a terminal: the command leads its process group, which Ctrl-C signals as a whole.
    const first = await connected(dir, { ownGroup: true });
    await first.child.ask('set queued job-1', 'ok');
    const second = await connected(dir);
    expect(second.processId).toBe(first.processId);

    process.kill(-first.child.pid, 'SIGINT');
    await first.child.exited;
    expect(first.child.process.signalCode).toBe('SIGINT');
    expect(await second.child.ask('get queued')).toEqual({ event: 'value', value: 'job-1' });
    expect(redisServersIn(redisDir)).toEqual([first.processId]);

    // The last one out stops it.
    await second.child.ask('stop', 'stopped');
    expect(redisServersIn(redisDir)).toEqual([]);

    // And Ctrl-C on the only process using it stops it too.
    const only = await connected(dir, { ownGroup: true });
    process.kill(-only.child.pid, 'SIGINT');
    await only.child.exited;
    expect(only.child.process.signalCode).toBe('SIGINT');
    await waitGone(only.processId);
    expect(redisServersIn(redisDir)).toEqual([]);
  }, 90_000);

  it('a process that ends without stopping it (a command failing halfway) ends, and its server with it, or hands it over', async () => {
    const { dataDir: dir, redisDir } = await dataDir();
    const lone = await connected(dir);
    await lone.child.ask('quit', 'quitting');
    expect(await lone.child.ended()).toBe(0);
    await waitGone(lone.processId);
    expect(redisServersIn(redisDir)).toEqual([]);

    // With another process on it, the server stays for that one, which stops it when it is done.
    const first = await connected(dir);
    const second = await connected(dir);
    await first.child.ask('quit', 'quitting');
    expect(await first.child.ended()).toBe(0);
    expect(await second.child.ask('ping')).toEqual({ event: 'pong', reply: 'PONG' });
    await second.child.ask('stop', 'stopped');
    expect(redisServersIn(redisDir)).toEqual([]);
  }, 90_000);

  it('a process that cannot reach the running owner’s server says so, and leaves that server alone', async () => {
    const { dataDir: dir, redisDir, socket } = await dataDir();
    const owner = await connected(dir);
    // The socket probe fails (here: the socket file is gone; a busy machine can time it out just as well).
    await rm(socket);
    await expect(connectHere(dir)).rejects.toThrow(new RegExp(`belongs to process ${owner.child.pid}, which started it and is still running, but does not answer`));
    expect(redisServersIn(redisDir)).toEqual([owner.processId]);
    expect(await owner.child.ask('ping')).toEqual({ event: 'pong', reply: 'PONG' });
    await owner.child.ask('stop', 'stopped');
    expect(redisServersIn(redisDir)).toEqual([]);
  }, 90_000);

  it('after kill -9 of the process that started it, the next one takes the server over and stops it when done; a stale lock never blocks a start', async () => {
    const { dataDir: dir, redisDir } = await dataDir();
    const killed = await connected(dir);
    await killed.child.ask('set kept yes', 'ok');
    await killed.child.kill9();
    // Its redis-server lives on without it.
    expect(redisServersIn(redisDir)).toEqual([killed.processId]);

    const next = await connectHere(dir);
    expect(next.processId).toBe(killed.processId);
    expect(await next.client.get('kept')).toBe('yes');
    next.client.disconnect();
    await next.redis.server!.stop();
    expect(redisServersIn(redisDir)).toEqual([]);

    // A whole crash: the owner and its server killed, leaving the lock, the pid file and the socket file.
    const crashed = await connected(dir);
    expect(crashed.processId).not.toBe(killed.processId);
    await crashed.child.kill9();
    process.kill(crashed.processId, 'SIGKILL');
    await waitGone(crashed.processId);

    const after = await connectHere(dir);
    expect(parentOf(after.processId)).toBe(process.pid);
    expect(await after.client.get('kept')).toBe('yes');
    after.client.disconnect();
    await after.redis.server!.stop();
    expect(redisServersIn(redisDir)).toEqual([]);
  }, 90_000);
});
