import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvhSimulator, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { OvhPreconditionFailed, OvhTaskFailed } from '../../src/ovh/errors.js';
import type { MailPlatform } from '../../src/ovh/mail-platform.js';
import type { OvhPlatformFactory } from '../../src/ovh/platform-factory.js';
import { legacyTaskSpecialSchema } from '../../src/ovh/models/domain.js';
import { MXPLAN_LEGACY } from '../../src/ovh/routes.js';
import { FAST_WAIT, factoryFor } from './sim-helpers.js';

const LEGACY = 'legacy-domain.ovh';
const OVH_ZONE = { mx: ['mx1.mail.ovh.net.', 'mx2.mail.ovh.net.', 'mx3.mail.ovh.net.'], spf: ['v=spf1 include:mx.ovh.com ~all'] };

let sim: OvhSimulator;
let factory: OvhPlatformFactory;
let legacy: MailPlatform;

beforeAll(async () => {
  // only the legacy MX Plan service, without mail (nothing here reads it)
  const fixture = sandboxFixture();
  fixture.services = fixture.services.filter((s) => s.platform === 'mxplan-legacy');
  for (const service of fixture.services) for (const account of service.accounts) delete account.mailbox;
  sim = await OvhSimulator.start({ fixture, taskDelayMs: 150 });
  factory = factoryFor(sim);
  legacy = await factory({ platform: 'mxplan-legacy', name: LEGACY });
}, 60_000);

afterAll(async () => {
  factory?.client.close();
  await sim?.stop();
}, 60_000);

/** Paths the simulator answered since `since`, with their route template. */
const routesSince = (since: number) => sim.requests.slice(since).map((r) => `${r.method} ${r.route}`);

