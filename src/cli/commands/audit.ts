import { Redis } from 'ioredis';
import { z } from 'zod';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../log/logger.js';
import { AuditLog } from '../../pipeline/audit-log.js';
import { DEFAULT_QUEUE_NAME, Keys } from '../../pipeline/queue-names.js';
import { connectRedis } from '../../pipeline/runtime.js';
import { auditCsv, auditJson, auditTable } from '../audit-output.js';
import { parseCommandArgs } from '../command-args.js';

export const summary = 'the audit trail: who requested, approved, rejected, cancelled, retried, undid, reset what, and password hand-overs';

const USAGE = `usage: migrate-mailbox audit [--since DATE] [--address ADDRESS] [--csv | --json]

Prints the audit trail, oldest first: every request (single or batch), decision (approve, reject, and the
refused ones: self-approval, a button of an earlier request), follow-up (cancel, retry, undo, reset,
reset-anyway), destination password shown and acknowledged; who (Slack user id or CLI user), when, the
mailbox, the destination service, the batch, and the outcome (ok, refused or error, with why). Entries are
kept AUDIT_RETENTION_DAYS days (365 by default). Reads the Redis of REDIS_URL (or the embedded one under
DATA_DIR) and QUEUE_PREFIX, like the other commands.

options:
  --since DATE         entries from then on: a date (2026-03-01, midnight UTC) or a date and time
                       (2026-03-01T14:30, 2026-03-01T14:30:00Z, 2026-03-01T14:30:00+01:00; UTC without an offset)
  --address ADDRESS    only the entries about this mailbox
  --csv                CSV with a header row (RFC 4180; cells that a spreadsheet would run as a formula start with ')
  --json               one JSON array of {id, at, actor:{kind,id}, action, outcome, reason, address, destination, jobId, batchId, detail}
  -h, --help           show this help
`;

const dateOnly = z.iso.date();
const dateTime = z.iso.datetime({ offset: true, local: true });

/** --since as an instant: a date is midnight UTC, a date and time without an offset is UTC. */
export function parseSince(text: string): Date | undefined {
  if (dateOnly.safeParse(text).success) return new Date(`${text}T00:00:00Z`);
  if (!dateTime.safeParse(text).success) return undefined;
  const hasOffset = /(?:Z|[+-]\d{2}:?\d{2})$/i.test(text);
  const date = new Date(hasOffset ? text : `${text}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('audit', USAGE, {
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      since: { type: 'string' },
      address: { type: 'string' },
      csv: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.csv && values.json) {
    process.stderr.write(`migrate-mailbox audit: choose one of --csv and --json\n\n${USAGE}`);
    return 2;
  }
  const since = values.since === undefined ? undefined : parseSince(values.since);
  if (values.since !== undefined && !since) {
    process.stderr.write(
      `migrate-mailbox audit: --since ${JSON.stringify(values.since)} is not a date: type a date such as 2026-03-01 or a date and time such as 2026-03-01T14:30:00Z\n\n${USAGE}`,
    );
    return 2;
  }
  if (values.address !== undefined && !values.address.trim()) {
    process.stderr.write(`migrate-mailbox audit: --address needs the mailbox's address, e.g. --address john.smith@mydomain.ovh\n\n${USAGE}`);
    return 2;
  }

  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL === 'info' ? 'warn' : config.LOG_LEVEL);
  const { connection, server } = await connectRedis(config, logger, { embedded: true });
  // a few retries, not BullMQ's endless ones: a Redis that does not answer is an error to report, not to wait on
  const redis = new Redis({ ...(connection as object), maxRetriesPerRequest: 2, lazyConnect: true } as never);
  try {
    const log = new AuditLog(redis, new Keys(config.QUEUE_PREFIX, DEFAULT_QUEUE_NAME).audit(), { retentionDays: config.AUDIT_RETENTION_DAYS });
    const entries = await log.read({ ...(since ? { since } : {}), ...(values.address ? { address: values.address } : {}) });
    process.stdout.write(values.csv ? auditCsv(entries) : values.json ? auditJson(entries) : auditTable(entries));
    return 0;
  } finally {
    redis.disconnect();
    await server?.stop();
  }
}
