import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../config/config.js';
import type { CopyProgress } from '../../domain/copy-report.js';
import { createLogger } from '../../log/logger.js';
import type { Actor, MigrationPlan, MigrationReport, MigrationRequest, MigrationStatus } from '../../pipeline/migration-service.js';
import { terminalSafe } from '../../domain/terminal-text.js';
import { planText, reportText } from '../../pipeline/report-text.js';
import { createRuntime, type Runtime } from '../../pipeline/runtime.js';

export const summary = 'migrate one mailbox to another OVH e-mail service (rename, create, copy, features, DNS check, hand-over)';

const USAGE = `usage: migrate-mailbox migrate ADDRESS --to SERVICE [options]

SERVICE is the destination service name; ORGANIZATION/SERVICE for Exchange; the domain for legacy MX Plan.
Running the same command again attaches to the migration of ADDRESS under way (after a crash too): it shows
where it stands, runs it here when no worker holds it any more, and prints the report.

options:
  --to SERVICE        destination service (required)
  --temp-name NAME    temporary name of the source (default: the next free NAME01, NAME02...)
  --dry-run           check everything and show the plan; change nothing
  --yes               approve without asking (otherwise: an interactive y/N on a terminal)
  --reset-source      reset the temporary source account once every message is on the destination
  --order ORDER       staged (default where possible) or classic; staged needs MIGRATE_SOURCE_PASSWORD
  --sync-every TIME   staged: time between delta passes until the cut-over (90s, 30m, 1h; default 1h)
  --cutover WHEN      staged: now, or manual (default: when you run --cutover now, or an approver clicks
                      "Cut over now")
  --cutover-at TIME   staged: cut over by itself at this ISO time, such as 2026-12-05T18:00:00Z
  --json              print one JSON object on stdout at the end
  -h, --help          show this help

after a migration (no --to needed):
  --status            show the migration of ADDRESS (state, steps with their times, undo availability)
  --password          print the destination's initial password (to the person it is handed to, until acknowledged)
  --ack-password      you stored the password: it is deleted and cannot be shown again
  --undo              after a failure or a cancel past the rename: free the destination, rename the source back
  --retry             run a failed or cancelled migration again from where it stopped
  --cutover now       staged migration under way: cut over now (last delta, renames, final delta), then follow it
  --reset-now         reset (delete) the temporary source account of a completed migration
  --force             with --reset-now: reset even though messages are missing on the destination

Staged order (the default where the destination can rename an account, i.e. not legacy MX Plan): the
destination account is created under a staged name (NAME.migrating@DOMAIN, hidden from the address book) and
filled from the live source while its owner keeps working; delta passes keep it in sync (removing what was
deleted or moved at the source) until the cut-over, which renames the source, gives the staged account the real
address and copies what arrived meanwhile: minutes. It reads the live source with the password its owner gives
in MIGRATE_SOURCE_PASSWORD; without it, the classic order runs (rename, create, copy) and the plan says so.

The destination's initial password is generated to the service's policy, or taken from
MIGRATE_DESTINATION_PASSWORD; it is shown as soon as the destination account exists and again with --password
until --ack-password. Without REDIS_URL a private Redis runs under DATA_DIR; with it, any
\`migrate-mailbox worker\` on that Redis may run the job. Ctrl-C cancels the migration (undo is then offered).
`;

interface StepJson {
  name: string;
  status: string;
  detail: string | null;
  startedAt: string | null;
  /** When it last ended (done, skipped or failed); `endedAt` says the same, kept for earlier readers. */
  finishedAt: string | null;
  endedAt: string | null;
}

/**
 * One feature of the source mailbox: `status` is what became of it (created, exists, pending, byHand, conflict,
 * failed); in a --dry-run, the plan's verdict (create, exists, pending, byHand, conflict). `detail`: what a pending
 * feature waits for; why one is by hand, in conflict or failed, and what to do.
 */
interface FeatureJson {
  kind: string;
  target: string;
  status: string;
  detail: string | null;
}

