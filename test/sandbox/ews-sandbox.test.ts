import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EwsClient } from '../../src/ews/client.js';
import { EwsAuthenticationFailed, copyCollaborative } from '../../src/ews/index.js';
import { OvhSimulator, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { startSandboxEws, type SandboxEws } from '../../src/sandbox/ews/ovh-binding.js';
import { createEwsAccess } from '../../src/pipeline/ews-access.js';
import type { MailPlatform } from '../../src/ovh/mail-platform.js';

const EXCHANGE = 'exchange:hosted-sb11111-1/hosted-sb11111-1';

describe('the sandbox: an EWS double per Exchange service, bound to the OVH simulator', () => {
  let sim: OvhSimulator;
  let ews: SandboxEws;
  const clients: EwsClient[] = [];
  const client = (address: string, password: string) => {
    const c = new EwsClient({ url: ews.urls[EXCHANGE], username: address, password, mailbox: address, ca: ews.caCertificate });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const fixture = sandboxFixture();
    sim = await OvhSimulator.start({ fixture, taskDelayMs: 50 });
    ews = await startSandboxEws(sim, fixture);
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await ews?.stop();
    await sim?.stop();
  });

  it('serves each Exchange service, mapped from its hostname like IMAP_ENDPOINTS; E-mail Pro hosts answer, without EWS', async () => {
    expect(Object.keys(ews.urls)).toEqual([EXCHANGE]);
    expect(ews.endpoints).toEqual({ 'ex1.sandbox.local': expect.stringMatching(/^127\.0\.0\.1:\d+$/), 'pro1.sandbox.local': expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(ews.endpoints['pro1.sandbox.local']).not.toBe(ews.endpoints['ex1.sandbox.local']);
    // the probe the preflight makes: a definite "no EWS here" from E-mail Pro, a login challenge from Exchange
    const access = createEwsAccess({ endpoints: ews.endpoints, ca: ews.caCertificate });
    const platform = (name: string, kind: 'exchange' | 'emailpro', host: string) => ({ platform: kind, service: name, clientSettings: async () => ({ imap: { host } }) }) as unknown as MailPlatform;
    expect(await access.probe(platform('emailpro-sb22222-1', 'emailpro', 'pro1.sandbox.local'))).toMatchObject({ ok: false, reason: expect.stringMatching(/answered HTTP 404, not an Exchange login challenge/) });
    expect(await access.probe(platform('hosted-sb11111-1', 'exchange', 'ex1.sandbox.local'))).toMatchObject({ ok: true });
  });

  it('authenticates the accounts with the passwords the simulator holds, and only Exchange accounts', async () => {
    expect((await client('john.smith@mydomain.ovh', 'Exchange-Pass-01').findItems({ distinguished: 'calendar' })).totalItemsInView).toBe(2);
    await expect(client('john.smith@mydomain.ovh', 'wrong').findItems({ distinguished: 'calendar' })).rejects.toBeInstanceOf(EwsAuthenticationFailed);
    await expect(client('alice@pro-domain.ovh', 'EmailPro-Pass-01').findItems({ distinguished: 'calendar' })).rejects.toBeInstanceOf(EwsAuthenticationFailed);
  });

  it('seeds the sample mailboxes: meetings, contacts and a group, tasks, two rules, an out-of-office reply', async () => {
    const john = client('john.smith@mydomain.ovh', 'Exchange-Pass-01');
    expect((await john.findItems({ distinguished: 'contacts' })).items.map((i) => i.element).sort()).toEqual(['Contact', 'Contact', 'Contact', 'DistributionList']);
    expect((await john.findItems({ distinguished: 'tasks' })).totalItemsInView).toBe(3);
    expect((await john.getInboxRules()).rules.map((r) => r.displayName)).toEqual(['Newsletters to their folder', 'Boss is important']);
    expect((await john.getOofSettings()).state).toBe('Scheduled');
    const plan = await copyCollaborative({ from: { url: ews.urls[EXCHANGE], username: 'john.smith@mydomain.ovh', password: 'Exchange-Pass-01', mailbox: 'john.smith@mydomain.ovh', ca: ews.caCertificate }, to: { url: ews.urls[EXCHANGE], username: 'jane.doe@mydomain.ovh', password: 'Exchange-Pass-02', mailbox: 'jane.doe@mydomain.ovh', ca: ews.caCertificate }, dryRun: true });
    expect(plan.report).toMatchObject({ calendar: { total: 3 }, contacts: { total: 6 }, tasks: { total: 3 }, rules: { total: 2 } });
    const violations = await ews.doubles.get(EXCHANGE)!.schemaViolations();
    expect(violations).toEqual([]);
  });
});
