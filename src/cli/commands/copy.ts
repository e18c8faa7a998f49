import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { loadConfig } from '../../config/config.js';
import type { CopyProgress, CopyReport } from '../../domain/copy-report.js';
import { terminalSafe as safe } from '../../domain/terminal-text.js';
import { createLogger } from '../../log/logger.js';
import { copyMailbox, MAX_CONNECTIONS, planCopy, type ImapCopyOutcome } from '../../imap/copy-mailbox.js';
import type { CopyPlanSummary } from '../../imap/copy-plan.js';
import { parseImapUrl, type ImapEndpoint } from '../../imap/endpoint.js';

export const summary = 'copy every folder, message, flag and date of one IMAP account into another (idempotent, resumable)';

const USAGE = `usage: migrate-mailbox copy --from imap[s]://USER@HOST:PORT --to imap[s]://USER@HOST:PORT [options]

Passwords come from MIGRATE_FROM_PASSWORD and MIGRATE_TO_PASSWORD. USER is percent-encoded (john%40example.org).

options:
  --json              print one JSON report on stdout at the end
  --dry-run           show the folder map and sizes; copy nothing
  --exclude REGEX     skip source folders whose path matches REGEX
  --connections N     folders copied in parallel (1-${MAX_CONNECTIONS}, default 4)
  --allow-plaintext   allow a password over an unencrypted connection to a non-loopback host
  -h, --help          show this help

Run it again at any time: it copies only what is missing and re-syncs flags.
`;

class UsageError extends Error {}

interface CopyArguments {
  from: ImapEndpoint;
  to: ImapEndpoint;
  json: boolean;
  dryRun: boolean;
  exclude?: RegExp;
  connections?: number;
}

