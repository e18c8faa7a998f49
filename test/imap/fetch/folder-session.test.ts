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
      const folder = await session.select('INBOX', { readOnly: false });
      expect(folder.exists).toBe(3);
      expect(folder.uidValidity).toBeGreaterThan(0);
      expect(folder.permanentFlags).toEqual(expect.arrayContaining(['\\Seen', '\\Flagged', '\\*']));

      const fetched = [];
      for await (const message of session.fetch('1:*', 'UID FLAGS INTERNALDATE BODY.PEEK[]', (m) => m.body !== undefined)) {
        fetched.push({ uid: message.uid!, flags: message.flags!, date: message.internalDate!.toISOString(), body: message.body!.bytes });
      }
      const stored = await readFolder(server, 'reader', 'INBOX');
      expect(fetched.map((m) => m.uid)).toEqual(stored.map((m) => m.uid));
      fetched.forEach((message, i) => {
        expect(Buffer.compare(message.body, stored[i]!.raw)).toBe(0);
        expect(message.date).toBe(stored[i]!.internalDate);
        expect([...message.flags].sort()).toEqual(stored[i]!.flags);
      });
      expect(fetched[0]!.date).toBe('2021-03-04T05:06:07.000Z');

      await session.replaceFlags(`${stored[1]!.uid}`, '(\\Answered Later)');
      expect((await readFolder(server, 'reader', 'INBOX'))[1]!.flags).toEqual(['Later', '\\Answered']);
    } finally {
      await session.close();
    }
  });

  it('stops reading the socket while the consumer is behind, so memory stays bounded', async () => {
    const session = await FolderSession.open(endpointOf(server, 'reader'));
    try {
      await session.select('INBOX.Été', { readOnly: true });
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
    } finally {
      await session.close();
    }
  });

  it('can stop a fetch early and go on using the connection; a refused command leaves it usable', async () => {
    const session = await FolderSession.open(endpointOf(server, 'reader'));
    try {
      await session.select('INBOX.Été', { readOnly: true });
      let taken = 0;
      for await (const message of session.fetch('1:*', 'UID BODY.PEEK[]', (m) => m.body !== undefined)) {
        expect(message.uid).toBeGreaterThan(0);
        if (++taken === 2) break;
      }
      await expect(session.select('Nowhere', { readOnly: true })).rejects.toBeInstanceOf(ImapCommandFailed);
      expect(session.usable).toBe(true);
      const folder = await session.select('INBOX', { readOnly: true });
      const uids: number[] = [];
      for await (const message of session.fetch('1:*', 'UID RFC822.SIZE', (m) => m.size !== undefined)) uids.push(message.uid!);
      expect(uids).toHaveLength(folder.exists);
    } finally {
      await session.close();
    }
  });
});
