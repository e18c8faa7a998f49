/**
 * `npm run bench`: our copier against mbsync, on loopback and through a 10 ms-each-way delay proxy, plus the
 * re-run time and a run at 20,000 messages. See bench/README.md.
 *
 * Options:
 *   --messages N        size of the main mailbox (default 5000)
 *   --large N           size of the memory run (default 20000)
 *   --skip-large        skip the large run
 *   --only ours|mbsync  run one contender only (no ratios then)
 *   --delay MS          proxy delay each way (default 10)
 *   --profile           run our copier with node --cpu-prof (profiles in bench/out/prof/)
 *   --copier-arg ARG    extra argument for our copier (repeatable), e.g. --copier-arg=--connections=4
 *   --repeat N          run the loopback and proxy pairs N times, alternating who goes first (default 1)
 *   --fsync MODE        Dovecot mail_fsync on both servers: optimized (Dovecot's default, the default here) or
 *                       never (the test sandbox's setting; much cheaper per APPEND transaction)
 *   --timeout-minutes M kill a contender after M minutes (default 20)
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { DovecotServer } from '../src/sandbox/dovecot.js';
import { DelayProxy } from './delay-proxy.js';
import { seedMailbox, SOURCE_SPECIAL_USE, type MailboxSummary } from './generate-mailbox.js';
import { findProcess, measure, processTreeCpu, type Measured } from './measure.js';
import { MBSYNC, mbsyncVersion, prepareMbsync } from './mbsync.js';
import { verifyDestination, type Verification } from './verify.js';

const run = promisify(execFile);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'bench', 'out');
const MB = 1_000_000;
const MIB = 1024 * 1024;

const TARGETS = {
  loopbackRatio: 0.6,
  proxyRatio: 0.75,
  peakRssBytes: 150 * MB,
  rerunSeconds: 2,
};

type Tool = 'ours' | 'mbsync';
type Scenario = 'loopback' | 'proxy' | 'rerun' | 'large';

interface RunResult {
  /** Which repetition (--repeat); contenders alternate who goes first from one round to the next. */
  round: number;
  tool: Tool;
  scenario: Scenario;
  messages: number;
  bytes: number;
  seconds: number;
  peakRssBytes: number;
  cpuSeconds: number;
  /** CPU seconds both Dovecot servers spent during the run (their finished children included). */
  serverCpuSeconds?: number;
  childrenPeakRssBytes: number;
  exitCode: number | null;
  verification: Verification;
  /** What our copier reported (`copy --json`), when it printed it. */
  report?: unknown;
  loadBefore: number[];
  loadAfter: number[];
  error?: string;
}

const { values: flags } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    large: { type: 'string', default: '20000' },
    'skip-large': { type: 'boolean', default: false },
    only: { type: 'string' },
    delay: { type: 'string', default: '10' },
    profile: { type: 'boolean', default: false },
    'copier-arg': { type: 'string', multiple: true, default: [] },
    'timeout-minutes': { type: 'string', default: '20' },
    fsync: { type: 'string', default: 'optimized' },
    repeat: { type: 'string', default: '1' },
  },
  strict: true,
});
const MESSAGES = Number(flags.messages);
const LARGE = Number(flags.large);
const DELAY = Number(flags.delay);
const ONLY = flags.only as Tool | undefined;
if (ONLY && ONLY !== 'ours' && ONLY !== 'mbsync') throw new Error('--only must be ours or mbsync');
if (!Number.isInteger(MESSAGES) || MESSAGES < 1) throw new Error('--messages must be a positive integer');
const FSYNC = flags.fsync as 'optimized' | 'never';
if (FSYNC !== 'optimized' && FSYNC !== 'never') throw new Error('--fsync must be optimized or never');
const REPEAT = Math.max(1, Number(flags.repeat) || 1);
const TIMEOUT_MS = Number(flags['timeout-minutes']) * 60_000;
const wants = (tool: Tool): boolean => !ONLY || ONLY === tool;

