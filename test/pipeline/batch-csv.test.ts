import { describe, expect, it } from 'vitest';
import { parseBatchCsv } from '../../src/pipeline/batch-csv.js';

/** A batch CSV with `count` distinct, valid mailbox rows. */
function csvWith(count: number): string {
  const rows = Array.from({ length: count }, (_, i) => `user${i}@d.fr,pro-1`);
  return ['source,destination_service', ...rows].join('\n') + '\n';
}

describe('batch CSV size limit', () => {
  it('accepts 500 rows by default and refuses 501 with one error that says what to do', () => {
    expect(parseBatchCsv(csvWith(500))).toMatchObject({ ok: true, rows: { length: 500 } });
    const result = parseBatchCsv(csvWith(501));
    expect(result).toEqual({
      ok: false,
      errors: [{ row: 502, message: 'the file has 501 mailbox rows, more than the limit of 500: split it into files of at most 500 rows, or raise BATCH_MAX_ROWS' }],
    });
  });

  it('takes the limit from the caller (BATCH_MAX_ROWS)', () => {
    expect(parseBatchCsv(csvWith(3), { maxRows: 3 })).toMatchObject({ ok: true, rows: { length: 3 } });
    expect(parseBatchCsv(csvWith(2000), { maxRows: 1000 })).toMatchObject({
      ok: false,
      errors: [{ message: expect.stringMatching(/^the file has 2000 mailbox rows, more than the limit of 1000: split it .* or raise BATCH_MAX_ROWS$/) }],
    });
  });

  it('refuses an over-long file whole: no row comes back to be checked, and bad rows in it are not listed', () => {
    const text = csvWith(4) + 'not-an-address,pro-1\nuser0@d.fr,pro-1\n';
    const result = parseBatchCsv(text, { maxRows: 5 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.message).toContain('6 mailbox rows');
    expect(result.rows).toBeUndefined();
  });

  it('counts mailbox rows, not blank lines or the header', () => {
    const text = 'source,destination_service\n\na@d.fr,pro-1\n\n\nb@d.fr,pro-1\n\n';
    expect(parseBatchCsv(text, { maxRows: 2 })).toMatchObject({ ok: true, rows: [{ row: 3 }, { row: 6 }] });
    // The error points at the first row over the limit, by its line in the file.
    expect(parseBatchCsv(text + 'c@d.fr,pro-1\n', { maxRows: 2 })).toMatchObject({ ok: false, errors: [{ row: 8, message: expect.stringContaining('has 3 mailbox rows') }] });
  });
});

describe('batch CSV duplicates', () => {
  it('reports a source given twice as one error with both file lines', () => {
    const text = 'source;destination_service\nanne@x.ovh;pro-1\njohn@x.ovh;pro-1\n\npaul@x.ovh;pro-1\n\n  John@X.ovh ;pro-2\n';
    expect(parseBatchCsv(text)).toEqual({
      ok: false,
      errors: [{ row: 7, message: 'source: john@x.ovh appears on lines 3 and 7: keep one' }],
      rows: [expect.objectContaining({ row: 2 }), expect.objectContaining({ row: 3 }), expect.objectContaining({ row: 5 })],
    });
  });
});

describe('batch CSV staged columns', () => {
  it('reads source_password and cutover_at (now or an ISO time); a bad time names its line and says what to type', () => {
    const good = parseBatchCsv('source,destination_service,source_password,cutover_at\na@d.fr,pro-1,Secret-1,now\nb@d.fr,pro-1,Secret-2,2026-12-05T18:00:00+01:00\nc@d.fr,pro-1,,\n');
    expect(good).toMatchObject({
      ok: true,
      rows: [
        { source: 'a@d.fr', sourcePassword: 'Secret-1', cutoverAt: 'now' },
        { source: 'b@d.fr', sourcePassword: 'Secret-2', cutoverAt: '2026-12-05T17:00:00.000Z' },
        { source: 'c@d.fr', sourcePassword: undefined, cutoverAt: undefined },
      ],
    });
    const bad = parseBatchCsv('source,destination_service,cutover_at\na@d.fr,pro-1,saturday\n');
    expect(bad).toMatchObject({ ok: false, errors: [{ row: 2, message: expect.stringMatching(/cutover_at.*must be now or an ISO time/) }] });
  });
});
