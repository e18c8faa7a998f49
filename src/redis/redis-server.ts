import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OwnerLock, type LockHolder } from './owner-lock.js';
import { isAlive, isRedisServerIn } from './process-ref.js';

export interface RedisServerOptions {
  /** Data directory (kept, with an append-only file, so queued jobs survive a restart); default: a temporary one, removed on stop. */
  dir?: string;
  /** TCP port on 127.0.0.1; default: a free one. Ignored when `unixSocket` is given. */
  port?: number;
  /** Listen on this Unix socket instead of TCP (no port to collide with). */
  unixSocket?: string;
  /** Binary to run; default `redis-server` from PATH (Debian package `redis-server`). */
  binary?: string;
  /** How long to wait for the server to accept connections. */
  startTimeoutMs?: number;
  /**
   * The caller owns `dir` already (it holds this lock, see `ownerLockDir`): the server then neither takes nor
   * releases it. Without it, a server on a given `dir` takes the directory's lock for its lifetime.
   */
  ownerLock?: OwnerLock;
  /**
   * Run the server in a process group of its own, so that Ctrl-C in the terminal of the process that started it
   * (SIGINT goes to the whole foreground group) does not stop it: for a server other processes may be using.
   */
  ownProcessGroup?: boolean;
}

/** What ioredis / BullMQ need to connect. */
export type RedisConnectionOptions = { host: string; port: number } | { path: string };

/** The lock saying which process owns the redis-server of a data directory. */
export function ownerLockDir(dir: string): string {
  return join(dir, 'owner');
}

/** A live process owns the data directory: starting a second server there would corrupt it, and stopping its server would pull Redis from under it. */
export class RedisDirectoryBusy extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(`the redis-server of ${dir} belongs to process ${holder.pid}, which is still running: stop that process first, or use another directory`);
    this.name = 'RedisDirectoryBusy';
  }
}

/**
 * A real `redis-server` child with a private configuration: loopback only, no password (nothing else can reach
 * it), `noeviction` as BullMQ requires, persistence only when a data directory is given. Used by tests (one per
 * test file, a fresh queue name per test), by `sandbox`, and by the embedded Redis (`embedded-redis.ts`).
 *
 * On a given data directory the server belongs to the process that started it, recorded in an OwnerLock that
 * survives crashes: a second process is refused (RedisDirectoryBusy) instead of stopping the first one's
 * server; a server left running by a process that died is stopped before a new one starts.
 */
