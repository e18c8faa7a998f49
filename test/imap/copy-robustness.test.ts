import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import { QuotaExceededError } from '../../src/imap/copy-errors.js';
import { openAppendSession } from '../../src/imap/append/open-append-session.js';
import type { OpenAppendSession } from '../../src/imap/append/append-session.js';
import { endpointOf, fingerprint, listFolders, readFolder, seedMessages, startServer, textMessage } from './support.js';

describe('copyMailbox when things go wrong', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  const FROM = 'source@example.org';

  beforeAll(async () => {
    [source, destination] = await Promise.all([
      startServer({ separator: '/' }, [{ name: FROM }]),
      startServer({ separator: '.', prefix: 'INBOX.', hideCapabilities: ['MULTIAPPEND'], maxMessageBytes: 60_000 }, [
        { name: 'aborted@example.org' },
        { name: 'kicked@example.org' },
        { name: 'refused@example.org' },
        { name: 'small@example.org', quotaBytes: 100 * 1024 },
      ]),
    ]);
    await source.seed(FROM, 'INBOX', seedMessages(800, 'bulk', {}, 3000));
    await source.seed(FROM, 'Drafts', [
      { raw: textMessage({ subject: 'same draft', id: false }), flags: ['\\Draft'] },
      { raw: textMessage({ subject: 'same draft', id: false }), flags: ['\\Draft'] },
    ]);
    await source.seed(FROM, 'Big', [
      ...seedMessages(3, 'small'),
      { raw: textMessage({ subject: 'too big', bodyBytes: 100_000 }) },
      ...seedMessages(2, 'small after'),
    ]);
  });
  afterAll(async () => Promise.all([source?.destroy(), destination?.destroy()]));

  const from = () => endpointOf(source, FROM);

  it('resumes a run aborted mid-folder without duplicates, through pipelined APPENDs (no MULTIAPPEND)', async () => {
    const to = endpointOf(destination, 'aborted@example.org');
    const controller = new AbortController();
    const modes: string[] = [];
    const recordingOpener: OpenAppendSession = async (endpoint, options) => {
      const session = await openAppendSession(endpoint, options);
      modes.push(session.mode);
      return session;
    };
    const aborted = copyMailbox({
      from: from(),
      to,
      exclude: /^Big$/,
      openAppendSession: recordingOpener,
      progressIntervalMs: 0,
      signal: controller.signal,
      onProgress: (progress) => {
        if (progress.phase === 'copying' && progress.messagesDone >= 150) controller.abort(new Error('stop for the test'));
      },
    });
    await expect(aborted).rejects.toThrow('stop for the test');
    const partial = (await readFolder(destination, 'aborted@example.org', 'INBOX')).length;
    expect(partial).toBeGreaterThanOrEqual(150);
    expect(partial).toBeLessThan(800);
    expect(new Set(modes)).toEqual(new Set(['pipelined']));

    const resumed = await copyMailbox({ from: from(), to, exclude: /^Big$/ });
    expect(resumed.report.ok).toBe(true);
    expect(resumed.report.messages.total).toBe(802);
    expect(resumed.report.messages.skipped).toBeGreaterThanOrEqual(partial);
    expect(fingerprint(await readFolder(destination, 'aborted@example.org', 'INBOX'))).toEqual(fingerprint(await readFolder(source, FROM, 'INBOX')));
    // Two identical drafts without Message-ID stay two.
    expect(fingerprint(await readFolder(destination, 'aborted@example.org', 'INBOX.Drafts'))).toEqual(fingerprint(await readFolder(source, FROM, 'Drafts')));
    expect(await readFolder(destination, 'aborted@example.org', 'INBOX.Drafts')).toHaveLength(2);
  });

  it('reconnects after both servers drop the connections mid-copy and continues', async () => {
    let kicked = false;
    const { report, failures } = await copyMailbox({
      from: from(),
      to: endpointOf(destination, 'kicked@example.org'),
      exclude: /^Big$/,
      connections: 2,
      progressIntervalMs: 0,
      onProgress: (progress) => {
        if (!kicked && progress.phase === 'copying' && progress.messagesDone >= 150) {
          kicked = true;
          void destination.kick('kicked@example.org');
          void source.kick(FROM);
        }
      },
    });
    expect(kicked).toBe(true);
    expect(failures).toEqual([]);
    expect(report).toMatchObject({ ok: true, messages: { total: 802, failed: 0 } });
    expect(fingerprint(await readFolder(destination, 'kicked@example.org', 'INBOX'))).toEqual(fingerprint(await readFolder(source, FROM, 'INBOX')));
  });

  it('reports a message the destination refuses by folder and UID and copies the rest', async () => {
    const { report, failures, mismatches } = await copyMailbox({ from: from(), to: endpointOf(destination, 'refused@example.org'), exclude: /^(INBOX|Drafts)$/ });
    const bigUid = (await readFolder(source, FROM, 'Big')).find((message) => message.raw.length > 60_000)!.uid;
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ folder: 'Big', uid: bigUid });
    expect(failures[0].reason).not.toBe('');
    expect(report.ok).toBe(false);
    expect(report.folders.find((folder) => folder.from === 'Big')).toMatchObject({ total: 6, copied: 5, failed: 1 });
    expect(mismatches).toEqual([{ folder: 'Big', missing: 1, missingUids: [bigUid] }]);
    expect(await readFolder(destination, 'refused@example.org', 'INBOX.Big')).toHaveLength(5);
  });

  it('fails with a clear error and copies nothing when the destination quota is too small', async () => {
    const before = await listFolders(destination, 'small@example.org');
    const copy = copyMailbox({ from: from(), to: endpointOf(destination, 'small@example.org') });
    await expect(copy).rejects.toBeInstanceOf(QuotaExceededError);
    await expect(copy).rejects.toThrow(/quota is too small: .* MiB to copy but only .* free.*Nothing was copied/);
    expect(await listFolders(destination, 'small@example.org')).toEqual(before);
    expect(await readFolder(destination, 'small@example.org', 'INBOX')).toHaveLength(0);
  });
});
