/**
 * `npm run bench:cutover`: the cut-over window of the classic order against the staged order (issue 13), on the
 * sandbox (the OVH API simulator with its Dovecots, a redis-server), with the simulator's OVH task delays on.
 * See bench/README.md.
 *
 * Two source mailboxes of the same size and shape per round on the Hosted Exchange service (seeded straight into
 * their Maildirs, as `sandbox --mailboxes N --messages M` seeds them), each migrated to the E-mail Pro service:
 * one in the classic order (no source password), one in the staged order (with the source's password and
 * `cutoverAt` = the submission time, so it cuts over as soon as the first copy is done). The pipeline is wired
 * from configuration exactly as the CLI wires it (createRuntime: production OVH client and task-wait policy,
 * IMAP_CONNECTIONS and queue tuning at their defaults), a worker of concurrency 1 in this process.
 *
 * Figures: the report's cut-over window (rename-source's start -> delta's end, in both orders), the total time
 * (submission -> the last step's end), messages copied, and a check that the destination holds exactly the
 * source's messages (Message-ID and flags of every message, read with doveadm on both Dovecots, and against
 * what was seeded). A count that cannot be made is an error, never a 0.
 *
 * Options:
 *   --messages N          messages per mailbox (default 20000)
 *   --repeat R            rounds; the order that goes first alternates (default 1)
 *   --task-delay-ms MS    how long each simulated OVH task takes, renames included (default 2000)
 *   --content KIND        scale (default): the sandbox's `--messages` mailbox (scaleMailbox: 1-3 KB text messages,
 *                         3 folders); bench: the copy benchmark's mailbox (generate-mailbox.ts: 6 folders, ~5 %
 *                         attachments up to 1 MB, ~22 KB a message on average, the same seed for every mailbox)
 *   --timeout-minutes M   give up on one migration after M minutes (default 30)
 *   --delay-ms MS         IMAP latency each way between the migrating process and the mail servers, through the
 *                         copy benchmark's delay proxy (default 0: loopback). The copy benchmark's realistic
 *                         scenario is 10 (a 20 ms round trip): the bot never runs on OVH's mail servers.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/log/logger.js';
import { createRuntime, type Runtime } from '../src/pipeline/runtime.js';
import type { MigrationStatus, StepRecord } from '../src/pipeline/migration-service.js';
import { RedisServer } from '../src/redis/redis-server.js';
import type { DovecotServer } from '../src/sandbox/dovecot.js';
import { OvhSimulator, sandboxFixture } from '../src/sandbox/ovh-simulator/index.js';
import { scaleMailbox, type FixtureFolder } from '../src/sandbox/ovh-simulator/fixture.js';
import { seedMailbox } from './generate-mailbox.js';
import { DelayProxy } from './delay-proxy.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
/** Issue 13: the staged order's cut-over window is at most this fraction of the classic one, in the same run. */
const TARGET_RATIO = 0.2;

const { values: flags } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    repeat: { type: 'string', default: '1' },
    'task-delay-ms': { type: 'string', default: '2000' },
    'timeout-minutes': { type: 'string', default: '30' },
    content: { type: 'string', default: 'scale' },
    'delay-ms': { type: 'string', default: '0' },
  },
  strict: true,
});
const MESSAGES = Number(flags.messages);
const REPEAT = Number(flags.repeat);
const TASK_DELAY_MS = Number(flags['task-delay-ms']);
const TIMEOUT_MS = Number(flags['timeout-minutes']) * 60_000;
const DELAY_MS = Number(flags['delay-ms']);
if (!Number.isInteger(DELAY_MS) || DELAY_MS < 0) throw new Error('--delay-ms must be a non-negative integer');
if (!Number.isInteger(MESSAGES) || MESSAGES < 1) throw new Error('--messages must be a positive integer');
if (!Number.isInteger(REPEAT) || REPEAT < 1) throw new Error('--repeat must be a positive integer');
if (!Number.isInteger(TASK_DELAY_MS) || TASK_DELAY_MS < 0) throw new Error('--task-delay-ms must be a non-negative integer');
if (!(TIMEOUT_MS > 0)) throw new Error('--timeout-minutes must be positive');
const CONTENT = flags.content as 'scale' | 'bench';
if (CONTENT !== 'scale' && CONTENT !== 'bench') throw new Error('--content must be scale or bench');

