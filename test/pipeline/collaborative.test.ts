import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressOf } from '../../src/sandbox/ovh-simulator/state.js';
import { sampleCollaborativeData, seedMailbox } from '../../src/sandbox/ews/seed.js';
import { kindOfClass } from '../../src/ews/folders.js';
import { pairsFixture } from './fixtures.js';
import { CLI, Harness, waitForState } from './harness.js';

/**
 * Calendars, contacts, tasks, rules and out-of-office in the pipeline, against the sandbox's EWS doubles (one per
 * Hosted Exchange service, logging in the simulator's accounts as they are at each moment): copied Exchange ->
 * Exchange, counted as staying behind towards MX Plan, said to stay behind where a destination has no EWS.
 */
let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ fixture: pairsFixture(), ews: true });
}, 60_000);
afterAll(async () => {
  await h?.stop();
});

const FIRST = 'exchange:hosted-sb11111-1/hosted-sb11111-1';
const SECOND = 'exchange:hosted-sb55555-1/hosted-sb55555-1';

/**
 * The calendar, contacts and tasks items the EWS double holds for an account of a service, as it is now: folders
 * Exchange fills by itself (the recipient cache) and hidden ones left out, as the copy leaves them.
 */
function ewsItems(serviceKey: string, address: string): { subject?: string; itemClass?: string }[] {
  const service = h.sim.state.service(serviceKey)!;
  const account = h.sim.state.account(service, address)!;
  const store = h.ews!.doubles.get(serviceKey)!.storeFor({ username: addressOf(account), password: account.password ?? '', mailbox: addressOf(account), storeKey: `${serviceKey}#${account.id}` });
  return [...store.items.values()].filter((item) => {
    const folder = store.folders.get(item.parentId);
    return folder && !folder.hidden && kindOfClass(folder.folderClass) !== undefined;
  });
}

describe('calendars, contacts, tasks, rules and out-of-office over EWS', () => {
  it('Exchange -> Exchange: planned, copied in their own step with the counts in the report; a second pass uploads nothing', async () => {
    const before = ewsItems(FIRST, 'john.smith@mydomain.ovh').map((i) => `${i.itemClass}|${i.subject}`).sort();
    expect(before.length).toBeGreaterThan(3);
    const { service } = await h.pipeline();
    const submitted = await service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'hosted-sb55555-1/hosted-sb55555-1', requester: CLI, preapproved: true });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    expect(submitted.plan.collaborative).toMatchObject({ mode: 'copy' });
    expect(submitted.plan.features.some((f) => f.kind === 'collaborative')).toBe(false);

    const status = await waitForState(service, submitted.jobId, ['done', 'failed'], 120_000);
    expect(status.state).toBe('done');
    const step = status.steps.find((s) => s.name === 'collaborative')!;
    expect(step).toMatchObject({ status: 'done', detail: expect.stringMatching(/calendar \d+ copied/) });
    // the delta pass looked again and found everything there
    expect(status.steps.find((s) => s.name === 'delta')?.detail).toMatch(/calendar 0 copied, \d+ already there/);
    const report = status.report!.collaborative!;
    expect(report.calendar.copied + report.contacts.copied + report.tasks.copied).toBe(before.length);
    expect(report.rules.copied).toBe(2);
    expect(report.oof.status).toBe('copied');
    const after = ewsItems(SECOND, 'john.smith@mydomain.ovh').map((i) => `${i.itemClass}|${i.subject}`).sort();
    expect(after).toEqual(before);
  }, 180_000);

  it('Exchange -> MX Plan: counts what stays on the source and says so; Exchange -> E-mail Pro without EWS: by hand, with why', async () => {
    const { service } = await h.pipeline();
    const toMxPlan = await service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'mxplan-sb33333-1', requester: CLI, preapproved: true });
    if (!toMxPlan.ok) throw new Error(JSON.stringify(toMxPlan.problems));
    expect(toMxPlan.plan.collaborative).toMatchObject({ mode: 'count' });
    const done = await waitForState(service, toMxPlan.jobId, ['done', 'failed'], 120_000);
    expect(done.state).toBe('done');
    const left = done.report!.collaborativeLeft!;
    const seeded = ewsItems(FIRST, 'jane.doe01@mydomain.ovh');
    expect(left.calendar + left.contacts + left.tasks).toBe(seeded.length);
    expect(done.steps.find((s) => s.name === 'collaborative')?.detail).toMatch(/stay on jane\.doe01@mydomain\.ovh/);

    const preview = await service.preflight({ sourceAddress: 'erin@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI });
    if (!preview.ok) throw new Error(JSON.stringify(preview.problems));
    expect(preview.plan.collaborative).toMatchObject({ mode: 'none', detail: expect.stringMatching(/stay on the source: EWS of emailpro-sb22222-1 .* answered HTTP 404, not an Exchange login challenge/) });
    expect(preview.plan.features.find((f) => f.kind === 'collaborative')).toMatchObject({ verdict: 'byHand' });
  }, 180_000);

  it('a worker killed with kill -9 right after an upload of the EWS copy: resumed by another, nothing uploaded twice', async () => {
    const address = 'erin@mydomain.ovh';
    // erin gets a calendar, contacts, tasks, rules and an out-of-office reply, as john.smith has
    const service1 = h.sim.state.service(FIRST)!;
    const account = h.sim.state.account(service1, address)!;
    seedMailbox(h.ews!.doubles.get(FIRST)!.storeFor({ username: address, password: account.password ?? '', mailbox: address, storeKey: `${FIRST}#${account.id}` }), sampleCollaborativeData(address, { colleague: 'frank@mydomain.ovh' }));
    const before = ewsItems(FIRST, address).map((i) => `${i.itemClass}|${i.subject}`).sort();
    expect(before.length).toBeGreaterThan(3);

    const { service, settings } = await h.pipeline({ worker: false });
    const held = h.ews!.doubles.get(SECOND)!.faults.holdAfter({ operation: 'UploadItems' });
    const { child, exited } = await h.workerChild(settings);
    try {
      const submitted = await service.submit({ sourceAddress: address, destinationService: 'hosted-sb55555-1/hosted-sb55555-1', requester: CLI, preapproved: true });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
      // the first upload is carried out at the destination; its answer never reaches the worker, which dies
      await held;
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect((await service.status({ jobId: submitted.jobId }))[0]!.steps.find((s) => s.name === 'collaborative')?.status).toBe('running');
      h.ews!.doubles.get(SECOND)!.faults.clear();

      const status = await h.rescue(service, settings, submitted.jobId, 120_000);
      expect(status.state).toBe('done');
      expect(status.steps.find((s) => s.name === 'collaborative')?.status).toBe('done');
      // every item once: the upload whose answer was lost is found by its marker, not uploaded again
      expect(ewsItems(SECOND, address).map((i) => `${i.itemClass}|${i.subject}`).sort()).toEqual(before);
    } finally {
      child.kill('SIGKILL');
      h.ews!.doubles.get(SECOND)!.faults.clear();
    }
  }, 180_000);
});
