import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import { parseStatusResponse } from '../../src/imap/listing/list-responses.js';
import { PASSWORD, endpointOf, fingerprint, readFolder, seedMessages, startServer, textMessage } from './support.js';

describe('STATUS responses', () => {
  it('give MESSAGES, UIDNEXT, UIDVALIDITY and HIGHESTMODSEQ (kept as text: it is 63-bit)', () => {
    expect(parseStatusResponse(Buffer.from('* STATUS "INBOX.Sent" (MESSAGES 3 UIDNEXT 9 UIDVALIDITY 1700000000 HIGHESTMODSEQ 9007199254740993)'))).toEqual({
      wireName: 'INBOX.Sent',
      messages: 3,
      uidNext: 9,
      uidValidity: 1700000000,
      highestModseq: '9007199254740993',
    });
    expect(parseStatusResponse(Buffer.from('* STATUS INBOX (MESSAGES 0)'))).toEqual({ wireName: 'INBOX', messages: 0 });
  });
});

/**
 * A pass that records the source folders' states lets the next one skip the folders still identical (no scan on
 * either side), and only those: a new message, an expunge or a flag change makes a folder scanned again.
 */
describe('copyMailbox with folder states', () => {
  let source: DovecotServer;
  let destination: DovecotServer;

  beforeAll(async () => {
    [source, destination] = await Promise.all([startServer({ separator: '/', prefix: '' }, [{ name: 'owner@a.example' }]), startServer({ separator: '/', prefix: '' }, [{ name: 'copy@b.example' }])]);
    await source.seed('owner@a.example', 'INBOX', seedMessages(8, 'inbox'));
    await source.seed('owner@a.example', 'Projects', seedMessages(5, 'project'));
    await source.seed('owner@a.example', 'Archive', seedMessages(4, 'archive'));
  });
  afterAll(async () => Promise.all([source?.destroy(), destination?.destroy()]));

  it('skips the unchanged folders and only them', async () => {
    const from = endpointOf(source, 'owner@a.example');
    const to = endpointOf(destination, 'copy@b.example');
    const first = await copyMailbox({ from, to, recordStates: true });
    expect(first.report.messages.copied).toBe(17);
    expect(first.sourceStates!.map((s) => s.path).sort()).toEqual(expect.arrayContaining(['Archive', 'INBOX', 'Projects']));

    const scanned: string[] = [];
    const idle = await copyMailbox({ from, to, recordStates: true, previous: first.sourceStates!, onProgress: (p) => p.phase === 'scanning' && p.folder && scanned.push(p.folder) });
    expect(scanned).toEqual([]);
    expect(idle.report).toMatchObject({ ok: true, messages: { total: 17, copied: 0, skipped: 17, failed: 0 } });

    // a message arrives in INBOX, one in Projects is flagged; Archive stays as it was
    const client = new ImapFlow({ host: source.host, port: source.port, secure: false, doSTARTTLS: false, auth: { user: 'owner@a.example', pass: PASSWORD }, logger: false });
    await client.connect();
    try {
      await client.append('INBOX', textMessage({ subject: 'new one' }));
      const lock = await client.getMailboxLock('Projects');
      try {
        await client.messageFlagsAdd('1', ['\\Flagged']);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
    const rescanned: string[] = [];
    const next = await copyMailbox({ from, to, recordStates: true, previous: idle.sourceStates!, onProgress: (p) => p.phase === 'scanning' && p.folder && rescanned.push(p.folder) });
    expect([...new Set(rescanned)].sort()).toEqual(['INBOX', 'Projects']);
    expect(next.report.messages).toMatchObject({ total: 18, copied: 1, failed: 0 });
    for (const folder of ['INBOX', 'Projects', 'Archive']) {
      expect(fingerprint(await readFolder(destination, 'copy@b.example', folder)), folder).toEqual(fingerprint(await readFolder(source, 'owner@a.example', folder)));
    }
  });
});
