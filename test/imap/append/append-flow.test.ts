import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { openAppendSession } from '../../../src/imap/append/open-append-session.js';
import type { AppendItem } from '../../../src/imap/append/append-session.js';
import { endpointOf } from './support.js';

const USER = 'flow@example.org';
const PASSWORD = 'secret';
const KiB = 1024;
const MiB = 1024 * KiB;

/** 50 KB messages made on demand, so the test itself holds only what it has handed over. */
function* messages(count: number): Generator<AppendItem> {
  const filler = 'x'.repeat(76) + '\r\n';
  const body = filler.repeat(Math.ceil((50 * KiB) / filler.length));
  for (let i = 0; i < count; i++) {
    yield {
      raw: Buffer.from(`Subject: flow ${i}\r\nMessage-ID: <flow-${i}@test>\r\n\r\n${body}`),
      flags: i % 3 === 0 ? ['\\Seen'] : [],
      internalDate: new Date(Date.UTC(2022, 0, 1) + i * 60_000),
    };
  }
}

async function messageCount(server: DovecotServer, mailbox: string): Promise<number> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false });
  await client.connect();
  const status = await client.status(mailbox, { messages: true });
  await client.logout();
  return status ? (status.messages ?? -1) : -1;
}

describe('streaming many messages', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await DovecotServer.start({});
    await server.addUser(USER, { password: PASSWORD });
  });
  afterAll(async () => server?.destroy());

  it.each([
    { mode: 'multiappend', count: 2_000 },
    { mode: 'pipelined', count: 300 },
  ] as const)('keeps at most maxInFlightBytes in flight ($mode, $count x 50 KB)', async ({ mode, count }) => {
    const maxInFlightBytes = 4 * MiB;
    const batchBytes = 1 * MiB;
    const batchSize = 100;
    const perCall = 20; // 20 x 51 KB fits one 1 MiB MULTIAPPEND command
    const mailbox = `flow-${mode}`;
    await server.createFolder(USER, mailbox);
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD), { mode, maxInFlightBytes, batchBytes, batchSize });
    const uids = new Set<number>();
    let failed = 0;
    const outstanding = new Set<Promise<void>>();
    let batch: AppendItem[] = [];
    const flush = async () => {
      // The caller's side of flow control: wait for room before handing over more.
      await session.ready!();
      const work = session.append(mailbox, batch).then((outcomes) => {
        for (const outcome of outcomes) {
          if (outcome.ok && outcome.uid !== undefined) uids.add(outcome.uid);
          else failed++;
        }
      });
      outstanding.add(work);
      const forget = () => void outstanding.delete(work);
      work.then(forget, forget);
      batch = [];
    };
    for (const message of messages(count)) {
      batch.push(message);
      if (batch.length >= perCall) await flush();
    }
    if (batch.length) await flush();
    await Promise.all(outstanding);
    const stats = session.stats!;
    await session.close();

    expect(failed).toBe(0);
    expect(uids.size).toBe(count);
    expect(await messageCount(server, mailbox)).toBe(count);
    expect(stats.peakInFlightBytes).toBeLessThanOrEqual(maxInFlightBytes);
    // Handed over but not yet admitted: at most the one batch that found the budget full.
    expect(stats.peakPendingBytes).toBeLessThanOrEqual(maxInFlightBytes + batchBytes + 60 * KiB);
    expect(stats.peakInFlightBytes).toBeGreaterThan(maxInFlightBytes / 2);
    expect(stats.pendingBytes).toBe(0);
    expect(stats.inFlightBytes).toBe(0);
    if (mode === 'multiappend') expect(stats.commands).toBeLessThanOrEqual(count / perCall);
    else expect(stats.commands).toBe(count);
  });
});
