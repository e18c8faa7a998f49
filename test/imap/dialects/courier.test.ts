import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { copyMailbox, type ImapEndpoint } from '../../../src/imap/index.js';
import { MemoryImapServer } from '../servers/memory-imap-server.js';
import { courier } from '../servers/dialects.js';
import { endpointOf, fingerprint, readFolder, seedMessages, startServer, textMessage, type StoredMessage } from '../support.js';

/** Courier-IMAP 5.0 on either side of a copy, against a real Dovecot on the other. */

const USER = 'courier-source@example.org';
let dovecot: DovecotServer;
let server: MemoryImapServer | undefined;

beforeAll(async () => {
  dovecot = await startServer({ separator: '/' }, [{ name: USER }, { name: 'from-courier@example.org' }, { name: 'from-courier-2@example.org' }]);
  await dovecot.seed(USER, 'INBOX', seedMessages(30, 'to courier'));
  await dovecot.seed(USER, 'Sent', seedMessages(5, 'sent'));
});
afterAll(async () => dovecot?.destroy());
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const at = (port: number): ImapEndpoint => ({ host: '127.0.0.1', port, security: 'plain', user: 'courier-user', password: 'pw' });

/** The messages of a Courier folder in the shape readFolder gives for Dovecot. */
function courierFolder(path: string): StoredMessage[] {
  return server!.messages(path).map((message) => ({
    uid: message.uid,
    raw: message.raw,
    flags: [...message.flags].sort(),
    internalDate: message.internalDate.toISOString(),
  }));
}

describe('Courier-IMAP as the destination', () => {
  for (const [what, quotaLine] of [
    ['`* QUOTA "ROOT"` without a resource list', '* QUOTA "ROOT"'],
    ['`* QUOTA "ROOT" ()`', '* QUOTA "ROOT" ()'],
  ] as const) {
    it(`copies everything for an account without a quota, answered ${what}, on one connection attempt per lane`, async () => {
      server = await MemoryImapServer.start(courier({ quotaLine }));
      const { report, failures } = await copyMailbox({ from: endpointOf(dovecot, USER), to: at(server.port), connections: 1, maxReconnects: 3 });
      expect(failures).toEqual([]);
      expect(report).toMatchObject({ ok: true, messages: { total: 35, copied: 35, failed: 0 } });
      expect(fingerprint(courierFolder('INBOX'))).toEqual(fingerprint(await readFolder(dovecot, USER, 'INBOX')));
      expect(fingerprint(courierFolder('INBOX.Sent'))).toEqual(fingerprint(await readFolder(dovecot, USER, 'Sent')));
      // Lane 0's source, its destination scan connection and its append session: nothing reconnected.
      expect(server.connections).toBe(2);
      expect(server.log.filter((command) => /^GETQUOTAROOT/i.test(command))).toHaveLength(1);

      const again = await copyMailbox({ from: endpointOf(dovecot, USER), to: at(server.port), connections: 1 });
      expect(again.report.messages).toEqual({ total: 35, copied: 0, skipped: 35, failed: 0 });
    });
  }
});

describe('Courier-IMAP as the source', () => {
  it('reads FLAGS written after the body and INTERNALDATE with a space-padded day', async () => {
    server = await MemoryImapServer.start(courier());
    server.add('INBOX', [
      { raw: textMessage({ subject: 'padded day', id: 'c1' }), flags: ['\\Seen', 'Work'], internalDate: new Date('2024-03-07T08:09:10Z') },
      { raw: textMessage({ subject: 'no id draft', id: false }), flags: ['\\Draft'], internalDate: new Date('2023-11-02T23:59:59Z') },
      { raw: textMessage({ subject: 'two-digit day', id: 'c3' }), flags: [], internalDate: new Date('2022-12-25T00:00:00Z') },
    ]);
    server.add('INBOX.Sent', [{ raw: textMessage({ subject: 'sent', id: 'c4' }), flags: ['\\Seen', '\\Answered'], internalDate: new Date('2021-01-01T12:00:00Z') }]);
    const { report } = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'from-courier@example.org'), connections: 1 });
    expect(report).toMatchObject({ ok: true, messages: { total: 4, copied: 4 } });
    expect(fingerprint(await readFolder(dovecot, 'from-courier@example.org', 'INBOX'))).toEqual(fingerprint(courierFolder('INBOX')));
    expect(fingerprint(await readFolder(dovecot, 'from-courier@example.org', 'Sent'))).toEqual(fingerprint(courierFolder('INBOX.Sent')));
    const again = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'from-courier@example.org'), connections: 1 });
    expect(again.report.messages).toEqual({ total: 4, copied: 0, skipped: 4, failed: 0 });
  });
});
