import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { copyCollaborative, type CollaborativeJournal } from '../../src/ews/index.js';
import type { EwsDouble } from '../../src/sandbox/ews/index.js';
import { SOURCE, contentByFolder, expectedCopy, newDestination, sourceEndpoint, startDouble } from './support.js';

const FAST = { retry: { baseDelayMs: 10, maxDelayMs: 50 } };
/** Small batches: more stages to be killed at. */
const SMALL = { batch: { items: 2 }, ...FAST };

class Killed extends Error {}

describe('resume without duplicates', () => {
  let double: EwsDouble;
  beforeAll(async () => {
    double = await startDouble();
  });
  afterEach(() => double.faults.clear());
  afterAll(async () => double?.stop());

  it('the server crashes after an upload succeeded: the run finds those items, marks them and goes on (no duplicate, nothing missing)', async () => {
    const dest = newDestination(double);
    double.faults.crashAfterUpload({ mailbox: dest.address, after: 2, times: 2 });
    const outcome = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, ...SMALL });
    expect(double.requests.filter((r) => r.codes.includes('connection dropped'))).toHaveLength(2);
    expect(outcome.report).toMatchObject({ ok: true, calendar: { copied: 3, failed: 0 }, contacts: { copied: 6, failed: 0 }, tasks: { copied: 3, failed: 0 } });
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
    expect(outcome.journal.pending).toEqual({});
  });

  it('killed at every journal write, resumed from the journal as it was persisted: no duplicate, nothing missing', async () => {
    // A reference run records how many times the journal is written.
    const reference = newDestination(double);
    let writes = 0;
    await copyCollaborative({ from: sourceEndpoint(double), to: reference.endpoint, rules: false, oof: false, saveJournal: () => void writes++, ...SMALL });
    expect(writes).toBeGreaterThan(10);
    const expected = expectedCopy(double.mailbox(SOURCE));
    for (let cut = 0; cut < writes; cut++) {
      // The process dies while persisting write number `cut` (so writes before it are persisted, and whatever
      // was done at the servers before that write stays done).
      const dest = newDestination(double);
      let persisted: CollaborativeJournal | undefined;
      let count = 0;
      const first = await copyCollaborative({
        from: sourceEndpoint(double),
        to: dest.endpoint,
        rules: false,
        oof: false,
        saveJournal: (journal) => {
          if (count++ === cut) throw new Killed(`killed at journal write ${cut}`);
          persisted = journal;
        },
        ...SMALL,
      }).catch((error: unknown) => error);
      expect(first, `cut ${cut}`).toBeInstanceOf(Killed);
      const second = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, rules: false, oof: false, journal: persisted, ...SMALL });
      expect(second.report.ok, `cut ${cut}`).toBe(true);
      expect(contentByFolder(dest.store), `cut ${cut}`).toEqual(expected);
      expect(second.journal.pending, `cut ${cut}`).toEqual({});
    }
  });

  it('killed between an upload and its journal entry, with the journal lost after that point: the unmarked copies are found by fingerprint', async () => {
    const dest = newDestination(double);
    let persisted: CollaborativeJournal | undefined;
    // Dies right after the first UploadItems answer (the "uploaded" write): the journal holds only "uploading".
    const first = await copyCollaborative({
      from: sourceEndpoint(double),
      to: dest.endpoint,
      rules: false,
      oof: false,
      saveJournal: (journal) => {
        if (Object.values(journal.pending).some((entry) => entry.state === 'uploaded')) throw new Killed('after upload');
        persisted = journal;
      },
      ...SMALL,
    }).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(Killed);
    expect(Object.values(persisted!.pending).map((e) => e.state)).toEqual(['uploading', 'uploading']);
    const unmarkedBefore = [...dest.store.items.values()].filter((item) => Object.keys(item.extended).length === 0);
    expect(unmarkedBefore).toHaveLength(2);
    const second = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, rules: false, oof: false, journal: persisted, ...SMALL });
    expect(second.report.calendar.skipped + second.report.contacts.skipped + second.report.tasks.skipped).toBe(2);
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
    expect([...dest.store.items.values()].every((item) => Object.keys(item.extended).length === 1)).toBe(true);
  });

  it('aborted in the middle of a folder: the next run copies only what is missing', async () => {
    const dest = newDestination(double);
    const controller = new AbortController();
    let batches = 0;
    const first = await copyCollaborative({
      from: sourceEndpoint(double),
      to: dest.endpoint,
      signal: controller.signal,
      onBatch: () => {
        if (++batches === 3) controller.abort(new Killed('cancelled'));
      },
      ...SMALL,
    }).catch((error: unknown) => error);
    expect(first).toBeInstanceOf(Killed);
    const copiedBefore = dest.store.items.size;
    expect(copiedBefore).toBeGreaterThan(0);
    const second = await copyCollaborative({ from: sourceEndpoint(double), to: dest.endpoint, ...SMALL });
    const { calendar, contacts, tasks } = second.report;
    expect(calendar.skipped + contacts.skipped + tasks.skipped).toBe(copiedBefore);
    expect(calendar.copied + contacts.copied + tasks.copied).toBe(12 - copiedBefore);
    expect(contentByFolder(dest.store)).toEqual(expectedCopy(double.mailbox(SOURCE)));
  });
});
