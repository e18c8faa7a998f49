import { describe, expect, it } from 'vitest';
import { ResponseReader } from '../../../src/imap/wire/response-reader.js';
import { parseAppendUids, parseResponse } from '../../../src/imap/wire/imap-response.js';
import { flagList, formatInternalDate, mailboxArgument } from '../../../src/imap/wire/imap-syntax.js';
import { classifyRefusal } from '../../../src/imap/append/append-refusal.js';
import { chooseAppendMode } from '../../../src/imap/append/append-mode.js';
import { ByteBudget } from '../../../src/imap/append/byte-budget.js';

describe('ResponseReader', () => {
  const stream = Buffer.from('* OK hi\r\n* 1 FETCH (BODY[] {9}\r\nA1 OK x\r\n)\r\n+ go\r\nA1 OK [APPENDUID 3 4] done\r\n');
  const expected = ['* OK hi', '* 1 FETCH (BODY[] {9}\r\nA1 OK x\r\n)', '+ go', 'A1 OK [APPENDUID 3 4] done'];

  /** Feeds `bytes` in chunks of `size` through one reused chunk buffer, as the socket does. */
  function frame(reader: ResponseReader, bytes: Buffer, size: number): string[] {
    const out: string[] = [];
    const chunk = Buffer.alloc(size);
    for (let i = 0; i < bytes.length; i += size) {
      const length = bytes.copy(chunk, 0, i, Math.min(bytes.length, i + size));
      reader.push(chunk.subarray(0, length), (raw) => out.push(raw.toString('latin1')));
      chunk.fill(0x21);
    }
    return out;
  }

  it('frames responses, literals included, however the bytes are chunked', () => {
    for (const size of [1, 2, 3, 7, stream.length]) {
      const reader = new ResponseReader();
      expect(frame(reader, stream, size)).toEqual(expected);
      expect(reader.buffered).toBe(0);
    }
  });

  it('grows for a literal bigger than its buffer and keeps every byte', () => {
    const body = Buffer.alloc(5000);
    for (let i = 0; i < body.length; i++) body[i] = (i * 7) % 256;
    const stream = Buffer.concat([Buffer.from(`* 1 FETCH (UID 1 BODY[] {${body.length}}\r\n`), body, Buffer.from(')\r\n* 2 EXISTS\r\n')]);
    const reader = new ResponseReader(1_000_000, 100);
    const out: Buffer[] = [];
    const chunk = Buffer.alloc(64);
    for (let i = 0; i < stream.length; i += 64) {
      const length = stream.copy(chunk, 0, i, Math.min(stream.length, i + 64));
      reader.push(chunk.subarray(0, length), (raw) => out.push(Buffer.from(raw)));
    }
    expect(out.map((raw) => raw.length)).toEqual([stream.length - '\r\n* 2 EXISTS\r\n'.length, '* 2 EXISTS'.length]);
    expect(out[0]!.subarray(out[0]!.indexOf('\r\n') + 2, -1).equals(body)).toBe(true);
    expect(reader.buffered).toBe(0);
  });

  it('refuses a response that never ends, and a literal bigger than the limit', () => {
    expect(() => new ResponseReader(10).push(Buffer.from('* OK 0123456789abcdef'), () => undefined)).toThrow(/longer than 10 bytes/);
    expect(() => new ResponseReader(100).push(Buffer.from('* 1 FETCH (BODY[] {101}\r\n'), () => undefined)).toThrow(/101-byte literal/);
  });
});

describe('response parsing', () => {
  it('reads tag, status, code and text', () => {
    const parse = (line: string) => parseResponse(Buffer.from(line));
    expect(parse('A12 NO [OVERQUOTA] Quota exceeded')).toEqual({ kind: 'tagged', tag: 'A12', status: 'NO', code: 'OVERQUOTA', text: 'Quota exceeded' });
    expect(parse('* BYE Logging out')).toEqual({ kind: 'untagged', status: 'BYE', text: 'Logging out' });
    expect(parse('* CAPABILITY IMAP4rev1 LITERAL+')).toMatchObject({ kind: 'untagged', status: 'CAPABILITY', text: 'CAPABILITY IMAP4rev1 LITERAL+' });
    expect(parse('+ ')).toEqual({ kind: 'continuation', text: '' });
  });

  it('decodes only the first line as text: a literal that follows stays bytes', () => {
    const raw = Buffer.concat([Buffer.from('* 1 FETCH (BODY[] {4}\r\n'), Buffer.from([0xff, 0xfe, 0x0d, 0x0a]), Buffer.from(')')]);
    expect(parseResponse(raw).text).toBe('1 FETCH (BODY[] {4}');
  });

  it('maps APPENDUID sets onto the appended messages in order', () => {
    expect(parseAppendUids('APPENDUID 1 7', 1)).toEqual([7]);
    expect(parseAppendUids('APPENDUID 1 4:6,9', 4)).toEqual([4, 5, 6, 9]);
    expect(parseAppendUids('appenduid 1 6:4', 3)).toEqual([6, 5, 4]);
    expect(parseAppendUids('APPENDUID 1 4:6', 2)).toBeUndefined();
    expect(parseAppendUids('APPENDUID 1 4:9999999', 2)).toBeUndefined();
    expect(parseAppendUids('TRYCREATE', 1)).toBeUndefined();
    expect(parseAppendUids(undefined, 1)).toBeUndefined();
  });
});