function parseArguments(argv: string[], env: NodeJS.ProcessEnv, ca: string | undefined): CopyArguments | 'help' {
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
        exclude: { type: 'string' },
        connections: { type: 'string' },
        'allow-plaintext': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
  const { values } = parsed;
  if (values.help) return 'help';
  if (!values.from) throw new UsageError('--from imap[s]://USER@HOST:PORT is required');
  if (!values.to) throw new UsageError('--to imap[s]://USER@HOST:PORT is required');
  let connections: number | undefined;
  if (values.connections !== undefined) {
    connections = Number(values.connections);
    if (!Number.isInteger(connections) || connections < 1 || connections > MAX_CONNECTIONS) {
      throw new UsageError(`--connections must be a whole number from 1 to ${MAX_CONNECTIONS} (servers allow about 10 connections per user)`);
    }
  }
  let exclude: RegExp | undefined;
  if (values.exclude !== undefined) {
    try {
      exclude = new RegExp(values.exclude, 'u');
    } catch (error) {
      throw new UsageError(`--exclude ${JSON.stringify(values.exclude)} is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  const allowPlaintext = values['allow-plaintext'];
  const endpoint = (url: string, variable: string, flag: string): ImapEndpoint => {
    const password = env[variable];
    if (!password) throw new UsageError(`set the ${flag} account's password in the environment variable ${variable}`);
    try {
      return parseImapUrl(url, password, { allowPlaintext, ca });
    } catch (error) {
      throw new UsageError(`${flag}: ${(error as Error).message}`);
    }
  };
  return {
    from: endpoint(values.from, 'MIGRATE_FROM_PASSWORD', '--from'),
    to: endpoint(values.to, 'MIGRATE_TO_PASSWORD', '--to'),
    json: values.json,
    dryRun: values['dry-run'],
    exclude,
    connections,
  };
}

export async function run(argv: string[]): Promise<number> {
  const config = loadConfig();
  let ca: string | undefined;
  if (config.IMAP_CA_FILE) {
    try {
      ca = readFileSync(config.IMAP_CA_FILE, 'utf8');
    } catch (error) {
      process.stderr.write(`migrate-mailbox copy: cannot read IMAP_CA_FILE ${safe(config.IMAP_CA_FILE)}: ${safe((error as Error).message)}\n`);
      return 2;
    }
  }
  let args: CopyArguments | 'help';
  try {
    args = parseArguments(argv, process.env, ca);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`migrate-mailbox copy: ${safe(error.message)} (see migrate-mailbox copy --help)\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  // JSON logs are for debugging; the human output below says what happened.
  const logger = createLogger(['debug', 'trace', 'silent'].includes(config.LOG_LEVEL) ? config.LOG_LEVEL : 'error');
  const controller = new AbortController();
  const interrupt = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const started = Date.now();
  const bar = process.stderr.isTTY ? new ProgressBar() : undefined;
  try {
    if (args.dryRun) {
      const plan = await planCopy({ from: args.from, to: args.to, exclude: args.exclude, connections: args.connections, logger, signal: controller.signal });
      process.stderr.write(describePlan(plan));
      const report = planReport(plan, started);
      if (args.json) process.stdout.write(JSON.stringify(report) + '\n');
      return report.ok ? 0 : 1;
    }
    const outcome = await copyMailbox({
      from: args.from,
      to: args.to,
      exclude: args.exclude,
      connections: args.connections,
      logger,
      signal: controller.signal,
      onProgress: bar ? (progress) => bar.update(progress) : undefined,
    });
    bar?.stop();
    process.stderr.write(describeOutcome(outcome));
    if (args.json) process.stdout.write(JSON.stringify(outcome.report) + '\n');
    return outcome.report.ok ? 0 : 1;
  } catch (error) {
    bar?.stop();
    const interrupted = controller.signal.aborted;
    const message = interrupted ? 'interrupted; run the same command again to resume (nothing is copied twice)' : (error as Error).message;
    // Error messages quote servers (IMAP NO/BAD texts, greetings): no escape sequence reaches the terminal.
    process.stderr.write(`migrate-mailbox copy: ${safe(message)}\n`);
    if (!interrupted) logger.error({ err: error }, 'copy failed');
    if (args.json) process.stdout.write(JSON.stringify(emptyReport(started)) + '\n');
    return interrupted ? 130 : 1;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}

function emptyReport(started: number): CopyReport {
  return { ok: false, messages: { total: 0, copied: 0, skipped: 0, failed: 0 }, bytes: 0, seconds: seconds(started), folders: [] };
}

function seconds(started: number): number {
  return Math.round((Date.now() - started) / 10) / 100;
}

/** `--dry-run --json`: the report shape, with what is already there as skipped and nothing copied. */
function planReport(plan: CopyPlanSummary, started: number): CopyReport {
  const folders = plan.folders.map((folder) => ({ from: folder.from, to: folder.to, total: folder.messages, copied: 0, skipped: folder.messages - folder.toCopy, failed: 0 }));
  return {
    ok: plan.fits,
    messages: { total: plan.messages, copied: 0, skipped: plan.messages - plan.toCopy, failed: 0 },
    bytes: 0,
    seconds: seconds(started),
    folders,
  };
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Human output: folder names, special-use flags and failure reasons come from the servers, so through `safe`. */
function describePlan(plan: CopyPlanSummary): string {
  const lines = ['dry run: nothing was changed', ''];
  const width = Math.max(6, ...plan.folders.map((folder) => safe(folder.from).length));
  for (const folder of plan.folders) {
    const notes = [folder.create ? 'new' : '', folder.specialUse ?? ''].filter(Boolean).join(', ');
    lines.push(`  ${safe(folder.from).padEnd(width)} -> ${safe(folder.to)}${notes ? ` (${safe(notes)})` : ''}: ${folder.messages} msgs ${mib(folder.bytes)}, to copy ${folder.toCopy} (${mib(folder.bytesToCopy)})`);
  }
  for (const placeholder of plan.placeholders) lines.push(`  ${safe(placeholder.from).padEnd(width)} -> ${safe(placeholder.to)} (no messages: hierarchy only)`);
  lines.push('', `total: ${plan.messages} messages, ${mib(plan.bytes)}; to copy: ${plan.toCopy} messages, ${mib(plan.bytesToCopy)}`);
  if (plan.quota) lines.push(`destination quota: ${mib(plan.quota.usage)} used of ${mib(plan.quota.limit)}${plan.fits ? '' : ' — NOT ENOUGH ROOM: raise the quota or use --exclude'}`);
  return lines.join('\n') + '\n';
}

function describeOutcome({ report, failures, mismatches, folderFailures, droppedFlags }: ImapCopyOutcome): string {
  const { messages } = report;
  const lines = [
    `${report.ok ? 'done' : 'finished with problems'}: ${messages.copied} copied (${mib(report.bytes)}), ${messages.skipped} already there, ${messages.failed} failed, of ${messages.total} messages in ${report.folders.length} folders, ${report.seconds} s`,
  ];
  for (const failure of folderFailures) lines.push(`  folder failed: ${safe(failure.folder)}: ${safe(failure.reason)}`);
  for (const failure of failures.slice(0, 20)) lines.push(`  failed: ${safe(failure.folder)} UID ${failure.uid}: ${safe(failure.reason)}`);
  if (failures.length > 20) lines.push(`  ... and ${failures.length - 20} more failures`);
  for (const mismatch of mismatches) lines.push(`  missing at the destination: ${safe(mismatch.folder)}: ${mismatch.missing} messages (source UIDs ${mismatch.missingUids.slice(0, 10).join(', ')}${mismatch.missing > 10 ? ', ...' : ''})`);
  if (droppedFlags.length > 0) {
    // Copied all the same: the destination folder cannot store these flags (not in its PERMANENTFLAGS).
    const byFolder = new Map<string, string[]>();
    for (const dropped of droppedFlags) byFolder.set(dropped.folder, [...(byFolder.get(dropped.folder) ?? []), `${dropped.flag} (${dropped.messages} messages)`]);
    for (const [folder, flags] of byFolder) lines.push(`  flags the destination cannot keep, messages copied without them: ${safe(folder)}: ${safe(flags.join(', '))}`);
  }
  if (!report.ok) lines.push('Run the same command again to retry what is missing.');
  return lines.join('\n') + '\n';
}

/** A cli-progress bar on stderr (only used when stderr is a terminal). */
class ProgressBar {
  private readonly bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{phase} [{bar}] {percentage}% | {value}/{total} msgs | {done}/{size} | {rate}/s | ETA {eta_formatted} | {folder}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  private started = false;

  update(progress: CopyProgress): void {
    const payload = {
      phase: progress.phase,
      done: mib(progress.bytesDone),
      size: mib(progress.bytesTotal),
      rate: mib(progress.rate),
      folder: safe(progress.folder ?? ''),
    };
    if (!this.started) {
      this.bar.start(Math.max(progress.messagesTotal, 1), progress.messagesDone, payload);
      this.started = true;
      return;
    }
    this.bar.setTotal(Math.max(progress.messagesTotal, 1));
    this.bar.update(progress.messagesDone, payload);
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}
