import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { copyMailbox, planCopy, type ImapEndpoint } from '../../../src/imap/index.js';
import { MemoryImapServer } from '../servers/memory-imap-server.js';
import { gmail } from '../servers/dialects.js';
import { endpointOf, fingerprint, readFolder, seedMessages, startServer, textMessage, type StoredMessage } from '../support.js';

/** Gmail's IMAP on either side of a copy, against a real Dovecot. */

let dovecot: DovecotServer;
let server: MemoryImapServer | undefined;
const SOURCE = 'to-gmail@example.org';

beforeAll(async () => {
  dovecot = await startServer({ separator: '/' }, [{ name: SOURCE }, { name: 'from-gmail@example.org' }]);
  await dovecot.seed(SOURCE, 'INBOX', [...seedMessages(10, 'small'), ...seedMessages(3, 'large', {}, 20_000)]);
  await dovecot.seed(SOURCE, 'Sent', seedMessages(3, 'sent'));
  await dovecot.seed(SOURCE, 'Junk', seedMessages(1, 'junk'));
  await dovecot.seed(SOURCE, 'Drafts', [{ raw: textMessage({ subject: 'draft', id: false }), flags: ['\\Draft'] }]);
});
afterAll(async () => dovecot?.destroy());
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const at = (port: number): ImapEndpoint => ({ host: '127.0.0.1', port, security: 'plain', user: 'someone@gmail.example', password: 'app-password' });

function gmailFolder(path: string): StoredMessage[] {
  return server!.messages(path).map((message) => ({ uid: message.uid, raw: message.raw, flags: [...message.flags].sort(), internalDate: message.internalDate.toISOString() }));
}

describe('Gmail as the destination', () => {
  it('maps onto [Gmail]/ special folders, sends literals over 4096 bytes synchronising (LITERAL-), reads its quota; a second run copies nothing', async () => {
    server = await MemoryImapServer.start(gmail());
    const first = await copyMailbox({ from: endpointOf(dovecot, SOURCE), to: at(server.port) });
    expect(first.failures).toEqual([]);
    expect(first.report).toMatchObject({ ok: true, messages: { total: 18, copied: 18, failed: 0 } });
    const pairs = Object.fromEntries(first.report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toMatchObject({ INBOX: 'INBOX', Sent: '[Gmail]/Sent Mail', Junk: '[Gmail]/Spam', Drafts: '[Gmail]/Drafts', Trash: '[Gmail]/Trash' });
    expect(fingerprint(gmailFolder('INBOX'))).toEqual(fingerprint(await readFolder(dovecot, SOURCE, 'INBOX')));
    expect(fingerprint(gmailFolder('[Gmail]/Sent Mail'))).toEqual(fingerprint(await readFolder(dovecot, SOURCE, 'Sent')));
    // LITERAL-: non-synchronising up to 4096 bytes only; no MULTIAPPEND: one message per APPEND.
    const appends = server.received.filter((command) => /^APPEND /i.test(command.text));
    expect(appends).toHaveLength(18);
    for (const command of appends) {
      expect(command.literals).toHaveLength(1);
      expect(command.announcements[0]).toBe(command.literals[0]!.length <= 4096 ? `${command.literals[0]!.length}+` : `${command.literals[0]!.length}`);
    }
    expect(appends.some((command) => !command.announcements[0]!.endsWith('+'))).toBe(true);

    const second = await copyMailbox({ from: endpointOf(dovecot, SOURCE), to: at(server.port) });
    expect(second.report.messages).toEqual({ total: 18, copied: 0, skipped: 18, failed: 0 });
    // `* QUOTAROOT "INBOX" ""` then `* QUOTA "" (STORAGE 434 15728640)`, in KiB.
    expect((await planCopy({ from: endpointOf(dovecot, SOURCE), to: at(server.port) })).quota).toEqual({ usage: 434 * 1024, limit: 15728640 * 1024 });
  });

  it('refuses, without sending it, a message over its APPENDLIMIT; the rest is copied', async () => {
    server = await MemoryImapServer.start(gmail({ appendLimit: 10_000 }));
    const { report, failures } = await copyMailbox({ from: endpointOf(dovecot, SOURCE), to: at(server.port), exclude: /^(Sent|Junk|Drafts)$/ });
    expect(failures.map((failure) => failure.reason)).toEqual(Array(3).fill(expect.stringMatching(/^too big: \d+ bytes, over the server's APPENDLIMIT of 10000 \(not sent\)$/)));
    expect(report.folders.find((folder) => folder.from === 'INBOX')).toMatchObject({ total: 13, copied: 10, failed: 3 });
    expect(server.received.filter((command) => /^APPEND /i.test(command.text) && command.literals[0]!.length > 10_000)).toEqual([]);
  });
});

describe('Gmail as the source', () => {
  it('reads XLIST/SPECIAL-USE attributes, skips the \\Noselect [Gmail] parent, and copies every message once', async () => {
    server = await MemoryImapServer.start(gmail());
    server.add('INBOX', seedMessages(6, 'reçu'));
    server.add('[Gmail]/Sent Mail', seedMessages(2, 'envoyé'));
    server.add('[Gmail]/Spam', seedMessages(1, 'spam'));
    server.add('[Gmail]/Drafts', [{ raw: textMessage({ subject: 'brouillon', id: false }), flags: ['\\Draft'] }]);
    server.add('Clients', seedMessages(2, 'label'));
    const user = 'from-gmail@example.org';
    const first = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, user) });
    expect(first.failures).toEqual([]);
    expect(first.report.ok).toBe(true);
    const pairs = Object.fromEntries(first.report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toMatchObject({ INBOX: 'INBOX', '[Gmail]/Sent Mail': 'Sent', '[Gmail]/Spam': 'Junk', '[Gmail]/Drafts': 'Drafts', '[Gmail]/Trash': 'Trash', Clients: 'Clients' });
    expect(pairs['[Gmail]']).toBeUndefined();
    expect(fingerprint(await readFolder(dovecot, user, 'Sent'))).toEqual(fingerprint(gmailFolder('[Gmail]/Sent Mail')));
    expect(fingerprint(await readFolder(dovecot, user, 'Drafts'))).toEqual(fingerprint(gmailFolder('[Gmail]/Drafts')));
    const second = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, user) });
    expect(second.report.messages).toMatchObject({ copied: 0, failed: 0 });
  });
});