/**
 * Node's arguments of `npm run cli` (package.json: the launcher scripts/cli.mjs with its node flags), so the
 * benchmark measures the copier exactly as users start it.
 */
function cliNodeArguments(): string[] {
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: { cli: string } }).scripts.cli;
  const [program, ...args] = script.trim().split(/\s+/);
  if (program !== 'node') throw new Error(`package.json scripts.cli should start with node, not ${JSON.stringify(script)}`);
  return args;
}

function log(line: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

async function machine(): Promise<Record<string, unknown>> {
  const dovecot = await run('dovecot', ['--version']).then((r) => r.stdout.trim(), () => 'unknown');
  const git = await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).then((r) => r.stdout.trim(), () => 'unknown');
  const busy = await run('ps', ['-eo', 'pcpu,comm', '--sort=-pcpu', '--no-headers']).then(
    (r) =>
      r.stdout
        .trim()
        .split('\n')
        .slice(0, 8)
        .map((l) => l.trim()),
    () => [],
  );
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    dovecot,
    mbsync: await mbsyncVersion(),
    commit: git,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    busiestProcesses: busy,
  };
}

function imapUrl(user: string, port: number): string {
  return `imap://${encodeURIComponent(user)}@127.0.0.1:${port}`;
}

interface Setup {
  masters: number[];
  source: DovecotServer;
  destination: DovecotServer;
  sourceProxy: DelayProxy;
  destinationProxy: DelayProxy;
}

let userCounter = 0;
let currentRound = 0;
const DEST_PASSWORD = 'bench-destination-pw';
const SOURCE_PASSWORD = 'bench-source-pw';

async function freshDestinationUser(setup: Setup, label: string): Promise<string> {
  const user = `bench-${label}-${++userCounter}@mydomain.ovh`;
  await setup.destination.addUser(user, { password: DEST_PASSWORD });
  return user;
}

/** Folders the destination has that the source lacks: mbsync would try (and fail) to create them far. */
async function destinationOnlyFolders(setup: Setup, user: string, mailbox: MailboxSummary): Promise<string[]> {
  const { folderCounts } = await import('./verify.js');
  const dest = await folderCounts('127.0.0.1', setup.destination.port, user, DEST_PASSWORD);
  const sourceNames = new Set(mailbox.folders.map((f) => f.name.split(setup.source.separator).join('/')));
  const prefix = setup.destination.prefix;
  return dest
    .map((f) => (f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path).split(setup.destination.separator).join('/'))
    .filter((name) => name.toUpperCase() !== 'INBOX' && !sourceNames.has(name));
}

async function runOurs(
  setup: Setup,
  sourceUser: string,
  destUser: string,
  viaProxy: boolean,
  scenario: Scenario,
  mailbox: MailboxSummary,
): Promise<RunResult> {
  const srcPort = viaProxy ? setup.sourceProxy.port : setup.source.port;
  const dstPort = viaProxy ? setup.destinationProxy.port : setup.destination.port;
  const nodeArgs: string[] = [];
  if (flags.profile) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', join(OUT, 'prof', `${scenario}-${Date.now()}`));
  const args = [
    ...nodeArgs,
    ...cliNodeArguments(),
    'copy',
    '--from',
    imapUrl(sourceUser, srcPort),
    '--to',
    imapUrl(destUser, dstPort),
    '--json',
    ...(flags['copier-arg'] as string[]),
  ];
  const env = { ...process.env, MIGRATE_FROM_PASSWORD: SOURCE_PASSWORD, MIGRATE_TO_PASSWORD: DEST_PASSWORD };
  return finish('ours', scenario, mailbox, destUser, setup, () =>
    measure(process.execPath, args, { cwd: ROOT, env, timeoutMs: TIMEOUT_MS }),
  );
}

