import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyMailbox, type ImapEndpoint } from '../../src/imap/index.js';
import { CyrusServer } from './servers/cyrus-server.js';
import { endpointOf, fingerprint, listFolders, PASSWORD, readFolder, seedMessages, startServer, textMessage, type StoredMessage } from './support.js';

/**
 * A real Cyrus IMAP 3.6 (Debian's cyrus-imapd, unpacked by .ci/run into a private prefix) as source and as
 * destination of a copy with a real Dovecot 2.3 on the other side: both sides read back with imapflow.
 * Cyrus's namespace is `INBOX.` with `.` (Dovecot's here: no prefix, `/`), it answers GETQUOTAROOT for a user
 * without a quota with `* QUOTA INBOX ()` and lists LOGINDISABLED after login.
 */

let cyrus: CyrusServer;
let dovecot: DovecotServer;
const DOVECOT_USER = 'dovecot-side@example.org';

/** ASCII headers: Cyrus rewrites 8-bit bytes in headers (munge8bit), so such a message could not land byte for byte. */
const drafts = () => [
  { raw: textMessage({ subject: 'same draft', id: false }), flags: ['\\Draft'] },
  { raw: textMessage({ subject: 'same draft', id: false }), flags: ['\\Draft'] },
  { raw: textMessage({ subject: 'other draft', id: false, bodyBytes: 5000 }), flags: ['\\Draft', '\\Seen'] },
];

beforeAll(async () => {
  [cyrus, dovecot] = await Promise.all([CyrusServer.start(), startServer({ separator: '/' }, [{ name: DOVECOT_USER }, { name: 'back-from-cyrus@example.org' }])]);
  await dovecot.seed(DOVECOT_USER, 'INBOX', seedMessages(25, 'inbox'));
  await dovecot.seed(DOVECOT_USER, 'Sent', seedMessages(4, 'sent'));
  await dovecot.seed(DOVECOT_USER, 'Drafts', drafts());
  await dovecot.seed(DOVECOT_USER, 'Projets/2024', seedMessages(3, 'projet', {}, 40_000));
  await dovecot.seed(DOVECOT_USER, 'Junk', seedMessages(1, 'junk'));
}, 120_000);
afterAll(async () => Promise.all([cyrus?.destroy(), dovecot?.destroy()]));

const onCyrus = (user: string): ImapEndpoint => ({ host: cyrus.host, port: cyrus.port, security: 'plain', user, password: PASSWORD });

/** Seeds a Cyrus account through IMAP (imapflow), creating the folders. */
async function seedCyrus(user: string, folders: Record<string, Array<{ raw: string; flags?: string[]; internalDate?: Date }>>): Promise<void> {
  const client = new ImapFlow({ host: cyrus.host, port: cyrus.port, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    for (const [folder, messages] of Object.entries(folders)) {
      if (folder !== 'INBOX') await client.mailboxCreate(folder).catch(() => undefined);
      for (const message of messages) await client.append(folder, message.raw, message.flags ?? [], message.internalDate ?? new Date('2024-02-03T04:05:06Z'));
    }
  } finally {
    await client.logout();
  }
}

describe('Cyrus IMAP', () => {
  it('as the destination: a copy from Dovecot lands identical in its INBOX. namespace, and a second run copies nothing', async () => {
    const user = 'cyrus-destination';
    const first = await copyMailbox({ from: endpointOf(dovecot, DOVECOT_USER), to: onCyrus(user) });
    expect({ failures: first.failures, mismatches: first.mismatches, folderFailures: first.folderFailures }).toEqual({ failures: [], mismatches: [], folderFailures: [] });
    expect(first.report).toMatchObject({ ok: true, messages: { total: 36, copied: 36, failed: 0 } });
    const pairs = Object.fromEntries(first.report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toMatchObject({ INBOX: 'INBOX', Sent: 'INBOX.Sent', Drafts: 'INBOX.Drafts', Junk: 'INBOX.Junk', 'Projets/2024': 'INBOX.Projets.2024' });
    for (const [from, to] of Object.entries(pairs)) {
      expect({ folder: to, messages: fingerprint(await readFolder(cyrus, user, to)) }).toEqual({ folder: to, messages: fingerprint(await readFolder(dovecot, DOVECOT_USER, from)) });
    }
    // Its own special folders, not a second Sent beside them.
    const cyrusFolders = await listFolders(cyrus, user);
    expect(cyrusFolders.find((folder) => folder.path === 'INBOX.Sent')?.specialUse).toBe('\\Sent');
    expect(cyrusFolders.filter((folder) => /sent/i.test(folder.path))).toHaveLength(1);

    const second = await copyMailbox({ from: endpointOf(dovecot, DOVECOT_USER), to: onCyrus(user) });
    expect(second.report).toMatchObject({ ok: true, messages: { total: 36, copied: 0, skipped: 36, failed: 0 } });
    expect(await readFolder(cyrus, user, 'INBOX.Drafts')).toHaveLength(3);
  });

  it('as the source: a copy to Dovecot lands identical, special folders mapped, and a second run copies nothing', async () => {
    const user = 'cyrus-source';
    await seedCyrus(user, {
      INBOX: seedMessages(12, 'cyrus inbox').map((message) => ({ ...message, raw: String(message.raw) })),
      'INBOX.Sent': seedMessages(3, 'cyrus sent').map((message) => ({ ...message, raw: String(message.raw) })),
      'INBOX.Drafts': drafts(),
      'INBOX.Clients': [],
      'INBOX.Clients.Été': seedMessages(2, 'ete', { flags: ['\\Answered', '$Forwarded'] }).map((message) => ({ ...message, raw: String(message.raw) })),
    });
    const target = 'back-from-cyrus@example.org';
    const first = await copyMailbox({ from: onCyrus(user), to: endpointOf(dovecot, target) });
    expect({ failures: first.failures, mismatches: first.mismatches, folderFailures: first.folderFailures }).toEqual({ failures: [], mismatches: [], folderFailures: [] });
    expect(first.report).toMatchObject({ ok: true, messages: { total: 20, copied: 20, failed: 0 } });
    const pairs = Object.fromEntries(first.report.folders.map((folder) => [folder.from, folder.to]));
    expect(pairs).toMatchObject({ INBOX: 'INBOX', 'INBOX.Sent': 'Sent', 'INBOX.Drafts': 'Drafts', 'INBOX.Trash': 'Trash', 'INBOX.Clients.Été': 'Clients/Été' });
    const compare = async (from: string, to: string) => {
      const source: StoredMessage[] = await readFolder(cyrus, user, from);
      expect({ folder: from, messages: fingerprint(await readFolder(dovecot, target, to)) }).toEqual({ folder: from, messages: fingerprint(source) });
    };
    await compare('INBOX', 'INBOX');
    await compare('INBOX.Sent', 'Sent');
    await compare('INBOX.Drafts', 'Drafts');
    await compare('INBOX.Clients.Été', 'Clients/Été');

    const second = await copyMailbox({ from: onCyrus(user), to: endpointOf(dovecot, target) });
    expect(second.report).toMatchObject({ ok: true, messages: { total: 20, copied: 0, skipped: 20, failed: 0 } });
  });
});
