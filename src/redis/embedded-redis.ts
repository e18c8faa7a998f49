import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import type { Logger } from '../log/logger.js';
import { OwnerLock, type LockHolder } from './owner-lock.js';
import { currentProcess, isAlive, isRedisServerIn } from './process-ref.js';
import { ownerLockDir, RedisServer, socketAnswers, stopLeftBehind, stopProcess } from './redis-server.js';

export interface EmbeddedRedisOptions {
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** How long to wait for redis-server to start, ours or the owner's. */
  startTimeoutMs?: number;
}

/**
 * The embedded Redis of a data directory: one private `redis-server` on `DIR/redis.sock`, shared by every
 * process of ours that runs without REDIS_URL on the same DATA_DIR (`start`, `migrate`, `batch`).
 *
 * Who stops it is decided by an OwnerLock (`DIR/owner`, see owner-lock.ts), never by whether the socket
 * happened to answer:
 * - the process holding the lock owns the server. The first to take it starts the server; a process that takes
 *   it over from one that died or left adopts the server still running (or starts one);
 * - every other process waits for the owner's server and uses it; it never stops a server whose owner is alive,
 *   even when the socket does not answer (it says so instead);
 * - every user is registered under `DIR/users`. An owner that stops while others still use the server leaves
 *   it running and releases the lock; the last process to leave stops it. So stopping `migrate` never pulls
 *   Redis from under a `start`, whichever of the two started it;
 * - a process killed with -9 leaves a lock and a registration naming a dead process: both count as absent, and
 *   the server it leaves running is adopted by the next process;
 * - the server runs in a process group of its own (Ctrl-C on the owner's terminal does not reach it) and does
 *   not keep the owner alive; a process that ends without stop() (a command failing halfway, an unhandled
 *   SIGINT/SIGTERM/SIGHUP) does at exit what stop() would have done.
 *
 * An owner that closes while another process arrives or leaves is settled by two marks (the owner's "closing"
 * flag, the other's registration), each written before reading the other's: at least one sees the other.
 */
export class EmbeddedRedis {
  #stopped?: Promise<void>;

  private constructor(
    private readonly dir: string,
    private readonly options: EmbeddedRedisOptions,
    private readonly registration: string,
    private owner: Ownership | undefined,
  ) {
    opened(this);
  }

  get socket(): string {
    return join(this.dir, 'redis.sock');
  }

  get connection(): { path: string } {
    return { path: this.socket };
  }

  get url(): string {
    return `unix://${this.socket}`;
  }

  /** 'owner' when this process is the one to stop the server. */
  get role(): 'owner' | 'shared' {
    return this.owner ? 'owner' : 'shared';
  }

  static async open(dir: string, options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
    dir = resolve(dir);
    mkdirSync(join(dir, 'users'), { recursive: true });
    const registration = register(dir);
    try {
      const startTimeoutMs = options.startTimeoutMs ?? 10_000;
      const socket = join(dir, 'redis.sock');
      let waitingSince: number | undefined;
      let unanswered = 0;
      for (;;) {
        const attempt = OwnerLock.tryAcquire(ownerLockDir(dir));
        if (attempt.acquired) {
          try {
            return new EmbeddedRedis(dir, options, registration, await takeOver(dir, attempt.lock, options));
          } catch (error) {
            attempt.lock.release();
            throw error;
          }
        }
        const holder = attempt.holder;
        const state = ownerState(dir, holder);
        if (state !== 'closing' && (await socketAnswers(socket))) return new EmbeddedRedis(dir, options, registration, undefined);
        // The owner is starting its server, or closing (then we take over once it has left): wait. When its server
        // was up and does not answer now, a transient failure gets a few more tries, then we say so; we never
        // stop the server of a live owner.
        if (state === 'ready') unanswered++;
        waitingSince ??= Date.now();
        if (unanswered > 20 || Date.now() - waitingSince > startTimeoutMs + 5_000) throw new EmbeddedRedisUnreachable(dir, socket, holder);
        await delay(50);
      }
    } catch (error) {
      unregister(dir, registration);
      throw error;
    }
  }

