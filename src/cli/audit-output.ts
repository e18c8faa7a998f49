import { stringify } from 'csv-stringify/sync';
import { terminalSafe } from '../domain/terminal-text.js';
import type { StoredAuditEntry } from '../pipeline/audit-log.js';

/** The columns of `audit --csv`, in order (and the keys of each `--json` object but `actor`). */
export const AUDIT_CSV_COLUMNS = ['at', 'actor_kind', 'actor_id', 'action', 'outcome', 'reason', 'address', 'destination', 'job_id', 'batch_id', 'detail', 'id'] as const;

function cells(entry: StoredAuditEntry): Record<(typeof AUDIT_CSV_COLUMNS)[number], string> {
  return {
    at: entry.at ?? '',
    actor_kind: entry.actorKind ?? '',
    actor_id: entry.actorId ?? '',
    action: entry.action ?? '',
    outcome: entry.outcome ?? '',
    reason: entry.reason ?? '',
    address: entry.address ?? '',
    destination: entry.destination ?? '',
    job_id: entry.jobId ?? '',
    batch_id: entry.batchId ?? '',
    detail: entry.detail ?? '',
    id: entry.id,
  };
}

/**
 * RFC 4180 (header row, CRLF, fields quoted when they hold a comma, a quote or a line break), safe to open in a
 * spreadsheet: a cell starting with = + - @ tab or CR gets a leading single quote (csv-stringify's
 * `escape_formulas`), so an address or a reason such as `=HYPERLINK(...)` stays text.
 */
export function auditCsv(entries: StoredAuditEntry[]): string {
  return stringify(entries.map(cells), { header: true, columns: [...AUDIT_CSV_COLUMNS], escape_formulas: true, record_delimiter: 'windows' });
}

/** One JSON array (the whole answer at once, so `jq` and JSON.parse read it as is); absent fields are null. */
export function auditJson(entries: StoredAuditEntry[]): string {
  return (
    JSON.stringify(
      entries.map((e) => ({
        id: e.id,
        at: e.at ?? null,
        actor: { kind: e.actorKind ?? null, id: e.actorId ?? null },
        action: e.action ?? null,
        outcome: e.outcome ?? null,
        reason: e.reason ?? null,
        address: e.address ?? null,
        destination: e.destination ?? null,
        jobId: e.jobId ?? null,
        batchId: e.batchId ?? null,
        detail: e.detail ?? null,
      })),
    ) + '\n'
  );
}

/** For people: one line per entry under a header, columns aligned; outcome and reason together in the last column. */
export function auditTable(entries: StoredAuditEntry[]): string {
  if (entries.length === 0) return 'no audit entries\n';
  const oneLine = (text: string) => terminalSafe(text).replace(/[\t\n]+/g, ' ');
  const rows = entries.map((e) => [
    e.at ?? '',
    `${e.actorKind ?? '?'}:${e.actorId ?? '?'}`,
    e.action ?? '',
    e.address ?? '',
    e.destination ?? '',
    e.batchId ?? '',
    [e.outcome === 'ok' ? 'ok' : `${e.outcome}: ${e.reason ?? ''}`, e.detail ? `(${e.detail})` : ''].filter(Boolean).join(' '),
  ].map(oneLine));
  const header = ['WHEN', 'WHO', 'ACTION', 'MAILBOX', 'DESTINATION', 'BATCH', 'OUTCOME'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}
