import type { Redis } from 'ioredis';
import { z } from 'zod';

/**
 * What the audit trail records. `cutover` is reserved for the cut-over action (another change adds it); the others
 * are the MigrationService's actions: a request (single or in a batch), a decision, a follow-up (`reset-anyway` is
 * a reset confirmed despite folders out of sync), the destination password shown to its recipient and acknowledged.
 */
export const AUDIT_ACTIONS = [
  'request',
  'approve',
  'reject',
  'cancel',
  'undo',
  'retry',
  'reset',
  'reset-anyway',
  'cutover',
  'password-shown',
  'password-acknowledged',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** ok: done; refused: a rule said no (`reason` says which); error: it failed (`reason` is the error). */
export const AUDIT_OUTCOMES = ['ok', 'refused', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/**
 * One entry, as stored: flat string fields of a stream entry (absent ones left out). Never a secret: no password,
 * sealed blob, nonce or signature has a field here, and the texts (`reason`, `detail`) come from refusal and
 * error messages, which name none.
 */
export const auditEntrySchema = z.object({
  /** When, ISO 8601 (the writer's clock; the stream id carries Redis's). */
  at: z.string().min(1),
  action: z.enum(AUDIT_ACTIONS),
  outcome: z.enum(AUDIT_OUTCOMES),
  /** Who: a Slack user id, or the local user name for the CLI. */
  actorKind: z.enum(['slack', 'cli']),
  actorId: z.string(),
  jobId: z.string().optional(),
  /** The mailbox's address (source, and destination: the address does not change). */
  address: z.string().optional(),
  /** The destination service. */
  destination: z.string().optional(),
  batchId: z.string().optional(),
  /** refused / error: why. */
  reason: z.string().optional(),
  /** Anything else worth knowing (a duplicate request, the comment of a rejection, a decision taken earlier). */
  detail: z.string().optional(),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
export type AuditRecord = Omit<AuditEntry, 'at'>;
/** An entry read back, with its stream id (`MS-SEQ`, Redis's time of the write). */
export type StoredAuditEntry = AuditEntry & { id: string };

export interface AuditQuery {
  /** Entries written at or after this time. */
  since?: Date;
  /** Only this mailbox (case-insensitive). */
  address?: string;
}

const DAY_MS = 24 * 3600_000;
const PAGE = 1000;

/**
 * The append-only audit trail: one Redis stream (Keys.audit(), under the queue prefix) that every write trims by
 * age (`XADD ... MINID`, exact: the trail is small, and an entry must not outlive the retention by a node's worth).
 * Entries older than the retention stay only until the next write.
 */
export class AuditLog {
  private readonly retentionMs: number;
  private readonly now: () => number;

  constructor(private readonly redis: Redis, private readonly key: string, options: { retentionDays: number; now?: () => number }) {
    this.retentionMs = options.retentionDays * DAY_MS;
    this.now = options.now ?? Date.now;
  }

  /** Appends one entry (and trims what is past the retention); returns its stream id. */
  async append(record: AuditRecord): Promise<string> {
    const now = this.now();
    const entry = auditEntrySchema.parse({ ...record, at: new Date(now).toISOString() });
    const fields = Object.entries(entry).flatMap(([name, value]) => (value === undefined ? [] : [name, value]));
    const id = await this.redis.xadd(this.key, 'MINID', String(Math.max(0, now - this.retentionMs)), '*', ...fields);
    return id!;
  }

  /** Entries oldest first, read in pages. */
  async read(query: AuditQuery = {}): Promise<StoredAuditEntry[]> {
    const address = query.address?.trim().toLowerCase();
    const out: StoredAuditEntry[] = [];
    let start = query.since ? String(Math.max(0, query.since.getTime())) : '-';
    for (;;) {
      const page = await this.redis.xrange(this.key, start, '+', 'COUNT', PAGE);
      for (const [id, flat] of page) {
        const fields: Record<string, string> = {};
        for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!] = flat[i + 1]!;
        const parsed = auditEntrySchema.safeParse(fields);
        // an entry this version cannot read (written by a later one) is still shown, as far as it goes
        const entry: AuditEntry = parsed.success ? parsed.data : ({ ...fields } as AuditEntry);
        if (address && entry.address?.toLowerCase() !== address) continue;
        out.push({ id, ...entry });
      }
      if (page.length < PAGE) return out;
      start = `(${page[page.length - 1]![0]}`;
    }
  }
}