const EXCHANGE_KEY = 'exchange:hosted-sb11111-1/hosted-sb11111-1';
const PRO_KEY = 'emailpro:emailpro-sb22222-1';
const DESTINATION = 'emailpro-sb22222-1';
const DOMAIN = 'mydomain.ovh';
const REQUESTER = { kind: 'cli' as const, id: 'bench' };
/** Steps of the window in either order (rename-source ... delta), for the breakdown. */
const WINDOW_STEPS = ['rename-source', 'create-destination', 'copy', 'collaborative', 'rename-destination', 'delta'];

type Order = 'classic' | 'staged';

interface Check {
  ok: boolean;
  /** Messages in the source after the run (its Dovecot, at the temporary address). */
  source: number;
  /** Messages in the destination (its Dovecot, at the real address). */
  destination: number;
  /** Messages seeded into the source. */
  seeded: number;
  /** Bytes seeded (the raw messages). */
  seededBytes: number;
  detail: string;
}

interface RunResult {
  round: number;
  order: Order;
  address: string;
  /** The order the plan chose (and why): a staged request that the plan turned classic would be an error. */
  planned: { kind: string; reason: string };
  state: string;
  submittedAt: string;
  finishedAt?: string;
  totalSeconds?: number;
  window?: { startedAt: string; endedAt: string; seconds: number };
  messagesCopied?: number;
  steps: StepRecord[];
  /** OVH API calls inside the window. */
  ovhTrace?: TraceEntry[];
  check?: Check;
  loadBefore: number[];
  loadAfter: number[];
  error?: string;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

const load = (): number[] => loadavg().map((l) => Number(l.toFixed(2)));

async function machine(): Promise<Record<string, unknown>> {
  const text = (cmd: string, args: string[]) => run(cmd, args, { cwd: ROOT }).then((r) => r.stdout.trim(), () => 'unknown');
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    nproc: await text('nproc', []),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    dovecot: await text('dovecot', ['--version']),
    redis: await text('redis-server', ['--version']),
    commit: await text('git', ['rev-parse', '--short', 'HEAD']),
    loadAverage: load(),
  };
}

/** `message-id|flags` of every message of a mailbox, sorted, read by doveadm (no password needed: the server's own view). */
async function dovecotMessages(server: DovecotServer, user: string): Promise<string[]> {
  // `*` alone matches nothing in a namespace with a prefix (`INBOX.`): INBOX, then the prefix's folders.
  const masks = server.prefix ? ['INBOX', `${server.prefix}*`] : ['*'];
  const messages: string[] = [];
  for (const mask of masks) {
    const out = await server.doveadm(['-f', 'tab', 'fetch', '-u', user, 'hdr.message-id flags', 'mailbox', mask]);
    const [header, ...rows] = out.split('\n').filter((line) => line !== '');
    if (header !== 'hdr.message-id\tflags') throw new Error(`doveadm fetch for ${user} (${mask}) printed ${JSON.stringify(out.slice(0, 200))}`);
    for (const row of rows) {
      const tab = row.lastIndexOf('\t');
      messages.push(`${row.slice(0, tab).trim()}|${normaliseFlags(row.slice(tab + 1))}`);
    }
  }
  return messages.sort();
}

function normaliseFlags(flags: string): string {
  return flags
    .split(/\s+/)
    .filter((f) => f && f !== '\\Recent')
    .sort()
    .join(' ');
}

/** What was seeded, as `message-id|flags`. */
function seededMessages(folders: FixtureFolder[]): string[] {
  return folders
    .flatMap((folder) => folder.messages)
    .map((m) => {
      const raw = typeof m.raw === 'string' ? m.raw : m.raw.toString('utf8');
      const id = /^Message-ID: (.*)$/im.exec(raw)?.[1]?.trim();
      if (!id) throw new Error('a seeded message has no Message-ID');
      return `${id}|${normaliseFlags((m.flags ?? []).join(' '))}`;
    })
    .sort();
}

function difference(a: string[], b: string[]): { onlyA: number; onlyB: number } {
  const counts = new Map<string, number>();
  for (const x of a) counts.set(x, (counts.get(x) ?? 0) + 1);
  let onlyB = 0;
  for (const x of b) {
    const n = counts.get(x) ?? 0;
    if (n > 0) counts.set(x, n - 1);
    else onlyB++;
  }
  const onlyA = [...counts.values()].reduce((s, n) => s + n, 0);
  return { onlyA, onlyB };
}

