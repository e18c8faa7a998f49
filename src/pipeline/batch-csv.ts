import { parse } from 'csv-parse/sync';
import { validateCsv, type CsvRow, type CsvRowError, type RawCsvRecord } from '../domain/csv-row.js';

/**
 * Reads a batch CSV (comma or semicolon separated, UTF-8 with or without BOM, quoted cells as usual) and
 * validates every row with the domain's zod schema. Every problem is reported with its line number.
 */
export function parseBatchCsv(text: string): { ok: true; rows: (CsvRow & { row: number })[] } | { ok: false; errors: CsvRowError[]; rows?: (CsvRow & { row: number })[] } {
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const delimiter = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : ',';
  let header: string[] = [];
  let parsed: { record: Record<string, string>; info: { lines: number } }[];
  try {
    parsed = parse(text, {
      bom: true,
      delimiter,
      columns: (names: string[]) => {
        header = names.map((name) => String(name).trim().toLowerCase());
        return header;
      },
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: false,
    }) as unknown as { record: Record<string, string>; info: { lines: number } }[];
  } catch (error) {
    const e = error as { message: string; lines?: number };
    return { ok: false, errors: [{ row: e.lines ?? 1, message: `not a readable CSV file: ${e.message}` }] };
  }
  if (header.length === 0) return { ok: false, errors: [{ row: 1, message: 'the file is empty: it needs a header line and one row per mailbox' }] };
  const records: RawCsvRecord[] = parsed.map(({ record, info }) => ({ row: info.lines, values: record }));
  const extra = parsed
    .map(({ record, info }) => ({ row: info.lines, count: Object.keys(record).length, extra: (record as Record<string, unknown>)[''] }))
    .filter((r) => r.count > header.length);
  const result = validateCsv(header, records);
  if (extra.length) {
    const errors = [...(result.ok ? [] : result.errors), ...extra.map((r) => ({ row: r.row, message: `more cells than the ${header.length} columns of the header` }))];
    const bad = new Set(extra.map((r) => r.row));
    return { ok: false, errors: errors.sort((a, b) => a.row - b.row), rows: result.rows?.filter((r) => !bad.has(r.row)) };
  }
  return result;
}