async function runMbsync(
  setup: Setup,
  sourceUser: string,
  destUser: string,
  viaProxy: boolean,
  scenario: Scenario,
  mailbox: MailboxSummary,
): Promise<RunResult> {
  const exclude = await destinationOnlyFolders(setup, destUser, mailbox);
  const { args } = await prepareMbsync({
    far: { host: '127.0.0.1', port: viaProxy ? setup.sourceProxy.port : setup.source.port, user: sourceUser, password: SOURCE_PASSWORD },
    near: { host: '127.0.0.1', port: viaProxy ? setup.destinationProxy.port : setup.destination.port, user: destUser, password: DEST_PASSWORD },
    exclude,
  });
  return finish('mbsync', scenario, mailbox, destUser, setup, () => measure(MBSYNC, args, { timeoutMs: TIMEOUT_MS }));
}

async function finish(
  tool: Tool,
  scenario: Scenario,
  mailbox: MailboxSummary,
  destUser: string,
  setup: Setup,
  go: () => Promise<Measured>,
): Promise<RunResult> {
  const serverCpu = async (): Promise<number | undefined> => {
    const values = await Promise.all(setup.masters.map(processTreeCpu));
    return values.every((v) => v !== undefined) ? values.reduce((a, b) => a! + b!, 0) : undefined;
  };
  const serverBefore = await serverCpu();
  const loadBefore = loadavg().map((l) => Number(l.toFixed(2)));
  log(`${tool} ${scenario}: ${mailbox.messages} messages -> ${destUser} (load ${loadBefore.join(' ')})`);
  const m = await go();
  // Let the servers reap the sessions that just logged out before reading their CPU time.
  await new Promise((r) => setTimeout(r, 500));
  const serverAfter = await serverCpu();
  const serverCpuSeconds = serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : undefined;
  const loadAfter = loadavg().map((l) => Number(l.toFixed(2)));
  let report: unknown;
  const lastLine = m.stdout.trim().split('\n').pop();
  if (tool === 'ours' && lastLine) {
    try {
      report = JSON.parse(lastLine);
    } catch {
      // not JSON: reported below through the exit code and the verification
    }
  }
  const verification = await verifyDestination(
    '127.0.0.1',
    setup.destination.port,
    destUser,
    DEST_PASSWORD,
    mailbox.folders.map((f) => f.messages),
  ).catch((error: Error) => ({ ok: false, expected: mailbox.messages, found: 0, detail: error.message, folders: [] }));
  let error: string | undefined;
  if (m.exitCode !== 0) error = `exit ${m.exitCode ?? m.signal}: ${m.stderr.trim().split('\n').slice(-5).join(' | ').slice(0, 600)}`;
  if (!verification.ok) error = `${error ? error + '; ' : ''}destination check failed: ${verification.detail}`;
  log(
    `  ${m.seconds.toFixed(2)} s, CPU ${m.cpuSeconds.toFixed(1)} s, peak RSS ${(m.peakRssBytes / MB).toFixed(0)} MB, destination ${verification.found}/${verification.expected}` +
      (error ? `  ERROR ${error}` : ''),
  );
  return {
    round: currentRound,
    tool,
    scenario,
    messages: mailbox.messages,
    bytes: mailbox.bytes,
    seconds: m.seconds,
    peakRssBytes: m.peakRssBytes,
    cpuSeconds: m.cpuSeconds,
    serverCpuSeconds,
    childrenPeakRssBytes: m.childrenPeakRssBytes,
    exitCode: m.exitCode,
    verification,
    report,
    loadBefore,
    loadAfter,
    error,
  };
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** The fastest run of a contender in a scenario that did not fail (else the first failed one). */
function best(results: RunResult[], tool: Tool, scenario: Scenario): RunResult | undefined {
  const runs = results.filter((r) => r.tool === tool && r.scenario === scenario);
  return runs.filter((r) => !r.error).sort((a, b) => a.seconds - b.seconds)[0] ?? runs[0];
}

function table(results: RunResult[]): string {
  // Ratio to mbsync's run of the same round (same conditions), or its best run when there is none.
  const mbsyncTime = (scenario: Scenario, round: number): number | undefined => {
    const same = results.find((r) => r.tool === 'mbsync' && r.scenario === scenario && r.round === round && !r.error);
    const base = same ?? best(results, 'mbsync', scenario);
    return base && !base.error ? base.seconds : undefined;
  };
  const head = ['scenario', 'tool', 'messages', 'MiB', 'seconds', 'own s', 'CPU s', 'srv CPU', 'msg/s', 'MiB/s', 'peak RSS', 'vs mbsync', 'check'];
  const widths = [10, 7, 9, 7, 8, 6, 6, 7, 7, 7, 9, 10, 6];
  const lines = [head.map((h, i) => pad(h, widths[i]!, i >= 2)).join('  ')];
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of results) {
    const base = r.tool === 'ours' && r.scenario !== 'rerun' ? mbsyncTime(r.scenario, r.round) : undefined;
    const cells = [
      REPEAT > 1 ? `${r.scenario}#${r.round + 1}` : r.scenario,
      r.tool,
      String(r.messages),
      (r.bytes / MIB).toFixed(1),
      r.seconds.toFixed(2),
      (r.report as { seconds?: number } | undefined)?.seconds?.toFixed(2) ?? '',
      r.cpuSeconds.toFixed(1),
      r.serverCpuSeconds?.toFixed(1) ?? '',
      (r.messages / r.seconds).toFixed(0),
      (r.bytes / MIB / r.seconds).toFixed(1),
      `${(r.peakRssBytes / MB).toFixed(0)} MB`,
      base ? `${(r.seconds / base).toFixed(2)}x` : '',
      r.error ? 'FAIL' : 'ok',
    ];
    lines.push(cells.map((c, i) => pad(c, widths[i]!, i >= 2)).join('  '));
  }
  return lines.join('\n');
}

