import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { openAppendSession } from '../../../src/imap/append/open-append-session.js';
import type { AppendItem } from '../../../src/imap/append/append-session.js';
import { endpointOf, fetchAll, item, message } from './support.js';

const USER = 'modes@example.org';
const PASSWORD = 'pässword "1"';

/** Varied items: system flags, keywords, no flags, dates across zones and years, 8-bit and binary-ish bodies. */
function sample(prefix: string): AppendItem[] {
  return [
    item(`${prefix}-1`, { flags: ['\\Seen', '\\Flagged'], internalDate: new Date('2019-12-31T23:59:59Z') }),
    item(`${prefix}-2`, { flags: ['\\Answered', 'Work', '$Forwarded'], internalDate: new Date('2020-02-29T12:00:00Z') }),
    item(`${prefix}-3`, { flags: [], internalDate: new Date('2001-09-09T01:46:40Z') }),
    item(`${prefix}-4`, { raw: Buffer.concat([message(`${prefix}-4`, 10), Buffer.from('Grüße, 日本語 {42}\r\n{3+}\r\n* BYE not really\r\n', 'utf8')]), flags: ['\\Draft', '$label1'] }),
    item(`${prefix}-5`, { bodyBytes: 300_000, flags: ['\\Seen', '\\Deleted'], internalDate: new Date('2024-07-01T08:09:10Z') }),
  ];
}

describe.each([
  { mode: 'multiappend', hide: [] as string[] },
  { mode: 'pipelined', hide: ['MULTIAPPEND'] },
  { mode: 'plain', hide: ['MULTIAPPEND', 'LITERAL+'] },
] as const)('append in $mode mode', ({ mode, hide }) => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await DovecotServer.start({ hideCapabilities: [...hide], separator: '.', prefix: 'INBOX.' });
    await server.addUser(USER, { password: PASSWORD });
    await server.createFolder(USER, 'INBOX.Éléments envoyés');
    await server.createFolder(USER, 'INBOX.日本 "quoted" \\ back');
  });
  afterAll(async () => server?.destroy());

  it('chooses the mode from the capabilities and lands exact bytes, flags and dates', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD), { batchSize: 2 });
    expect(session.mode).toBe(mode);
    const items = sample(mode);
    const outcomes = await session.append('INBOX', items);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    const uids = outcomes.map((o) => (o.ok ? o.uid : undefined));
    expect(uids).toEqual([1, 2, 3, 4, 5]);
    await session.close();

    const landed = await fetchAll(server, USER, PASSWORD, 'INBOX');
    expect(landed).toHaveLength(items.length);
    landed.forEach((got, i) => {
      expect(got.raw.equals(items[i]!.raw)).toBe(true);
      expect(got.flags).toEqual([...items[i]!.flags].sort());
      expect(got.internalDate.toISOString()).toBe(items[i]!.internalDate.toISOString());
      expect(got.uid).toBe(uids[i]);
    });
  });

  it('encodes non-ASCII and quoted mailbox names, and keeps concurrent calls apart', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD), { batchSize: 3 });
    const sent = Array.from({ length: 7 }, (_, i) => item(`sent-${i}`));
    const odd = Array.from({ length: 4 }, (_, i) => item(`odd-${i}`, { flags: ['\\Seen'] }));
    const [a, b] = await Promise.all([session.append('INBOX.Éléments envoyés', sent), session.append('INBOX.日本 "quoted" \\ back', odd)]);
    expect([...a, ...b].every((o) => o.ok)).toBe(true);
    await session.close();
    expect((await fetchAll(server, USER, PASSWORD, 'INBOX.Éléments envoyés')).map((m) => m.raw.toString())).toEqual(sent.map((m) => m.raw.toString()));
    expect((await fetchAll(server, USER, PASSWORD, 'INBOX.日本 "quoted" \\ back')).map((m) => m.raw.toString())).toEqual(odd.map((m) => m.raw.toString()));
  });

  it('reports a missing mailbox per item without splitting, and keeps the session usable', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD));
    const outcomes = await session.append('INBOX.nope', [item('x1'), item('x2'), item('x3')]);
    expect(outcomes).toHaveLength(3);
    for (const outcome of outcomes) expect(outcome).toMatchObject({ ok: false, permanent: false, code: 'TRYCREATE' });
    expect(session.stats.commands).toBe(mode === 'multiappend' ? 1 : 3);
    const [ok] = await session.append('INBOX', [item('after-missing')]);
    expect(ok?.ok).toBe(true);
    await session.close();
  });
});