describe('APPEND arguments', () => {
  it('formats INTERNALDATE in UTC with a fixed-width day', () => {
    expect(formatInternalDate(new Date('2021-03-04T05:06:07Z'))).toBe('"04-Mar-2021 05:06:07 +0000"');
    expect(formatInternalDate(new Date('1999-12-31T23:59:59-05:00'))).toBe('"01-Jan-2000 04:59:59 +0000"');
  });

  it('quotes mailbox names in modified UTF-7', () => {
    expect(mailboxArgument('INBOX')).toBe('"INBOX"');
    expect(mailboxArgument('Éléments envoyés')).toBe('"&AMk-l&AOk-ments envoy&AOk-s"');
    expect(mailboxArgument('a "b" \\ c & d')).toBe('"a \\"b\\" \\\\ c &- d"');
    expect(() => mailboxArgument('a\r\nb')).toThrow(/line break/);
  });

  it('normalises system flags, keeps keywords, drops \\Recent, refuses non-atoms', () => {
    expect(flagList(['\\seen', '\\FLAGGED', 'Work', '$Forwarded', '\\Recent', '\\Seen'])).toEqual({ list: '(\\Seen \\Flagged Work $Forwarded)' });
    expect(flagList([])).toEqual({ list: '()' });
    expect(flagList(['two words'])).toEqual({ invalid: 'two words' });
    expect(flagList(['bad]'])).toEqual({ invalid: 'bad]' });
    expect(flagList(['clé'])).toEqual({ invalid: 'clé' });
  });
});

describe('refusal classification', () => {
  const refusal = (line: string) => classifyRefusal(parseResponse(Buffer.from(line)));
  it('tells quota, size, missing mailbox, transient and other refusals apart', () => {
    expect(refusal('A1 NO [OVERQUOTA] Quota exceeded (mailbox for user is full)')).toMatchObject({ code: 'OVERQUOTA', permanent: true, scope: 'message' });
    expect(refusal('A1 NO Quota exceeded')).toMatchObject({ code: 'OVERQUOTA', reason: 'over quota: NO Quota exceeded' });
    expect(refusal('A1 NO [LIMIT] Mail size is larger than the maximum size allowed by server configuration')).toMatchObject({ code: 'TOOBIG', permanent: true });
    expect(refusal('A1 NO [TRYCREATE] Mailbox does not exist')).toMatchObject({ code: 'TRYCREATE', permanent: false, scope: 'command' });
    expect(refusal('A1 NO [UNAVAILABLE] Try later')).toMatchObject({ permanent: false, scope: 'command' });
    expect(refusal('A1 BAD Command Argument Error. 11')).toMatchObject({ code: 'BAD', permanent: true, scope: 'message' });
  });
});

describe('mode choice', () => {
  const caps = (s: string) => new Set(s.split(' '));
  it('picks the best mode the capabilities allow', () => {
    expect(chooseAppendMode(caps('IMAP4rev1 MULTIAPPEND LITERAL+')).mode).toBe('multiappend');
    expect(chooseAppendMode(caps('IMAP4rev1 MULTIAPPEND')).mode).toBe('multiappend');
    expect(chooseAppendMode(caps('IMAP4rev1 LITERAL+')).mode).toBe('pipelined');
    expect(chooseAppendMode(caps('IMAP4rev1 LITERAL-')).literals(5000)).toBe(false);
    expect(chooseAppendMode(caps('IMAP4rev1 LITERAL-')).literals(4096)).toBe(true);
    expect(chooseAppendMode(caps('IMAP4rev1')).mode).toBe('plain');
    expect(chooseAppendMode(caps('IMAP4rev1 MULTIAPPEND LITERAL+'), 'plain').literals(1)).toBe(false);
    expect(() => chooseAppendMode(caps('IMAP4rev1 MULTIAPPEND'), 'pipelined')).toThrow(/LITERAL/);
  });
});

describe('ByteBudget', () => {
  it('admits in order up to the limit, lets an oversized item through alone, and fails waiters', async () => {
    const budget = new ByteBudget(10);
    await budget.acquire(6);
    const order: string[] = [];
    const a = budget.acquire(6).then(() => order.push('a'));
    const b = budget.acquire(1).then(() => order.push('b'));
    await Promise.resolve();
    expect(order).toEqual([]);
    budget.release(6);
    await Promise.all([a, b]);
    expect(order).toEqual(['a', 'b']);
    budget.release(7);
    await budget.acquire(50);
    expect(budget.peakInUse).toBe(50);
    const waiting = budget.acquire(1);
    budget.fail(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    await expect(budget.acquire(1)).rejects.toThrow('gone');
  });
});
