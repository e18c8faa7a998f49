import { getEventListeners } from 'node:events';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyMailbox, ImapConnectionLost, ImapResponseUnreadable, isRetryable, ReconnectBudgetExhausted, type ImapEndpoint } from '../../src/imap/index.js';
import { MemoryImapServer } from './servers/memory-imap-server.js';
import { plain } from './servers/dialects.js';
import { endpointOf, fingerprint, readFolder, seedMessages, startServer, textMessage, type StoredMessage } from './support.js';

/**
 * The copier's error model, end to end: a lost connection is reopened and the copy resumes; a response we
 * cannot read stops the copy at once (retryable false, the server's line and the command named, no reconnect
 * loop); a refusal (NO/BAD) is reported for its folder while the others are copied.
 */

let dovecot: DovecotServer;
let server: MemoryImapServer | undefined;

beforeAll(async () => {
  dovecot = await startServer({ separator: '/' }, [
    { name: 'errors-source@example.org' },
    { name: 'leak@example.org' },
    { name: 'noise@example.org' },
    { name: 'refused-source@example.org' },
  ]);
  await dovecot.seed('errors-source@example.org', 'INBOX', seedMessages(12, 'inbox'));
  await dovecot.seed('errors-source@example.org', 'Projets', seedMessages(3, 'projet'));
  await dovecot.seed('errors-source@example.org', 'Secret', seedMessages(4, 'secret'));
});
afterAll(async () => dovecot?.destroy());
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

const at = (port: number): ImapEndpoint => ({ host: '127.0.0.1', port, security: 'plain', user: 'u', password: 'p' });
const failure = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

function memoryFolder(path: string): StoredMessage[] {
  return server!.messages(path).map((message) => ({ uid: message.uid, raw: message.raw, flags: [...message.flags].sort(), internalDate: message.internalDate.toISOString() }));
}

describe('a response the copier cannot read', () => {
  it('stops the copy at once on an unreadable LIST line: the command and the line named, not retryable, no reconnection', async () => {
    server = await MemoryImapServer.start(plain());
    server.intercept = (command, socket) => {
      if (!/^LIST /i.test(command.text)) return false;
      socket.write(`* LIST (\\HasNoChildren "/" INBOX\r\n${command.tag} OK LIST completed\r\n`);
      return true;
    };
    const error = await failure(copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'errors-source@example.org'), connections: 1, maxReconnects: 3 }));
    expect(error).toBeInstanceOf(ImapResponseUnreadable);
    expect(error).not.toBeInstanceOf(ReconnectBudgetExhausted);
    expect((error as Error).message).toMatch(/^127\.0\.0\.1:\d+ answered LIST with a response this client cannot read \(the response ends before its closing parenthesis at byte \d+\): "\* LIST \(\\\\HasNoChildren \\"\/\\" INBOX"/);
    expect(isRetryable(error)).toBe(false);
    // One connection: nothing was reopened to read the same line again.
    expect(server.connections).toBe(1);
  });

  it('stops at once on an unreadable FETCH response, quoting the line (truncated, no message body)', async () => {
    server = await MemoryImapServer.start(plain());
    server.add('INBOX', seedMessages(3, 'fetch'));
    const longSubject = 'x'.repeat(400);
    server.intercept = (command, socket) => {
      if (!/^UID FETCH /i.test(command.text)) return false;
      socket.write(`* 1 FETCH (UID 1 RFC822.SIZE 12k FLAGS () X-NOTE "${longSubject}")\r\n${command.tag} OK FETCH completed\r\n`);
      return true;
    };
    const error = await failure(copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'errors-source@example.org'), connections: 1, maxReconnects: 3 }));
    expect(error).toBeInstanceOf(ImapResponseUnreadable);
    const message = (error as Error).message;
    expect(message).toMatch(/answered UID FETCH with a response this client cannot read \(expected a number at byte 29\): "\* 1 FETCH \(UID 1 RFC822\.SIZE 12k FLAGS \(\) X-NOTE \\"x+\.\.\."/);
    expect(message).not.toContain('x'.repeat(200));
    expect(isRetryable(error)).toBe(false);
    expect(server.connections).toBe(1);
  });
});

