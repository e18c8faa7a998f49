import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { copyMailbox, type ImapEndpoint } from '../../../src/imap/index.js';
import { MemoryImapServer } from '../servers/memory-imap-server.js';
import { exchange2016 } from '../servers/dialects.js';
import { endpointOf, fingerprint, listFolders, readFolder, seedMessages, startServer, textMessage, type StoredMessage } from '../support.js';

/**
 * Exchange 2016's IMAP (Hosted Exchange, E-mail Pro) on either side of a copy, against a real Dovecot or a
 * second Exchange: what its IMAP lacks (MULTIAPPEND, CONDSTORE, SPECIAL-USE, keywords) and what it does
 * differently (estimated RFC822.SIZE, localised folder names, a BYE when a connection idles, a size limit).
 */

let dovecot: DovecotServer;
let exchange: MemoryImapServer | undefined;
let other: MemoryImapServer | undefined;
const SOURCE = 'dovecot-source@example.org';

/** Drafts without Message-ID, two of them identical: what Outlook leaves in "Brouillons". */
const drafts = () => [
  { raw: textMessage({ subject: 'brouillon sans identifiant', id: false, date: 'Tue, 02 Apr 2024 09:00:00 +0200' }), flags: ['\\Draft'] },
  { raw: textMessage({ subject: 'brouillon sans identifiant', id: false, date: 'Tue, 02 Apr 2024 09:00:00 +0200' }), flags: ['\\Draft'] },
  { raw: textMessage({ subject: 'autre brouillon', id: false, date: 'Wed, 03 Apr 2024 18:30:00 +0200', bodyBytes: 3000 }), flags: ['\\Draft', '\\Seen'] },
];

beforeAll(async () => {
  dovecot = await startServer({ separator: '/' }, [
    { name: SOURCE },
    { name: 'from-exchange@example.org' },
    { name: 'from-exchange-names@example.org' },
    { name: 'from-exchange-bye@example.org' },
  ]);
  await dovecot.seed(SOURCE, 'INBOX', [
    ...seedMessages(30, 'boîte de réception'),
    { raw: textMessage({ subject: 'accusé', id: 'mdn-1' }), flags: ['\\Seen', '$MDNSent', 'Projet-X'] },
  ]);
  await dovecot.seed(SOURCE, 'Sent', seedMessages(5, 'envoyé'));
  await dovecot.seed(SOURCE, 'Drafts', drafts());
  await dovecot.seed(SOURCE, 'Junk', seedMessages(2, 'pourriel'));
});
afterAll(async () => dovecot?.destroy());
afterEach(async () => {
  await Promise.all([exchange?.stop(), other?.stop()]);
  exchange = undefined;
  other = undefined;
});

const at = (server: MemoryImapServer): ImapEndpoint => ({ host: '127.0.0.1', port: server.port, security: 'plain', user: 'jean.dupont@example.org', password: 'pw' });

function exchangeFolder(server: MemoryImapServer, path: string): StoredMessage[] {
  return server.messages(path).map((message) => ({ uid: message.uid, raw: message.raw, flags: [...message.flags].sort(), internalDate: message.internalDate.toISOString() }));
}

/** A source Exchange mailbox in French, as Outlook leaves it. */
async function frenchExchangeSource(): Promise<MemoryImapServer> {
  const server = await MemoryImapServer.start(exchange2016({ language: 'fr' }));
  server.add('INBOX', seedMessages(20, 'reçu'));
  server.add('Éléments envoyés', seedMessages(4, 'envoyé'));
  server.add('Éléments supprimés', seedMessages(2, 'supprimé'));
  server.add('Courrier indésirable', seedMessages(2, 'indésirable'));
  server.add('Brouillons', drafts());
  server.add("Boîte d'envoi", [{ raw: textMessage({ subject: 'pas encore parti', id: 'outbox-1' }) }]);
  return server;
}

