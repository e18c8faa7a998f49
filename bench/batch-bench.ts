/**
 * `npm run bench:batch`: a CSV batch of the sandbox's scale mailboxes (`sandbox --mailboxes N --messages M
 * --task-delay-ms D`, its `scale.batchCsv`) migrated by 1, then 2 `worker` processes (the real CLI command, started
 * as `npm run cli` starts it, each with the same --concurrency), each configuration on a fresh sandbox so both start
 * from the same state. The batch is submitted preapproved through the MigrationService from this process, which runs
 * no worker of its own (the CLI `batch` command would start one in its process and blur the 1-vs-2 comparison).
 *
 * Measured per configuration: mailboxes/hour (batch submitted -> every job final), peak RSS (VmHWM) of each worker
 * process, Redis `used_memory` before the submission and once every job is final, and the OVH API requests the
 * simulator served in between (it runs in this process: its request log is in memory). Verified: every job done,
 * the batch's parent job completed, nothing active, waiting, delayed or failed in the queue, and each destination
 * holds as many messages as its source.
 *
 * `--repeat R` runs R rounds, each 1 then 2 workers back to back (2 then 1 in even rounds, so a machine getting
 * busier or quieter does not favour one side); the scaling verdict is on the median of the rounds' ratios, and
 * every round's ratio is printed: the machines this runs on are shared, and one round can move by 0.3x.
 *
 * `--profile` runs each worker with `node --cpu-prof` (stopped with SIGTERM at the end so the profile is written, in
 * bench/out/prof/batch-<time>/; summarise one with bench/profile-summary.ts).
 *
 *   npm run bench:batch -- [--mailboxes 100] [--messages 200] [--task-delay-ms 1000] [--concurrency 4] [--only 1|2] [--repeat 1] [--profile]
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { configSchema } from '../src/config/config.js';
import { createLogger } from '../src/log/logger.js';
import { createRuntime } from '../src/pipeline/runtime.js';
import { cpuTime, highWaterMark } from './measure.js';
import { startSandbox, type Sandbox } from './sandbox-env.js';
import { startCliProcess } from './cli-process.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const OUT = join(ROOT, 'bench', 'out');

const { values: flags } = parseArgs({
  options: {
    mailboxes: { type: 'string', default: '100' },
    messages: { type: 'string', default: '200' },
    'task-delay-ms': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '4' },
    only: { type: 'string' },
    repeat: { type: 'string', default: '1' },
    'timeout-minutes': { type: 'string', default: '60' },
    profile: { type: 'boolean', default: false },
  },
});
const PROFILE_DIR = flags.profile ? join(OUT, 'prof', `batch-${Date.now()}`) : undefined;
const MAILBOXES = Number(flags.mailboxes);
const MESSAGES = Number(flags.messages);
const TASK_DELAY_MS = Number(flags['task-delay-ms']);
const CONCURRENCY = Number(flags.concurrency);
const REPEAT = Number(flags.repeat);
const TIMEOUT_MS = Number(flags['timeout-minutes']) * 60_000;
for (const [name, value] of Object.entries({ MAILBOXES, MESSAGES, TASK_DELAY_MS, CONCURRENCY, REPEAT })) {
  if (!Number.isInteger(value) || value < 0) throw new Error(`bad ${name}: ${value}`);
}
const CONFIGS = flags.only ? [Number(flags.only)] : [1, 2];
const FINAL = new Set(['done', 'failed', 'cancelled', 'rejected']);

interface WorkerProcess {
  child: ChildProcess;
  pid: number;
  stderrTail: string[];
  peakRssBytes: number;
  cpuSeconds: number;
}

/** A `worker` process exactly as `npm run cli -- worker` starts it; resolves once it logged "worker started". */
async function startWorker(env: Record<string, string>): Promise<WorkerProcess> {
  // the last warnings and errors it logged, kept as they come (also after it started)
  const stderrTail: string[] = [];
  const { child, ready } = startCliProcess({
    args: ['worker', '--concurrency', String(CONCURRENCY)],
    ...(PROFILE_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] } : {}),
    env: { ...env, LOG_LEVEL: 'info' },
    ready: '"worker started"',
    onLine: (line) => {
      if (!/"level":(40|50|60)/.test(line)) return;
      stderrTail.push(line.slice(0, 400));
      if (stderrTail.length > 20) stderrTail.shift();
    },
    onExit: (code, signal) => `worker exited (${code ?? signal}) before it was ready: ${stderrTail.join('\n')}`,
  });
  await ready;
  return { child, pid: child.pid!, stderrTail, peakRssBytes: 0, cpuSeconds: 0 };
}