  /**
   * This process is done with Redis. The owner stops the server unless other processes still use it (then it
   * hands it over); another process only stops it when it is the last one and the owner has left.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.leave();
    return this.#stopped;
  }

  private async leave(): Promise<void> {
    closed(this);
    unregister(this.dir, this.registration);
    if (!this.owner) {
      // Take the server over if its owner has left, or is leaving (it may be handing the server to us).
      for (const deadline = Date.now() + 30_000; ; ) {
        const attempt = OwnerLock.tryAcquire(ownerLockDir(this.dir));
        if (attempt.acquired) {
          this.owner = { lock: attempt.lock, server: (await socketAnswers(this.socket)) ? await adopt(this.dir, this.socket) : undefined };
          break;
        }
        if (ownerState(this.dir, attempt.holder) !== 'closing') {
          // Not closing when we looked, after we unregistered: when it closes, it will not count us, and it
          // stops the server itself. Unless it left in between: then look again.
          if (OwnerLock.holder(ownerLockDir(this.dir))?.token === attempt.holder.token) return;
          continue;
        }
        if (Date.now() > deadline) return;
        await delay(50);
      }
    }
    const { lock, server } = this.owner;
    // First say we are closing, then look for users: a newcomer registers first, then looks for this flag.
    setFlag(this.dir, 'closing', lock.token);
    const others = liveUsers(this.dir);
    if (others.length > 0 && server) {
      this.options.logger?.info({ dir: this.dir, processes: others }, 'embedded redis-server left running for the other processes using it');
    } else if (server) {
      await server.stop();
      this.options.logger?.info({ dir: this.dir }, 'embedded redis-server stopped');
    }
    clearFlag(this.dir, 'ready', lock.token);
    lock.release();
    clearFlag(this.dir, 'closing', lock.token);
  }

  /** The process exits without having called stop(): what stop() would do, with nothing awaited. */
  leaveAtExit(): void {
    this.#stopped ??= Promise.resolve();
    unregister(this.dir, this.registration);
    let owner = this.owner;
    if (!owner) {
      // The last user after its owner left stops the server it left running.
      const attempt = OwnerLock.tryAcquire(ownerLockDir(this.dir));
      if (!attempt.acquired) return;
      const pid = leftBehindPid(join(this.dir, 'redis.pid'), this.dir);
      owner = { lock: attempt.lock, server: pid === undefined ? undefined : byPid(pid, this.dir) };
    }
    const { lock, server } = owner;
    setFlag(this.dir, 'closing', lock.token);
    if (liveUsers(this.dir).length > 0 || !server) {
      clearFlag(this.dir, 'ready', lock.token);
      lock.release();
      clearFlag(this.dir, 'closing', lock.token);
      return;
    }
    // The lock stays as it is, naming this process, gone in a moment: the next process takes it over and finds
    // the server, if it has not exited yet, by its pid file.
    server.stopAtExit();
  }
}

// --- a process that ends without stop() -------------------------------------------------------------------

const open = new Set<EmbeddedRedis>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function leaveAll(): void {
  for (const redis of open) redis.leaveAtExit();
  open.clear();
}

/**
 * A terminating signal that the command does not handle itself (it would stop the runtime then): leave, then
 * let the signal do what it does by default. Our server runs in a process group of its own, so Ctrl-C reaches
 * it only through us.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  unhook();
  leaveAll();
  process.kill(process.pid, signal);
}

function opened(redis: EmbeddedRedis): void {
  if (open.size === 0) {
    process.on('exit', leaveAll);
    for (const signal of SIGNALS) process.on(signal, onSignal);
  }
  open.add(redis);
}

function closed(redis: EmbeddedRedis): void {
  if (open.delete(redis) && open.size === 0) unhook();
}

function unhook(): void {
  process.off('exit', leaveAll);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Opens the embedded Redis of `dir` (see EmbeddedRedis). */
export function openEmbeddedRedis(dir: string, options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  return EmbeddedRedis.open(dir, options);
}

export class EmbeddedRedisUnreachable extends Error {
  constructor(
    readonly dir: string,
    readonly socket: string,
    readonly holder: LockHolder,
  ) {
    super(
      `the embedded Redis of ${dir} belongs to process ${holder.pid}, which started it and is still running, but does not answer on ${socket}: ` +
        `stop process ${holder.pid} (it stops its Redis), or set REDIS_URL`,
    );
    this.name = 'EmbeddedRedisUnreachable';
  }
}

/** The server an owner stops: one it started, or one it adopted from an owner that died or left. */
interface StoppableServer {
  stop(): Promise<void>;
  stopAtExit(): void;
}

interface Ownership {
  lock: OwnerLock;
  /** Undefined when the owner found no server to stop. */
  server: StoppableServer | undefined;
}

