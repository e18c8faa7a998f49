/**
 * `npm run soak` (issue 14; not part of `npm test`): the sandbox's scale mailboxes migrated by 2 `worker` processes
 * and a Slack bot (`start --no-worker`, HTTP mode, its Web API pointed at test/support's fake Slack API, which checks
 * every payload) while every 20-40 s (seeded) one of them, drawn at random, is killed with `kill -9` and started
 * again. Half the mailboxes go as one CSV batch (its summary message in the channel, the rows' hand-overs in its
 * thread), the other half as single requests, each with its own thread (step replies, hand-over, report).
 *
 * At the end: every migration done; every single request's thread holds each message its final state calls for
 * exactly once (the notifier's own threadItems: step replies, hand-over, report), nothing twice, the report last;
 * the batch's thread holds each row's hand-over once and nothing twice; and per mailbox the Message-ID multiset of
 * the destination equals the source's (read with doveadm on the simulator's Dovecots): no message doubled or lost.
 * Fails when not done within --minutes.
 *
 *   npm run soak -- [--mailboxes 40] [--messages 500] [--task-delay-ms 1000] [--concurrency 2] [--minutes 10]
 *                   [--seed N] [--kill-every 20-40] [--lock-seconds 10]
 */
import type { ChildProcess } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { configSchema } from '../src/config/config.js';
import { createLogger } from '../src/log/logger.js';
import { createRuntime } from '../src/pipeline/runtime.js';
import { startCliProcess } from './cli-process.js';
import type { MigrationStatus } from '../src/pipeline/migration-service.js';
import { freePort } from '../src/sandbox/free-port.js';
import { threadItems } from '../src/slack/notifier/thread-items.js';
import { startFakeSlackApi } from '../test/support/fake-slack-api.js';
import { startSandbox } from './sandbox-env.js';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const TOKEN = 'xoxb-soak-token';
const CHANNEL = 'C-SOAK';
const REQUESTER = { kind: 'slack' as const, id: 'U-REQUESTER' };

const { values: flags } = parseArgs({
  options: {
    mailboxes: { type: 'string', default: '40' },
    messages: { type: 'string', default: '500' },
    'task-delay-ms': { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '2' },
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string' },
    'kill-every': { type: 'string', default: '20-40' },
    'lock-seconds': { type: 'string', default: '10' },
  },
});
const MAILBOXES = Number(flags.mailboxes);
const MESSAGES = Number(flags.messages);
const TASK_DELAY_MS = Number(flags['task-delay-ms']);
const CONCURRENCY = Number(flags.concurrency);
const DEADLINE_MS = Number(flags.minutes) * 60_000;
const SEED = flags.seed !== undefined ? Number(flags.seed) : Math.floor(Math.random() * 2 ** 31);
const [KILL_MIN_S, KILL_MAX_S] = flags['kill-every'].split('-').map(Number) as [number, number];
if (![MAILBOXES, MESSAGES, TASK_DELAY_MS, CONCURRENCY, SEED, KILL_MIN_S, KILL_MAX_S].every((n) => Number.isInteger(n) && n >= 0) || MAILBOXES < 2 || KILL_MAX_S < KILL_MIN_S) {
  throw new Error('bad options: integers expected, --mailboxes >= 2, --kill-every MIN-MAX seconds');
}

