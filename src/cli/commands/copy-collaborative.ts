import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config/config.js';
import type { CollaborativeReport } from '../../domain/collaborative-report.js';
import { terminalSafe as safe } from '../../domain/terminal-text.js';
import { createLogger } from '../../log/logger.js';
import { copyCollaborative, emptyJournal, parseEwsUrl, planCollaborative, type CollaborativeJournal, type CollaborativeOutcome, type EwsEndpoint } from '../../ews/index.js';

export const summary = 'copy contacts, calendars, tasks, inbox rules and out-of-office of one Exchange mailbox into another over EWS (resumable)';

const USAGE = `usage: migrate-mailbox copy-collaborative --from https://USER@HOST --to https://USER@HOST [options]

Passwords come from MIGRATE_FROM_PASSWORD and MIGRATE_TO_PASSWORD. USER is the mailbox's address,
percent-encoded (john%40example.org); the path defaults to /EWS/Exchange.asmx. A test server's CA comes from
EWS_CA_FILE (or IMAP_CA_FILE).

options:
  --json         print one JSON report on stdout at the end
  --dry-run      show the folders, item counts and rules; copy nothing
  --journal FILE where the resume journal is kept (default DATA_DIR/ews-journal/<from+to>.json)
  -h, --help     show this help

Run it again at any time: what is at the destination already (marked by an earlier run) is not copied again.
`;

class UsageError extends Error {}

interface Arguments {
  from: EwsEndpoint;
  to: EwsEndpoint;
  json: boolean;
  dryRun: boolean;
  journal?: string;
}

function parseArguments(argv: string[], env: NodeJS.ProcessEnv, ca: string | undefined): Arguments | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        json: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        journal: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (!values.from) throw new UsageError('--from https://USER@HOST is required');
  if (!values.to) throw new UsageError('--to https://USER@HOST is required');
  const endpoint = (url: string, variable: string, flag: string): EwsEndpoint => {
    const password = env[variable];
    if (!password) throw new UsageError(`set the ${flag} account's password in the environment variable ${variable}`);
    try {
      return parseEwsUrl(url, password, { ca });
    } catch (error) {
      throw new UsageError(`${flag}: ${(error as Error).message}`);
    }
  };
  return { from: endpoint(values.from, 'MIGRATE_FROM_PASSWORD', '--from'), to: endpoint(values.to, 'MIGRATE_TO_PASSWORD', '--to'), json: values.json, dryRun: values['dry-run'], journal: values.journal };
}

/** The journal file: one per (source, destination) pair, so a second run of the same copy resumes from it. */
function journalPath(args: Arguments, dataDir: string): string {
  if (args.journal) return resolve(args.journal);
  const key = createHash('sha256').update(`${args.from.url}\0${args.from.mailbox}\0${args.to.url}\0${args.to.mailbox}`).digest('hex').slice(0, 24);
  return resolve(dataDir, 'ews-journal', `${key}.json`);
}

function readJournal(file: string): CollaborativeJournal {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as CollaborativeJournal;
    return value && value.version === 1 && typeof value.pending === 'object' ? value : emptyJournal();
  } catch {
    return emptyJournal();
  }
}

/** Written whole and renamed into place, so a kill leaves the old or the new journal, never half of one. */
function writeJournal(file: string, journal: CollaborativeJournal): void {
  if (Object.keys(journal.pending).length === 0) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(journal), { mode: 0o600 });
  renameSync(temporary, file);
}

