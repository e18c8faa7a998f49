import { describe, expect, it } from 'vitest';
import { validateCsv } from '../../src/domain/csv-row.js';

const header = ['source', 'destination_service', 'temporary_name', 'reset_source', 'password'];

describe('the batch CSV rows', () => {
  it('accepts good rows and normalises them', () => {
    const result = validateCsv(header, [
      { row: 2, values: { source: ' John@D.fr', destination_service: 'pro-1', temporary_name: '', reset_source: 'yes', password: '' } },
      { row: 3, values: { source: 'anne@d.fr', destination_service: 'org-1/hosted-1', temporary_name: 'anne-old', reset_source: '', password: 'S3cret!pass' } },
    ]);
    expect(result).toEqual({
      ok: true,
      rows: [
        { row: 2, source: 'john@d.fr', destinationService: 'pro-1', temporaryName: undefined, resetSource: true, password: undefined },
        { row: 3, source: 'anne@d.fr', destinationService: 'org-1/hosted-1', temporaryName: 'anne-old@d.fr', resetSource: false, password: 'S3cret!pass' },
      ],
    });
  });

  it('reports every bad row with its number', () => {
    const result = validateCsv(['source', 'destination_service', 'reset_source', 'temporary_name'], [
      { row: 2, values: { source: 'nope', destination_service: 'pro-1', reset_source: '', temporary_name: '' } },
      { row: 3, values: { source: 'a@d.fr', destination_service: '', reset_source: 'maybe', temporary_name: '' } },
      { row: 4, values: { source: 'b@d.fr', destination_service: 'pro-1', reset_source: '', temporary_name: 'b@e.fr' } },
      { row: 5, values: { source: 'c@d.fr', destination_service: 'pro-1', reset_source: '', temporary_name: '' } },
      { row: 6, values: { source: 'C@d.fr', destination_service: 'pro-2', reset_source: '', temporary_name: '' } },
    ]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.row)).toEqual([2, 3, 4, 6]);
    expect(result.errors[0]!.message).toMatch(/^source: /);
    expect(result.errors[1]!.message).toMatch(/destination_service: is empty; reset_source: must be yes or no/);
    expect(result.errors[2]!.message).toMatch(/temporary_name: .*stay on d\.fr/);
    expect(result.errors[3]!.message).toBe('source: c@d.fr appears on lines 5 and 6: keep one');
  });

  it('names a source given twice once, with both lines, whatever the case and spaces', () => {
    const row = (line: number, source: string, destination = 'pro-1') => ({ row: line, values: { source, destination_service: destination } });
    const result = validateCsv(['source', 'destination_service'], [
      row(2, 'anne@x.ovh'),
      row(3, 'john@x.ovh'),
      row(4, 'paul@x.ovh'),
      row(5, 'zoe@x.ovh'),
      row(6, 'Paul@X.ovh', ''),
      row(7, '  JOHN@x.OVH '),
      row(9, 'zoe@x.ovh'),
      row(10, 'zoe@x.ovh'),
    ]);
    expect(result).toEqual({
      ok: false,
      errors: [
        { row: 6, message: 'source: paul@x.ovh appears on lines 4 and 6: keep one' },
        // The repeated line has its own problem too: that is a separate error.
        { row: 6, message: 'destination_service: is empty' },
        { row: 7, message: 'source: john@x.ovh appears on lines 3 and 7: keep one' },
        { row: 9, message: 'source: zoe@x.ovh appears on lines 5, 9 and 10: keep one' },
      ],
      // The first of each stays to be checked further; the repeats are gone.
      rows: [2, 3, 4, 5].map((line) => expect.objectContaining({ row: line })),
    });
  });

  it('checks the header first', () => {
    expect(validateCsv(['source', 'dest'], [])).toEqual({
      ok: false,
      errors: [
        { row: 1, message: 'unknown column(s) dest; expected source, destination_service, temporary_name, reset_source, password, source_password, cutover_at' },
        { row: 1, message: 'missing column(s) destination_service' },
      ],
    });
    expect(validateCsv(header, [])).toMatchObject({ ok: false, errors: [{ row: 2 }] });
  });
});