export interface MigrateJson {
  ok: boolean;
  source: string;
  destination: string;
  temporaryName: string | null;
  steps: StepJson[];
  copy: MigrationReport['copy'] | null;
  features: FeatureJson[];
  /** Calendars, contacts, tasks, rules, out-of-office over EWS, with the mail copy's counters; null when not copied. */
  collaborative: MigrationReport['collaborative'] | null;
  /** staged or classic, with why. */
  order: { kind: string; reason: string; stagedAddress: string | null } | null;
  /** From the start of the source's rename to the end of the final delta; null until both happened. */
  cutoverWindow: MigrationReport['cutoverWindow'] | null;
  /** Staged: the delta passes made while waiting for the cut-over. */
  staging: MigrationStatus['staging'] | null;
}

function detailJson(detail: string | undefined, instruction: string | undefined): string | null {
  if (!detail && !instruction) return null;
  return [detail, instruction ? `to do: ${instruction}` : undefined].filter(Boolean).join('. ');
}

function featuresJson(plan: Pick<MigrationPlan, 'features'> | undefined, status: MigrationStatus | undefined): FeatureJson[] {
  if (status?.report) {
    return status.report.features.map((f) => ({ kind: f.kind, target: f.target, status: f.status, detail: detailJson(f.detail, f.instruction) }));
  }
  // no report (a dry run, a run that did not complete): the plan's verdicts
  return (plan?.features ?? []).map((f) => ({ kind: f.kind, target: f.target, status: f.verdict, detail: detailJson(f.detail, f.instruction) }));
}

function stepsJson(status: MigrationStatus): StepJson[] {
  return status.steps.map((s) => ({ name: s.name, status: s.status, detail: s.detail ?? null, startedAt: s.startedAt ?? null, finishedAt: s.endedAt ?? null, endedAt: s.endedAt ?? null }));
}

function toJson(plan: Pick<MigrationPlan, 'source' | 'destination' | 'temporaryAddress' | 'features' | 'order'> | undefined, address: string, to: string, status: MigrationStatus | undefined, ok: boolean, preflightProblems?: string): MigrateJson {
  return {
    ok,
    source: plan?.source.address ?? address,
    destination: plan ? `${plan.destination.address} (${plan.destination.service})` : to,
    temporaryName: plan?.temporaryAddress ?? null,
    steps: status ? stepsJson(status) : [{ name: 'preflight', status: 'failed', detail: preflightProblems ?? null, startedAt: null, finishedAt: null, endedAt: null }],
    copy: status?.report?.copy ?? null,
    features: featuresJson(plan, status),
    collaborative: status?.report?.collaborative ?? null,
    order: plan?.order ? { kind: plan.order.kind, reason: plan.order.reason, stagedAddress: plan.order.stagedAddress ?? null } : plan ? { kind: 'classic', reason: 'planned before the staged order existed', stagedAddress: null } : null,
    cutoverWindow: status?.report?.cutoverWindow ?? null,
    staging: status?.staging ?? null,
  };
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}

export function cliActor(): Actor {
  let name = 'cli';
  try {
    name = userInfo().username;
  } catch {
    // no passwd entry (containers): keep "cli"
  }
  return { kind: 'cli', id: name };
}

const FINAL_STATES = new Set(['done', 'failed', 'cancelled', 'rejected']);

/**
 * Follows one job until it ends, from its stored state (events only say "look again now"): a line per step as it
 * finishes, a progress bar on stderr (TTY), the destination password as soon as it is ready for `me`.
 */
