import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import { PASSWORD, endpointOf, fingerprint, readFolder, seedMessages, startServer, textMessage } from './support.js';

/**
 * `prune` (a staged copy before its cut-over): what left the source since it was copied (deleted, or moved to
 * another folder) is removed from the destination, by identity and multiplicity, and nothing else.
 */
describe('copyMailbox with prune', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  const draft = textMessage({ subject: 'same draft twice', id: false });

  beforeAll(async () => {
    [source, destination] = await Promise.all([startServer({ separator: '/', prefix: '' }, [{ name: 'owner@a.example' }]), startServer({ separator: '/', prefix: '' }, [{ name: 'staged@b.example' }])]);
    await source.seed('owner@a.example', 'INBOX', [...seedMessages(10, 'inbox'), { raw: draft, flags: ['\\Draft'] }, { raw: draft, flags: ['\\Draft'] }]);
    await source.seed('owner@a.example', 'Projects', seedMessages(3, 'project'));
  });
  afterAll(async () => Promise.all([source?.destroy(), destination?.destroy()]));

  it('removes what was deleted or moved at the source; without prune it stays', async () => {
    const from = endpointOf(source, 'owner@a.example');
    const to = endpointOf(destination, 'staged@b.example');
    expect((await copyMailbox({ from, to })).report.messages.copied).toBe(15);

    // the owner deletes two messages and one of the two identical drafts, and moves one to Projects
    const client = new ImapFlow({ host: source.host, port: source.port, secure: false, doSTARTTLS: false, auth: { user: 'owner@a.example', pass: PASSWORD }, logger: false });
    await client.connect();
    try {
      const lock = await client.getMailboxLock('INBOX');
      try {
        await client.messageDelete('1:2');
        await client.messageMove('1', 'Projects');
        await client.messageDelete(String((client.mailbox as { exists: number }).exists));
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }

    const kept = await copyMailbox({ from, to });
    expect(kept.removed).toBeUndefined();
    expect((await readFolder(destination, 'staged@b.example', 'INBOX')).length).toBe(12);

    const pruned = await copyMailbox({ from, to, prune: true });
    expect(pruned.removed).toBe(4);
    expect(pruned.report.ok).toBe(true);
    for (const folder of ['INBOX', 'Projects']) {
      expect(fingerprint(await readFolder(destination, 'staged@b.example', folder)), folder).toEqual(fingerprint(await readFolder(source, 'owner@a.example', folder)));
    }
    // one of the identical drafts is still there, as at the source
    expect((await readFolder(destination, 'staged@b.example', 'INBOX')).filter((m) => m.raw.toString().includes('same draft twice'))).toHaveLength(1);
    expect((await copyMailbox({ from, to, prune: true })).removed).toBe(0);
  });
});
