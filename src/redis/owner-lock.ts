import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { currentProcess, isAlive, type ProcessRef } from './process-ref.js';

/** Who holds an OwnerLock: a process, and which of its holders (one process may open several). */
export interface LockHolder extends ProcessRef {
  token: string;
}

export type LockAttempt = { acquired: true; lock: OwnerLock } | { acquired: false; holder: LockHolder };

/**
 * Who owns a directory (the embedded Redis's): a lock that survives crashes, with no file to clean by hand.
 *
 * The lock is a sequence of numbered records in `dir`, each created whole and atomically (written aside, then
 * hard-linked to its number: `link` fails when the number exists). The highest number is the current state:
 * a holder (pid, start time, token), or "released". A holder whose process is gone (kill -9, crash, power
 * loss) counts as released. Taking the lock means creating the next number; of several processes trying at
 * once exactly one succeeds, so a stale lock is never "broken" by deleting it (which two processes could do in
 * turn, each then believing it owns the directory). Older records are removed by the next owner; a process that
 * was slow enough to recreate a removed number sees a higher one right after and has not acquired.
 *
 * All of it is synchronous on purpose: it runs at start and stop only, and must also work in an 'exit' handler.
 */
export class OwnerLock {
  #released = false;

  private constructor(
    readonly dir: string,
    readonly generation: number,
    readonly token: string,
  ) {}

  /** Takes the lock when nobody (alive) holds it; otherwise says who does. */
  static tryAcquire(dir: string): LockAttempt {
    mkdirSync(dir, { recursive: true });
    const token = randomBytes(8).toString('hex');
    for (;;) {
      const top = readTop(dir);
      if (top.holder && isAlive(top.holder)) return { acquired: false, holder: top.holder };
      const generation = top.generation + 1;
      if (!publish(dir, generation, JSON.stringify({ ...currentProcess(), token } satisfies LockHolder))) continue;
      // Someone removed old numbers while we were slow, and ours is one of them: a newer state exists.
      if (readTop(dir).generation !== generation) continue;
      removeOlder(dir, generation);
      return { acquired: true, lock: new OwnerLock(dir, generation, token) };
    }
  }

  /** The live holder, if any. */
  static holder(dir: string): LockHolder | undefined {
    const top = readTop(dir);
    return top.holder && isAlive(top.holder) ? top.holder : undefined;
  }

  /** Still ours: nobody took over (they cannot while we live, unless the directory was removed under us). */
  held(): boolean {
    return !this.#released && readTop(this.dir).holder?.token === this.token;
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    try {
      publish(this.dir, this.generation + 1, JSON.stringify({ released: this.token }));
    } catch {
      // The directory is gone: nothing is held any more either.
    }
  }
}

const NUMBER = /^\d{12}$/;

function readTop(dir: string): { generation: number; holder?: LockHolder } {
  for (;;) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { generation: 0 };
      throw error;
    }
    const generation = Math.max(0, ...names.filter((name) => NUMBER.test(name)).map(Number));
    if (generation === 0) return { generation };
    let text: string;
    try {
      text = readFileSync(join(dir, numbered(generation)), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed by a newer owner: read again
      throw error;
    }
    try {
      const record = JSON.parse(text) as Partial<LockHolder>;
      if (typeof record.pid === 'number' && typeof record.token === 'string') {
        return { generation, holder: { pid: record.pid, start: String(record.start ?? ''), token: record.token } };
      }
    } catch {
      // Unreadable: nobody holds it.
    }
    return { generation };
  }
}

/** Creates record `generation` with `content`, whole or not at all; false when it exists already. */
function publish(dir: string, generation: number, content: string): boolean {
  const aside = join(dir, `tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  writeFileSync(aside, content, { mode: 0o600 });
  try {
    linkSync(aside, join(dir, numbered(generation)));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(aside);
  }
}

/** Removes the records before `generation`, and files left aside by processes that died while writing one. */
function removeOlder(dir: string, generation: number): void {
  for (const name of readdirSync(dir)) {
    const aside = /^tmp-(\d+)-/.exec(name);
    const stale = NUMBER.test(name) ? Number(name) < generation : aside !== null && !isAlive({ pid: Number(aside[1]), start: '' });
    if (!stale) continue;
    try {
      unlinkSync(join(dir, name));
    } catch {
      // Removed by someone else meanwhile.
    }
  }
}

function numbered(generation: number): string {
  return String(generation).padStart(12, '0');
}