interface TargetResult {
  target: string;
  value: string;
  pass: boolean | undefined;
}

function targets(results: RunResult[]): TargetResult[] {
  // With --repeat, times are the best (least disturbed) run of each contender, memory the worst.
  const get = (tool: Tool, scenario: Scenario): RunResult | undefined => best(results, tool, scenario);
  const worstRss = (tool: Tool, scenario: Scenario): RunResult | undefined => {
    const runs = results.filter((r) => r.tool === tool && r.scenario === scenario);
    return runs.sort((a, b) => Number(!!a.error) - Number(!!b.error) || b.peakRssBytes - a.peakRssBytes)[0];
  };
  const out: TargetResult[] = [];
  const ratio = (scenario: Scenario, limit: number, label: string): void => {
    const ours = get('ours', scenario);
    const theirs = get('mbsync', scenario);
    if (!ours || !theirs) {
      out.push({ target: label, value: 'not measured', pass: undefined });
      return;
    }
    if (theirs.error) {
      out.push({ target: label, value: `mbsync run failed: ${theirs.error}`, pass: undefined });
      return;
    }
    const r = ours.seconds / theirs.seconds;
    out.push({
      target: label,
      value: `${ours.seconds.toFixed(2)} s / ${theirs.seconds.toFixed(2)} s = ${r.toFixed(2)}x${ours.error ? ' (our run failed)' : ''}`,
      pass: !ours.error && r <= limit,
    });
  };
  ratio('loopback', TARGETS.loopbackRatio, `loopback <= ${TARGETS.loopbackRatio} x mbsync`);
  ratio('proxy', TARGETS.proxyRatio, `through the proxy <= ${TARGETS.proxyRatio} x mbsync`);
  for (const scenario of ['loopback', 'large'] as Scenario[]) {
    const ours = worstRss('ours', scenario);
    const label = `peak RSS <= ${TARGETS.peakRssBytes / MB} MB at ${ours?.messages ?? (scenario === 'large' ? LARGE : MESSAGES)} messages`;
    if (!ours) out.push({ target: label, value: 'not measured', pass: undefined });
    else out.push({ target: label, value: `${(ours.peakRssBytes / MB).toFixed(0)} MB`, pass: !ours.error && ours.peakRssBytes <= TARGETS.peakRssBytes });
  }
  const rerun = get('ours', 'rerun');
  const rerunLabel = `re-run with nothing new <= ${TARGETS.rerunSeconds} s`;
  if (!rerun) out.push({ target: rerunLabel, value: 'not measured', pass: undefined });
  else {
    const copied = (rerun.report as { messages?: { copied?: number } } | undefined)?.messages?.copied;
    out.push({
      target: rerunLabel,
      value: `${rerun.seconds.toFixed(2)} s wall (copier's own figure ${(rerun.report as { seconds?: number } | undefined)?.seconds?.toFixed(2) ?? '?'} s, copied ${copied ?? '?'})`,
      pass: !rerun.error && rerun.seconds <= TARGETS.rerunSeconds && (copied === undefined || copied === 0),
    });
  }
  return out;
}

