import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');

export interface ChildEvent {
  event: string;
  [key: string]: unknown;
}

/** A test/redis/redis-child.ts process: send it lines, read its JSON events in order. */
export class RedisChild {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly events: ChildEvent[] = [];
  private waiting?: () => void;
  private stderr = '';

  /** `ownGroup`: leader of a process group of its own, like a command started from a terminal. */
  constructor(mode: 'connect' | 'server', dir: string, options: { ownGroup?: boolean } = {}) {
    this.process = spawn(process.execPath, ['--import', 'tsx', 'test/redis/redis-child.ts', mode, dir], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: options.ownGroup ?? false,
    });
    createInterface({ input: this.process.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as ChildEvent);
      this.waiting?.();
    });
    this.process.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((done) => this.process.once('exit', (code) => (done(code), this.waiting?.())));
  }

  get pid(): number {
    return this.process.pid!;
  }

  send(line: string): void {
    this.process.stdin!.write(line + '\n');
  }

  /** The next event; fails when it is not `expected` (an `error` event carries the child's message). */
  async next(expected?: string, timeoutMs = 30_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    while (this.events.length === 0) {
      if (this.process.exitCode !== null || this.process.signalCode !== null || Date.now() > deadline) {
        throw new Error(`redis-child ${this.pid} sent nothing (exit ${this.process.exitCode ?? this.process.signalCode}):\n${this.stderr}`);
      }
      await new Promise<void>((done) => {
        this.waiting = done;
        setTimeout(done, 200);
      });
    }
    const event = this.events.shift()!;
    if (expected && event.event !== expected) throw new Error(`redis-child ${this.pid}: expected ${expected}, got ${JSON.stringify(event)}\n${this.stderr}`);
    return event;
  }

  /** Sends a command and returns its answer. */
  async ask(line: string, expected?: string): Promise<ChildEvent> {
    this.send(line);
    return this.next(expected);
  }

  /** Resolves with the exit code once the process ended by itself; fails after `timeoutMs`. */
  async ended(timeoutMs = 15_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`redis-child ${this.pid} still runs ${timeoutMs} ms later: something keeps it alive`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  kill9(): Promise<number | null> {
    this.process.kill('SIGKILL');
    return this.exited;
  }
}

/** A short data directory (Unix socket paths are limited to 108 bytes). */
export function shortTempDir(): Promise<string> {
  return mkdtemp('/tmp/er-');
}

/** The redis-server processes whose working directory is `dir` (redis-server chdirs to its data directory). */
export function redisServersIn(dir: string): number[] {
  const real = realpathSync(dir);
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (!readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('redis-server')) continue;
      if (readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1]!.startsWith('Z')) continue;
      if (readlinkSync(`/proc/${name}/cwd`) === real) found.push(Number(name));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

/** The parent of a process. */
export function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

/** Waits until the process is gone (it is not our child: it may take init a moment to reap it). */
export async function waitGone(pid: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return;
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`process ${pid} still runs after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
