import { z } from 'zod';
import { tryParseAddress } from './address.js';
import { resolveTemporaryName } from './temporary-name.js';

/**
 * The batch CSV: a header line, then one mailbox per row. Columns (any order, header names exact, lower case):
 *
 * | column | required | meaning |
 * |---|---|---|
 * | `source` | yes | the address to migrate (an Exchange or E-mail Pro account) |
 * | `destination_service` | yes | the destination service: `SERVICE`, `ORGANIZATION/SERVICE` for Exchange, the domain for legacy MX Plan |
 * | `temporary_name` | no | the source's temporary name (address or part before @); default: the next free `name01`, `name02`... |
 * | `reset_source` | no | `yes`/`no` (also true/false, 1/0): reset the temporary source account after a successful move; default no |
 * | `password` | no | the destination's initial password; default: generated to the service's policy and handed to the requester |
 * | `source_password` | no | the source mailbox's current password: the staged order (copy ahead, cut over in minutes) needs it |
 * | `cutover_at` | no | staged order: `now` (as soon as the staged copy is ready) or an ISO time; default: when asked for |
 *
 * Empty cells count as absent. Passwords read from a CSV are encrypted as soon as they are read.
 */
export const CSV_COLUMNS = ['source', 'destination_service', 'temporary_name', 'reset_source', 'password', 'source_password', 'cutover_at'] as const;
export const REQUIRED_CSV_COLUMNS = ['source', 'destination_service'] as const;

const optionalCell = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value));

const yesNo = z
  .string()
  .optional()
  .transform((value, ctx) => {
    const text = (value ?? '').trim().toLowerCase();
    if (text === '') return false;
    if (['yes', 'y', 'true', '1', 'oui'].includes(text)) return true;
    if (['no', 'n', 'false', '0', 'non'].includes(text)) return false;
    ctx.addIssue({ code: 'custom', message: `must be yes or no, not ${JSON.stringify(value)}` });
    return z.NEVER;
  });

export const csvRowSchema = z
  .object({
    source: z.string().transform((value, ctx) => {
      const parsed = tryParseAddress(value);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.error });
        return z.NEVER;
      }
      return parsed.value.address;
    }),
    destination_service: z
      .string()
      .transform((value) => value.trim())
      .pipe(z.string().min(1, { message: 'is empty', abort: true }).regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/, 'must be SERVICE, ORGANIZATION/SERVICE or a domain')),
    temporary_name: optionalCell,
    reset_source: yesNo,
    password: z
      .string()
      .optional()
      .transform((value) => (value === undefined || value === '' ? undefined : value)),
    source_password: z
      .string()
      .optional()
      .transform((value) => (value === undefined || value === '' ? undefined : value)),
    cutover_at: optionalCell.transform((value, ctx) => {
      if (value === undefined) return undefined;
      const text = value.trim();
      if (text.toLowerCase() === 'now') return 'now' as const;
      if (!/^\d{4}-\d{2}-\d{2}T/.test(text) || Number.isNaN(Date.parse(text))) {
        ctx.addIssue({ code: 'custom', message: `must be now or an ISO time such as 2026-12-05T18:00:00Z, not ${JSON.stringify(value)}` });
        return z.NEVER;
      }
      return new Date(Date.parse(text)).toISOString();
    }),
  })
  .transform((row, ctx) => {
    let temporaryName: string | undefined;
    if (row.temporary_name !== undefined) {
      const resolved = resolveTemporaryName(row.source, row.temporary_name);
      if (!resolved.ok) {
        ctx.addIssue({ code: 'custom', path: ['temporary_name'], message: resolved.error });
        return z.NEVER;
      }
      temporaryName = resolved.address;
    }
    return {
      source: row.source,
      destinationService: row.destination_service,
      temporaryName,
      resetSource: row.reset_source,
      password: row.password,
      sourcePassword: row.source_password,
      cutoverAt: row.cutover_at,
    };
  });