export async function run(argv: string[]): Promise<number> {
  const config = loadConfig();
  const caFile = process.env.EWS_CA_FILE || config.IMAP_CA_FILE;
  let ca: string | undefined;
  if (caFile) {
    try {
      ca = readFileSync(caFile, 'utf8');
    } catch (error) {
      process.stderr.write(`migrate-mailbox copy-collaborative: cannot read ${safe(caFile)}: ${safe((error as Error).message)}\n`);
      return 2;
    }
  }
  let args: Arguments | 'help';
  try {
    args = parseArguments(argv, process.env, ca);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`migrate-mailbox copy-collaborative: ${safe(error.message)} (see migrate-mailbox copy-collaborative --help)\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  const logger = createLogger(['debug', 'trace', 'silent'].includes(config.LOG_LEVEL) ? config.LOG_LEVEL : 'error');
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const started = Date.now();
  const file = journalPath(args, join(config.DATA_DIR));
  try {
    const common = { from: args.from, to: args.to, logger, signal: controller.signal, journal: readJournal(file) };
    const outcome = args.dryRun
      ? await planCollaborative(common)
      : await copyCollaborative({
          ...common,
          saveJournal: (journal) => writeJournal(file, journal),
          onProgress: process.stderr.isTTY ? (p) => process.stderr.write(`\r${p.phase} ${p.itemsDone}/${p.itemsTotal} items ${safe(p.folder ?? '')}`.slice(0, 120).padEnd(80)) : undefined,
        });
    if (process.stderr.isTTY && !args.dryRun) process.stderr.write('\n');
    process.stderr.write(args.dryRun ? describePlan(outcome) : describeOutcome(outcome));
    if (args.json) process.stdout.write(JSON.stringify(outcome.report) + '\n');
    return outcome.report.ok ? 0 : 1;
  } catch (error) {
    const interrupted = controller.signal.aborted;
    const message = interrupted ? 'interrupted; run the same command again to resume (nothing is copied twice)' : (error as Error).message;
    process.stderr.write(`migrate-mailbox copy-collaborative: ${safe(message)}\n`);
    if (!interrupted) logger.error({ err: error }, 'collaborative copy failed');
    if (args.json) process.stdout.write(JSON.stringify(emptyReport(started)) + '\n');
    return interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

function emptyReport(started: number): CollaborativeReport {
  const zero = { total: 0, copied: 0, skipped: 0, failed: 0 };
  return { ok: false, calendar: zero, contacts: zero, tasks: zero, rules: zero, oof: { status: 'not requested', state: null }, bytes: 0, seconds: Math.round((Date.now() - started) / 10) / 100, folders: [] };
}

function counts(label: string, c: { total: number; copied: number; skipped: number; failed: number }): string {
  return `${label}: ${c.copied} copied, ${c.skipped} already there, ${c.failed} failed, of ${c.total}`;
}

function describePlan(outcome: CollaborativeOutcome): string {
  const { report } = outcome;
  const lines = ['dry run: nothing was changed', ''];
  const width = Math.max(6, ...report.folders.map((f) => safe(f.from).length));
  for (const folder of report.folders) {
    const created = outcome.createdFolders.includes(folder.to) ? ' (new)' : '';
    lines.push(`  ${safe(folder.from).padEnd(width)} -> ${safe(folder.to)}${created}: ${folder.total} items, to copy ${folder.total - folder.skipped}`);
  }
  const rules = outcome.rules;
  lines.push('', `rules: ${rules.filter((r) => r.status === 'copied').length} to create, ${rules.filter((r) => r.status === 'skipped').length} already there, ${rules.filter((r) => r.status === 'refused' || r.status === 'failed').length} cannot be copied`);
  for (const rule of rules) if (rule.status === 'refused' || rule.status === 'failed') lines.push(`  ${safe(rule.name)}: ${safe(rule.reason ?? '')}`);
  lines.push(`out-of-office: ${report.oof.state ?? 'unknown'}${report.oof.status === 'skipped' ? ' (already the same at the destination)' : ''}`);
  return lines.join('\n') + '\n';
}

function describeOutcome(outcome: CollaborativeOutcome): string {
  const { report } = outcome;
  const lines = [
    `${report.ok ? 'done' : 'finished with problems'} in ${report.seconds} s (${(report.bytes / 1024 / 1024).toFixed(1)} MiB)`,
    `  ${counts('calendar', report.calendar)}`,
    `  ${counts('contacts', report.contacts)}`,
    `  ${counts('tasks', report.tasks)}`,
    `  ${counts('rules', report.rules)}`,
    `  out-of-office: ${report.oof.status}${report.oof.state ? ` (${report.oof.state})` : ''}${outcome.oofReason ? `: ${safe(outcome.oofReason)}` : ''}`,
  ];
  for (const failure of outcome.folderFailures) lines.push(`  folder failed: ${safe(failure.folder)}: ${safe(failure.reason)}`);
  for (const failure of outcome.failures.slice(0, 20)) lines.push(`  failed: ${safe(failure.folder)}: "${safe(failure.subject)}": ${safe(failure.reason)}`);
  if (outcome.failures.length > 20) lines.push(`  ... and ${outcome.failures.length - 20} more failures`);
  for (const rule of outcome.rules) if (rule.status === 'refused' || rule.status === 'failed') lines.push(`  rule not copied: ${safe(rule.name)}: ${safe(rule.reason ?? '')}`);
  for (const mismatch of outcome.mismatches) lines.push(`  missing at the destination: ${safe(mismatch.folder)}: ${mismatch.missing} items`);
  for (const note of outcome.notes) lines.push(`  note: ${safe(note)}`);
  if (!report.ok) lines.push('Run the same command again to retry what is missing.');
  return lines.join('\n') + '\n';
}
