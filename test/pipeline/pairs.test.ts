import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, Harness, waitForState } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start();
});
afterAll(async () => {
  await h?.stop();
});

describe('a migration end to end', () => {
  it('Exchange -> E-mail Pro: renamed source, every message with flags and dates, aliases recreated', async () => {
    const before = await h.messages('john.smith@mydomain.ovh', 'Exchange-Pass-01');
    expect(before.length).toBeGreaterThan(20);
    const { service, events } = await h.pipeline();
    const submitted = await service.submit({ sourceAddress: 'John.Smith@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI });
    expect(submitted).toMatchObject({ ok: true, jobId: 'mig-john.smith@mydomain.ovh', duplicate: false });
    if (!submitted.ok) return;
    expect(submitted.plan.temporaryAddress).toBe('john.smith01@mydomain.ovh');
    expect((await service.status({ jobId: submitted.jobId }))[0]!.state).toBe('awaiting-approval');
    await service.decide(submitted.jobId, { approve: true, by: { kind: 'slack', id: 'UAPPROVER' } });
    const status = await waitForState(service, submitted.jobId, ['done', 'failed']);
    expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(status.state).toBe('done');

    const password = await service.takeDestinationPassword(submitted.jobId, CLI);
    expect(password).toBeTruthy();
    expect(await service.takeDestinationPassword(submitted.jobId, CLI)).toBeUndefined();
    const after = await h.messages('john.smith@mydomain.ovh', password!);
    expect(after).toEqual(before);
    expect(h.sim.addresses('exchange:hosted-sb11111-1/hosted-sb11111-1')).toContain('john.smith01@mydomain.ovh');
    const destination = await h.factory({ platform: 'emailpro', name: 'emailpro-sb22222-1' });
    expect((await destination.listAliases('john.smith@mydomain.ovh')).sort()).toEqual(['j.smith@mydomain.ovh', 'john@mydomain.ovh']);
    const types = events.filter((e) => 'jobId' in e && e.jobId === submitted.jobId).map((e) => e.type);
    expect(types).toContain('step');
    expect(types).toContain('progress');
    expect(types.at(-1)).toBe('finished');
  });
});
