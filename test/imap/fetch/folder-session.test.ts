import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { FolderSession } from '../../../src/imap/fetch/folder-session.js';
import { ImapCommandFailed } from '../../../src/imap/wire/imap-errors.js';
import { endpointOf, readFolder, startServer, textMessage } from '../support.js';

const MiB = 1024 * 1024;
let server: DovecotServer;
const BIG = 60;

beforeAll(async () => {
  server = await startServer({ separator: '.', prefix: 'INBOX.' }, [{ name: 'reader' }]);
  await server.seed('reader', 'INBOX', [
    { raw: textMessage({ subject: 'one', id: 'one' }), flags: ['\\Seen', 'Work'], internalDate: new Date('2021-03-04T05:06:07Z') },
    { raw: textMessage({ subject: 'two', id: false }), flags: [] },
    { raw: textMessage({ subject: 'three', id: 'three' }), flags: ['\\Flagged'] },
  ]);
  await server.seed('reader', 'INBOX.Été', Array.from({ length: BIG }, (_, i) => ({ raw: textMessage({ subject: `big ${i}`, bodyBytes: MiB }) })));
});

afterAll(async () => {
  await server?.destroy();
});

describe('FolderSession against Dovecot', () => {
  it('selects a folder, streams its messages with exact bytes, dates and flags, and replaces flags', async () => {
    const session = await FolderSession.open(endpointOf(server, 'reader'));
    try {
      const stored = await readFolder(server, 'reader', 'INBOX');
      await session.inFolder('INBOX', { readOnly: false }, async (folder) => {
        expect(folder.exists).toBe(3);
        expect(folder.uidValidity).toBeGreaterThan(0);
        expect(folder.permanentFlags).toEqual(expect.arrayContaining(['\\Seen', '\\Flagged', '\\*']));
        const fetched = [];
        for await (const message of session.fetch('1:*', 'UID FLAGS INTERNALDATE BODY.PEEK[]', (m) => m.body !== undefined)) {
          fetched.push({ uid: message.uid!, flags: message.flags!, date: message.internalDate!.toISOString(), body: message.body!.bytes });
        }
        expect(fetched.map((m) => m.uid)).toEqual(stored.map((m) => m.uid));
        fetched.forEach((message, i) => {
          expect(Buffer.compare(message.body, stored[i]!.raw)).toBe(0);
          expect(message.date).toBe(stored[i]!.internalDate);
          expect([...message.flags].sort()).toEqual(stored[i]!.flags);
        });
        expect(fetched[0]!.date).toBe('2021-03-04T05:06:07.000Z');
        await session.replaceFlags(`${stored[1]!.uid}`, '(\\Answered Later)');
      });
      expect((await readFolder(server, 'reader', 'INBOX'))[1]!.flags).toEqual(['Later', '\\Answered']);
    } finally {
      await session.close();
    }
  });

  it('stops reading the socket while the consumer is behind, so memory stays bounded', async () => {
    const session = await FolderSession.open(endpointOf(server, 'reader'));
    try {
      await session.inFolder('INBOX.Été', { readOnly: true }, async () => {
        global.gc?.();
        const before = process.memoryUsage().arrayBuffers;
        let peak = 0;
        let count = 0;
        for await (const message of session.fetch('1:*', 'UID BODY.PEEK[]', (m) => m.body !== undefined)) {
          if (count++ === 0) {
            // A consumer stuck on its first message: without backpressure all 60 MiB would arrive meanwhile.
            await new Promise((resolve) => setTimeout(resolve, 1500));
          }
          peak = Math.max(peak, process.memoryUsage().arrayBuffers - before);
          expect(message.body!.bytes.length).toBeGreaterThan(MiB);
        }
        expect(count).toBe(BIG);
        expect(peak).toBeLessThan(30 * MiB);
      });
    } finally {
      await session.close();
    }
  });

  it('gives lanes sharing the connection one folder at a time', async () => {
    const session = await FolderSession.open(endpointOf(server, 'reader'));
    try {
      const uidsOf = (path: string) =>
        session.inFolder(path, { readOnly: true }, async (folder) => {
          const uids: number[] = [];
          // Yield to the event loop between messages so the other lane gets every chance to interleave.
          for await (const message of session.fetch('1:*', 'UID RFC822.SIZE', (m) => m.size !== undefined)) {
            uids.push(message.uid!);
            await new Promise((resolve) => setImmediate(resolve));
          }
          return { exists: folder.exists, uids };
        });
      const [inbox, big, inboxAgain] = await Promise.all([uidsOf('INBOX'), uidsOf('INBOX.Été'), uidsOf('INBOX')]);
      expect(inbox.uids).toHaveLength(inbox.exists);
      expect(inbox.exists).toBe(3);
      expect(big.uids).toHaveLength(BIG);
      expect(inboxAgain).toEqual(inbox);
    } finally {
      await session.close();
    }
  });

  it('can stop a fetch early and go on using the connection; a refused command leaves it usable', async () => {
    const session = await FolderSession.open(endpointOf(server, 'reader'));
    try {
      await session.inFolder('INBOX.Été', { readOnly: true }, async () => {
        let taken = 0;
        for await (const message of session.fetch('1:*', 'UID BODY.PEEK[]', (m) => m.body !== undefined)) {
          expect(message.uid).toBeGreaterThan(0);
          if (++taken === 2) break;
        }
      });
      await expect(session.inFolder('Nowhere', { readOnly: true }, async () => undefined)).rejects.toBeInstanceOf(ImapCommandFailed);
      expect(session.usable).toBe(true);
      const counted = await session.inFolder('INBOX', { readOnly: true }, async (folder) => {
        const uids: number[] = [];
        for await (const message of session.fetch('1:*', 'UID RFC822.SIZE', (m) => m.size !== undefined)) uids.push(message.uid!);
        return { uids, exists: folder.exists };
      });
      expect(counted.uids).toHaveLength(counted.exists);
    } finally {
      await session.close();
    }
  });
});
