import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxFixture, type SimulatorFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { CLI, Harness } from './harness.js';

function refusalFixture(): SimulatorFixture {
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  exchange.accounts.push(
    { login: 'jane.doe01', domain: 'mydomain.ovh', password: 'Exchange-Pass-09', quota: 50, accountLicense: 'standard' },
    { login: 'taken', domain: 'mydomain.ovh', password: 'Exchange-Pass-10', quota: 50, accountLicense: 'standard' },
  );
  fixture.services.find((s) => s.platform === 'mxplan')!.accounts.push({ login: 'taken', domain: 'mydomain.ovh', password: 'MxPlan-Pass-10', quota: 1 });
  fixture.services.push({
    platform: 'emailpro',
    service: 'emailpro-full-1',
    hostname: 'pro9.sandbox.local',
    domain: 'full.ovh',
    billingMigrated: true,
    accounts: [],
    freeSlots: 0,
    mailbox: { separator: '/', prefix: '', specialUse: {} },
  });
  return fixture;
}

let h: Harness;
let service: Awaited<ReturnType<Harness['pipeline']>>['service'];
beforeAll(async () => {
  h = await Harness.start({ fixture: refusalFixture() });
  ({ service } = await h.pipeline({ worker: false }));
});
afterAll(async () => {
  await h?.stop();
});

async function problems(sourceAddress: string, destinationService: string, extra: { temporaryName?: string; destinationPassword?: string } = {}) {
  const result = await service.preflight({ sourceAddress, destinationService, requester: CLI, ...extra });
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}

