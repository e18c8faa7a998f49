import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Harness, waitForState } from './harness.js';

const EXCHANGE_KEY = 'exchange:hosted-sb11111-1/hosted-sb11111-1';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h?.stop();
});

describe('after a failure', () => {
  it('retry resumes the failed job where it stopped; reset-source on request removes the temporary account', async () => {
    const { service, events } = await h.pipeline({ tuning: { retryBudgetMs: 150 } });
    h.sim.faults.add({ method: 'PUT', path: /^\/email\/pro\/emailpro-sb22222-1\/account\//, status: 503 });
    const submitted = await service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    const failed = await waitForState(service, submitted.jobId, ['failed', 'done']);
    expect(failed.state).toBe('failed');
    expect(failed.steps.find((s) => s.name === 'create-destination')?.status).toBe('failed');
    // The same mailbox cannot be submitted again while a failed run holds it renamed.
    const again = await service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
    expect(again).toMatchObject({ ok: false, problems: [{ field: 'source', message: expect.stringContaining('retry it or undo it first') }] });
    await expect(service.resetSource(submitted.jobId, CLI)).rejects.toThrow(/only after a completed migration/);

    h.sim.faults.clear();
    await service.retry(submitted.jobId, CLI);
    const done = await waitForState(service, submitted.jobId, ['done', 'failed']);
    expect(done.state).toBe('done');
    expect(done.steps.filter((s) => s.status === 'failed')).toEqual([]);
    const renames = h.sim.requests.filter((r) => r.method === 'PUT' && r.path === '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/jane.doe@mydomain.ovh');
    expect(renames.length).toBe(1);
    expect(events.filter((e) => e.type === 'finished').length).toBe(1);

    expect(h.sim.addresses(EXCHANGE_KEY)).toContain('jane.doe01@mydomain.ovh');
    await service.resetSource(submitted.jobId, CLI);
    await h.sim.idle();
    expect(h.sim.addresses(EXCHANGE_KEY)).not.toContain('jane.doe01@mydomain.ovh');
    const [after] = await service.status({ jobId: submitted.jobId });
    expect(after!.steps.find((s) => s.name === 'reset-source')).toMatchObject({ status: 'done' });
    expect(after!.state).toBe('done');
    const listed = await service.status({});
    expect(listed.map((s) => s.jobId)).toContain(submitted.jobId);
  }, 120_000);

  it('a request nobody decides on expires at the approval timeout and changes nothing', async () => {
    const { service, events } = await h.pipeline({ tuning: { approvalTimeoutMs: 1_500 } });
    const submitted = await service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'mxplan-sb33333-1', requester: CLI });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    const status = await waitForState(service, submitted.jobId, ['rejected', 'done', 'failed']);
    expect(status.state).toBe('rejected');
    expect(status.steps.find((s) => s.name === 'approval')).toMatchObject({ status: 'failed', detail: 'no decision before the approval timeout' });
    expect(h.sim.addresses(EXCHANGE_KEY)).toContain('john.smith@mydomain.ovh');
    expect(events.some((e) => e.type === 'finished')).toBe(true);
    await expect(service.decide(submitted.jobId, { approve: true, by: { kind: 'slack', id: 'UAPPROVER' }, nonce: submitted.nonce })).rejects.toThrow(/no longer waiting for a decision/);
  });
});
