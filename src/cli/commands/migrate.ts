import { userInfo } from 'node:os';
import { createInterface } from 'node:readline/promises';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../config/config.js';
import type { CopyProgress } from '../../domain/copy-report.js';
import { createLogger } from '../../log/logger.js';
import type { Actor, MigrationEvent, MigrationPlan, MigrationReport, MigrationStatus } from '../../pipeline/migration-service.js';
import { planText, reportText } from '../../pipeline/report-text.js';
import { createRuntime, type Runtime } from '../../pipeline/runtime.js';

export const summary = 'migrate one mailbox to another OVH e-mail service (rename, create, copy, aliases, DNS check, hand-over)';

const USAGE = `usage: migrate-mailbox migrate ADDRESS --to SERVICE [options]

SERVICE is the destination service name; ORGANIZATION/SERVICE for Exchange; the domain for legacy MX Plan.

options:
  --to SERVICE        destination service (required)
  --temp-name NAME    temporary name of the source (default: the next free NAME01, NAME02...)
  --dry-run           check everything and show the plan; change nothing
  --yes               approve without asking (otherwise: an interactive y/N on a terminal)
  --reset-source      reset the temporary source account once every message is on the destination
  --json              print one JSON object on stdout at the end
  -h, --help          show this help

after a migration (no --to needed):
  --status            show the migration of ADDRESS (state, steps, undo availability)
  --undo              after a failure or a cancel past the rename: free the destination, rename the source back
  --retry             run a failed or cancelled migration again from where it stopped
  --reset-now         reset (delete) the temporary source account of a completed migration

The destination's initial password is generated to the service's policy and shown once on stderr, or taken from
MIGRATE_DESTINATION_PASSWORD. Without REDIS_URL a private Redis runs under DATA_DIR; with it, any
\`migrate-mailbox worker\` on that Redis may run the job. Ctrl-C cancels the migration (undo is then offered).
`;

export interface MigrateJson {
  ok: boolean;
  source: string;
  destination: string;
  temporaryName: string | null;
  steps: { name: string; status: string; detail: string | null }[];
  copy: MigrationReport['copy'] | null;
}

