import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { OwnerLock } from '../../src/redis/owner-lock.js';
import { currentProcess } from '../../src/redis/process-ref.js';
import { shortTempDir } from './processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function lockDir(): Promise<string> {
  const dir = await shortTempDir();
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'owner');
}

/** A lock record as a process that no longer exists left it (kill -9: no release). */
function staleRecord(dir: string, generation: number, holder: { pid: number; start: string }): void {
  writeFileSync(join(dir, String(generation).padStart(12, '0')), JSON.stringify({ ...holder, token: 'dead' }));
}

function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('OwnerLock', () => {
  it('is held by one holder at a time, in this process as in others, until released', async () => {
    const dir = await lockDir();
    const first = OwnerLock.tryAcquire(dir);
    if (!first.acquired) throw new Error('not acquired');
    expect(OwnerLock.tryAcquire(dir)).toEqual({ acquired: false, holder: { ...currentProcess(), token: first.lock.token } });
    expect(first.lock.held()).toBe(true);
    first.lock.release();
    expect(first.lock.held()).toBe(false);
    expect(OwnerLock.holder(dir)).toBeUndefined();
    const second = OwnerLock.tryAcquire(dir);
    expect(second.acquired).toBe(true);
    // Records before the current one are cleaned up as it goes.
    expect(readdirSync(dir)).toEqual(['000000000003']);
  });

  it('counts a holder whose process is gone as absent, and a pid now used by another process too', async () => {
    const dir = await lockDir();
    OwnerLock.tryAcquire(dir); // creates the directory
    staleRecord(dir, 7, { pid: deadPid(), start: '' });
    expect(OwnerLock.holder(dir)).toBeUndefined();
    expect(OwnerLock.tryAcquire(dir)).toMatchObject({ acquired: true, lock: { generation: 8 } });

    // Our own pid, but another start time: the process that held it is gone and the pid was given again.
    staleRecord(dir, 9, { pid: process.pid, start: '1' });
    expect(OwnerLock.tryAcquire(dir)).toMatchObject({ acquired: true, lock: { generation: 10 } });
  });

  it('of several processes taking a stale lock at the same moment, exactly one gets it', async () => {
    const dir = await lockDir();
    for (let round = 0; round < 3; round++) {
      // The lock as a killed owner left it.
      OwnerLock.tryAcquire(dir);
      const top = Math.max(...readdirSync(dir).filter((n) => /^\d+$/.test(n)).map(Number));
      staleRecord(dir, top + 1, { pid: deadPid(), start: '' });

      const children = Array.from({ length: 5 }, () => spawn(process.execPath, ['--import', 'tsx', 'test/redis/lock-child.ts', dir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] }));
      cleanups.push(() => children.forEach((c) => c.kill('SIGKILL')));
      const outputs = children.map((c) => createInterface({ input: c.stdout! })[Symbol.asyncIterator]());
      for (const output of outputs) expect((await output.next()).value).toBe('ready');
      for (const c of children) c.stdin!.write('go\n');
      const results = await Promise.all(outputs.map(async (output) => JSON.parse((await output.next()).value as string) as { acquired: boolean }));
      expect(results.filter((r) => r.acquired)).toHaveLength(1);
      // The winner holds it while it lives; once all are gone, the lock is free again.
      expect(OwnerLock.holder(dir)?.pid).toBe(children[results.findIndex((r) => r.acquired)]!.pid);
      await Promise.all(children.map((c) => new Promise((done) => (c.once('exit', done), c.stdin!.end()))));
      expect(OwnerLock.holder(dir)).toBeUndefined();
    }
  }, 90_000);
});