export class RedisServer {
  private exited: Promise<void>;
  private stopping = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly dir: string,
    private readonly temporary: boolean,
    readonly port: number | undefined,
    readonly unixSocket: string | undefined,
    private readonly output: string[],
    /** The directory's lock when this server took it (released on stop). */
    private readonly lock: OwnerLock | undefined,
  ) {
    this.exited = new Promise((resolveExit) => child.once('exit', () => resolveExit()));
  }

  /** `redis://127.0.0.1:PORT`, or `unix://PATH` for a socket (use `connection` with ioredis then). */
  get url(): string {
    return this.unixSocket ? `unix://${this.unixSocket}` : `redis://127.0.0.1:${this.port}`;
  }

  get connection(): RedisConnectionOptions {
    return this.unixSocket ? { path: this.unixSocket } : { host: '127.0.0.1', port: this.port! };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the server process has exited. */
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    let lock: OwnerLock | undefined;
    if (options.dir !== undefined && !options.ownerLock) {
      const dir = resolve(options.dir);
      await mkdir(dir, { recursive: true });
      const attempt = OwnerLock.tryAcquire(ownerLockDir(dir));
      if (!attempt.acquired) throw new RedisDirectoryBusy(dir, attempt.holder);
      lock = attempt.lock;
    }
    try {
      // A port from freePort() may be taken by a parallel test before redis-server binds it: try fresh ones.
      for (let attempt = 1; ; attempt++) {
        try {
          return await RedisServer.startOnce(options, lock);
        } catch (error) {
          const retryable = options.port === undefined && !options.unixSocket && attempt < 5;
          if (!retryable || !(error instanceof Error) || !error.message.includes('Address already in use')) throw error;
        }
      }
    } catch (error) {
      lock?.release();
      throw error;
    }
  }

  private static async startOnce(options: RedisServerOptions, lock: OwnerLock | undefined): Promise<RedisServer> {
    const temporary = options.dir === undefined;
    const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), 'redis-'))));
    await mkdir(dir, { recursive: true });
    const pidFile = join(dir, 'redis.pid');
    // We own the directory (its lock, taken by us or by our caller): a server still running there was left by
    // an owner that died, and would share the append-only file with ours.
    if (!temporary) await stopLeftBehind(pidFile, dir);
    const unixSocket = options.unixSocket ? resolve(options.unixSocket) : undefined;
    const port = unixSocket ? 0 : (options.port ?? (await freePort()));
    const lines = [
      `bind 127.0.0.1`,
      `port ${port}`,
      unixSocket ? `unixsocket ${unixSocket}` : '',
      unixSocket ? 'unixsocketperm 700' : '',
      'protected-mode yes',
      `dir ${dir}`,
      `pidfile ${pidFile}`,
      'daemonize no',
      'maxmemory-policy noeviction',
      'save ""',
      temporary ? 'appendonly no' : 'appendonly yes',
      'appendfsync everysec',
      'loglevel warning',
      'logfile ""',
      'databases 1',
    ].filter(Boolean);
    const configFile = join(dir, 'redis.conf');
    await writeFile(configFile, lines.join('\n') + '\n', { mode: 0o600 });

    const child = spawn(options.binary ?? 'redis-server', [configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.ownProcessGroup ?? false });
    // redis-server writes its pid file only once it has read its configuration: write it now, so that a
    // server whose owner is killed in between is still found and stopped by the next owner.
    if (child.pid !== undefined && !temporary) writeFileSync(pidFile, `${child.pid}\n`);
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (output.length > 50) output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const server = new RedisServer(child, dir, temporary, unixSocket ? undefined : port, unixSocket, output, options.ownerLock ? undefined : lock);
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run redis-server (${error.message}); install the Debian package redis-server`)));
      child.once('exit', (code) => {
        if (!server.stopping) reject(new Error(`redis-server exited with code ${code} while starting:\n${output.join('')}`));
      });
    });
    spawnError.catch(() => undefined);
    const ready = unixSocket ? waitForSocket(unixSocket, options.startTimeoutMs ?? 10_000) : waitForPort(port, options.startTimeoutMs ?? 10_000);
    try {
      await Promise.race([ready, spawnError]);
    } catch (error) {
      await server.stop({ keepLock: true });
      throw error;
    }
    return server;
  }

  /**
   * Stops the server (SIGTERM: Redis flushes its append-only file), removes a temporary directory and releases
   * the directory's lock when the server took it.
   */
  async stop(options: { keepLock?: boolean } = {}): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      if (this.running) {
        this.child.kill('SIGTERM');
        const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
        await this.exited;
        clearTimeout(timer);
      }
      if (this.temporary) await rm(this.dir, { recursive: true, force: true });
    }
    // A second call waits for the first to finish; a binary that never ran has nothing to wait for.
    if (this.child.pid !== undefined) await this.exited;
    if (!options.keepLock) this.lock?.release();
  }

  /**
   * This process no longer waits for the server: it can end while the server runs (its output is still read
   * while we live). For a server that is stopped explicitly, or by the owner's 'exit' handler, or handed over.
   */
  unref(): void {
    this.child.unref();
    for (const stream of [this.child.stdout, this.child.stderr]) (stream as (NodeJS.ReadableStream & { unref?: () => void }) | null)?.unref?.();
  }

  /** At process exit, when nothing can be awaited: SIGTERM the server (it flushes and exits on its own). */
  stopAtExit(): void {
    if (this.running && !this.stopping) this.child.kill('SIGTERM');
  }

  /** The last lines the server printed, for error messages. */
  log(): string {
    return this.output.join('');
  }
}

/** True when something accepts connections on this Unix socket now. */
export function socketAnswers(path: string): Promise<boolean> {
  return pings(() => connect({ path }));
}

/**
 * True once a server answers PING with PONG. Accepting a connection is not enough: redis-server listens before it
 * has loaded its append-only file (it answers -LOADING meanwhile), and one that then fails to load it exits.
 */
function pings(open: () => Socket): Promise<boolean> {
  return new Promise((done) => {
    const socket = open();
    let answer = '';
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      done(ok);
    };
    const timer = setTimeout(() => finish(false), 2_000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) finish(answer.startsWith('+PONG'));
    });
    socket.once('error', () => finish(false));
    socket.once('close', () => finish(false));
  });
}

async function waitForSocket(path: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await socketAnswers(path))) {
    if (Date.now() > deadline) throw new Error(`redis-server does not listen on ${path} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Asks the kernel for a free loopback TCP port. */
async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address !== 'string' ? done(address.port) : reject(new Error('could not read the port the kernel gave'))));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pings(() => connect({ port, host: '127.0.0.1' }))) return;
    if (Date.now() > deadline) throw new Error(`redis-server does not answer on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Stops the redis-server that `pidFile` names when it is one running in `dir`. Only for an owner of `dir`: the
 * process that started that server is gone, or it handed the server over.
 */
export async function stopLeftBehind(pidFile: string, dir: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (!isRedisServerIn(pid, dir)) return;
  await stopProcess(pid);
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
export async function stopProcess(pid: number): Promise<void> {
  const gone = (): boolean => !isAlive({ pid, start: '' });
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  for (let waited = 0; !gone(); waited += 50) {
    if (waited === 5_000) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
