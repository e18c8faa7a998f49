import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitForPort } from './free-port.js';

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
}

/** What ioredis / BullMQ need to connect. */
export type RedisConnectionOptions = { host: string; port: number } | { path: string };

/**
 * A real `redis-server` child with a private configuration: loopback only, no password (nothing else can reach
 * it), `noeviction` as BullMQ requires, persistence only when a data directory is given. Used by tests (one per
 * test file, a fresh queue name per test) and by `start` without REDIS_URL (the embedded default).
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
  ) {
    this.exited = new Promise((resolveExit) => child.once('exit', () => resolveExit()));
  }

  /** `redis://127.0.0.1:PORT`, or `redis+unix://PATH` style for a socket (use `connection` with ioredis then). */
  get url(): string {
    return this.unixSocket ? `unix://${this.unixSocket}` : `redis://127.0.0.1:${this.port}`;
  }

  get connection(): RedisConnectionOptions {
    return this.unixSocket ? { path: this.unixSocket } : { host: '127.0.0.1', port: this.port! };
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    // A port from freePort() may be taken by a parallel test before redis-server binds it: try fresh ones.
    for (let attempt = 1; ; attempt++) {
      try {
        return await RedisServer.startOnce(options);
      } catch (error) {
        const retryable = options.port === undefined && !options.unixSocket && attempt < 5;
        if (!retryable || !(error instanceof Error) || !error.message.includes('Address already in use')) throw error;
      }
    }
  }

  private static async startOnce(options: RedisServerOptions): Promise<RedisServer> {
    const temporary = options.dir === undefined;
    const dir = resolve(options.dir ?? (await mkdtemp(join(tmpdir(), 'redis-'))));
    await mkdir(dir, { recursive: true });
    const pidFile = join(dir, 'redis.pid');
    await stopStale(pidFile);
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

    const child = spawn(options.binary ?? 'redis-server', [configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    const keep = (chunk: Buffer): void => {
      output.push(chunk.toString());
      if (output.length > 50) output.shift();
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const server = new RedisServer(child, dir, temporary, unixSocket ? undefined : port, unixSocket, output);
    const spawnError = new Promise<never>((_, reject) => {
      child.once('error', (error) => reject(new Error(`cannot run redis-server (${error.message}); install the Debian package redis-server`)));
      child.once('exit', (code) => {
        if (!server.stopping) reject(new Error(`redis-server exited with code ${code} while starting:\n${output.join('')}`));
      });
    });
    spawnError.catch(() => undefined);
    const ready = unixSocket ? waitForSocket(unixSocket, options.startTimeoutMs ?? 10_000) : waitForPort(port, '127.0.0.1', options.startTimeoutMs ?? 10_000);
    try {
      await Promise.race([ready, spawnError]);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** Stops the server (SIGTERM: Redis flushes its append-only file) and removes a temporary directory. */
  async stop(): Promise<void> {
    if (this.stopping) return this.exited;
    this.stopping = true;
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    if (this.temporary) await rm(this.dir, { recursive: true, force: true });
  }

  /** The last lines the server printed, for error messages. */
  log(): string {
    return this.output.join('');
  }
}

async function waitForSocket(path: string, timeoutMs: number): Promise<void> {
  const { connect } = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((done) => {
      const socket = connect({ path });
      socket.once('connect', () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`redis-server does not listen on ${path} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A redis-server left running by a process that was killed: stop it if the pid file still names one. */
async function stopStale(pidFile: string): Promise<void> {
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, 'utf8')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  let cmdline = '';
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.includes('redis-server')) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
