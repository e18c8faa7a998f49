import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import { terminalSafe } from '../../domain/terminal-text.js';
import { loadConfig } from '../../config/config.js';
import { CSV_COLUMNS } from '../../domain/csv-row.js';
import { createLogger } from '../../log/logger.js';
import type { MigrationStatus } from '../../pipeline/migration-service.js';
import { createRuntime } from '../../pipeline/runtime.js';
import { cliActor } from './migrate.js';
import { parseCommandArgs } from '../command-args.js';

export const summary = 'migrate many mailboxes from a CSV file (every row checked first; nothing starts if one is wrong)';

const USAGE = `usage: migrate-mailbox batch FILE.csv [--yes] [--json]

FILE.csv has a header line and one row per mailbox; columns (comma or semicolon separated):
  source               the address to migrate (Exchange or E-mail Pro)            required
  destination_service  SERVICE, ORGANIZATION/SERVICE (Exchange), or legacy domain  required
  temporary_name       the source's temporary name (default: next free NAME01...)  optional
  reset_source         yes/no: reset the temporary source account afterwards       optional (no)
  password             the destination's initial password (default: generated)     optional

Every row is validated and pre-checked before anything starts; every problem is reported with its line
number. The mailboxes then run as one batch (BATCH_CONCURRENCY at a time); the summary is printed at the end.

options:
  --yes       approve without asking (otherwise an interactive y/N on a terminal)
  --json      print one JSON object on stdout at the end
  -h, --help  show this help
`;

const FINAL = new Set(['done', 'failed', 'cancelled', 'rejected']);

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('batch', USAGE, { args: argv, strict: true, allowPositionals: true, options: { yes: { type: 'boolean', short: 'y', default: false }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) {
    process.stderr.write(`migrate-mailbox batch: give one CSV file\n\n${USAGE}`);
    return 2;
  }
  let csv: string;
  try {
    csv = await readFile(positionals[0]!, 'utf8');
  } catch (error) {
    process.stderr.write(`migrate-mailbox batch: cannot read ${positionals[0]}: ${(error as Error).message}\n`);
    return 2;
  }
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const runtime = await createRuntime(config, logger, { embeddedRedis: true });
  const requester = cliActor();
  const json = values.json;
  try {
    const checked = await runtime.service.checkBatch(csv, requester, { preapproved: true });
    if (!checked.ok) {
      for (const e of checked.errors) process.stderr.write(`line ${e.row}: ${e.message}\n`);
      process.stderr.write(`nothing started: fix the ${checked.errors.length} problem(s) above (columns: ${CSV_COLUMNS.join(', ')})\n`);
      if (json) process.stdout.write(JSON.stringify({ ok: false, errors: checked.errors }) + '\n');
      return 2;
    }
    const out = json ? process.stderr : process.stdout;
    out.write(`${checked.planned.length} mailbox(es):\n`);
    for (const p of checked.planned) out.write(`  line ${p.row}: ${p.plan.source.address} -> ${p.plan.destination.service} (temporary name ${p.plan.temporaryAddress})\n`);
    if (!values.yes) {
      if (!process.stdin.isTTY) {
        process.stderr.write('not approved: add --yes (no terminal to ask on)\n');
        return 2;
      }
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      const answer = await rl.question('Start these migrations? [y/N] ');
      rl.close();
      if (!/^y(es)?$/i.test(answer.trim())) {
        process.stderr.write('not approved: nothing changed\n');
        return 1;
      }
    }
    await runtime.startWorker();
    const submitted = await runtime.service.submitBatch(csv, requester, { preapproved: true });
    if (!submitted.ok) {
      for (const e of submitted.errors) process.stderr.write(`line ${e.row}: ${terminalSafe(e.message)}\n`);
      return 2;
    }
    process.stderr.write(`batch ${submitted.batchId} started\n`);
    const seen = new Map<string, string>();
    let statuses: MigrationStatus[] = [];
    for (;;) {
      statuses = await runtime.service.batchStatus(submitted.batchId);
      for (const s of statuses) {
        if (seen.get(s.jobId) !== s.state) {
          seen.set(s.jobId, s.state);
          const failed = s.steps.find((step) => step.status === 'failed');
          process.stderr.write(terminalSafe(`  ${s.plan.source.address}: ${s.state}${failed && FINAL.has(s.state) ? ` (${failed.name}: ${failed.detail})` : ''}`) + '\n');
        }
      }
      if (statuses.length === submitted.jobIds.length && statuses.every((s) => FINAL.has(s.state))) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    const rows = [];
    for (const s of statuses) {
      const revealed = s.handover.state === 'ready' ? await runtime.service.revealDestinationPassword(s.jobId, requester) : undefined;
      const password = revealed?.ok ? revealed.password : undefined;
      const row = checked.planned.find((p) => p.plan.jobId === s.jobId);
      rows.push({
        row: row?.row,
        jobId: s.jobId,
        source: s.plan.source.address,
        destination: s.plan.destination.service,
        temporaryName: s.plan.temporaryAddress,
        state: s.state,
        steps: s.steps.map((step) => ({ name: step.name, status: step.status, detail: step.detail ?? null })),
        undoAvailable: s.undoAvailable,
      });
      if (password && !row?.request.destinationPassword) {
        process.stderr.write(`initial password of ${terminalSafe(s.plan.destination.address)}: ${password} (again with \`migrate ${terminalSafe(s.plan.source.address)} --password\` until --ack-password)\n`);
      }
    }
    const ok = statuses.every((s) => s.state === 'done' && !s.steps.some((step) => step.status === 'failed'));
    const done = statuses.filter((s) => s.state === 'done').length;
    out.write(`\n++++ Batch ${submitted.batchId}: ${done}/${statuses.length} migrated\n`);
    for (const r of rows) out.write(`  ${r.state.padEnd(9)} ${r.source} -> ${r.destination}${r.undoAvailable ? ' (undo available)' : ''}\n`);
    if (json) process.stdout.write(JSON.stringify({ ok, batchId: submitted.batchId, rows }) + '\n');
    return ok ? 0 : 1;
  } finally {
    await runtime.close();
  }
}