/**
 * Runs `copy --help` once, untimed: besides telling whether this build has `copy`, it lets the launcher transpile
 * src/ if it changed, so every timed run is a warm start, as users get it from the second run on.
 */
async function copierAvailable(): Promise<boolean> {
  const r = await measure(process.execPath, [...cliNodeArguments(), 'copy', '--help'], { cwd: ROOT, timeoutMs: 60_000 });
  return r.exitCode === 0 || /--json/.test(r.stdout + r.stderr);
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const info = await machine();
  log(`machine: ${info.cpu}, ${info.cores} cores, node ${info.node}, Dovecot ${info.dovecot}, ${info.mbsync}; load ${(info.loadAverage as number[]).join(' ')}`);
  let includeOurs = wants('ours');
  if (includeOurs && !(await copierAvailable())) {
    log('our copier (`copy`) is not available in this build: measuring mbsync only');
    includeOurs = false;
  }
  const runOursIf = includeOurs;
  const runMbsyncIf = wants('mbsync');

  // Same two instances for both contenders: a source laid out like a French Exchange / E-mail Pro mailbox
  // ('/' separator, no prefix, localised special-use names) and a Courier-style destination ('.' and INBOX.).
  // Dovecot's own default (mail_fsync = optimized: one fsync per transaction) unless --fsync never, the test
  // sandbox's setting. Real servers persist what they acknowledge, so the default is the realistic one.
  const fsync = FSYNC === 'optimized';
  const source = await DovecotServer.start({ separator: '/', prefix: '', specialUse: SOURCE_SPECIAL_USE, fsync });
  const destination = await DovecotServer.start({ separator: '.', prefix: 'INBOX.', fsync });
  const sourceProxy = await DelayProxy.start({ targetHost: '127.0.0.1', targetPort: source.port, delayMs: DELAY });
  const destinationProxy = await DelayProxy.start({ targetHost: '127.0.0.1', targetPort: destination.port, delayMs: DELAY });
  const masters: number[] = [];
  for (const server of [source, destination]) {
    const pid = await findProcess(['-F', '-c', server.configPath]);
    if (pid !== undefined) masters.push(pid);
  }
  if (masters.length !== 2) log('could not find both Dovecot master processes: server CPU time not measured');
  const setup: Setup = { masters, source, destination, sourceProxy, destinationProxy };
  const results: RunResult[] = [];
  const started = new Date();
  try {
    const sourceUser = 'john.smith01@mydomain.ovh';
    await source.addUser(sourceUser, { password: SOURCE_PASSWORD });
    let t = performance.now();
    const mailbox = await seedMailbox(source, sourceUser, { messages: MESSAGES });
    log(`seeded ${mailbox.messages} messages, ${(mailbox.bytes / MIB).toFixed(1)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);

    const drop = async (user: string): Promise<void> => {
      await destination.removeUser(user).catch(() => undefined);
    };

    const pair = async (viaProxy: boolean): Promise<void> => {
      const scenario: Scenario = viaProxy ? 'proxy' : 'loopback';
      const contenders: Tool[] = currentRound % 2 === 0 ? ['mbsync', 'ours'] : ['ours', 'mbsync'];
      for (const tool of contenders) {
        if (tool === 'mbsync' && runMbsyncIf) {
          const user = await freshDestinationUser(setup, `mbsync-${scenario}`);
          results.push(await runMbsync(setup, sourceUser, user, viaProxy, scenario, mailbox));
          await drop(user);
        }
        if (tool === 'ours' && runOursIf) {
          const user = await freshDestinationUser(setup, `ours-${scenario}`);
          results.push(await runOurs(setup, sourceUser, user, viaProxy, scenario, mailbox));
          // The re-run: same destination, nothing new.
          if (!viaProxy) results.push(await runOurs(setup, sourceUser, user, false, 'rerun', mailbox));
          await drop(user);
        }
      }
    };
    for (currentRound = 0; currentRound < REPEAT; currentRound++) {
      // (a) loopback, with our re-run on the same destination; (b) both sides through the delay proxy.
      await pair(false);
      await pair(true);
    }
    currentRound = 0;
    // (c) memory at a larger size, loopback.
    if (!flags['skip-large']) {
      await source.removeUser(sourceUser);
      const largeUser = 'large.mailbox@mydomain.ovh';
      await source.addUser(largeUser, { password: SOURCE_PASSWORD });
      t = performance.now();
      const large = await seedMailbox(source, largeUser, { messages: LARGE });
      log(`seeded ${large.messages} messages, ${(large.bytes / MIB).toFixed(1)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      if (runOursIf) {
        const user = await freshDestinationUser(setup, 'ours-large');
        results.push(await runOurs(setup, largeUser, user, false, 'large', large));
        await drop(user);
      }
      if (runMbsyncIf) {
        const user = await freshDestinationUser(setup, 'mbsync-large');
        results.push(await runMbsync(setup, largeUser, user, false, 'large', large));
        await drop(user);
      }
    }
  } finally {
    await sourceProxy.close();
    await destinationProxy.close();
    await source.destroy();
    await destination.destroy();
  }

  const checks = targets(results);
  const text = [
    '',
    `migrate-mailbox copy benchmark, ${started.toISOString()}`,
    `machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB; node ${info.node}; Dovecot ${info.dovecot}; ${info.mbsync}; commit ${info.commit}`,
    `load average at start: ${(info.loadAverage as number[]).join(' ')}; at end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    `Dovecot mail_fsync ${FSYNC} on both; proxy: ${DELAY} ms each way on both sides (${2 * DELAY} ms round trip per side); peak RSS = VmHWM of the copying process; MB = 10^6 bytes`,
    `seconds = wall time of the whole process (startup included); own s = what the copier reports; CPU s = user+system time of the copying process; srv CPU = CPU time of both Dovecots during the run; our copier run as node ${cliNodeArguments().join(' ')}`,
    '',
    table(results),
    '',
    REPEAT > 1 ? `targets (times: best of ${REPEAT} runs; memory: worst of ${REPEAT}; contenders alternate who goes first):` : 'targets:',
    ...checks.map((c) => `  ${c.pass === undefined ? 'n/a ' : c.pass ? 'PASS' : 'FAIL'}  ${c.target}: ${c.value}`),
    ...results.filter((r) => r.error).map((r) => `  error in ${r.tool} ${r.scenario}: ${r.error}`),
    '',
  ].join('\n');
  process.stdout.write(text);
  const file = join(OUT, `bench-${started.toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    file,
    JSON.stringify(
      {
        date: started.toISOString(),
        machine: info,
        options: { messages: MESSAGES, repeat: REPEAT, fsync: FSYNC, large: flags['skip-large'] ? null : LARGE, delayMs: DELAY, only: ONLY ?? null, copierArgs: flags['copier-arg'] },
        targets: checks,
        results: results.map(({ verification, ...r }) => ({ ...r, verification: { ...verification, folders: verification.folders } })),
      },
      null,
      2,
    ) + '\n',
  );
  await rm(join(OUT, 'latest.json'), { force: true });
  await writeFile(join(OUT, 'latest.json'), JSON.stringify({ file }, null, 2) + '\n');
  log(`results written to ${file}`);
  process.exitCode = results.some((r) => r.error) ? 1 : 0;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
