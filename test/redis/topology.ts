import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../src/sandbox/free-port.js';

/**
 * Real Redis processes in the shapes a deployment uses beyond one node: a redis-server (master, replica, or a
 * cluster-mode node), and a redis-sentinel (Debian package `redis-sentinel`). Each in a temporary directory, on
 * loopback, stopped by `stop()`; nothing is left behind.
 */
export class RedisProcess {
  private output = '';
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly dir: string,
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((done) => child.once('exit', () => done()));
  }

  /** A redis-server on a free port; `args` are extra configuration directives (`['--replicaof', '127.0.0.1', '6379']`). */
  static async server(args: string[] = []): Promise<RedisProcess> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'mm-redis-'));
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new RedisProcess(child, port, dir);
    await server.ready();
    return server;
  }

  /** A redis-sentinel monitoring `master` under `name`, quorum 1, quick to declare a master down. */
  static async sentinel(master: { port: number }, name: string): Promise<RedisProcess> {
    const port = await freePort();
    const dir = await mkdtemp(join(tmpdir(), 'mm-sentinel-'));
    const config = join(dir, 'sentinel.conf');
    // a sentinel rewrites its own configuration file: it must be writable
    await writeFile(
      config,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${master.port} 1`,
        `sentinel down-after-milliseconds ${name} 2000`,
        `sentinel failover-timeout ${name} 10000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const child = spawn('redis-sentinel', [config], { stdio: ['ignore', 'pipe', 'pipe'] });
    const sentinel = new RedisProcess(child, port, dir);
    await sentinel.ready();
    return sentinel;
  }

  /** A client straight to this process (not through a sentinel). */
  client(): Redis {
    return new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
  }

  private async ready(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`redis process on ${this.port} exited: ${this.output}`);
      const client = new Redis({ host: '127.0.0.1', port: this.port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      try {
        await client.connect();
        if ((await client.ping()) === 'PONG') return;
      } catch {
        // not yet
      } finally {
        client.disconnect();
      }
      if (Date.now() > deadline) throw new Error(`redis process on ${this.port} did not answer: ${this.output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Runs one command on this process and returns its answer. */
  async command(...args: (string | number)[]): Promise<unknown> {
    const client = this.client();
    client.on('error', () => undefined);
    try {
      return await client.call(String(args[0]), ...args.slice(1).map(String));
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Polls `check` every 50 ms until it returns something truthy, or fails naming `what`. */
export async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