function toJson(plan: Pick<MigrationPlan, 'source' | 'destination' | 'temporaryAddress'> | undefined, address: string, to: string, status: MigrationStatus | undefined, report: MigrationReport | undefined, ok: boolean, preflightProblems?: string): MigrateJson {
  return {
    ok,
    source: plan?.source.address ?? address,
    destination: plan ? `${plan.destination.address} (${plan.destination.service})` : to,
    temporaryName: plan?.temporaryAddress ?? null,
    steps: status
      ? status.steps.map((s) => ({ name: s.name, status: s.status, detail: s.detail ?? null }))
      : [{ name: 'preflight', status: 'failed', detail: preflightProblems ?? null }],
    copy: report?.copy ?? null,
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

/** Follows one job until it ends: step lines and a progress bar on stderr (TTY), the report at the end. */
export async function followJob(runtime: Runtime, jobId: string, options: { quiet: boolean }): Promise<{ status: MigrationStatus; report?: MigrationReport }> {
  const tty = process.stderr.isTTY && !options.quiet;
  let bar: cliProgress.SingleBar | undefined;
  let report: MigrationReport | undefined;
  let ended = false;
  const onEvent = (event: MigrationEvent) => {
    if (!('jobId' in event) || event.jobId !== jobId) return;
    if (event.type === 'progress') {
      if (!tty) return;
      const p: CopyProgress = event.progress;
      if (!bar) {
        bar = new cliProgress.SingleBar({ format: '  {phase} [{bar}] {value}/{total} messages | {mib} MiB | {rate} KiB/s | ETA {eta_s}s', stream: process.stderr, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(p.messagesTotal, p.messagesDone, { phase: p.phase, mib: '0.0', rate: '0' });
      }
      bar.setTotal(Math.max(p.messagesTotal, 1));
      bar.update(p.messagesDone, { phase: p.phase.padEnd(9), mib: (p.bytesDone / 1048576).toFixed(1), rate: (p.rate / 1024).toFixed(0) });
    } else if (event.type === 'step') {
      if (bar && event.step.status !== 'running') {
        bar.stop();
        bar = undefined;
      }
      if (!options.quiet && event.step.status !== 'running') process.stderr.write(`${event.step.status.padEnd(7)} ${event.step.name}${event.step.detail ? `: ${event.step.detail}` : ''}\n`);
      else if (!options.quiet) process.stderr.write(`...     ${event.step.name}\n`);
    } else if (event.type === 'finished') {
      report = event.report;
      ended = true;
    } else if (event.type === 'failed') ended = true;
  };
  const off = await runtime.service.subscribeReady(onEvent);
  try {
    for (;;) {
      const [status] = await runtime.service.status({ jobId });
      if (status && ['done', 'failed', 'cancelled', 'rejected'].includes(status.state)) {
        // The 'finished' event carries the report; give it a moment if the state was seen first.
        for (let i = 0; i < 20 && !report && status.state === 'done'; i++) await new Promise((r) => setTimeout(r, 50));
        bar?.stop();
        return { status, report };
      }
      await new Promise((r) => setTimeout(r, ended ? 50 : 500));
    }
  } finally {
    off();
  }
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
        undo: { type: 'boolean', default: false },
        retry: { type: 'boolean', default: false },
        'reset-now': { type: 'boolean', default: false },
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
  const action = values.status ? 'status' : values.undo ? 'undo' : values.retry ? 'retry' : values['reset-now'] ? 'reset' : undefined;
  if (action && positionals.length === 1) return afterwards(action, positionals[0]!, values.json);
  if (positionals.length !== 1 || !values.to) {
    process.stderr.write(`migrate-mailbox migrate: give one ADDRESS and --to SERVICE\n\n${USAGE}`);
    return 2;
  }
  const address = positionals[0]!;
  const json = values.json;
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const out = (text: string) => process[json ? 'stderr' : 'stdout'].write(text + '\n');
  const runtime = await createRuntime(config, logger, { embeddedRedis: true });
  const requester = cliActor();
  let jobId: string | undefined;
  let cancelling = false;
  const onSignal = () => {
    if (!jobId || cancelling) process.exit(130);
    cancelling = true;
    process.stderr.write('\ncancelling (Ctrl-C again to quit at once)...\n');
    void runtime.service.cancel(jobId, requester).catch((error) => process.stderr.write(`cannot cancel: ${(error as Error).message}\n`));
  };
  try {
    const request = {
      sourceAddress: address,
      destinationService: values.to,
      temporaryName: values['temp-name'],
      destinationPassword: process.env.MIGRATE_DESTINATION_PASSWORD || undefined,
      resetSourceAfter: values['reset-source'],
      requester,
      preapproved: true,
    };
    const checked = await runtime.service.preflight(request);
    if (!checked.ok) {
      const text = checked.problems.map((p) => `${p.field}: ${p.message}`).join('\n');
      if (json) process.stdout.write(JSON.stringify(toJson(undefined, address, values.to, undefined, undefined, false, text)) + '\n');
      process.stderr.write(`refused:\n${text.replace(/^/gm, '  ')}\n`);
      return 2;
    }
    out(planText(checked.plan));
    if (values['dry-run']) {
      const steps = [{ name: 'preflight', status: 'done', detail: 'every check passed (dry run: nothing changed)' }];
      if (json) process.stdout.write(JSON.stringify({ ...toJson(checked.plan, address, values.to, undefined, undefined, true), steps }) + '\n');
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
    await runtime.startWorker();
    const submitted = await runtime.service.submit(request);
    if (!submitted.ok) {
      process.stderr.write(`refused:\n${submitted.problems.map((p) => `  ${p.field}: ${p.message}`).join('\n')}\n`);
      return 2;
    }
    jobId = submitted.jobId;
    if (submitted.duplicate) process.stderr.write(`${address} is already being migrated (job ${jobId}): following it\n`);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const { status, report } = await followJob(runtime, jobId, { quiet: false });
    const ok = status.state === 'done' && !status.steps.some((s) => s.status === 'failed');
    out('\n' + reportText(status, report));
    const password = await runtime.service.takeDestinationPassword(jobId, requester);
    if (password && !process.env.MIGRATE_DESTINATION_PASSWORD) process.stderr.write(`\nInitial password of ${status.plan.destination.address} (shown once): ${password}\n`);
    if (json) process.stdout.write(JSON.stringify(toJson(status.plan, address, values.to, status, report, ok)) + '\n');
    return ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
  }
}

/** --status, --undo, --retry, --reset-now on the migration of one address. */
async function afterwards(action: 'status' | 'undo' | 'retry' | 'reset', address: string, json: boolean): Promise<number> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const runtime = await createRuntime(config, logger, { embeddedRedis: true });
  const requester = cliActor();
  try {
    const [status] = await runtime.service.status({ address });
    if (!status) {
      process.stderr.write(`no migration of ${address} in this queue\n`);
      return 1;
    }
    if (action === 'undo') await runtime.service.undo(status.jobId, requester);
    if (action === 'reset') await runtime.service.resetSource(status.jobId, requester);
    let final = status;
    let report: MigrationReport | undefined;
    if (action === 'retry') {
      await runtime.startWorker();
      await runtime.service.retry(status.jobId, requester);
      ({ status: final, report } = await followJob(runtime, status.jobId, { quiet: false }));
    } else final = (await runtime.service.status({ jobId: status.jobId }))[0]!;
    const ok = action === 'status' || !final.steps.some((s) => s.status === 'failed' && (s.name === 'undo' || s.name === 'reset-source'));
    if (json) process.stdout.write(JSON.stringify(toJson(final.plan, address, final.plan.destination.service, final, report, ok && final.state !== 'failed')) + '\n');
    else process.stdout.write(reportText(final, report) + '\n');
    return ok ? 0 : 1;
  } catch (error) {
    process.stderr.write(`migrate-mailbox migrate: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await runtime.close();
  }
}
