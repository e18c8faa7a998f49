import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { openAppendSession } from '../../../src/imap/append/open-append-session.js';
import { endpointOf, fetchAll, item } from './support.js';

const PASSWORD = 'secret';

describe('messages the server refuses', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await DovecotServer.start({ maxMessageBytes: 20_000 });
    await server.addUser('big@example.org', { password: PASSWORD });
    await server.addUser('quota@example.org', { password: PASSWORD, quotaBytes: 60_000 });
  });
  afterAll(async () => server?.destroy());

  it.each(['multiappend', 'pipelined', 'plain'] as const)(
    'isolates an over-size message inside a batch (%s): the others land exactly once',
    async (mode) => {
      const user = 'big@example.org';
      const mailbox = `big-${mode}`;
      await server.createFolder(user, mailbox);
      const session = await openAppendSession(endpointOf(server, user, PASSWORD), { mode, batchSize: 10 });
      const items = Array.from({ length: 10 }, (_, i) => item(`${mode}-${i}`, { bodyBytes: i === 6 ? 50_000 : 500 }));
      const outcomes = await session.append(mailbox, items);
      await session.close();
      outcomes.forEach((outcome, i) => {
        if (i === 6) expect(outcome).toMatchObject({ ok: false, permanent: true, code: 'TOOBIG' });
        else expect(outcome.ok).toBe(true);
      });
      const bad = outcomes[6]!;
      expect(!bad.ok && bad.reason).toMatch(/^too big: NO .*size/i);
      const landed = await fetchAll(server, user, PASSWORD, mailbox);
      const expected = items.filter((_, i) => i !== 6).map((m) => m.raw.toString());
      expect(landed.map((m) => m.raw.toString()).sort()).toEqual([...expected].sort());
      if (mode === 'multiappend') {
        // 10 -> 5+5; 5 -> 3+2; 3 -> 2+1; 2 -> 1+1: 1 + 2 + 2 + 2 + 2 commands.
        expect(session.stats.commands).toBeLessThanOrEqual(9);
      }
    },
  );

  it('reports over-quota messages as permanent OVERQUOTA, after landing what fits', async () => {
    const user = 'quota@example.org';
    const session = await openAppendSession(endpointOf(server, user, PASSWORD), { batchSize: 50 });
    const items = Array.from({ length: 12 }, (_, i) => item(`q-${i}`, { bodyBytes: 9_000 }));
    const outcomes = await session.append('INBOX', items);
    // Once a message alone is over quota, a further refused batch is not split message by message.
    const before = session.stats.commands;
    const more = await session.append('INBOX', Array.from({ length: 20 }, (_, i) => item(`more-${i}`, { bodyBytes: 9_000 })));
    expect(more.every((o) => !o.ok && o.code === 'OVERQUOTA')).toBe(true);
    expect(session.stats.commands - before).toBe(1);
    await session.close();
    const landed = outcomes.filter((o) => o.ok).length;
    expect(landed).toBeGreaterThanOrEqual(5);
    expect(landed).toBeLessThan(12);
    const refused = outcomes.filter((o) => !o.ok);
    for (const outcome of refused) expect(outcome).toMatchObject({ ok: false, permanent: true, code: 'OVERQUOTA' });
    expect(!refused[0]!.ok && refused[0]!.reason).toMatch(/^over quota: NO \[OVERQUOTA\] Quota exceeded/);
    expect((await fetchAll(server, user, PASSWORD, 'INBOX')).length).toBe(landed);
  });
});