export type CsvRow = z.output<typeof csvRowSchema>;

export interface CsvRowError {
  /** Line number in the file (the header is line 1). */
  row: number;
  message: string;
}

export interface RawCsvRecord {
  row: number;
  values: Record<string, string>;
}

/**
 * Validates the header and every row, collecting every problem (never stops at the first): unknown or
 * missing columns, bad cells, the same source twice.
 */
export function validateCsv(
  header: string[],
  records: RawCsvRecord[],
): { ok: true; rows: (CsvRow & { row: number })[] } | { ok: false; errors: CsvRowError[]; rows?: (CsvRow & { row: number })[] } {
  const errors: CsvRowError[] = [];
  const known = new Set<string>(CSV_COLUMNS);
  const columns = header.map((name) => name.trim().toLowerCase());
  const unknown = columns.filter((name) => !known.has(name));
  if (unknown.length) errors.push({ row: 1, message: `unknown column(s) ${unknown.join(', ')}; expected ${CSV_COLUMNS.join(', ')}` });
  const missing = REQUIRED_CSV_COLUMNS.filter((name) => !columns.includes(name));
  if (missing.length) errors.push({ row: 1, message: `missing column(s) ${missing.join(', ')}` });
  const duplicated = columns.filter((name, index) => columns.indexOf(name) !== index);
  if (duplicated.length) errors.push({ row: 1, message: `column(s) given twice: ${[...new Set(duplicated)].join(', ')}` });
  if (errors.length) return { ok: false, errors };
  if (records.length === 0) return { ok: false, errors: [{ row: 2, message: 'the file has no mailbox rows' }] };

  const normalised = records.map((record) => ({
    row: record.row,
    values: Object.fromEntries(Object.entries(record.values).map(([key, value]) => [key.trim().toLowerCase(), value])),
  }));
  // The same mailbox twice is one problem, named once with every line it is on (whatever else is wrong there),
  // on the first line that repeats it; the first line stays to be checked further.
  const linesBySource = new Map<string, number[]>();
  for (const record of normalised) {
    const key = sourceKey(record.values.source);
    if (key !== undefined) linesBySource.set(key, [...(linesBySource.get(key) ?? []), record.row]);
  }
  const repeated = new Set<number>();
  for (const [source, lines] of linesBySource) {
    if (lines.length < 2) continue;
    errors.push({ row: lines[1]!, message: `source: ${source} appears on lines ${listLines(lines)}: keep one` });
    for (const line of lines.slice(1)) repeated.add(line);
  }

  const rows: (CsvRow & { row: number })[] = [];
  for (const record of normalised) {
    const result = csvRowSchema.safeParse(record.values);
    if (!result.success) {
      const messages = result.error.issues.map((issue) => {
        const column = issue.path.length ? String(issue.path[0]) : 'row';
        const message = issue.code === 'invalid_type' ? 'is missing' : issue.message;
        return `${column}: ${message}`;
      });
      errors.push({ row: record.row, message: messages.join('; ') });
      continue;
    }
    if (!repeated.has(record.row)) rows.push({ ...result.data, row: record.row });
  }
  errors.sort((a, b) => a.row - b.row);
  // On failure the valid rows come too, so that callers can check them further and report everything at once.
  return errors.length ? { ok: false, errors, rows } : { ok: true, rows };
}

/** What makes two source cells the same mailbox: the normal address, or the trimmed lower-cased text when it is none. */
function sourceKey(cell: string | undefined): string | undefined {
  const text = (cell ?? '').trim();
  if (text === '') return undefined;
  const parsed = tryParseAddress(text);
  return parsed.ok ? parsed.value.address : text.toLowerCase();
}

/** `3 and 7`, `3, 7 and 9`. */
function listLines(lines: number[]): string {
  return lines.length === 1 ? String(lines[0]) : `${lines.slice(0, -1).join(', ')} and ${lines[lines.length - 1]}`;
}
