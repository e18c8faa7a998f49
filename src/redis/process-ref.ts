import { readFileSync, readlinkSync, realpathSync } from 'node:fs';

/**
 * A process as other processes can recognise it later: its pid, and on Linux its start time (clock ticks after
 * boot, /proc/PID/stat field 22), so that a pid the kernel gave to another process since is not taken for it.
 * In containers the same small pids come back after every restart: the start time tells them apart.
 */
export interface ProcessRef {
  pid: number;
  /** '' where /proc is not available. */
  start: string;
}

let self: ProcessRef | undefined;

/** This process. */
export function currentProcess(): ProcessRef {
  self ??= { pid: process.pid, start: procStat(process.pid)?.start ?? '' };
  return self;
}

/** True while the process runs (a zombie, dead but not reaped yet, counts as gone). */
export function isAlive(ref: ProcessRef): boolean {
  if (!Number.isInteger(ref.pid) || ref.pid <= 0) return false;
  try {
    process.kill(ref.pid, 0);
  } catch (error) {
    // EPERM: it exists, under another user.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const stat = procStat(ref.pid);
  if (!stat) return true;
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return ref.start === '' || stat.start === ref.start;
}

/** A running redis-server whose working directory is `dir` (redis-server chdirs to its `dir`), or false. */
export function isRedisServerIn(pid: number, dir: string): boolean {
  if (!isAlive({ pid, start: '' })) return false;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false; // Not Linux, or gone: never signal a process we cannot recognise.
  }
  if (!cmdline.includes('redis-server')) return false;
  try {
    const real = realpathSync(dir);
    // Until it has read its configuration the working directory is still its parent's; the command line
    // (`redis-server DIR/redis.conf`) names the directory then.
    return readlinkSync(`/proc/${pid}/cwd`) === real || cmdline.includes(real) || cmdline.includes(dir);
  } catch {
    return false;
  }
}

function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid ...`: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}