describe('preflight refuses, with the reason and the field', () => {
  it('builds a plan when everything is right, with every feature of the source and its verdict', async () => {
    const result = await service.preflight({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.plan).toMatchObject({
      jobId: 'mig-john.smith@mydomain.ovh',
      source: { platform: 'exchange', service: 'hosted-sb11111-1/hosted-sb11111-1' },
      destination: { platform: 'emailpro', service: 'emailpro-sb22222-1' },
      temporaryAddress: 'john.smith01@mydomain.ovh',
    });
    // no EWS here: the plan says calendars and contacts are not copied, and why
    expect(result.plan.collaborative).toMatchObject({ mode: 'none', detail: expect.stringMatching(/EWS is not configured/) });
    const verdicts = Object.fromEntries(result.plan.features.map((f) => [f.key, f.verdict]));
    const JOHN = 'john.smith@mydomain.ovh';
    const JANE = 'jane.doe@mydomain.ovh';
    expect(verdicts).toMatchObject({
      // the account does not exist yet, its domain is not attached yet: the run creates them first
      [`settings:${JOHN}`]: 'create',
      [`alias:${JOHN}:john@mydomain.ovh`]: 'create',
      [`alias:${JOHN}:j.smith@mydomain.ovh`]: 'create',
      'footer:mydomain.ovh': 'create',
      [`forwarding:${JOHN}`]: 'byHand',
      'externalContact:partner@example.com': 'exists',
      'externalContact:supplier@example.org': 'conflict',
      'group:team@mydomain.ovh': 'byHand',
      [`right:fullAccess:${JOHN}:${JANE}`]: 'pending',
      [`right:sendAs:${JANE}:${JOHN}`]: 'pending',
      'unmigrated:sharedAccount:0': 'byHand',
      'unmigrated:collaborative:0': 'byHand',
    });
    const byKey = Object.fromEntries(result.plan.features.map((f) => [f.key, f]));
    expect(byKey[`right:fullAccess:${JOHN}:${JANE}`]).toMatchObject({ detail: `waits for ${JANE} on emailpro-sb22222-1`, waitsFor: [JANE], change: { kind: 'right', right: 'fullAccess', owner: JOHN, grantee: JANE } });
    expect(byKey[`forwarding:${JOHN}`]).toMatchObject({ detail: expect.stringMatching(/no forwarding/), instruction: expect.stringMatching(/webmail/) });
    expect(byKey['externalContact:supplier@example.org']!.detail).toMatch(/Supplier \(old name\)/);
    expect(byKey['unmigrated:sharedAccount:0']).toMatchObject({ target: 'full access on the shared mailbox shared@mydomain.ovh', instruction: expect.stringMatching(/Shared accounts/) });
    expect(result.plan.featuresReadAt).toEqual(expect.any(String));
    // nothing was written to plan it
    expect(h.sim.requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/auth'))).toEqual([]);
  });

  it('source missing', async () => {
    expect(await problems('nobody@mydomain.ovh', 'emailpro-sb22222-1')).toEqual([{ field: 'source', message: expect.stringContaining('does not exist') }]);
  });

  it('source not ok', async () => {
    const account = h.sim.state.service('exchange:hosted-sb11111-1/hosted-sb11111-1')!.accounts.find((a) => a.login === 'frank' || a.login === 'jane.doe')!;
    const before = account.state;
    account.state = 'suspended';
    try {
      expect(await problems('jane.doe@mydomain.ovh', 'emailpro-sb22222-1')).toEqual([{ field: 'source', message: expect.stringContaining('"suspended"') }]);
    } finally {
      account.state = before;
    }
  });

  it('an MX Plan source, with the pointer to the built-in migration', async () => {
    const [legacy] = await problems('info@legacy-domain.ovh', 'emailpro-sb22222-1');
    expect(legacy!.message).toContain('/email/domain/legacy-domain.ovh/account/info/migrate');
    const [mxplan] = await problems('contact@mydomain.ovh', 'emailpro-sb22222-1');
    expect(mxplan!.message).toContain('built-in migration');
  });

  it('destination is the source', async () => {
    expect(await problems('john.smith@mydomain.ovh', 'hosted-sb11111-1/hosted-sb11111-1')).toEqual([{ field: 'destination', message: expect.stringContaining('the destination is the source') }]);
  });

  it('unknown destination service', async () => {
    expect(await problems('john.smith@mydomain.ovh', 'nope')).toEqual([{ field: 'destination', message: expect.stringContaining('no e-mail service named "nope"') }]);
  });

  it('destination address already taken', async () => {
    const found = await problems('taken@mydomain.ovh', 'mxplan-sb33333-1');
    expect(found).toContainEqual({ field: 'destination', message: 'taken@mydomain.ovh already exists on mxplan-sb33333-1' });
  });

  it('no free slot on the destination', async () => {
    h.sim.state.service('emailpro:emailpro-full-1')!.domains.push({ ...h.sim.state.service('emailpro:emailpro-full-1')!.domains[0]!, name: 'mydomain.ovh', main: false });
    expect(await problems('john.smith@mydomain.ovh', 'emailpro-full-1')).toContainEqual({ field: 'destination', message: expect.stringContaining('no free account left') });
  });

  it('temporary name taken: the next free one is proposed', async () => {
    expect(await problems('jane.doe@mydomain.ovh', 'emailpro-sb22222-1', { temporaryName: 'jane.doe01' })).toEqual([
      { field: 'temporaryName', message: 'jane.doe01@mydomain.ovh is taken; jane.doe02@mydomain.ovh is free' },
    ]);
    const ok = await service.preflight({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI });
    expect(ok.ok && ok.plan.temporaryAddress).toBe('jane.doe02@mydomain.ovh');
  });

  it('mailbox over the destination limit (E-mail Pro 10 GB, MX Plan 5 GB)', async () => {
    expect(await problems('big.mailbox@mydomain.ovh', 'emailpro-sb22222-1')).toEqual([{ field: 'source', message: expect.stringMatching(/12\.0 GiB, over the 10\.0 GiB/) }]);
    expect(await problems('big.mailbox@mydomain.ovh', 'mxplan-sb33333-1')).toEqual([{ field: 'source', message: expect.stringMatching(/over the 5\.0 GiB/) }]);
  });

  it('domain that cannot be attached: fixed MX Plan domain, or a domain the destination holds in a broken state', async () => {
    expect(await problems('alice@pro-domain.ovh', 'mxplan-sb33333-1')).toContainEqual({ field: 'destination', message: expect.stringContaining('only holds addresses on mydomain.ovh') });
    const pro = h.sim.state.service('emailpro:emailpro-sb22222-1')!;
    pro.domains.push({ ...pro.domains[0]!, name: 'mydomain.ovh', main: false, state: 'suspended' });
    try {
      expect(await problems('john.smith@mydomain.ovh', 'emailpro-sb22222-1')).toEqual([{ field: 'destination', message: expect.stringContaining('mydomain.ovh is attached to emailpro-sb22222-1 but in state "suspended"') }]);
    } finally {
      pro.domains.pop();
    }
  });

  it('a given password outside the destination policy', async () => {
    expect(await problems('john.smith@mydomain.ovh', 'emailpro-sb22222-1', { destinationPassword: 'short' })).toEqual([{ field: 'password', message: expect.stringContaining('at least 8 characters') }]);
  });

  it('a malformed address, before asking OVH anything', async () => {
    expect(await problems('john smith', 'emailpro-sb22222-1')).toEqual([{ field: 'source', message: expect.stringContaining('name@domain') }]);
  });
});