/** mulberry32: a small seeded PRNG, so a run's kill schedule can be replayed with --seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = prng(SEED);
const log = (text: string) => process.stderr.write(`[${((Date.now() - T0) / 1000).toFixed(0).padStart(4)} s] ${text}\n`);
const T0 = Date.now();

type Role = 'worker-1' | 'worker-2' | 'bot';
interface Proc {
  role: Role;
  child: ChildProcess;
  starts: number;
  lastErrors: string[];
}

async function main(): Promise<number> {
  execFileSync(process.execPath, ['scripts/cli.mjs', 'worker', '--help'], { cwd: ROOT, stdio: 'ignore' });
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
  log(`soak ${new Date().toISOString()} commit ${commit} seed ${SEED}: ${MAILBOXES} mailboxes x ${MESSAGES} messages, task delay ${TASK_DELAY_MS} ms, ` +
    `2 workers x concurrency ${CONCURRENCY} + 1 bot, kill -9 every ${KILL_MIN_S}-${KILL_MAX_S} s, JOB_LOCK_SECONDS ${flags['lock-seconds']}, deadline ${flags.minutes} min; ` +
    `${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const sandbox = await startSandbox({ mailboxes: MAILBOXES, messages: MESSAGES, taskDelayMs: TASK_DELAY_MS });
  const fake = await startFakeSlackApi({ token: TOKEN });
  const env: Record<string, string> = {
    ...sandbox.env,
    JOB_LOCK_SECONDS: String(flags['lock-seconds']),
    JOB_BACKOFF_MS: '1000',
    BATCH_CONCURRENCY: String(2 * CONCURRENCY),
    LOG_LEVEL: 'info',
  };
  const runtime = await createRuntime(configSchema.parse({ ...env, LOG_LEVEL: 'warn' }), createLogger('warn'), { embeddedRedis: false });
  const procs = new Map<Role, Proc>();
  const stats = { kills: { 'worker-1': 0, 'worker-2': 0, bot: 0 } as Record<Role, number>, restarts: 0, unexpectedExits: [] as string[] };
  let stopping = false;

  /** Starts ROLE (the real CLI, as `npm run cli` starts it); resolves once it logged that it is up. */
  async function start(role: Role): Promise<Proc> {
    const args = role === 'bot' ? ['start', '--no-worker'] : ['worker', '--concurrency', String(CONCURRENCY)];
    const extra: Record<string, string> =
      role === 'bot'
        ? { SLACK_MODE: 'http', PORT: String(await freePort()), SLACK_BOT_TOKEN: TOKEN, SLACK_SIGNING_SECRET: 'soak-signing-secret', SLACK_API_URL: fake.url, APPROVERS: 'U-APPROVER', REQUESTERS: 'U-REQUESTER' }
        : {};
    const lastErrors: string[] = [];
    const { child, ready } = startCliProcess({
      args,
      env: { ...env, ...extra },
      ready: role === 'bot' ? '"bot started"' : '"worker started"',
      onLine: (line) => {
        if (!/"level":(50|60)/.test(line)) return;
        lastErrors.push(line.slice(0, 500));
        if (lastErrors.length > 10) lastErrors.shift();
      },
      onExit: (code, signal) => {
        if (signal !== 'SIGKILL' && !stopping) stats.unexpectedExits.push(`${role} exited ${code ?? signal}: ${lastErrors.join(' | ')}`);
        return `${role} exited (${code ?? signal}) before it was ready: ${lastErrors.join('\n')}`;
      },
    });
    const proc: Proc = { role, child, starts: (procs.get(role)?.starts ?? 0) + 1, lastErrors };
    procs.set(role, proc);
    await ready;
    return proc;
  }

  const result = { ok: false, problems: [] as string[] };
  try {
    await Promise.all([start('worker-1'), start('worker-2'), start('bot')]);
    log('2 workers and the bot are up');

    // Half the rows as one CSV batch with its summary in the channel, half as single requests with a thread each.
    const half = Math.floor(sandbox.rows.length / 2);
    const batchRows = sandbox.rows.slice(0, half);
    const singleRows = sandbox.rows.slice(half);
    const post = async (text: string) => {
      const response = await fetch(`${fake.url}chat.postMessage`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ channel: CHANNEL, text }) });
      return ((await response.json()) as { ts: string }).ts;
    };
    const batchTs = await post(`Batch of ${batchRows.length} mailboxes`);
    const csv = ['source,destination_service', ...batchRows.map((r) => `${r.source},${r.destinationService}`)].join('\n') + '\n';
    const batch = await runtime.service.submitBatch(csv, REQUESTER, { preapproved: true, origin: { channel: CHANNEL, threadTs: batchTs } });
    if (!batch.ok) throw new Error(`batch refused: ${JSON.stringify(batch.errors).slice(0, 1000)}`);
    const singles: { jobId: string; ts: string; address: string }[] = [];
    for (const row of singleRows) {
      const ts = await post(`Migration request: ${row.source}`);
      const submitted = await runtime.service.submit({ sourceAddress: row.source, destinationService: row.destinationService, requester: REQUESTER, preapproved: true, origin: { channel: CHANNEL, threadTs: ts } });
      if (!submitted.ok) throw new Error(`request for ${row.source} refused: ${JSON.stringify(submitted.problems)}`);
      singles.push({ jobId: submitted.jobId, ts, address: row.source });
    }
    const jobIds = [...batch.jobIds, ...singles.map((s) => s.jobId)];
    log(`submitted: batch ${batch.batchId} (${batch.jobIds.length} mailboxes) and ${singles.length} single requests`);

    const FINAL = new Set(['done', 'failed', 'cancelled', 'rejected']);
    const readStatuses = async () => (await Promise.all(jobIds.map((jobId) => runtime.service.status({ jobId }).then((s) => s[0])))).filter((s): s is MigrationStatus => s !== undefined);
    const deadline = T0 + DEADLINE_MS;

    // The killer: every KILL_MIN_S-KILL_MAX_S s, one process drawn at random gets kill -9 and is started again.
    let killerDone = false;
    const killer = (async () => {
      const roles: Role[] = ['worker-1', 'worker-2', 'bot'];
      while (!killerDone) {
        const wait = (KILL_MIN_S + random() * (KILL_MAX_S - KILL_MIN_S)) * 1000;
        const until = Date.now() + wait;
        while (!killerDone && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
        if (killerDone) break;
        const role = roles[Math.floor(random() * roles.length)]!;
        const proc = procs.get(role)!;
        const exited = new Promise((r) => proc.child.once('exit', r));
        proc.child.kill('SIGKILL');
        await exited;
        stats.kills[role]++;
        log(`kill -9 ${role} (pid ${proc.child.pid}); starting it again`);
        await start(role);
        stats.restarts++;
      }
    })();

    let statuses: MigrationStatus[] = [];
    let lastFinal = -1;
    for (;;) {
      statuses = await readStatuses();
      const final = statuses.filter((s) => FINAL.has(s.state)).length;
      if (final !== lastFinal) log(`${final}/${jobIds.length} migrations final (${statuses.filter((s) => s.state === 'done').length} done)`);
      lastFinal = final;
      if (final === jobIds.length) break;
      if (Date.now() > deadline) throw new Error(`deadline: only ${final}/${jobIds.length} migrations final after ${flags.minutes} min`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    const migratedAfter = (Date.now() - T0) / 1000;
    killerDone = true;
    await killer;
    log('every migration final; kills stopped; waiting for the threads to settle');

    // Threads: the bot brings every thread up to date from stored state (on start and every 5 s).
    const expectedSingle = (s: MigrationStatus) => threadItems(s, { batch: false }).filter((i) => !i.live);
    const singleProblems = (status: MigrationStatus, ts: string): string[] => {
      const texts = fake.thread(CHANNEL, ts).map((m) => m.text ?? '');
      const problems: string[] = [];
      if (new Set(texts).size !== texts.length) problems.push(`a message twice: ${texts.filter((t, i) => texts.indexOf(t) !== i).join(' | ').slice(0, 300)}`);
      for (const item of expectedSingle(status)) {
        const n = texts.filter((t) => t === item.message.text).length;
        if (n !== 1) problems.push(`${item.key} ${n} times`);
      }
      const progress = texts.filter((t) => /^Copy the mailbox: .*%$/.test(t)).length;
      if (texts.length !== expectedSingle(status).length + Math.min(progress, 1) || progress > 1) problems.push(`${texts.length} messages, expected ${expectedSingle(status).length} (+ at most one progress line)`);
      if (texts.filter((t) => /^Migration of .* finished/.test(t)).length !== 1) problems.push('not exactly one report');
      if (!/^Migration of .* finished/.test(texts.at(-1) ?? '')) problems.push('the report is not the last message');
      if (texts.filter((t) => /^The initial password of/.test(t)).length !== 1) problems.push('not exactly one hand-over');
      return problems;
    };
    const batchProblems = (batchStatuses: MigrationStatus[]): string[] => {
      const texts = fake.thread(CHANNEL, batchTs).map((m) => m.text ?? '');
      const problems: string[] = [];
      if (new Set(texts).size !== texts.length) problems.push(`a message twice in the batch thread`);
      for (const s of batchStatuses) {
        const handovers = texts.filter((t) => /^The initial password of/.test(t) && t.includes(s.plan.destination.address)).length;
        if (handovers !== 1) problems.push(`${s.plan.source.address}: ${handovers} hand-overs in the batch thread`);
      }
      const failures = texts.filter((t) => /fail/i.test(t));
      if (failures.length) problems.push(`failure messages in the batch thread: ${failures.join(' | ').slice(0, 300)}`);
      return problems;
    };
    const threadReport = async () => {
      const byJob = new Map(statuses.map((s) => [s.jobId, s]));
      const problems: string[] = [];
      for (const single of singles) for (const p of singleProblems(byJob.get(single.jobId)!, single.ts)) problems.push(`${single.address}: ${p}`);
      problems.push(...batchProblems(batch.jobIds.map((id) => byJob.get(id)!)));
      return problems;
    };
    let threadProblems: string[] = [];
    const settleDeadline = Math.min(deadline, Date.now() + 120_000);
    for (;;) {
      statuses = await readStatuses();
      const pending = (await runtime.service.threads.changed(1000)).filter((c) => jobIds.includes(c.jobId));
      threadProblems = await threadReport();
      if (pending.length === 0 && threadProblems.length === 0) break;
      if (Date.now() > settleDeadline) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const settledAfter = (Date.now() - T0) / 1000;

    // No message doubled or lost: Message-ID multisets, source (now under its temporary name) vs destination.
    let duplicates = 0;
    let missing = 0;
    let compared = 0;
    const mailboxProblems: string[] = [];
    for (const s of statuses.filter((x) => x.state === 'done')) {
      const [source, destination] = await Promise.all([sandbox.messageIds(s.plan.temporaryAddress), sandbox.messageIds(s.plan.destination.address)]);
      const count = (ids: string[]) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map<string, number>());
      const src = count(source);
      const dst = count(destination);
      let dup = 0;
      let miss = 0;
      for (const [id, n] of dst) dup += Math.max(0, n - (src.get(id) ?? 0));
      for (const [id, n] of src) miss += Math.max(0, n - (dst.get(id) ?? 0));
      if (source.length === 0) mailboxProblems.push(`${s.plan.source.address}: no message read at the source`);
      if (dup || miss) mailboxProblems.push(`${s.plan.source.address}: ${dup} doubled, ${miss} missing (source ${source.length}, destination ${destination.length})`);
      compared += source.length;
      duplicates += dup;
      missing += miss;
    }
    const notDone = statuses.filter((s) => s.state !== 'done').map((s) => {
      const step = s.steps.find((x) => x.status === 'failed');
      return `${s.plan.source.address}: ${s.state}${step ? ` at ${step.name}: ${step.detail}` : ''}`;
    });
    const done = statuses.filter((s) => s.state === 'done').length;
    const messagesChecked = statuses.filter((s) => s.state === 'done').length;

    console.log('');
    console.log(`seed ${SEED}; kills ${stats.kills['worker-1'] + stats.kills['worker-2'] + stats.kills.bot} (worker-1 ${stats.kills['worker-1']}, worker-2 ${stats.kills['worker-2']}, bot ${stats.kills.bot}), restarts ${stats.restarts}`);
    console.log(`mailboxes done ${done}/${jobIds.length} (batch ${batch.jobIds.length}, single ${singles.length}); every migration final after ${migratedAfter.toFixed(0)} s, threads checked after ${settledAfter.toFixed(0)} s`);
    const singleMessages = singles.reduce((n, x) => n + fake.thread(CHANNEL, x.ts).length, 0);
    console.log(`threads checked: ${singles.length} single-request threads (${singleMessages} messages), the batch thread (${fake.thread(CHANNEL, batchTs).length} messages)`);
    console.log(`messages compared by Message-ID on ${messagesChecked} mailboxes (${compared} source messages): ${duplicates} doubled, ${missing} missing`);
    console.log(`load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const verdict = (ok: boolean, text: string) => {
      console.log(`  ${ok ? 'PASS' : 'FAIL'}  ${text}`);
      if (!ok) result.problems.push(text);
    };
    verdict(notDone.length === 0, `every mailbox done${notDone.length ? `: ${notDone.join('; ')}` : ''}`);
    verdict(threadProblems.length === 0, `every thread complete, each message once${threadProblems.length ? `: ${threadProblems.slice(0, 10).join('; ')}` : ''}`);
    verdict(duplicates === 0 && missing === 0 && mailboxProblems.length === 0, `no message doubled or lost${mailboxProblems.length ? `: ${mailboxProblems.slice(0, 10).join('; ')}` : ''}`);
    verdict(stats.unexpectedExits.length === 0, `no process died other than by our kill -9${stats.unexpectedExits.length ? `: ${stats.unexpectedExits.join('; ')}` : ''}`);
    verdict(settledAfter * 1000 <= DEADLINE_MS, `done within ${flags.minutes} min: ${settledAfter.toFixed(0)} s`);
    result.ok = result.problems.length === 0;
    await mkdir(join(ROOT, 'bench', 'out'), { recursive: true });
    await writeFile(
      join(ROOT, 'bench', 'out', `soak-${new Date(T0).toISOString().replace(/[:.]/g, '-')}.json`),
      JSON.stringify({ commit, seed: SEED, options: flags, kills: stats.kills, restarts: stats.restarts, done, total: jobIds.length, duplicates, missing, migratedAfter, settledAfter, problems: result.problems }, null, 2) + '\n',
    );
  } catch (error) {
    console.log(`  FAIL  ${(error as Error).message}`);
    result.ok = false;
  } finally {
    stopping = true;
    for (const p of procs.values()) p.child.kill('SIGKILL');
    await runtime.close({ force: true }).catch(() => undefined);
    await fake.close().catch(() => undefined);
    await sandbox.stop();
  }
  return result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  },
);
