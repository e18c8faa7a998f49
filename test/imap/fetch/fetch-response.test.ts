import { describe, expect, it } from 'vitest';
import { parseFetchResponse } from '../../../src/imap/fetch/fetch-response.js';
import { ImapSyntaxError } from '../../../src/imap/wire/response-cursor.js';
import { parseInternalDate } from '../../../src/imap/wire/imap-syntax.js';

const bytes = (...parts: Array<string | Buffer>) => Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'latin1') : part)));

describe('parseFetchResponse', () => {
  it('reads UID, flags, size, date and the body as a view of the received bytes', () => {
    const body = Buffer.from([0x46, 0x72, 0x6f, 0x6d, 0x3a, 0xe9, 0xff, 0x0d, 0x0a, 0x29]); // non-UTF-8 bytes and a ')'
    const raw = bytes('* 12 FETCH (UID 345 FLAGS (\\Seen \\Recent $Label1) INTERNALDATE " 7-Jul-1996 02:44:25 -0700" BODY[] {10}\r\n', body, ')');
    const message = parseFetchResponse(raw)!;
    expect(message).toMatchObject({ sequence: 12, uid: 345, flags: ['\\Seen', '$Label1'] });
    expect(message.internalDate!.toISOString()).toBe('1996-07-07T09:44:25.000Z');
    expect(Buffer.compare(message.body!, body)).toBe(0);
    expect(message.body!.buffer).toBe(raw.buffer);
  });

  it('reads header fields whatever the item order and the section spelling, and skips what it does not use', () => {
    const headers = 'Message-ID: <a@b>\r\n\r\n';
    const raw = bytes(
      `* 3 FETCH (MODSEQ (17) RFC822.SIZE 2048 BODY[HEADER.FIELDS (MESSAGE-ID "DATE")] {${headers.length}}\r\n${headers} ENVELOPE ("date" NIL (("A" NIL "a" "b")) {2}\r\n() NIL) UID 9 FLAGS ())`,
    );
    const message = parseFetchResponse(raw)!;
    expect(message).toMatchObject({ sequence: 3, uid: 9, size: 2048, flags: [] });
    expect(message.headerFields!.toString()).toBe(headers);
  });

  it('accepts a quoted or NIL body, a partial origin and lower-case names', () => {
    expect(parseFetchResponse(bytes('* 1 fetch (uid 4 body[] "a \\"q\\" \\\\ b")'))!.body!.toString()).toBe('a "q" \\ b');
    expect(parseFetchResponse(bytes('* 1 FETCH (UID 4 BODY[]<0> NIL)'))!.body!.length).toBe(0);
  });

  it('returns undefined for other responses and a clear error for a FETCH it cannot read', () => {
    expect(parseFetchResponse(bytes('* 4 EXISTS'))).toBeUndefined();
    expect(parseFetchResponse(bytes('* OK [UIDVALIDITY 3] ok'))).toBeUndefined();
    expect(() => parseFetchResponse(bytes('* 1 FETCH (UID 4 BODY[] {99}\r\nshort)'))).toThrow(ImapSyntaxError);
    expect(() => parseFetchResponse(bytes('* 1 FETCH (UID 4 FLAGS (\\Seen'))).toThrow(/ends before its closing parenthesis/);
    expect(() => parseFetchResponse(bytes('* 1 FETCH (UID x)'))).toThrow(/expected a number/);
    expect(() => parseFetchResponse(bytes('* 1 FETCH (UID 4 RFC822.SIZE "12k")'))).toThrow(/expected a number/);
  });

  it('is liberal where real servers deviate: NIL, quoted numbers, FLAGS after the body, spaces, a missing last parenthesis', () => {
    const body = 'Subject: x\r\n\r\nbody\r\n';
    // Courier: FLAGS after the body literal, INTERNALDATE's day padded with a space.
    const courier = parseFetchResponse(bytes(`* 2 FETCH (UID 8 INTERNALDATE " 7-Mar-2024 08:09:10 +0000" BODY[] {${body.length}}\r\n${body} FLAGS (\\Seen Work))`))!;
    expect(courier).toMatchObject({ uid: 8, flags: ['\\Seen', 'Work'] });
    expect(courier.internalDate!.toISOString()).toBe('2024-03-07T08:09:10.000Z');
    expect(courier.body!.toString()).toBe(body);
    // NIL where a number, a list or a string belongs; a size in quotes; doubled spaces.
    expect(parseFetchResponse(bytes('* 3 FETCH (UID 9 RFC822.SIZE NIL FLAGS NIL INTERNALDATE NIL BODY[HEADER.FIELDS (MESSAGE-ID)] NIL)'))).toMatchObject({
      uid: 9,
      size: undefined,
      flags: [],
      internalDate: undefined,
      headerFields: Buffer.alloc(0),
    });
    expect(parseFetchResponse(bytes('* 3 FETCH (UID  9  RFC822.SIZE "1234")'))).toMatchObject({ uid: 9, size: 1234 });
    expect(parseFetchResponse(bytes('* 3 FETCH (UID 9 FLAGS (\\Seen)'))).toMatchObject({ uid: 9, flags: ['\\Seen'] });
    // A date that does not parse is kept as text (the copier falls back to the Date header), not a failure.
    expect(parseFetchResponse(bytes('* 1 FETCH (UID 5 INTERNALDATE "yesterday")'))).toMatchObject({ uid: 5, internalDate: undefined, internalDateText: 'yesterday' });
  });
});

describe('parseInternalDate', () => {
  it('applies the zone offset to the second', () => {
    expect(parseInternalDate('01-Jan-2024 00:30:00 +0100')!.toISOString()).toBe('2023-12-31T23:30:00.000Z');
    expect(parseInternalDate('31-Dec-2023 23:59:59 -0000')!.toISOString()).toBe('2023-12-31T23:59:59.000Z');
    expect(parseInternalDate('1-feb-2020 10:00:00 +0530')!.toISOString()).toBe('2020-02-01T04:30:00.000Z');
    expect(parseInternalDate('01-Foo-2024 00:00:00 +0000')).toBeUndefined();
    expect(parseInternalDate('2024-01-01T00:00:00Z')).toBeUndefined();
  });

  it('reads the forms servers really send: space-padded or unpadded day, extra spaces, no zone', () => {
    expect(parseInternalDate(' 7-Jul-1996 02:44:25 -0700')!.toISOString()).toBe('1996-07-07T09:44:25.000Z');
    expect(parseInternalDate('7-Jul-1996 02:44:25 -0700')!.toISOString()).toBe('1996-07-07T09:44:25.000Z');
    expect(parseInternalDate('07-Jul-1996  2:44:25  -0700')!.toISOString()).toBe('1996-07-07T09:44:25.000Z');
    expect(parseInternalDate('07-Jul-1996 02:44:25')!.toISOString()).toBe('1996-07-07T02:44:25.000Z');
  });
});
