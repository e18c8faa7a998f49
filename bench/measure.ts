/**
 * Runs a command and measures its wall time and peak resident memory. The peak is the kernel's high-water mark
 * (`VmHWM` in /proc/PID/status) of the process itself, polled every `pollMs`; the last value seen before exit
 * is the peak. Descendant processes, if any, are polled too and reported separately.
 */
import { spawn } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';

export interface Measured {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak RSS of the process itself, bytes. */
  peakRssBytes: number;
  /** CPU time (user + system) of the process itself, seconds, as last seen before it exited. */
  cpuSeconds: number;
  /** Sum of the peak RSS of descendant processes (0 when it spawned none). */
  childrenPeakRssBytes: number;
  pid: number;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  pollMs?: number;
  timeoutMs?: number;
}

/** VmHWM of a process in bytes, or undefined once it is gone. */
export async function highWaterMark(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** utime + stime of a process in seconds, or undefined once it is gone. */
export async function cpuTime(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

async function childrenOf(pid: number): Promise<number[]> {
  const result: number[] = [];
  try {
    for (const task of await readdir(`/proc/${pid}/task`)) {
      const text = await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '');
      for (const id of text.trim().split(/\s+/)) if (id) result.push(Number(id));
    }
  } catch {
    // gone
  }
  return result;
}

export async function measure(command: string, args: string[], options: MeasureOptions = {}): Promise<Measured> {
  const started = performance.now();
  const child = spawn(command, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${command}`);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (stderr.length > 4_000_000) stderr = stderr.slice(-2_000_000);
  });
  let peak = 0;
  let cpu = 0;
  const childPeaks = new Map<number, number>();
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  // Let stdout/stderr finish after exit.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let timedOut = false;
  const timer = options.timeoutMs
    ? setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, options.timeoutMs)
    : undefined;
  const poll = (async () => {
    const interval = options.pollMs ?? 20;
    while (running) {
      const hwm = await highWaterMark(pid);
      if (hwm !== undefined && running) peak = Math.max(peak, hwm);
      const used = await cpuTime(pid);
      if (used !== undefined && running) cpu = Math.max(cpu, used);
      const queue = await childrenOf(pid);
      while (queue.length) {
        const id = queue.pop()!;
        const h = await highWaterMark(id);
        if (h !== undefined) childPeaks.set(id, Math.max(childPeaks.get(id) ?? 0, h));
        queue.push(...(await childrenOf(id)));
      }
      await new Promise((r) => setTimeout(r, interval));
    }
  })();
  const { code, signal } = await exited;
  const seconds = (performance.now() - started) / 1000;
  if (timer) clearTimeout(timer);
  await Promise.all([poll, closed]);
  if (timedOut) stderr += `\n[bench] killed after ${options.timeoutMs} ms`;
  return {
    exitCode: code,
    signal,
    stdout,
    stderr,
    seconds,
    peakRssBytes: peak,
    cpuSeconds: cpu,
    childrenPeakRssBytes: [...childPeaks.values()].reduce((a, b) => a + b, 0),
    pid,
  };
}

/**
 * CPU seconds used so far by a server process and all the children it has reaped (utime + stime + cutime +
 * cstime): for Dovecot's master, that includes every finished imap, imap-login and auth process.
 */
export async function processTreeCpu(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/** The pid of the process whose command line contains every one of `needles` (e.g. dovecot and its config). */
export async function findProcess(needles: string[]): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    const args = cmdline.split('\0');
    if (needles.every((needle) => args.includes(needle))) return Number(entry);
  }
  return undefined;
}
