import type { MigrationJobData } from '../../src/pipeline/job-data.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import type { Copier } from '../../src/pipeline/dependencies.js';
import { pairsFixture } from './fixtures.js';
import { CLI, Harness, destinationPassword, waitFor, waitForState } from './harness.js';

const EXCHANGE_KEY = 'exchange:hosted-sb11111-1/hosted-sb11111-1';
const APPROVER = { kind: 'slack' as const, id: 'UAPPROVER' };

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ fixture: pairsFixture() });
});
afterAll(async () => {
  await h?.stop();
});

/** The real copier, after a pause that a cancellation interrupts (the mailboxes here copy in a blink). */
const slowCopier: Copier = async (options) => {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, 4_000);
    options.signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(options.signal!.reason ?? new Error('aborted'));
    });
  });
  return copyMailbox(options);
};

describe('the queue', () => {
  it('a duplicate submission returns the same job; a decision is taken once; a rejected request changes nothing', async () => {
    const { service, events } = await h.pipeline();
    // passwords typed with a request are sealed in the job; a request that will not run does not keep them
    const request = { sourceAddress: 'erin@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, destinationPassword: 'Typed-Pass-42!', sourcePassword: 'Exchange-Pass-05' };
    const first = await service.submit(request);
    const sealed = (await service.queue.getJob('mig-erin@mydomain.ovh'))!.data as MigrationJobData;
    expect(sealed.request.destinationPassword).toBeDefined();
    expect(sealed.request.sourcePassword).toBeDefined();
    const second = await service.submit({ ...request, sourceAddress: ' ERIN@mydomain.ovh' });
    expect(first).toMatchObject({ ok: true, duplicate: false, jobId: 'mig-erin@mydomain.ovh' });
    expect(second).toMatchObject({ ok: true, duplicate: true, jobId: 'mig-erin@mydomain.ovh' });
    expect(await service.queue.getJobCounts('delayed', 'waiting', 'active')).toEqual({ delayed: 1, waiting: 0, active: 0 });

    if (!first.ok) throw new Error('refused');
    const rejected = await service.decide('mig-erin@mydomain.ovh', { approve: false, by: APPROVER, reason: 'not now', nonce: first.nonce });
    const again = await service.decide('mig-erin@mydomain.ovh', { approve: true, by: { kind: 'slack', id: 'UOTHER' }, nonce: first.nonce });
    expect(rejected).toMatchObject({ changed: true, state: 'rejected' });
    expect(again).toMatchObject({ changed: false, state: 'rejected', by: APPROVER });
    const status = await waitForState(service, 'mig-erin@mydomain.ovh', ['rejected']);
    expect(status.steps.find((s) => s.name === 'approval')).toMatchObject({ status: 'failed', detail: 'rejected by UAPPROVER: not now' });
    expect(status.steps.find((s) => s.name === 'rename-source')?.status).toBe('skipped');
    expect(h.sim.addresses(EXCHANGE_KEY)).toContain('erin@mydomain.ovh');
    expect(events.some((e) => e.type === 'decided')).toBe(true);
    const closed = (await service.queue.getJob('mig-erin@mydomain.ovh'))!.data as MigrationJobData;
    expect(closed.request.destinationPassword).toBeUndefined();
    expect(closed.request.sourcePassword).toBeUndefined();

    // After a final state, the mailbox can be submitted again (a new job under the same id).
    const third = await service.submit(request);
    expect(third).toMatchObject({ ok: true, duplicate: false });
    expect((await service.status({ address: 'erin@mydomain.ovh' }))[0]?.state).toBe('awaiting-approval');
    await service.cancel('mig-erin@mydomain.ovh', CLI);
    expect((await waitForState(service, 'mig-erin@mydomain.ovh', ['cancelled'])).undoAvailable).toBe(false);
  });

  it('cancel inside the copy, then undo: the destination is freed and the source gets its address back', async () => {
    const { service, events } = await h.pipeline({ copier: slowCopier });
    const submitted = await service.submit({ sourceAddress: 'frank@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
    if (!submitted.ok) throw new Error('refused');
    await waitFor(() => events.some((e) => e.type === 'step' && e.step.name === 'copy' && e.step.status === 'running'), 40_000, 'the copy to start');
    await service.cancel(submitted.jobId, { kind: 'slack', id: 'UCANCEL' });
    const cancelled = await waitForState(service, submitted.jobId, ['cancelled', 'failed', 'done']);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.undoAvailable).toBe(true);
    expect(cancelled.steps.find((s) => s.name === 'copy')).toMatchObject({ status: 'failed', detail: 'cancelled by UCANCEL' });
    expect(events.find((e) => e.type === 'failed')).toMatchObject({ step: 'copy', undoAvailable: true });
    expect(h.sim.addresses(EXCHANGE_KEY)).toContain('frank01@mydomain.ovh');
    expect(h.sim.addresses('emailpro:emailpro-sb22222-1')).toContain('frank@mydomain.ovh');

    await service.undo(submitted.jobId, CLI);
    expect(h.sim.addresses(EXCHANGE_KEY)).toContain('frank@mydomain.ovh');
    expect(h.sim.addresses(EXCHANGE_KEY)).not.toContain('frank01@mydomain.ovh');
    expect(h.sim.addresses('emailpro:emailpro-sb22222-1')).not.toContain('frank@mydomain.ovh');
    const after = (await service.status({ jobId: submitted.jobId }))[0]!;
    expect(after.undoAvailable).toBe(false);
    expect(after.steps.find((s) => s.name === 'undo')).toMatchObject({ status: 'done' });
    await expect(service.undo(submitted.jobId, CLI)).rejects.toThrow(/nothing to undo/);
  });

  it('a create that keeps failing (OVH 500) fails the job after its retries; undo renames the source back', async () => {
    const { service, events } = await h.pipeline();
    h.sim.faults.add({ method: 'PUT', path: /^\/email\/pro\/emailpro-sb22222-1\/account\//, status: 500 });
    try {
      const submitted = await service.submit({ sourceAddress: 'gina@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
      if (!submitted.ok) throw new Error('refused');
      const failed = await waitForState(service, submitted.jobId, ['failed', 'done']);
      expect(failed.state).toBe('failed');
      expect(failed.steps.find((s) => s.name === 'create-destination')?.status).toBe('failed');
      expect(failed.undoAvailable).toBe(true);
      const failure = events.find((e) => e.type === 'failed');
      expect(failure).toMatchObject({ step: 'create-destination', undoAvailable: true, error: expect.stringContaining('undo (rename back) is available') });
      // Retried with backoff first (transient), each retry resuming after the rename.
      expect(events.filter((e) => e.type === 'step' && e.step.name === 'create-destination' && e.step.status === 'failed').length).toBeGreaterThan(1);
      expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/gina@mydomain.ovh').length).toBe(1);
      h.sim.faults.clear();
      await service.undo(submitted.jobId, CLI);
      expect(h.sim.addresses(EXCHANGE_KEY)).toContain('gina@mydomain.ovh');
      expect(h.sim.addresses(EXCHANGE_KEY)).not.toContain('gina01@mydomain.ovh');
    } finally {
      h.sim.faults.clear();
    }
  });

  it('OVH 429 and 5xx on the way: retried, resumed from the checkpoint, nothing done twice', async () => {
    const { service } = await h.pipeline();
    h.sim.clearRequests();
    const base = '/email/pro/emailpro-sb22222-1/account/dave01@pro-domain.ovh';
    h.sim.faults.add({ method: 'POST', path: `${base}/changePassword`, status: 429, times: 2, retryAfterSeconds: 0 });
    h.sim.faults.add({ method: 'GET', path: /^\/email\/pro\/emailpro-sb66666-1\/account/, status: 503, times: 2 });
    try {
      const submitted = await service.submit({ sourceAddress: 'dave@pro-domain.ovh', destinationService: 'emailpro-sb66666-1', requester: CLI, preapproved: true });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
      const status = await waitForState(service, submitted.jobId, ['done', 'failed']);
      // the failed steps' details in the message: this failed once in CI (13:58, a fresh clone) and never here since
      expect(status.state, JSON.stringify(status.steps.filter((st) => st.status === 'failed'))).toBe('done');
      const renames = h.sim.requests.filter((r) => r.method === 'PUT' && r.path === '/email/pro/emailpro-sb22222-1/account/dave@pro-domain.ovh');
      expect(renames.length).toBe(1);
      expect(h.sim.requests.filter((r) => r.status === 429 || r.status === 503).length).toBe(4);
      const password = await destinationPassword(service, submitted.jobId);
      expect((await h.messages('dave@pro-domain.ovh', password)).length).toBeGreaterThan(3);
    } finally {
      h.sim.faults.clear();
    }
  });

  it('the destination password: to its recipient only, as often as asked, until acknowledged; then deleted from Redis', async () => {
    const { service } = await h.pipeline({ worker: false });
    expect(await service.revealDestinationPassword('mig-unknown@x.fr', CLI)).toMatchObject({ ok: false });
    expect(await service.revealDestinationPassword('mig-dave@pro-domain.ovh', CLI)).toMatchObject({ ok: false, reason: expect.stringMatching(/no migration|does not exist yet/) });
  });
});