/** SIGTERM, so node writes the --cpu-prof profile as it exits; SIGKILL after 30 s. */
async function stopForProfile(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** Polls VmHWM and CPU time of the workers until stopped; the last value seen is the peak. */
function pollWorkers(workers: WorkerProcess[]): () => Promise<void> {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const w of workers) {
        const hwm = await highWaterMark(w.pid);
        if (hwm !== undefined) w.peakRssBytes = Math.max(w.peakRssBytes, hwm);
        const cpu = await cpuTime(w.pid);
        if (cpu !== undefined) w.cpuSeconds = cpu;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return async () => {
    stopped = true;
    await loop;
    for (const w of workers) {
      const hwm = await highWaterMark(w.pid);
      if (hwm !== undefined) w.peakRssBytes = Math.max(w.peakRssBytes, hwm);
      const cpu = await cpuTime(w.pid);
      if (cpu !== undefined) w.cpuSeconds = cpu;
    }
  };
}

interface Result {
  workers: number;
  concurrencyPerWorker: number;
  mailboxes: number;
  done: number;
  failed: string[];
  seconds: number;
  mailboxesPerHour: number;
  workerPeakRssMB: number[];
  workerCpuSeconds: number[];
  redisUsedMemoryBefore: number;
  redisUsedMemoryAfter: number;
  redisBytesPerMigration: number;
  ovhRequests: number;
  ovhRequestsPerMigration: number;
  ovhRequestsByStatus: Record<string, number>;
  ovhRequestsByRoute: Record<string, number>;
  /** Which round of --repeat it belongs to (1-based). */
  round?: number;
  queueCounts: Record<string, number>;
  messagesChecked: { mailboxes: number; mismatches: string[] };
  loadAverage: { start: number[]; end: number[] };
  /** CPU of this process (the OVH simulator, the EWS doubles, the batch's submission and polling), seconds. */
  simulatorProcessCpuSeconds: number;
  /** How late this process's timers ran (the simulator answers OVH calls on this event loop), ms. */
  simulatorEventLoopDelayMs: { p50: number; p99: number; max: number };
  /** Share of all cores busy during the batch, from /proc/stat (other sessions on a shared machine included). */
  machineBusyPercent: number;
  /** Mean and max wall time of each step over the finished migrations (startedAt -> endedAt), seconds. */
  stepSeconds: Record<string, { mean: number; max: number }>;
}

/** Busy and total jiffies over all cores (`cpu` line of /proc/stat; idle + iowait count as not busy). */
async function machineCpu(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!;
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  return { busy: total - fields[3]! - fields[4]!, total };
}

async function runConfiguration(workerCount: number): Promise<Result> {
  process.stderr.write(`\n== ${workerCount} worker process(es) x concurrency ${CONCURRENCY}: seeding ${MAILBOXES} mailboxes of ${MESSAGES} messages...\n`);
  const seedStart = Date.now();
  const sandbox: Sandbox = await startSandbox({ mailboxes: MAILBOXES, messages: MESSAGES, taskDelayMs: TASK_DELAY_MS });
  process.stderr.write(`   sandbox ready in ${((Date.now() - seedStart) / 1000).toFixed(1)} s (${sandbox.dir})\n`);
  const workers: WorkerProcess[] = [];
  // Same batch ceiling for both configurations, above every worker slot of the larger one, so the batch's own
  // limit (BATCH_CONCURRENCY, 3 by default) is not what the benchmark measures.
  const batchConcurrency = Math.max(...CONFIGS) * CONCURRENCY;
  const config = configSchema.parse({ ...sandbox.env, LOG_LEVEL: 'warn', BATCH_CONCURRENCY: String(batchConcurrency), BATCH_MAX_ROWS: String(Math.max(500, MAILBOXES)) });
  const runtime = await createRuntime(config, createLogger('warn'), { embeddedRedis: false });
  try {
    for (let i = 0; i < workerCount; i++) workers.push(await startWorker(sandbox.env));
    const stopPolling = pollWorkers(workers);
    const loadStart = loadavg();
    const redisBefore = await sandbox.usedMemory();
    sandbox.sim.clearRequests();
    const machineStart = await machineCpu();
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const started = Date.now();
    const cpuStart = process.cpuUsage();
    const submitted = await runtime.service.submitBatch(sandbox.batchCsv, { kind: 'cli', id: 'bench' }, { preapproved: true });
    if (!submitted.ok) throw new Error(`batch refused: ${JSON.stringify(submitted.errors).slice(0, 2000)}`);
    process.stderr.write(`   batch ${submitted.batchId} submitted (${submitted.jobIds.length} mailboxes, pre-checked and queued in ${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    let lastFinal = -1;
    let lastPrint = 0;
    let statuses = await runtime.service.batchStatus(submitted.batchId);
    for (;;) {
      statuses = await runtime.service.batchStatus(submitted.batchId);
      const final = statuses.filter((s) => FINAL.has(s.state)).length;
      if ((final !== lastFinal && final % 10 === 0) || Date.now() - lastPrint > 30_000) {
        process.stderr.write(`   ${final}/${submitted.jobIds.length} final after ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        lastFinal = final;
        lastPrint = Date.now();
      }
      if (statuses.length === submitted.jobIds.length && final === submitted.jobIds.length) break;
      if (Date.now() - started > TIMEOUT_MS) throw new Error(`not finished after ${flags['timeout-minutes']} minutes: ${final}/${submitted.jobIds.length} final`);
      for (const w of workers) if (w.child.exitCode !== null || w.child.signalCode !== null) throw new Error(`worker ${w.pid} died: ${w.stderrTail.join('\n')}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    const seconds = (Date.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuStart);
    loopDelay.disable();
    const machineEnd = await machineCpu();
    const requests = [...sandbox.sim.requests];
    await stopPolling();
    const loadEnd = loadavg();
    // the batch's parent job runs once every child ended (pending links applied there): wait for it too
    const parentDeadline = Date.now() + 60_000;
    let parentState = '';
    while (Date.now() < parentDeadline) {
      parentState = (await runtime.service.queue.getJobState(`batch-${submitted.batchId}`)) as string;
      if (parentState === 'completed' || parentState === 'failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const queueCounts = await runtime.service.queue.getJobCounts('completed', 'failed', 'active', 'waiting', 'delayed', 'waiting-children', 'prioritized');
    const redisAfter = await sandbox.usedMemory();
    const done = statuses.filter((s) => s.state === 'done' && !s.steps.some((step) => step.status === 'failed'));
    const failed = statuses
      .filter((s) => !done.includes(s))
      .map((s) => {
        const step = s.steps.find((st) => st.status === 'failed');
        return `${s.plan.source.address}: ${s.state}${step ? ` at ${step.name}: ${step.detail ?? ''}` : ''}`;
      });
    // every destination holds what its source (now under its temporary name) holds
    const mismatches: string[] = [];
    for (const s of done) {
      const [source, destination] = await Promise.all([sandbox.sim.mailboxUsage(s.plan.temporaryAddress), sandbox.sim.mailboxUsage(s.plan.destination.address)]);
      if (source.messages !== destination.messages) mismatches.push(`${s.plan.source.address}: source ${source.messages}, destination ${destination.messages}`);
    }
    const durations = new Map<string, number[]>();
    for (const s of done) {
      for (const step of s.steps) {
        if (!step.startedAt || !step.endedAt || step.status !== 'done') continue;
        const list = durations.get(step.name) ?? [];
        list.push((Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000);
        durations.set(step.name, list);
      }
    }
    const stepSeconds = Object.fromEntries(
      [...durations].map(([name, list]) => [name, { mean: list.reduce((a, b) => a + b, 0) / list.length, max: Math.max(...list) }]),
    );
    const byStatus: Record<string, number> = {};
    for (const r of requests) byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
    const byRoute: Record<string, number> = {};
    for (const r of requests) {
      const key = `${r.method} ${r.route ?? r.path} ${r.status}`;
      byRoute[key] = (byRoute[key] ?? 0) + 1;
    }
    return {
      workers: workerCount,
      concurrencyPerWorker: CONCURRENCY,
      mailboxes: submitted.jobIds.length,
      done: done.length,
      failed,
      seconds,
      mailboxesPerHour: (done.length / seconds) * 3600,
      workerPeakRssMB: workers.map((w) => w.peakRssBytes / 1e6),
      workerCpuSeconds: workers.map((w) => w.cpuSeconds),
      redisUsedMemoryBefore: redisBefore,
      redisUsedMemoryAfter: redisAfter,
      redisBytesPerMigration: done.length ? (redisAfter - redisBefore) / done.length : NaN,
      ovhRequests: requests.length,
      ovhRequestsPerMigration: done.length ? requests.length / done.length : NaN,
      ovhRequestsByStatus: byStatus,
      ovhRequestsByRoute: Object.fromEntries(Object.entries(byRoute).sort((a, b) => b[1] - a[1])),
      queueCounts: { ...queueCounts, batchParent: parentState === 'completed' ? 1 : 0 },
      messagesChecked: { mailboxes: done.length, mismatches },
      loadAverage: { start: loadStart, end: loadEnd },
      simulatorProcessCpuSeconds: (cpu.user + cpu.system) / 1e6,
      simulatorEventLoopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
      machineBusyPercent: (100 * (machineEnd.busy - machineStart.busy)) / (machineEnd.total - machineStart.total),
      stepSeconds,
    };
  } finally {
    if (PROFILE_DIR) await Promise.all(workers.map((w) => stopForProfile(w.child)));
    for (const w of workers) w.child.kill('SIGKILL');
    await runtime.close({ force: true }).catch(() => undefined);
    await sandbox.stop();
  }
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

async function main() {
  // One untimed start lets the CLI launcher rebuild .build/ if src/ changed, so every worker start is warm.
  execFileSync(process.execPath, ['scripts/cli.mjs', 'worker', '--help'], { cwd: ROOT, stdio: 'ignore' });
  const date = new Date().toISOString();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  const machine = { nproc: cpus().length, cpu: cpus()[0]?.model, memGiB: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, loadAtStart: loadavg() };
  process.stderr.write(`batch benchmark ${date} commit ${commit}: ${MAILBOXES} mailboxes x ${MESSAGES} messages, task delay ${TASK_DELAY_MS} ms, concurrency ${CONCURRENCY} per worker; ${machine.nproc} cores, load ${machine.loadAtStart.map((l) => l.toFixed(2)).join(' ')}\n`);
  const results: Result[] = [];
  for (let round = 1; round <= REPEAT; round++) {
    const order = round % 2 === 0 ? [...CONFIGS].reverse() : CONFIGS;
    for (const n of order) results.push({ ...(await runConfiguration(n)), round });
  }

  console.log('');
  console.log('round  workers  conc  mailboxes  done  seconds  mailboxes/h  worker peak RSS (MB)  worker CPU s  Redis before/after (MB)  Redis/migration  OVH calls  OVH/migration  load (1 min) start-end');
  for (const r of results) {
    console.log(
      [
        pad(r.round ?? 1, 5),
        pad(r.workers, 7),
        pad(r.concurrencyPerWorker, 4),
        pad(r.mailboxes, 9),
        pad(r.done, 4),
        pad(r.seconds.toFixed(1), 7),
        pad(r.mailboxesPerHour.toFixed(0), 11),
        pad(r.workerPeakRssMB.map((m) => m.toFixed(0)).join(' / '), 20),
        pad(r.workerCpuSeconds.map((c) => c.toFixed(0)).join(' / '), 12),
        pad(`${(r.redisUsedMemoryBefore / 1e6).toFixed(2)} / ${(r.redisUsedMemoryAfter / 1e6).toFixed(2)}`, 23),
        pad(`${(r.redisBytesPerMigration / 1e3).toFixed(1)} kB`, 15),
        pad(r.ovhRequests, 9),
        pad(r.ovhRequestsPerMigration.toFixed(1), 13),
        pad(`${r.loadAverage.start[0]!.toFixed(2)}-${r.loadAverage.end[0]!.toFixed(2)}`, 12),
      ].join('  '),
    );
  }
  console.log('');
  console.log(`CPU of the benchmark process (OVH simulator, EWS doubles, submission): ${results.map((r) => `${r.workers} worker(s) ${r.simulatorProcessCpuSeconds.toFixed(0)} s`).join(', ')}`);
  console.log(`machine busy (all cores, other sessions included) / simulator event-loop delay p99, max: ${results.map((r) => `${r.workers} worker(s) ${r.machineBusyPercent.toFixed(0)} % / ${r.simulatorEventLoopDelayMs.p99.toFixed(0)} ms, ${r.simulatorEventLoopDelayMs.max.toFixed(0)} ms`).join(", ")}`);
  console.log('mean (max) seconds per step, finished migrations:');
  const names = [...new Set(results.flatMap((r) => Object.keys(r.stepSeconds)))];
  for (const name of names) {
    console.log(`  ${name.padEnd(20)} ${results.map((r) => (r.stepSeconds[name] ? `r${r.round}/${r.workers}w ${r.stepSeconds[name]!.mean.toFixed(1)} (${r.stepSeconds[name]!.max.toFixed(1)})` : `r${r.round}/${r.workers}w -`).padEnd(22)).join('  ')}`);
  }
  console.log('');
  const verdict = (ok: boolean, text: string) => console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${text}`);
  const ratios: string[] = [];
  const values: number[] = [];
  for (let round = 1; round <= REPEAT; round++) {
    const one = results.find((r) => r.round === round && r.workers === 1);
    const two = results.find((r) => r.round === round && r.workers === 2);
    if (!one || !two) continue;
    const ratio = two.mailboxesPerHour / one.mailboxesPerHour;
    values.push(ratio);
    ratios.push(`round ${round}: ${two.mailboxesPerHour.toFixed(0)} / ${one.mailboxesPerHour.toFixed(0)} mailboxes/h = ${ratio.toFixed(2)}x`);
  }
  if (values.length) {
    const sorted = [...values].sort((a, b) => a - b);
    const median = sorted.length % 2 ? sorted[(sorted.length - 1) / 2]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
    verdict(median >= 1.7, `1 -> 2 worker processes >= 1.7x (median of ${values.length} round(s)): ${median.toFixed(2)}x; ${ratios.join('; ')}`);
  } else {
    console.log('  ----  1 -> 2 worker processes >= 1.7x: not measured (--only)');
  }
  for (const r of results) {
    verdict(r.redisBytesPerMigration < 1e6, `round ${r.round}, ${r.workers} worker(s): Redis < 1 MB per finished migration: (${r.redisUsedMemoryAfter} - ${r.redisUsedMemoryBefore}) B / ${r.done} = ${(r.redisBytesPerMigration / 1e3).toFixed(1)} kB`);
    const queueClean = r.queueCounts.failed === 0 && r.queueCounts.active === 0 && r.queueCounts.waiting === 0 && r.queueCounts.delayed === 0 && r.queueCounts['waiting-children'] === 0 && r.queueCounts.batchParent === 1;
    verdict(
      r.done === r.mailboxes && r.failed.length === 0 && queueClean && r.messagesChecked.mismatches.length === 0,
      `round ${r.round}, ${r.workers} worker(s): no migration left behind: ${r.done}/${r.mailboxes} done, queue ${JSON.stringify(r.queueCounts)}, ` +
        `message counts equal on ${r.messagesChecked.mailboxes - r.messagesChecked.mismatches.length}/${r.messagesChecked.mailboxes}` +
        (r.failed.length ? `; not done: ${r.failed.slice(0, 5).join(', ')}` : '') +
        (r.messagesChecked.mismatches.length ? `; mismatches: ${r.messagesChecked.mismatches.slice(0, 5).join(', ')}` : ''),
    );
  }
  await mkdir(OUT, { recursive: true });
  const file = join(OUT, `batch-${date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ date, commit, machine, options: { mailboxes: MAILBOXES, messages: MESSAGES, taskDelayMs: TASK_DELAY_MS, concurrency: CONCURRENCY, repeat: REPEAT }, results }, null, 2) + '\n');
  console.log(`\nresults: ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