describe('Exchange 2016 as the source', () => {
  it('estimated RFC822.SIZE: messages without a Message-ID match their copy; a second run copies nothing, no duplicates', async () => {
    exchange = await frenchExchangeSource();
    const user = 'from-exchange@example.org';
    const first = await copyMailbox({ from: at(exchange), to: endpointOf(dovecot, user) });
    expect({ failures: first.failures, mismatches: first.mismatches, folderFailures: first.folderFailures }).toEqual({ failures: [], mismatches: [], folderFailures: [] });
    expect(first.report).toMatchObject({ ok: true, messages: { total: 32, copied: 32, failed: 0 } });
    // Bytes are those streamed, not the server's estimates.
    const exact = [...exchange.folders.values()].flatMap((folder) => folder.messages).reduce((sum, message) => sum + message.raw.length, 0);
    expect(first.report.bytes).toBe(exact);

    // Exchange estimates differently in the next session: the identities must not move with it.
    const second = await copyMailbox({ from: at(exchange), to: endpointOf(dovecot, user) });
    expect(second.report).toMatchObject({ ok: true, messages: { total: 32, copied: 0, skipped: 32, failed: 0 } });
    const landed = await readFolder(dovecot, user, 'Drafts');
    expect(landed).toHaveLength(3);
    expect(fingerprint(landed)).toEqual(fingerprint(exchangeFolder(exchange, 'Brouillons')));
  });

  it('maps the localised folder names (no SPECIAL-USE) onto the destination special folders; the outbox stays a folder of its own', async () => {
    exchange = await frenchExchangeSource();
    const user = 'from-exchange-names@example.org';
    const { report } = await copyMailbox({ from: at(exchange), to: endpointOf(dovecot, user) });
    const pairs = Object.fromEntries(report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toEqual({
      INBOX: 'INBOX',
      'Éléments envoyés': 'Sent',
      'Éléments supprimés': 'Trash',
      'Courrier indésirable': 'Junk',
      Brouillons: 'Drafts',
      "Boîte d'envoi": "Boîte d'envoi",
      Calendrier: 'Calendrier',
      Contacts: 'Contacts',
      Archive: 'Archive',
    });
    expect(fingerprint(await readFolder(dovecot, user, 'Sent'))).toEqual(fingerprint(exchangeFolder(exchange, 'Éléments envoyés')));
    expect(fingerprint(await readFolder(dovecot, user, 'Junk'))).toEqual(fingerprint(exchangeFolder(exchange, 'Courrier indésirable')));
    const paths = (await listFolders(dovecot, user)).map((folder) => folder.path);
    expect(paths).not.toContain('Éléments envoyés');
    expect(paths).not.toContain('Sent Items');
  });

  it('an English Exchange mailbox lands in the French one\'s own folders, outbox included', async () => {
    other = await MemoryImapServer.start(exchange2016({ language: 'en' }));
    other.add('Sent Items', seedMessages(3, 'sent'));
    other.add('Deleted Items', seedMessages(1, 'deleted'));
    other.add('Junk E-mail', seedMessages(1, 'junk'));
    other.add('Outbox', seedMessages(1, 'outbox'));
    exchange = await MemoryImapServer.start(exchange2016({ language: 'fr' }));
    const before = [...exchange.folders.keys()].sort();
    const { report } = await copyMailbox({ from: at(other), to: at(exchange) });
    expect(report.ok).toBe(true);
    const pairs = Object.fromEntries(report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toMatchObject({ 'Sent Items': 'Éléments envoyés', 'Deleted Items': 'Éléments supprimés', 'Junk E-mail': 'Courrier indésirable', Outbox: "Boîte d'envoi", Drafts: 'Brouillons' });
    expect(exchange.messages("Boîte d'envoi")).toHaveLength(1);
    expect(exchange.messages('Éléments envoyés')).toHaveLength(3);
    // Calendar, Contacts: Exchange folders of the other language come along under their own names; nothing else is new.
    expect([...exchange.folders.keys()].sort()).toEqual([...before, 'Calendar'].sort());
  });

  it('a BYE after an idle timeout in the middle of a FETCH: reconnects, resumes, every message once', async () => {
    exchange = await frenchExchangeSource();
    exchange.cutBodyFetch = { after: 7, line: '* BYE Connection is closed. 13' };
    const user = 'from-exchange-bye@example.org';
    const { report } = await copyMailbox({ from: at(exchange), to: endpointOf(dovecot, user), connections: 1, reconnectDelayMs: 0 });
    expect(exchange.cutBodyFetch).toBeUndefined();
    expect(report).toMatchObject({ ok: true, messages: { total: 32, copied: 32, failed: 0 } });
    expect(fingerprint(await readFolder(dovecot, user, 'INBOX'))).toEqual(fingerprint(exchangeFolder(exchange, 'INBOX')));
    expect(fingerprint(await readFolder(dovecot, user, 'Drafts'))).toEqual(fingerprint(exchangeFolder(exchange, 'Brouillons')));
  });
});

describe('Exchange 2016 as the destination', () => {
  it('single pipelined APPENDs, nothing of CONDSTORE, keywords it cannot keep dropped and counted, estimated sizes: a second run copies nothing', async () => {
    exchange = await MemoryImapServer.start(exchange2016({ language: 'fr' }));
    const first = await copyMailbox({ from: endpointOf(dovecot, SOURCE), to: at(exchange) });
    expect(first.failures).toEqual([]);
    expect(first.report).toMatchObject({ ok: true, messages: { total: 41, copied: 41, failed: 0 } });
    // Its own special folders, found by name; no English twin created.
    const pairs = Object.fromEntries(first.report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toMatchObject({ INBOX: 'INBOX', Sent: 'Éléments envoyés', Drafts: 'Brouillons', Junk: 'Courrier indésirable' });
    expect(exchange.folders.has('Sent')).toBe(false);

    // No MULTIAPPEND: one message per APPEND, each literal non-synchronising (LITERAL+), so they are pipelined.
    const appends = exchange.received.filter((command) => /^APPEND /i.test(command.text));
    expect(appends).toHaveLength(41);
    expect(appends.every((command) => command.literals.length === 1 && command.announcements[0]!.endsWith('+'))).toBe(true);
    // No CONDSTORE: nothing asks for it.
    expect(exchange.log.filter((command) => /CONDSTORE|MODSEQ|CHANGEDSINCE|^ENABLE/i.test(command))).toEqual([]);

    // Keywords: only $MDNSent is kept (PERMANENTFLAGS has no \*); the others are dropped, counted, the messages copied.
    const seeded = await readFolder(dovecot, SOURCE, 'INBOX');
    const withWork = seeded.filter((message) => message.flags.includes('Work')).length;
    expect(withWork).toBeGreaterThan(0);
    expect(first.droppedFlags).toEqual(
      expect.arrayContaining([
        { folder: 'INBOX', flag: 'Work', messages: withWork },
        { folder: 'INBOX', flag: 'Projet-X', messages: 1 },
      ]),
    );
    expect(first.droppedFlags.some((dropped) => dropped.flag === '$MDNSent')).toBe(false);
    const keep = (message: StoredMessage) => ({ ...message, flags: message.flags.filter((flag) => flag.startsWith('\\') || flag === '$MDNSent') });
    expect(fingerprint(exchangeFolder(exchange, 'INBOX'))).toEqual(fingerprint(seeded.map(keep)));
    expect(exchange.messages('INBOX').find((message) => message.flags.includes('$MDNSent'))).toBeDefined();

    const second = await copyMailbox({ from: endpointOf(dovecot, SOURCE), to: at(exchange) });
    expect(second.report).toMatchObject({ ok: true, messages: { total: 41, copied: 0, skipped: 41, failed: 0 } });
    expect(exchange.messages('Brouillons')).toHaveLength(3);
    expect(exchange.messages('INBOX')).toHaveLength(31);
    // Still said on the next run: those keywords are not at the destination.
    expect(second.droppedFlags).toEqual(expect.arrayContaining([{ folder: 'INBOX', flag: 'Work', messages: withWork }]));
  });

  it('a BYE after an idle timeout mid-copy: reconnects, resumes, every message once', async () => {
    exchange = await MemoryImapServer.start(exchange2016({ language: 'fr' }));
    let appends = 0;
    exchange.intercept = (command, socket) => {
      if (!/^APPEND /i.test(command.text) || ++appends !== 12) return false;
      socket.end('* BYE Connection is closed. 13\r\n');
      return true;
    };
    const { report } = await copyMailbox({ from: endpointOf(dovecot, SOURCE), to: at(exchange), connections: 1, reconnectDelayMs: 0 });
    expect(appends).toBeGreaterThan(12);
    expect(report).toMatchObject({ ok: true, messages: { total: 41, copied: 41, failed: 0 } });
    expect(exchange.messages('INBOX')).toHaveLength(31);
    expect(exchange.messages('Brouillons')).toHaveLength(3);
    expect(new Set(exchange.messages('INBOX').map((message) => message.raw.toString())).size).toBe(31);
  });

  it('a message over its size limit is reported for that message; the rest is copied', async () => {
    exchange = await MemoryImapServer.start(exchange2016({ language: 'fr', maxMessageBytes: 50_000 }));
    other = await MemoryImapServer.start(exchange2016({ language: 'en' }));
    other.add('INBOX', [...seedMessages(3, 'small'), { raw: textMessage({ subject: 'too big', id: 'big-1', bodyBytes: 80_000 }) }, ...seedMessages(2, 'small after')]);
    const { report, failures, mismatches } = await copyMailbox({ from: at(other), to: at(exchange) });
    expect(failures).toEqual([{ folder: 'INBOX', uid: 4, reason: 'too big: NO [ALERT] The message exceeds the maximum message size allowed. APPEND failed.' }]);
    expect(mismatches).toEqual([{ folder: 'INBOX', missing: 1, missingUids: [4] }]);
    expect(report.ok).toBe(false);
    expect(report.folders.find((folder) => folder.from === 'INBOX')).toMatchObject({ total: 6, copied: 5, failed: 1 });
    expect(exchange.messages('INBOX').map((message) => /Subject: (.*)/.exec(message.raw.toString())![1]).sort()).toEqual(
      ['small 0', 'small 1', 'small 2', 'small after 0', 'small after 1'].sort(),
    );
  });
});
