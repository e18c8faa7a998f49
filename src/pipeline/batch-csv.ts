import { parse } from 'csv-parse/sync';
import { validateCsv, type CsvRow, type CsvRowError, type RawCsvRecord } from '../domain/csv-row.js';

type Rows = (CsvRow & { row: number })[];

/** Mailbox rows a batch CSV may have unless the caller says otherwise (the default of BATCH_MAX_ROWS). */
export const DEFAULT_BATCH_MAX_ROWS = 500;

export interface BatchCsvOptions {
  /** Most mailbox rows accepted (BATCH_MAX_ROWS); a longer file is refused whole, with one error. */
  maxRows?: number;
}

/**
 * Reads a batch CSV (comma or semicolon separated, UTF-8 with or without BOM, quoted cells as usual) and
 * validates every row with the domain's zod schema. Every problem is reported with its line number; on
 * failure the rows that are fine come back too, so the caller can check them further. A file with more than
 * `maxRows` mailbox rows gets one error and no rows: nothing of it is checked or queued.
 */
export function parseBatchCsv(text: string, options: BatchCsvOptions = {}): { ok: true; rows: Rows } | { ok: false; errors: CsvRowError[]; rows?: Rows } {
  const maxRows = options.maxRows ?? DEFAULT_BATCH_MAX_ROWS;
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  let parsed: { record: string[]; info: { lines: number } }[];
  try {
    parsed = parse(text, { bom: true, delimiter, info: true, skip_empty_lines: true, relax_column_count: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (error) {
    const e = error as { message: string; lines?: number };
    return { ok: false, errors: [{ row: e.lines ?? 1, message: `not a readable CSV file: ${e.message}` }] };
  }
  const [head, ...body] = parsed;
  if (!head) return { ok: false, errors: [{ row: 1, message: 'the file is empty: it needs a header line and one row per mailbox' }] };
  if (body.length > maxRows) {
    const message =
      `the file has ${body.length} mailbox rows, more than the limit of ${maxRows}: ` +
      `split it into files of at most ${maxRows} rows, or raise BATCH_MAX_ROWS`;
    return { ok: false, errors: [{ row: body[maxRows]!.info.lines, message }] };
  }
  const header = head.record.map((name) => name.trim().toLowerCase());
  const shapeErrors: CsvRowError[] = [];
  const records: RawCsvRecord[] = [];
  for (const { record, info } of body) {
    if (record.length > header.length && record.slice(header.length).some((cell) => cell.trim() !== '')) {
      shapeErrors.push({ row: info.lines, message: `more cells (${record.length}) than the ${header.length} columns of the header` });
      continue;
    }
    records.push({ row: info.lines, values: Object.fromEntries(header.map((name, i) => [name, record[i] ?? ''])) });
  }
  const result = validateCsv(header, records);
  if (shapeErrors.length === 0) return result;
  const errors = [...(result.ok ? [] : result.errors), ...shapeErrors].sort((a, b) => a.row - b.row);
  return { ok: false, errors, rows: result.rows };
}