/** We hold the lock: adopt the server still running, or start one. */
async function takeOver(dir: string, lock: OwnerLock, options: EmbeddedRedisOptions): Promise<Ownership> {
  clearOtherFlags(dir, lock.token);
  const socket = join(dir, 'redis.sock');
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  let server: StoppableServer | undefined;
  if (await socketAnswers(socket)) {
    server = await adopt(dir, socket);
    options.logger?.info({ dir }, 'embedded redis-server taken over from the process that started it');
  } else {
    // A server left by a process killed before the server answered: give it the time to start, or stop it.
    const pidFile = join(dir, 'redis.pid');
    for (const deadline = Date.now() + startTimeoutMs; !server && Date.now() < deadline && leftBehindPid(pidFile, dir) !== undefined; ) {
      if (await socketAnswers(socket)) server = await adopt(dir, socket);
      else await delay(50);
    }
    if (!server) {
      await stopLeftBehind(pidFile, dir);
      // In a process group of its own: Ctrl-C on this command must not stop a server that others may be using.
      const started = await RedisServer.start({ dir, unixSocket: socket, ownerLock: lock, startTimeoutMs, ownProcessGroup: true });
      // The server never keeps this process alive by itself: a command that ends, or fails before it could
      // stop the runtime, ends; its 'exit' handler then stops the server or hands it over (see leaveAtExit).
      started.unref();
      server = started;
      options.logger?.info({ dir }, 'embedded redis-server started (set REDIS_URL to use a shared Redis)');
    }
  }
  setFlag(dir, 'ready', lock.token);
  return { lock, server };
}

/** A server running without its owner: we stop it by the pid it reports itself. */
async function adopt(dir: string, socket: string): Promise<StoppableServer> {
  const pid = await serverPid(socket);
  return pid === undefined ? { stop: async () => undefined, stopAtExit: () => undefined } : byPid(pid, dir);
}

/** A redis-server of `dir` that is not our child: signalled by pid, once checked that the pid is still it. */
function byPid(pid: number, dir: string): StoppableServer {
  return {
    stop: async () => {
      if (isRedisServerIn(pid, dir)) await stopProcess(pid);
    },
    stopAtExit: () => {
      if (isRedisServerIn(pid, dir)) process.kill(pid, 'SIGTERM');
    },
  };
}

function leftBehindPid(pidFile: string, dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    return isRedisServerIn(pid, dir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** `INFO server`'s process_id, over the socket (plain RESP, no client library). */
async function serverPid(socket: string): Promise<number | undefined> {
  return new Promise((done) => {
    const client = connect({ path: socket });
    let text = '';
    const finish = (pid: number | undefined): void => {
      clearTimeout(timer);
      client.destroy();
      done(pid);
    };
    const timer = setTimeout(() => finish(undefined), 2_000);
    client.once('connect', () => client.write('INFO server\r\n'));
    client.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      const pid = /process_id:(\d+)/.exec(text);
      if (pid) finish(Number(pid[1]));
      else if (text.startsWith('-')) finish(undefined);
    });
    client.once('error', () => finish(undefined));
    client.once('close', () => finish(undefined));
  });
}

// --- users and flags ------------------------------------------------------------------------------------

/** Registers this holder as a user of the server: `users/PID-START-TOKEN`. */
function register(dir: string): string {
  const { pid, start } = currentProcess();
  const name = `${pid}-${start}-${randomBytes(6).toString('hex')}`;
  writeFileSync(join(dir, 'users', name), '');
  return name;
}

function unregister(dir: string, name: string): void {
  try {
    unlinkSync(join(dir, 'users', name));
  } catch {
    // Gone already.
  }
}

/** The other holders, in live processes, still using the server; registrations of dead processes are removed. */
function liveUsers(dir: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSafe(join(dir, 'users'))) {
    if (name.startsWith('.')) continue; // a flag
    const [pid, start] = name.split('-');
    if (isAlive({ pid: Number(pid), start: start ?? '' })) pids.push(Number(pid));
    else unregister(dir, name);
  }
  return pids;
}

type Flag = 'ready' | 'closing';

function setFlag(dir: string, flag: Flag, token: string): void {
  writeFileSync(join(dir, 'users', `.${flag}-${token}`), '');
}

function clearFlag(dir: string, flag: Flag, token: string): void {
  try {
    unlinkSync(join(dir, 'users', `.${flag}-${token}`));
  } catch {
    // Not set.
  }
}

function clearOtherFlags(dir: string, token: string): void {
  for (const name of readdirSafe(join(dir, 'users'))) {
    if (name.startsWith('.') && !name.endsWith(`-${token}`)) unregister(dir, name);
  }
}

/** What the owner is doing: starting its server, serving, or closing. */
function ownerState(dir: string, holder: LockHolder): 'starting' | 'ready' | 'closing' {
  if (existsSync(join(dir, 'users', `.closing-${holder.token}`))) return 'closing';
  return existsSync(join(dir, 'users', `.ready-${holder.token}`)) ? 'ready' : 'starting';
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