interface Seeded {
  messages: number;
  bytes: number;
  /** `message-id|flags` of each, when the generator's messages were kept (scale); else only the count is compared. */
  identities?: string[];
}

async function check(sim: OvhSimulator, status: MigrationStatus, seeded: Seeded): Promise<Check> {
  const sourceServer = sim.dovecot(EXCHANGE_KEY);
  const destinationServer = sim.dovecot(PRO_KEY);
  const temporary = status.plan.temporaryAddress;
  const real = status.plan.destination.address;
  const [sourceCount, destinationCount, source, destination] = await Promise.all([
    sourceServer.messageCount(temporary),
    destinationServer.messageCount(real),
    dovecotMessages(sourceServer, temporary),
    dovecotMessages(destinationServer, real),
  ]);
  const problems: string[] = [];
  if (source.length !== sourceCount) problems.push(`doveadm fetch read ${source.length} source messages, mailbox status counts ${sourceCount}`);
  if (destination.length !== destinationCount) problems.push(`doveadm fetch read ${destination.length} destination messages, mailbox status counts ${destinationCount}`);
  const vsSource = difference(source, destination);
  if (vsSource.onlyA || vsSource.onlyB) problems.push(`destination vs source (${temporary}): ${vsSource.onlyA} missing, ${vsSource.onlyB} extra (Message-ID and flags)`);
  if (seeded.identities) {
    const vsSeeded = difference(seeded.identities, source);
    if (vsSeeded.onlyA || vsSeeded.onlyB) problems.push(`source vs what was seeded: ${vsSeeded.onlyA} missing, ${vsSeeded.onlyB} extra`);
  } else if (sourceCount !== seeded.messages) problems.push(`the source holds ${sourceCount} messages, ${seeded.messages} were seeded`);
  return {
    ok: problems.length === 0,
    source: sourceCount,
    destination: destinationCount,
    seeded: seeded.messages,
    seededBytes: seeded.bytes,
    detail: problems.length
      ? problems.join('; ')
      : `${destinationCount} messages on ${real}, the same Message-IDs and flags as ${temporary} (${sourceCount}) and as seeded (${seeded.messages}${seeded.identities ? '' : ', count only'})`,
  };
}