export async function followJob(runtime: Runtime, jobId: string, options: { quiet: boolean; me?: Actor; showPassword?: boolean }): Promise<MigrationStatus> {
  const tty = process.stderr.isTTY && !options.quiet;
  let bar: cliProgress.SingleBar | undefined;
  const printed = new Map<string, string>();
  let passwordShown = !options.showPassword;
  let wake: (() => void) | undefined;
  const off = await runtime.service.subscribeReady((event) => {
    if ('jobId' in event && event.jobId === jobId) wake?.();
  });
  const say = (text: string) => {
    if (!options.quiet) process.stderr.write(terminalSafe(text) + '\n');
  };
  try {
    for (;;) {
      const [status] = await runtime.service.status({ jobId });
      if (!status) throw new Error(`the migration ${jobId} disappeared from the queue`);
      for (const step of status.steps) {
        if (step.status === 'pending') continue;
        const key = `${step.name}#${step.run ?? 1}`;
        const shown = `${step.status} ${step.detail ?? ''}`;
        if (printed.get(key) === shown) continue;
        printed.set(key, shown);
        if (bar && step.status !== 'running') {
          bar.stop();
          bar = undefined;
        }
        // a running step says nothing more, except the staged copy, whose detail is its state (last and next delta)
        const running = `...     ${step.name}${step.name === 'stage' && step.detail ? `: ${step.detail}` : ''}`;
        say(step.status === 'running' ? running : `${step.status.padEnd(7)} ${step.name}${step.detail ? `: ${step.detail}` : ''}`);
      }
      const p: CopyProgress | undefined = status.progress;
      if (tty && p && status.state === 'running' && status.steps.some((s) => (s.name === 'copy' || s.name === 'collaborative' || s.name === 'delta') && s.status === 'running')) {
        if (!bar) {
          bar = new cliProgress.SingleBar({ format: `  {phase} [{bar}] {value}/{total} ${p.unit ?? 'messages'} | {mib} MiB | {rate} KiB/s`, stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
          bar.start(Math.max(p.messagesTotal, 1), p.messagesDone, { phase: p.phase, mib: '0.0', rate: '0' });
        }
        bar.setTotal(Math.max(p.messagesTotal, 1));
        bar.update(p.messagesDone, { phase: p.phase.padEnd(9), mib: (p.bytesDone / 1048576).toFixed(1), rate: (p.rate / 1024).toFixed(0) });
      }
      if (!passwordShown && status.handover.state === 'ready' && options.me) {
        passwordShown = true;
        await printPassword(runtime, status, options.me, 'stderr');
      }
      if (FINAL_STATES.has(status.state)) {
        bar?.stop();
        return status;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    off();
  }
}

/** Prints the destination password to the person it is handed to (stdout for --password, stderr during a run). */
async function printPassword(runtime: Runtime, status: MigrationStatus, me: Actor, stream: 'stdout' | 'stderr'): Promise<boolean> {
  const revealed = await runtime.service.revealDestinationPassword(status.jobId, me);
  if (!revealed.ok) {
    process.stderr.write(`${terminalSafe(revealed.reason)}\n`);
    return false;
  }
  if (stream === 'stdout') process.stdout.write(revealed.password + '\n');
  else {
    process.stderr.write(
      `\nInitial password of ${terminalSafe(revealed.address)}: ${revealed.password}\n` +
        `(shown again with \`migrate ${terminalSafe(status.plan.source.address)} --password\` until you run --ack-password)\n\n`,
    );
  }
  return true;
}

type Existing =
  | { kind: 'none' }
  | { kind: 'attach'; status: MigrationStatus }
  | { kind: 'finished'; status: MigrationStatus }
  | { kind: 'refuse'; message: string };

/** What an earlier migration of the address means for this command: a run to attach to, a finished one, or nothing. */
function existingMigration(status: MigrationStatus | undefined, destinationService: string): Existing {
  if (!status) return { kind: 'none' };
  const wanted = destinationService.toLowerCase();
  const planned = status.plan.destination.service.toLowerCase();
  const sameDestination = planned === wanted || planned.endsWith(`/${wanted}`) || wanted.endsWith(`/${planned}`);
  const live = ['awaiting-approval', 'queued', 'running'].includes(status.state);
  if (live && !sameDestination) {
    return { kind: 'refuse', message: `${status.plan.source.address} is already being migrated to ${status.plan.destination.service} (job ${status.jobId}, ${status.state}): follow it with the same --to, or cancel it first` };
  }
  if (live) return { kind: 'attach', status };
  if ((status.state === 'failed' || status.state === 'cancelled') && status.undoAvailable) {
    return {
      kind: 'refuse',
      message: status.staging && status.steps.find((s) => s.name === 'rename-source')?.status === 'pending'
        ? `the migration of ${status.plan.source.address} (job ${status.jobId}) ${status.state === 'failed' ? 'failed' : 'was cancelled'} leaving the staged account ${status.staging.stagedAddress} (the source was not renamed): resume it with --retry, or remove it with --undo`
        : `the migration of ${status.plan.source.address} (job ${status.jobId}) ${status.state === 'failed' ? 'failed' : 'was cancelled'} after renaming the source to ${status.plan.temporaryAddress}: resume it with --retry, or rename it back with --undo`,
    };
  }
  if (status.state === 'done' && sameDestination && !status.dryRun) return { kind: 'finished', status };
  return { kind: 'none' };
}

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: true,
      options: {
        to: { type: 'string' },
        'temp-name': { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        yes: { type: 'boolean', short: 'y', default: false },
        'reset-source': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        status: { type: 'boolean', default: false },
        password: { type: 'boolean', default: false },
        'ack-password': { type: 'boolean', default: false },
        undo: { type: 'boolean', default: false },
        retry: { type: 'boolean', default: false },
        'reset-now': { type: 'boolean', default: false },
        order: { type: 'string' },
        'sync-every': { type: 'string' },
        cutover: { type: 'string' },
        'cutover-at': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    process.stderr.write(`migrate-mailbox migrate: ${(error as Error).message.split('\n')[0]}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const staged = stagedOptions(values);
  if ('error' in staged) {
    process.stderr.write(`migrate-mailbox migrate: ${staged.error}\n`);
    return 2;
  }
  if (values.cutover !== undefined && !values.to) {
    if (values.cutover !== 'now' || positionals.length !== 1) {
      process.stderr.write(`migrate-mailbox migrate: without --to, --cutover takes "now" and one ADDRESS (the staged migration under way)\n`);
      return 2;
    }
    return afterwards('cutover', positionals[0]!, { json: values.json, force: values.force });
  }
  const actions = (['status', 'password', 'ack-password', 'undo', 'retry', 'reset-now'] as const).filter((a) => values[a]);
  if (actions.length > 1) {
    process.stderr.write(`migrate-mailbox migrate: one of --${actions.join(', --')} at a time\n`);
    return 2;
  }
  if (actions.length === 1) {
    if (positionals.length !== 1) {
      process.stderr.write(`migrate-mailbox migrate: --${actions[0]} needs one ADDRESS\n\n${USAGE}`);
      return 2;
    }
    return afterwards(actions[0]!, positionals[0]!, { json: values.json, force: values.force });
  }
  if (positionals.length !== 1 || !values.to) {
    process.stderr.write(`migrate-mailbox migrate: give one ADDRESS and --to SERVICE\n\n${USAGE}`);
    return 2;
  }
  const address = positionals[0]!;
  const json = values.json;
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const out = (text: string) => process[json ? 'stderr' : 'stdout'].write(terminalSafe(text) + '\n');
  const runtime = await createRuntime(config, logger, { embeddedRedis: true });
  const requester = cliActor();
  let jobId: string | undefined;
  let cancelling = false;
  const onSignal = () => {
    if (!jobId || cancelling) process.exit(130);
    cancelling = true;
    process.stderr.write('\ncancelling (Ctrl-C again to quit at once)...\n');
    void runtime.service.cancel(jobId, requester).catch((error) => process.stderr.write(`cannot cancel: ${terminalSafe((error as Error).message)}\n`));
  };
  const finish = (status: MigrationStatus): number => {
    const ok = status.state === 'done' && !status.steps.some((s) => s.status === 'failed');
    out('\n' + reportText(status, status.report));
    if (json) process.stdout.write(JSON.stringify(toJson(status.plan, address, values.to!, status, ok)) + '\n');
    return ok ? 0 : 1;
  };
  try {
    const [earlier] = await runtime.service.status({ address });
    const existing = existingMigration(earlier, values.to);
    if (existing.kind === 'refuse') {
      process.stderr.write(`${terminalSafe(existing.message)}\n`);
      return 2;
    }
    if (existing.kind === 'finished') {
      process.stderr.write(`${terminalSafe(address)} was already migrated to ${terminalSafe(existing.status.plan.destination.service)} (job ${existing.status.jobId}):\n`);
      return finish(existing.status);
    }
    if (existing.kind === 'attach') {
      jobId = existing.status.jobId;
      const lockSeconds = Math.round((runtime.config.JOB_LOCK_SECONDS * 3) / 2);
      process.stderr.write(
        `${terminalSafe(address)} is already being migrated (job ${jobId}, ${existing.status.state}): following it.` +
          (existing.status.state === 'running' ? ` If the process that ran it is gone, this one takes it over once its lock expires (within ${lockSeconds} s).` : '') +
          (existing.status.state === 'awaiting-approval' ? ' It waits for an approver (Slack).' : '') +
          '\n',
      );
    } else {
      const request = {
        sourceAddress: address,
        destinationService: values.to,
        temporaryName: values['temp-name'],
        destinationPassword: process.env.MIGRATE_DESTINATION_PASSWORD || undefined,
        ...staged.request,
        resetSourceAfter: values['reset-source'],
        requester,
        preapproved: true,
      };
      const checked = await runtime.service.preflight(request);
      if (!checked.ok) {
        const text = checked.problems.map((p) => `${p.field}: ${p.message}`).join('\n');
        if (json) process.stdout.write(JSON.stringify(toJson(undefined, address, values.to, undefined, false, text)) + '\n');
        process.stderr.write(`refused:\n${terminalSafe(text).replace(/^/gm, '  ')}\n`);
        return 2;
      }
      out(planText(checked.plan));
      const stagedOnly = values.order === 'staged' || values.cutover !== undefined || values['cutover-at'] !== undefined || values['sync-every'] !== undefined;
      if (stagedOnly && checked.plan.order?.kind !== 'staged') {
        process.stderr.write(`--order staged, --cutover, --cutover-at and --sync-every need the staged order, which is not possible here: ${terminalSafe(checked.plan.order?.reason ?? 'unknown')}\n`);
        return 2;
      }
      if (values['dry-run']) {
        const steps = [{ name: 'preflight', status: 'done', detail: 'every check passed (dry run: nothing changed)', startedAt: null, finishedAt: null, endedAt: null }];
        if (json) process.stdout.write(JSON.stringify({ ...toJson(checked.plan, address, values.to, undefined, true), steps }) + '\n');
        return 0;
      }
      if (!values.yes) {
        if (!process.stdin.isTTY) {
          process.stderr.write('not approved: add --yes (no terminal to ask on)\n');
          return 2;
        }
        if (!(await confirm('Start this migration? [y/N] '))) {
          process.stderr.write('not approved: nothing changed\n');
          return 1;
        }
      }
      const submitted = await runtime.service.submit(request);
      if (!submitted.ok) {
        process.stderr.write(`refused:\n${terminalSafe(submitted.problems.map((p) => `  ${p.field}: ${p.message}`).join('\n'))}\n`);
        return 2;
      }
      jobId = submitted.jobId;
      if (submitted.duplicate) process.stderr.write(`${terminalSafe(address)} is already being migrated (job ${jobId}): following it\n`);
    }
    await runtime.startWorker();
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const status = await followJob(runtime, jobId, { quiet: false, me: requester, showPassword: true });
    return finish(status);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
  }
}

/** --status, --password, --ack-password, --undo, --retry, --reset-now on the migration of one address. */
async function afterwards(action: 'status' | 'password' | 'ack-password' | 'undo' | 'retry' | 'reset-now' | 'cutover', address: string, options: { json: boolean; force: boolean }): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const runtime = await createRuntime(config, logger, { embeddedRedis: true });
  const me = cliActor();
  try {
    const [status] = await runtime.service.status({ address });
    if (!status) {
      process.stderr.write(`no migration of ${terminalSafe(address)} in this queue\n`);
      return 1;
    }
    if (action === 'password') return (await printPassword(runtime, status, me, 'stdout')) ? 0 : 1;
    if (action === 'ack-password') {
      const acknowledged = await runtime.service.acknowledgeDestinationPassword(status.jobId, me);
      if (!acknowledged.ok) {
        process.stderr.write(`${terminalSafe(acknowledged.reason)}\n`);
        return 1;
      }
      process.stderr.write(acknowledged.changed ? 'acknowledged: the password is deleted and cannot be shown again\n' : 'already acknowledged\n');
      return 0;
    }
    if (action === 'undo') await runtime.service.undo(status.jobId, me);
    if (action === 'reset-now') await runtime.service.resetSource(status.jobId, me, { force: options.force });
    let final = status;
    if (action === 'cutover') {
      await runtime.service.cutover(status.jobId, me);
      process.stderr.write(`cut-over of ${terminalSafe(address)} asked: following it\n`);
      await runtime.startWorker();
      final = await followJob(runtime, status.jobId, { quiet: false, me, showPassword: true });
    } else if (action === 'retry') {
      await runtime.startWorker();
      await runtime.service.retry(status.jobId, me);
      final = await followJob(runtime, status.jobId, { quiet: false, me, showPassword: status.handover.state === 'ready' });
    } else final = (await runtime.service.status({ jobId: status.jobId }))[0]!;
    const ok = action === 'status' || !final.steps.some((s) => s.status === 'failed' && (s.name === 'undo' || s.name === 'reset-source'));
    if (options.json) {
      process.stdout.write(JSON.stringify({ ...toJson(final.plan, address, final.plan.destination.service, final, ok && final.state !== 'failed'), state: final.state, jobId: final.jobId, undoAvailable: final.undoAvailable, password: final.handover.state }) + '\n');
    } else process.stdout.write(terminalSafe(reportText(final, final.report)) + '\n');
    return ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`migrate-mailbox migrate: ${terminalSafe((error as Error).message)}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}

/** --order, --sync-every and --cutover, checked: the request fields they set, or what to type instead. */
function stagedOptions(values: { order?: string; 'sync-every'?: string; cutover?: string; 'cutover-at'?: string; to?: string }): { request: Partial<MigrationRequest> } | { error: string } {
  const request: Partial<MigrationRequest> = {};
  if (values.order !== undefined) {
    if (values.order !== 'staged' && values.order !== 'classic') return { error: `--order takes staged or classic, not ${JSON.stringify(values.order)}` };
    request.order = values.order;
  }
  if (request.order !== 'classic' && process.env.MIGRATE_SOURCE_PASSWORD) request.sourcePassword = process.env.MIGRATE_SOURCE_PASSWORD;
  if (values.order === 'staged' && !request.sourcePassword) {
    return { error: 'the staged order reads the live source: put its current password in MIGRATE_SOURCE_PASSWORD (or use --order classic)' };
  }
  if (values['sync-every'] !== undefined) {
    const seconds = parseDuration(values['sync-every']);
    if (seconds === undefined || seconds < 10) return { error: `--sync-every takes a duration of at least 10 s such as 90s, 30m or 1h, not ${JSON.stringify(values['sync-every'])}` };
    request.syncEverySeconds = seconds;
  }
  if (values.cutover !== undefined && values['cutover-at'] !== undefined) return { error: 'give --cutover or --cutover-at, not both' };
  // --cutover TIME is read like --cutover-at TIME
  const when = values['cutover-at'] ?? (values.cutover !== 'now' && values.cutover !== 'manual' ? values.cutover : undefined);
  if (values.to && values.cutover === 'now') request.cutoverAt = new Date().toISOString();
  if (values.to && when !== undefined) {
    const at = Date.parse(when);
    if (!/^\d{4}-\d{2}-\d{2}T/.test(when) || Number.isNaN(at)) {
      return { error: `--cutover takes now or manual, and --cutover-at an ISO time such as 2026-12-05T18:00:00Z, not ${JSON.stringify(when)}` };
    }
    request.cutoverAt = new Date(at).toISOString();
  }
  return { request };
}

/** `90s`, `30m`, `1h`, or a bare number of minutes: seconds, or undefined when unreadable. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2] ?? 'm').toLowerCase();
  return Math.round(Number(match[1]) * (unit === 's' ? 1 : unit === 'm' ? 60 : 3600));
}