describe('legacy MX Plan adapter against the simulator', { timeout: 60_000 }, () => {
  it('reports MX and SPF with the current and expected values', async () => {
    const dns = await legacy.dnsDiagnostic(LEGACY);
    expect(dns.domain).toBe(LEGACY);
    expect(dns.checks).toEqual([
      {
        record: 'MX',
        ok: true,
        current: OVH_ZONE.mx,
        expected: ['1 mx1.mail.ovh.net.', '5 mx2.mail.ovh.net.', '100 mx3.mail.ovh.net.'],
        detail: 'OVH MX check: valid; MX filter: FULL_FILTERING',
      },
      { record: 'SPF', ok: true, current: [], expected: ['v=spf1 include:mx.ovh.com ~all'], detail: expect.stringContaining('OVH SPF check: valid') },
    ]);
    await expect(legacy.dnsDiagnostic('other.example')).rejects.toBeInstanceOf(OvhPreconditionFailed);
  });

  it('shows a zone pointing elsewhere as failing MX and SPF checks, with what OVH recommends', async () => {
    try {
      sim.setDnsZone(LEGACY, { mx: ['mx.elsewhere.example.'], spf: [] });
      const dns = await legacy.dnsDiagnostic(LEGACY);
      const mx = dns.checks.find((c) => c.record === 'MX')!;
      expect(mx).toMatchObject({ ok: false, current: ['mx.elsewhere.example.'], detail: 'OVH MX check: invalid; MX filter: CUSTOM' });
      expect(mx.expected).toContain('1 mx1.mail.ovh.net.');
      expect(dns.checks.find((c) => c.record === 'SPF')).toMatchObject({ ok: false, expected: ['v=spf1 include:mx.ovh.com ~all'], detail: expect.stringContaining('none') });
    } finally {
      sim.setDnsZone(LEGACY, OVH_ZONE);
    }
  });

  it('lists as aliases the redirections to the address, not forwards of other accounts', async () => {
    expect(await legacy.listAliases('info@legacy-domain.ovh')).toEqual(['contact@legacy-domain.ovh']);
    expect(await legacy.listAliases('sales@legacy-domain.ovh')).toEqual([]);
    // sales@ forwarding to info@ is sales' forward, not an alias of info@
    const since = sim.requests.length;
    await legacy.addAlias('sales@legacy-domain.ovh', 'ventes@legacy-domain.ovh');
    expect(routesSince(since)).toContain(`GET ${MXPLAN_LEGACY.redirectionTask.path}`);
    expect(await legacy.listAliases('sales@legacy-domain.ovh')).toEqual(['ventes@legacy-domain.ovh']);
  });

  it('adds an alias as a redirection without local copy, waits for its task, and is idempotent', async () => {
    const since = sim.requests.length;
    await legacy.addAlias('info@legacy-domain.ovh', 'Hello@legacy-domain.ovh');
    const post = sim.requests.slice(since).find((r) => r.method === 'POST');
    expect(post).toMatchObject({ route: MXPLAN_LEGACY.addRedirection.path, body: { from: 'hello@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false } });
    // the task was polled until gone before the alias was read back
    const calls = routesSince(since);
    expect(calls.lastIndexOf(`GET ${MXPLAN_LEGACY.redirectionTask.path}`)).toBeGreaterThan(calls.indexOf(`POST ${MXPLAN_LEGACY.addRedirection.path}`));
    expect((await legacy.listAliases('info@legacy-domain.ovh')).sort()).toEqual(['contact@legacy-domain.ovh', 'hello@legacy-domain.ovh']);

    const again = sim.requests.length;
    await legacy.addAlias('info@legacy-domain.ovh', 'contact@legacy-domain.ovh');
    expect(routesSince(again)).not.toContain(`POST ${MXPLAN_LEGACY.addRedirection.path}`);
  });

  it('refuses aliases it cannot create, before calling OVH', async () => {
    await expect(legacy.addAlias('info@legacy-domain.ovh', 'info@other.example')).rejects.toMatchObject({ reason: 'fixedDomain' });
    await expect(legacy.addAlias('someone@other.example', 'x@legacy-domain.ovh')).rejects.toMatchObject({ reason: 'fixedDomain' });
    await expect(legacy.addAlias('info@legacy-domain.ovh', 'sales@legacy-domain.ovh')).rejects.toMatchObject({ reason: 'accountExists' });
  });

  it('reports a redirection task that ends without a redirection as a failed task', async () => {
    // a short wait for the redirection once its task is gone
    const impatientFactory = factoryFor(sim, { stateWait: { ...FAST_WAIT, timeoutMs: 1000 } });
    const impatient = await impatientFactory({ platform: 'mxplan-legacy', name: LEGACY });
    sim.faults.failTasks({ function: 'addRedirection', times: 1 });
    try {
      await expect(impatient.addAlias('info@legacy-domain.ovh', 'lost@legacy-domain.ovh')).rejects.toBeInstanceOf(OvhTaskFailed);
    } finally {
      sim.faults.clear();
      impatientFactory.client.close();
    }
    expect(await legacy.listAliases('info@legacy-domain.ovh')).not.toContain('lost@legacy-domain.ovh');
  });

  it('lists forwards, delegations and mailing lists (subscribed or owned) as not migrated', async () => {
    expect(await legacy.listUnmigratedFeatures('info@legacy-domain.ovh')).toEqual([
      { kind: 'delegation', description: 'delegated to the OVH account ab12345-ovh' },
      { kind: 'group', description: 'subscribed to and owner of the mailing list newsletter@legacy-domain.ovh' },
    ]);
    // sales@ gained a forward (ventes@ -> sales@ is an alias; a redirection from sales@ is a forward)
    const task = await factory.client.request(MXPLAN_LEGACY.addRedirection, { domain: LEGACY }, {
      schema: legacyTaskSpecialSchema,
      body: { from: 'sales@legacy-domain.ovh', to: 'boss@example.com', localCopy: true },
    });
    expect(task.type).toBe('forward');
    await sim.idle();
    expect(await legacy.listUnmigratedFeatures('sales@legacy-domain.ovh')).toEqual([{ kind: 'redirection', description: 'redirects to boss@example.com' }]);
    // a forward is not an alias of its target
    expect(await legacy.listAliases('boss@example.com')).toEqual([]);
  });
});