describe('a lost connection', () => {
  it('is reopened again and again without leaving an abort listener behind on the caller\'s signal', async () => {
    server = await MemoryImapServer.start(plain());
    server.add('INBOX', seedMessages(30, 'dropped'));
    const controller = new AbortController();
    const DROPS = 14;
    let drops = 0;
    const listenersSeen: number[] = [];
    server.intercept = (command, socket) => {
      if (!/^UID FETCH .*BODY\.PEEK\[\]/i.test(command.text) || drops >= DROPS) return false;
      drops++;
      listenersSeen.push(getEventListeners(controller.signal, 'abort').length);
      socket.destroy();
      return true;
    };
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const { report } = await copyMailbox({
        from: at(server.port),
        to: endpointOf(dovecot, 'leak@example.org'),
        connections: 1,
        maxReconnects: DROPS + 2,
        reconnectDelayMs: 0,
        signal: controller.signal,
      });
      expect(report).toMatchObject({ ok: true, messages: { total: 30, copied: 30, failed: 0 } });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(drops).toBe(DROPS);
    expect(fingerprint(await readFolder(dovecot, 'leak@example.org', 'INBOX'))).toEqual(fingerprint(memoryFolder('INBOX')));
    // The copy's own listener while it runs, none once it is over: nothing piles up per reconnection.
    expect(Math.max(...listenersSeen)).toBeLessThanOrEqual(1);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  });

  it('gives up after its reconnect budget, retryable, with the loss as the cause', async () => {
    server = await MemoryImapServer.start(plain());
    server.add('INBOX', seedMessages(3, 'always dropped'));
    server.intercept = (command, socket) => {
      if (!/^UID FETCH .*BODY\.PEEK\[\]/i.test(command.text)) return false;
      socket.destroy();
      return true;
    };
    const error = await failure(copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'leak@example.org'), connections: 1, maxReconnects: 3, reconnectDelayMs: 0, exclude: /^$/ }));
    expect(error).toBeInstanceOf(ReconnectBudgetExhausted);
    expect((error as Error).cause).toBeInstanceOf(ImapConnectionLost);
    expect(isRetryable(error)).toBe(true);
  });
});

describe('unsolicited responses in the middle of a FETCH stream', () => {
  it('ignores EXISTS, EXPUNGE, FLAGS, untagged OK/NO and flag updates of other messages, and copies every message once', async () => {
    const dialect = plain();
    dialect.unsolicited = (index) =>
      [
        ['* 31 EXISTS', '* 1 RECENT'],
        ['* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $Forwarded)', '* OK [ALERT] Mailbox is at 91% of its quota'],
        ['* NO [ALERT] Mailbox is being reorganised', '* 2 FETCH (FLAGS (\\Seen))'],
        ['* 4 FETCH (UID 4 FLAGS (\\Seen \\Flagged))', '* 30 EXPUNGE'],
      ][index % 4]!;
    server = await MemoryImapServer.start(dialect);
    server.add('INBOX', seedMessages(30, 'noisy'));
    server.add('INBOX', [{ raw: textMessage({ subject: 'no id', id: false }), flags: ['\\Draft'] }]);
    const first = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'noise@example.org'), connections: 1 });
    expect(first.report).toMatchObject({ ok: true, messages: { total: 31, copied: 31, failed: 0 } });
    expect(fingerprint(await readFolder(dovecot, 'noise@example.org', 'INBOX'))).toEqual(fingerprint(memoryFolder('INBOX')));
    const second = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'noise@example.org'), connections: 1 });
    expect(second.report.messages).toEqual({ total: 31, copied: 0, skipped: 31, failed: 0 });
    expect(await readFolder(dovecot, 'noise@example.org', 'INBOX')).toHaveLength(31);
  });
});

describe('a refusal (NO/BAD) of one folder', () => {
  it('a destination folder that cannot be created is reported; the other folders are copied', async () => {
    server = await MemoryImapServer.start(plain());
    server.intercept = (command, socket) => {
      if (!/^CREATE "Secret"/i.test(command.text)) return false;
      socket.write(`${command.tag} NO [NOPERM] Permission denied\r\n`);
      return true;
    };
    const { report, folderFailures } = await copyMailbox({ from: endpointOf(dovecot, 'errors-source@example.org'), to: at(server.port), connections: 2 });
    expect(folderFailures).toEqual([{ folder: 'Secret', reason: 'cannot create the destination folder "Secret": NO [NOPERM] Permission denied' }]);
    expect(report.ok).toBe(false);
    expect(report.folders.find((folder) => folder.from === 'Secret')).toEqual({ from: 'Secret', to: 'Secret', total: 4, copied: 0, skipped: 0, failed: 4 });
    expect(fingerprint(memoryFolder('INBOX'))).toEqual(fingerprint(await readFolder(dovecot, 'errors-source@example.org', 'INBOX')));
    expect(fingerprint(memoryFolder('Projets'))).toEqual(fingerprint(await readFolder(dovecot, 'errors-source@example.org', 'Projets')));
  });

  it('a source folder that cannot be selected is reported; the other folders are copied', async () => {
    server = await MemoryImapServer.start(plain());
    server.add('INBOX', seedMessages(5, 'readable'));
    server.add('Shared', seedMessages(2, 'forbidden'));
    server.intercept = (command, socket) => {
      if (!/^EXAMINE "Shared"/i.test(command.text)) return false;
      socket.write(`${command.tag} NO [NOPERM] You do not have access to this folder\r\n`);
      return true;
    };
    const { report, folderFailures } = await copyMailbox({ from: at(server.port), to: endpointOf(dovecot, 'refused-source@example.org'), connections: 1 });
    expect(folderFailures).toEqual([{ folder: 'Shared', reason: 'EXAMINE failed: NO [NOPERM] You do not have access to this folder' }]);
    expect(report.ok).toBe(false);
    // Nothing was measured in it: it is named with its reason, not given numbers.
    expect(report.folders.map((folder) => folder.from)).toEqual(['INBOX']);
    expect(report.messages).toEqual({ total: 5, copied: 5, skipped: 0, failed: 0 });
    expect(await readFolder(dovecot, 'refused-source@example.org', 'INBOX')).toHaveLength(5);
  });
});