async function waitDone(runtime: Runtime, jobId: string): Promise<MigrationStatus> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const [status] = await runtime.service.status({ jobId });
    if (status && ['done', 'failed', 'cancelled', 'rejected'].includes(status.state)) return status;
    if (Date.now() > deadline) throw new Error(`${jobId} not finished after ${TIMEOUT_MS / 60_000} minutes (state ${status?.state})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The OVH API calls made during the window: where its time goes. */
interface TraceEntry {
  /** Seconds from the window's start. */
  t: number;
  method: string;
  path: string;
  status: number;
}

function trace(sim: OvhSimulator, from: number, to: number): TraceEntry[] {
  return sim.requests
    .filter((r) => r.at.getTime() >= from && r.at.getTime() <= to)
    .map((r) => ({ t: (r.at.getTime() - from) / 1000, method: r.method, path: r.path, status: r.status }));
}

/** Per window step: OVH writes (what they were, at which second of the window) and how many reads (polls) it made. */
function traceSummary(result: RunResult): string[] {
  if (!result.window || !result.ovhTrace) return [];
  const start = Date.parse(result.window.startedAt);
  const lines: string[] = [];
  for (const name of WINDOW_STEPS) {
    const step = result.steps.find((s) => s.name === name);
    // in the staged order create-destination and copy ran before the window
    if (!step?.startedAt || !step.endedAt || step.status === 'skipped' || Date.parse(step.startedAt) < start) continue;
    const from = (Date.parse(step.startedAt) - start) / 1000;
    const to = (Date.parse(step.endedAt) - start) / 1000;
    const inStep = result.ovhTrace.filter((e) => e.t >= from && e.t <= to);
    const writes = inStep.filter((e) => e.method !== 'GET').map((e) => `${e.method} ${e.path.replace(/^\/email\/(exchange|pro)\/[^/]+(\/service\/[^/]+)?/, '…')} @${e.t.toFixed(1)}`);
    const reads = inStep.length - writes.length;
    const lastCall = inStep.length ? inStep[inStep.length - 1]!.t : from;
    lines.push(
      `    ${pad(name, 18)} ${from.toFixed(1).padStart(5)} -> ${to.toFixed(1).padStart(5)} s  (${(to - from).toFixed(1)} s; ${reads} OVH reads, last OVH answer at ${lastCall.toFixed(1)} s)${writes.length ? `; writes: ${writes.join(', ')}` : ''}`,
    );
  }
  return lines;
}

async function migrate(runtime: Runtime, sim: OvhSimulator, round: number, order: Order, address: string, password: string, seeded: Seeded): Promise<RunResult> {
  const loadBefore = load();
  log(`round ${round + 1}: ${order} ${address} (load ${loadBefore.join(' ')})`);
  const submittedAt = new Date();
  const submitted = await runtime.service.submit({
    sourceAddress: address,
    destinationService: DESTINATION,
    requester: REQUESTER,
    preapproved: true,
    ...(order === 'staged' ? { sourcePassword: password, cutoverAt: submittedAt.toISOString() } : { order: 'classic' as const }),
  });
  const base = { round, order, address, submittedAt: submittedAt.toISOString(), loadBefore, steps: [] as StepRecord[] };
  if (!submitted.ok) return { ...base, planned: { kind: '?', reason: '' }, state: 'refused', loadAfter: load(), error: `refused: ${JSON.stringify(submitted.problems)}` };
  const planned = { kind: submitted.plan.order?.kind ?? 'classic', reason: submitted.plan.order?.reason ?? '' };
  const status = await waitDone(runtime, submitted.jobId);
  const ends = status.steps.map((s) => (s.endedAt ? Date.parse(s.endedAt) : NaN)).filter((t) => Number.isFinite(t));
  const finished = ends.length ? Math.max(...ends) : undefined;
  const result: RunResult = {
    ...base,
    planned,
    state: status.state,
    ...(finished !== undefined ? { finishedAt: new Date(finished).toISOString(), totalSeconds: (finished - submittedAt.getTime()) / 1000 } : {}),
    ...(status.report?.cutoverWindow ? { window: status.report.cutoverWindow } : {}),
    ...(status.report?.copy ? { messagesCopied: status.report.copy.messages.copied } : {}),
    steps: status.steps,
    ...(status.report?.cutoverWindow ? { ovhTrace: trace(sim, Date.parse(status.report.cutoverWindow.startedAt), Date.parse(status.report.cutoverWindow.endedAt)) } : {}),
    loadAfter: load(),
  };
  const errors: string[] = [];
  if (planned.kind !== order) errors.push(`planned ${planned.kind}, not ${order}: ${planned.reason}`);
  if (status.state !== 'done') errors.push(`ended ${status.state}${status.outcome?.state === 'failed' ? ` at ${status.outcome.step}: ${status.outcome.error}` : ''}`);
  if (!result.window) errors.push('no cut-over window in the report');
  if (status.state === 'done') {
    try {
      result.check = await check(sim, status, seeded);
      if (!result.check.ok) errors.push(`destination check failed: ${result.check.detail}`);
    } catch (error) {
      errors.push(`destination check could not be made: ${(error as Error).message}`);
    }
  }
  if (errors.length) result.error = errors.join('; ');
  log(
    `  ${status.state}; window ${result.window ? result.window.seconds.toFixed(1) + ' s' : '-'}; total ${result.totalSeconds?.toFixed(1) ?? '-'} s; copied ${result.messagesCopied ?? '-'}; ` +
      (result.check ? `destination ${result.check.destination} / source ${result.check.source}` : 'not checked') +
      (result.error ? `  ERROR ${result.error}` : ''),
  );
  return result;
}

function seconds(step: StepRecord | undefined): string {
  if (!step?.startedAt || !step.endedAt) return step?.status === 'skipped' ? 'skip' : '';
  return ((Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000).toFixed(1);
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

function table(head: string[], widths: number[], rows: string[][]): string {
  const line = (cells: string[]) => cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join('  ').trimEnd();
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const info = await machine();
  const started = new Date();
  log(`machine: ${info.cpu}, nproc ${info.nproc}, node ${info.node}, Dovecot ${info.dovecot}; load ${(info.loadAverage as number[]).join(' ')}`);
  log(`${MESSAGES} messages per mailbox, ${REPEAT} round(s), OVH task delay ${TASK_DELAY_MS} ms (renames too), IMAP delay ${DELAY_MS} ms each way`);

  // One classic and one staged source per round, same size and shape (scaleMailbox, the sandbox's --messages seeding).
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  const pro = fixture.services.find((s) => s.platform === 'emailpro')!;
  const mailboxes: { round: number; order: Order; address: string; password: string; seeded: Seeded }[] = [];
  let t = performance.now();
  for (let round = 0; round < REPEAT; round++) {
    for (const order of ['classic', 'staged'] as Order[]) {
      const login = `cutover.${order}${round + 1}`;
      const address = `${login}@${DOMAIN}`;
      const password = `Bench-Pass-${randomBytes(4).toString('hex')}`;
      // bench content is written once the simulator (and the account's Dovecot user) exists
      const mailbox = CONTENT === 'scale' ? scaleMailbox(address, MESSAGES) : [];
      exchange.accounts.push({ login, domain: DOMAIN, password, quota: 50, accountLicense: 'standard', displayName: `Cut-over ${order} ${round + 1}`, mailbox });
      const identities = CONTENT === 'scale' ? seededMessages(mailbox) : undefined;
      const bytes = mailbox.flatMap((f) => f.messages).reduce((sum, m) => sum + m.raw.length, 0);
      mailboxes.push({ round, order, address, password, seeded: { messages: identities?.length ?? 0, bytes, ...(identities ? { identities } : {}) } });
    }
  }
  pro.freeSlots = (pro.freeSlots ?? 0) + 2 * REPEAT + 2;

  const dataDir = await mkdtemp(join(tmpdir(), 'cutover-bench-'));
  const [redis, sim] = await Promise.all([RedisServer.start(), OvhSimulator.start({ fixture, taskDelayMs: TASK_DELAY_MS, renameDelayMs: TASK_DELAY_MS })]);
  const results: RunResult[] = [];
  const proxies: DelayProxy[] = [];
  let runtime: Runtime | undefined;
  try {
    if (CONTENT === 'bench') {
      for (const m of mailboxes) {
        const summary = await seedMailbox(sim.dovecot(EXCHANGE_KEY), m.address, { messages: MESSAGES });
        m.seeded = { messages: summary.messages, bytes: summary.bytes };
      }
    }
    log(`simulator and redis-server up, ${mailboxes.length} mailboxes of ${MESSAGES} messages (${(mailboxes[0]!.seeded.bytes / 2 ** 20).toFixed(1)} MiB each, ${CONTENT} content) seeded in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    for (const m of mailboxes) {
      const counted = await sim.dovecot(EXCHANGE_KEY).messageCount(m.address);
      if (counted !== m.seeded.messages) throw new Error(`${m.address}: its Dovecot counts ${counted} messages, ${m.seeded.messages} were seeded`);
    }
    // every IMAP connection of the pipeline goes through a delay proxy in front of its Dovecot
    const endpoints = sim.imapEndpoints();
    if (DELAY_MS > 0) {
      for (const [host, target] of Object.entries(endpoints)) {
        const [targetHost, targetPort] = target.split(':');
        const proxy = await DelayProxy.start({ targetHost: targetHost!, targetPort: Number(targetPort), delayMs: DELAY_MS });
        proxies.push(proxy);
        endpoints[host] = `127.0.0.1:${proxy.port}`;
      }
    }
    const config = loadConfig({
      ...sim.endpointEnv(),
      IMAP_ENDPOINTS: JSON.stringify(endpoints),
      REDIS_URL: redis.url,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      DATA_DIR: dataDir,
      OVH_MX_RELAY: 'mx1.mail.ovh.net',
      QUEUE_PREFIX: `cutover${randomBytes(3).toString('hex')}`,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    });
    runtime = await createRuntime(config, createLogger(config.LOG_LEVEL), { embeddedRedis: false });
    await runtime.startWorker(1);
    for (let round = 0; round < REPEAT; round++) {
      const orders: Order[] = round % 2 === 0 ? ['classic', 'staged'] : ['staged', 'classic'];
      for (const order of orders) {
        const m = mailboxes.find((x) => x.round === round && x.order === order)!;
        results.push(await migrate(runtime, sim, round, order, m.address, m.password, m.seeded));
      }
    }
  } finally {
    await runtime?.close({ force: true }).catch(() => undefined);
    await Promise.all(proxies.map((p) => p.close().catch(() => undefined)));
    await sim.stop().catch(() => undefined);
    await redis.stop().catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }

  // ---- figures
  const rows = results.map((r) => [
    `${r.round + 1}`,
    r.order,
    String(r.messagesCopied ?? ''),
    r.window ? r.window.seconds.toFixed(1) : '',
    r.totalSeconds?.toFixed(1) ?? '',
    ...WINDOW_STEPS.map((name) => seconds(r.steps.find((s) => s.name === name))),
    seconds(r.steps.find((s) => s.name === 'stage')),
    r.check ? `${r.check.destination}/${r.check.source}` : '',
    r.error ? 'FAIL' : 'ok',
  ]);
  const head = ['round', 'order', 'copied', 'window s', 'total s', 'rename-src', 'create-dst', 'copy', 'collab', 'rename-dst', 'delta', 'stage', 'dst/src', 'check'];
  const widths = [5, 7, 7, 8, 7, 10, 10, 6, 6, 10, 6, 6, 11, 5];
  const verdicts = Array.from({ length: REPEAT }, (_, round) => {
    const classic = results.find((r) => r.round === round && r.order === 'classic');
    const staged = results.find((r) => r.round === round && r.order === 'staged');
    if (!classic?.window || !staged?.window || classic.error || staged.error) {
      return { round, pass: false, text: `round ${round + 1}: not measured (${[classic?.error, staged?.error].filter(Boolean).join('; ') || 'a run is missing'})` };
    }
    const ratio = staged.window.seconds / classic.window.seconds;
    return {
      round,
      ratio,
      pass: ratio <= TARGET_RATIO,
      text: `round ${round + 1} (${round % 2 === 0 ? 'classic' : 'staged'} first): staged ${staged.window.seconds.toFixed(1)} s / classic ${classic.window.seconds.toFixed(1)} s = ${ratio.toFixed(3)}x; totals staged ${staged.totalSeconds!.toFixed(1)} s, classic ${classic.totalSeconds!.toFixed(1)} s`,
    };
  });
  const pass = verdicts.every((v) => v.pass);
  const text = [
    '',
    `migrate-mailbox cut-over benchmark, ${started.toISOString()}`,
    `machine: ${info.cpu}, nproc ${info.nproc}, ${info.memoryGiB} GiB; node ${info.node}; Dovecot ${info.dovecot}; ${info.redis}; commit ${info.commit}`,
    `load average at start: ${(info.loadAverage as number[]).join(' ')}; at end: ${load().join(' ')}`,
    `sandbox: Hosted Exchange -> E-mail Pro, ${MESSAGES} messages per mailbox (${CONTENT === 'scale' ? 'scaleMailbox' : 'generate-mailbox.ts'}, ${(mailboxes[0]!.seeded.bytes / 2 ** 20).toFixed(1)} MiB), OVH task delay ${TASK_DELAY_MS} ms (renames too), IMAP ${DELAY_MS ? `through a ${DELAY_MS} ms-each-way delay proxy` : 'on loopback'}; pipeline wired as the CLI wires it (production task-wait policy, IMAP_CONNECTIONS and queue tuning at their defaults), one worker`,
    'window = rename-source start -> delta end (the report\'s cutoverWindow); total = submission -> the last step\'s end; step columns = each step\'s startedAt -> endedAt in seconds',
    'check: destination vs source by Message-ID and flags of every message (doveadm on both Dovecots), and source vs what was seeded; dst/src = messages counted by each Dovecot',
    '',
    table(head, widths, rows),
    '',
    `target: staged cut-over window <= ${TARGET_RATIO}x the classic one, in the same round${REPEAT > 1 ? ' (every round)' : ''}:`,
    ...verdicts.map((v) => `  ${v.pass ? 'PASS' : 'FAIL'}  ${v.text}`),
    '',
    'where each window goes (seconds from rename-source\'s start; OVH calls from the simulator\'s request log):',
    ...results.flatMap((r) => [`  round ${r.round + 1} ${r.order}: window ${r.window?.seconds.toFixed(1) ?? '-'} s`, ...traceSummary(r)]),
    ...results.filter((r) => r.error).map((r) => `  error in round ${r.round + 1} ${r.order}: ${r.error}`),
    `  ${pass ? 'PASS' : 'FAIL'}`,
    '',
  ].join('\n');
  process.stdout.write(text);

  const file = join(OUT, `cutover-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    file,
    JSON.stringify({ date: started.toISOString(), machine: info, loadAtEnd: load(), options: { messages: MESSAGES, repeat: REPEAT, taskDelayMs: TASK_DELAY_MS, content: CONTENT, delayMs: DELAY_MS }, targetRatio: TARGET_RATIO, pass, verdicts, results }, null, 2) + '\n',
  );
  log(`results written to ${file}`);
  process.exitCode = pass && !results.some((r) => r.error) ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:cutover: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
