import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvhSimulator } from '../../src/sandbox/ovh-simulator/index.js';
import { OvhPreconditionFailed, OvhUnsupported } from '../../src/ovh/errors.js';
import type { MailPlatform } from '../../src/ovh/mail-platform.js';
import type { OvhPlatformFactory } from '../../src/ovh/platform-factory.js';
import { generatePassword } from '../../src/ovh/password.js';
import { CURRENT_USAGE_UNIT_BYTES, QUOTA_GB_BYTES } from '../../src/ovh/units.js';
import { factoryFor, imapLoginWorks } from './sim-helpers.js';

const EX = 'hosted-sb11111-1/hosted-sb11111-1';
const PRO = 'emailpro-sb22222-1';
const MX = 'mxplan-sb33333-1';
const LEGACY = 'legacy-domain.ovh';

let sim: OvhSimulator;
let factory: OvhPlatformFactory;
let exchange: MailPlatform;
let pro: MailPlatform;
let mxplan: MailPlatform;
let legacy: MailPlatform;

beforeAll(async () => {
  sim = await OvhSimulator.start({ taskDelayMs: 40, renameDelayMs: 60 });
  factory = factoryFor(sim);
  exchange = await factory({ platform: 'exchange', name: EX });
  pro = await factory({ platform: 'emailpro', name: PRO });
  mxplan = await factory({ platform: 'mxplan', name: MX });
  legacy = await factory({ platform: 'mxplan-legacy', name: LEGACY });
}, 120_000);

afterAll(async () => {
  factory?.client.close();
  await sim?.stop();
}, 60_000);

/** Requests the simulator saw since `since` (an index into its log). */
const requestsSince = (since: number) => sim.requests.slice(since);

describe('discovery and lookup', { timeout: 90_000 }, () => {
  it('lists every service of every kind, telling E-mail Pro and MX Plan apart', async () => {
    const services = await factory.discoverServices({ refresh: true });
    expect(services).toEqual(
      expect.arrayContaining([
        { platform: 'exchange', name: EX },
        { platform: 'emailpro', name: PRO },
        { platform: 'mxplan', name: MX },
        { platform: 'mxplan-legacy', name: LEGACY },
      ]),
    );
    expect(services).toHaveLength(4);
  });

  it('uses billingMigrated like the control panel: an MX Plan service asked as E-mail Pro is MX Plan', async () => {
    const since = sim.requests.length;
    const asPro = await factoryFor(sim)({ platform: 'emailpro', name: MX });
    expect(asPro.platform).toBe('mxplan');
    const probe = requestsSince(since).find((r) => r.path === `/email/pro/${MX}/billingMigrated`);
    expect(probe?.status).toBeGreaterThanOrEqual(400);
    expect((await factoryFor(sim)({ platform: 'mxplan', name: PRO })).platform).toBe('emailpro');
  });

  it('finds an account by address across all services', async () => {
    const found = await factory.findAccount('Alice@pro-domain.ovh');
    expect(found?.service).toEqual({ platform: 'emailpro', name: PRO });
    expect(found?.account.address).toBe('alice@pro-domain.ovh');
    expect(found?.platform.platform).toBe('emailpro');
    expect((await factory.findAccount('info@legacy-domain.ovh'))?.service).toEqual({ platform: 'mxplan-legacy', name: LEGACY });
    expect(await factory.findAccount('nobody@nowhere.example')).toBeUndefined();
    // contact@mydomain.ovh is on MX Plan, john.smith@mydomain.ovh on Exchange: same domain, different services
    expect((await factory.findAccount('contact@mydomain.ovh'))?.service.platform).toBe('mxplan');
    expect((await factory.findAccount('john.smith@mydomain.ovh'))?.service.platform).toBe('exchange');
  });

  it('searches configured addresses for a type-ahead, slots excluded', async () => {
    const matches = await factory.searchAccounts('jo', { platforms: ['exchange', 'emailpro'] });
    expect(matches.map((m) => m.address)).toContain('john.smith@mydomain.ovh');
    expect((await factory.searchAccounts('configureme')).length).toBe(0);
    expect((await factory.searchAccounts('', { limit: 3 })).length).toBe(3);
  });
});

describe('service description', { timeout: 90_000 }, () => {
  it('Exchange: password policy from the service object', async () => {
    const info = await exchange.describeService();
    expect(info).toMatchObject({ platform: 'exchange', service: EX, displayName: 'Sandbox Hosted Exchange', state: 'ok' });
    expect(info.passwordPolicy).toMatchObject({ minLength: 8, complexity: true });
    expect(info.fixedDomain).toBeUndefined();
  });

  it('E-mail Pro: 10 GB destination limit', async () => {
    const info = await pro.describeService();
    expect(info.maxMailboxBytes).toBe(10 * QUOTA_GB_BYTES);
    expect(info.passwordPolicy.complexity).toBe(true);
  });

  it('MX Plan: fixed domain, allowed quotas from capabilities, 5 GB limit', async () => {
    const info = await mxplan.describeService();
    expect(info.fixedDomain).toBe('mydomain.ovh');
    expect(info.allowedQuotas).toEqual([1, 2.5, 5].map((gb) => gb * QUOTA_GB_BYTES));
    expect(info.maxMailboxBytes).toBe(5 * QUOTA_GB_BYTES);
    expect(info.passwordPolicy).toMatchObject({ minLength: 9, complexity: false });
  });

  it('legacy MX Plan: 9-30 ASCII password policy, sizes in bytes', async () => {
    const info = await legacy.describeService();
    expect(info.passwordPolicy).toEqual({ minLength: 9, maxLength: 30, complexity: false, asciiOnly: true });
    expect(info.allowedQuotas).toContain(5_000_000_000);
    expect(info.fixedDomain).toBe(LEGACY);
  });

  it('client settings: hostname, 993, 587 STARTTLS on Exchange/Pro, ssl0.ovh.net 465 on MX Plan', async () => {
    expect(await exchange.clientSettings()).toMatchObject({
      imap: { host: 'ex1.sandbox.local', port: 993, security: 'tls' },
      smtp: { host: 'ex1.sandbox.local', port: 587, security: 'starttls' },
    });
    expect((await pro.clientSettings()).imap.host).toBe('pro1.sandbox.local');
    expect(await mxplan.clientSettings()).toMatchObject({ smtp: { host: 'ssl0.ovh.net', port: 465, security: 'tls' } });
    expect(await legacy.clientSettings()).toMatchObject({ imap: { host: 'ssl0.ovh.net', port: 993 }, smtp: { host: 'ssl0.ovh.net', port: 465 } });
    const overridden = await factoryFor(sim, { imapHosts: { exchange: '127.0.0.1:1993' } })({ platform: 'exchange', name: EX });
    expect((await overridden.clientSettings()).imap).toEqual({ host: '127.0.0.1', port: 1993, security: 'tls' });
  });
});

describe('domains and DNS diagnostic', { timeout: 90_000 }, () => {
  it('lists and reads domains', async () => {
    expect(await exchange.listDomains()).toContain('mydomain.ovh');
    expect(await pro.getDomain('pro-domain.ovh')).toMatchObject({ name: 'pro-domain.ovh', state: 'ok', type: 'authoritative' });
    expect(await pro.getDomain('absent.example')).toBeUndefined();
    expect(await legacy.listDomains()).toEqual([LEGACY]);
  });

  it('attaches a domain as non-authoritative with the MX relay and waits until ok (E-mail Pro, Exchange)', async () => {
    const since = sim.requests.length;
    const attached = await pro.attachDomainNonAuthoritative('mydomain.ovh', 'mx1.mail.ovh.net');
    expect(attached).toEqual({ name: 'mydomain.ovh', state: 'ok', type: 'nonAuthoritative', mxRelay: 'mx1.mail.ovh.net' });
    const post = requestsSince(since).find((r) => r.method === 'POST' && r.path === `/email/pro/${PRO}/domain`);
    expect(post?.body).toMatchObject({ name: 'mydomain.ovh', type: 'nonAuthoritative', mxRelay: 'mx1.mail.ovh.net' });
    // idempotent: a second call posts nothing
    const again = sim.requests.length;
    await pro.attachDomainNonAuthoritative('mydomain.ovh', 'mx1.mail.ovh.net');
    expect(requestsSince(again).some((r) => r.method === 'POST')).toBe(false);

    const ex = await exchange.attachDomainNonAuthoritative('pro-domain.ovh', 'mx2.mail.ovh.net');
    expect(ex).toMatchObject({ state: 'ok', type: 'nonAuthoritative' });
  });

  it('a domain another migration attached between our look and our POST (two workers): 409 is waited out, not a failure', async () => {
    // the other worker's attach has landed
    await pro.attachDomainNonAuthoritative('race-domain.ovh', 'mx1.mail.ovh.net');
    // ours looked just before it did: its first look finds no domain
    const ours = await factoryFor(sim)({ platform: 'emailpro', name: PRO });
    const patched = ours as unknown as { domainObject(domain: string): Promise<unknown> };
    const look = patched.domainObject.bind(ours);
    let looks = 0;
    patched.domainObject = (domain) => (looks++ === 0 ? Promise.resolve(undefined) : look(domain));
    const since = sim.requests.length;
    const attached = await ours.attachDomainNonAuthoritative('race-domain.ovh', 'mx1.mail.ovh.net');
    expect(attached).toMatchObject({ name: 'race-domain.ovh', state: 'ok', type: 'nonAuthoritative' });
    const posts = requestsSince(since).filter((r) => r.method === 'POST' && r.path === `/email/pro/${PRO}/domain`);
    expect(posts.map((r) => r.status)).toEqual([409]);
  });

  it('MX Plan keeps its fixed domain', async () => {
    expect(await mxplan.attachDomainNonAuthoritative('mydomain.ovh', 'mx1.mail.ovh.net')).toMatchObject({ name: 'mydomain.ovh' });
    await expect(mxplan.attachDomainNonAuthoritative('other.example', 'mx1.mail.ovh.net')).rejects.toMatchObject({ reason: 'fixedDomain' });
    await expect(legacy.attachDomainNonAuthoritative('other.example', 'mx1.mail.ovh.net')).rejects.toBeInstanceOf(OvhPreconditionFailed);
  });

  it('gives MX, SRV, SPF, DKIM and CNAME with expected values (Exchange / Pro), fewer on MX Plan', async () => {
    const ex = await exchange.dnsDiagnostic('mydomain.ovh');
    expect(ex.checks.map((c) => c.record)).toEqual(['MX', 'SRV', 'SPF', 'DKIM', 'CNAME']);
    const mx = ex.checks.find((c) => c.record === 'MX')!;
    expect(mx.expected.length).toBeGreaterThan(0);
    expect(ex.checks.find((c) => c.record === 'SPF')!.expected[0]).toMatch(/^v=spf1 /);
    expect(ex.checks.find((c) => c.record === 'SRV')!.expected[0]).toMatch(/SRV/);

    const proDns = await pro.dnsDiagnostic('pro-domain.ovh');
    expect(proDns.checks.map((c) => c.record)).toEqual(['MX', 'SRV', 'SPF', 'DKIM', 'CNAME']);

    const mxDns = await mxplan.dnsDiagnostic('mydomain.ovh');
    expect(mxDns.checks.map((c) => c.record)).toEqual(['MX', 'SRV', 'CNAME']);

    const legacyDns = await legacy.dnsDiagnostic(LEGACY);
    expect(legacyDns.checks.map((c) => c.record)).toEqual(expect.arrayContaining(['MX', 'SPF']));
    expect(legacyDns.checks.find((c) => c.record === 'MX')!.ok).toBe(true);

    await expect(pro.dnsDiagnostic('absent.example')).rejects.toMatchObject({ reason: 'domainNotAttached' });
  });

  it('shows a broken MX with the values OVH expects', async () => {
    sim.setDnsZone('pro-domain.ovh', { mx: ['mx.elsewhere.example.'] });
    const check = (await pro.dnsDiagnostic('pro-domain.ovh')).checks.find((c) => c.record === 'MX')!;
    expect(check.ok).toBe(false);
    expect(check.current).toEqual(['mx.elsewhere.example.']);
    expect(check.expected.join(' ')).toMatch(/mail\.ovh\.net/);
  });
});

describe('accounts: reading', { timeout: 90_000 }, () => {
  it('lists accounts, slots included, and reads state, quota and usage in bytes', async () => {
    const accounts = await exchange.listAccounts();
    expect(accounts).toEqual(expect.arrayContaining(['john.smith@mydomain.ovh', 'jane.doe@mydomain.ovh']));
    expect(accounts.some((a) => a.endsWith('@configureme.me'))).toBe(true);
    const john = await exchange.getAccount('john.smith@mydomain.ovh');
    expect(john).toMatchObject({ address: 'john.smith@mydomain.ovh', state: 'ok', configured: true, quotaBytes: 50 * QUOTA_GB_BYTES, displayName: 'John Smith' });
    expect(john?.id).toEqual(expect.any(Number));
    expect(await exchange.getAccount('nobody@mydomain.ovh')).toBeUndefined();
  });

  it('currentUsage is KiB: the fixture\'s 12 GiB mailbox reads as 12 GiB, and usage stays under quota', async () => {
    expect(CURRENT_USAGE_UNIT_BYTES).toBe(1024);
    const big = await exchange.getAccount('big.mailbox@mydomain.ovh');
    expect(big!.usedBytes).toBeGreaterThanOrEqual(12 * 1024 ** 3);
    expect(big!.usedBytes).toBeLessThan(12 * 1024 ** 3 + 10 * 1024 ** 2);
    for (const platform of [exchange, pro, mxplan, legacy]) {
      for (const address of await platform.listAccounts()) {
        const account = await platform.getAccount(address);
        if (account?.usedBytes !== undefined && account.quotaBytes) expect(account.usedBytes).toBeLessThanOrEqual(account.quotaBytes);
      }
    }
    // a seeded mailbox of a few dozen small messages: some KiB, not some MiB or GiB
    const alice = await pro.getAccount('alice@pro-domain.ovh');
    expect(alice!.usedBytes).toBeGreaterThan(1024);
    expect(alice!.usedBytes).toBeLessThan(1024 ** 2);
    const info = await legacy.getAccount('info@legacy-domain.ovh');
    expect(info).toMatchObject({ quotaBytes: 5_000_000_000, configured: true, state: 'ok', displayName: 'Info mailbox' });
    expect(info!.usedBytes).toBeGreaterThan(1000);
  });

  it('finds a free configureme.me slot (none on legacy MX Plan)', async () => {
    expect(await pro.findFreeSlot()).toMatch(/@configureme\.me$/);
    expect(await mxplan.findFreeSlot()).toMatch(/@configureme\.me$/);
    expect(await legacy.findFreeSlot()).toBeUndefined();
  });

  it('lists aliases', async () => {
    expect((await exchange.listAliases('john.smith@mydomain.ovh')).sort()).toEqual(['j.smith@mydomain.ovh', 'john@mydomain.ovh']);
    expect(await pro.listAliases('alice@pro-domain.ovh')).toEqual(['contact@pro-domain.ovh']);
  });

  it('lists what does not migrate: delegations, groups, external contacts, footers, collaborative data', async () => {
    const features = await exchange.listUnmigratedFeatures('john.smith@mydomain.ovh');
    const text = features.map((f) => `${f.kind}: ${f.description}`);
    expect(text).toEqual(
      expect.arrayContaining([
        'delegation: full access granted to jane.doe@mydomain.ovh',
        'delegation: send as granted to jane.doe@mydomain.ovh',
        'delegation: send on behalf granted to jane.doe@mydomain.ovh',
        expect.stringMatching(/^externalContact: external contact partner@example.com/),
        expect.stringMatching(/^footer: footer on every message from @mydomain.ovh/),
        expect.stringMatching(/^collaborative: /),
      ]),
    );
    const proFeatures = await pro.listUnmigratedFeatures('alice@pro-domain.ovh');
    expect(proFeatures.map((f) => f.kind)).toEqual(['externalContact', 'externalContact', 'externalContact']);
    expect(await legacy.listUnmigratedFeatures('info@legacy-domain.ovh')).toEqual(expect.any(Array));
  });
});

describe('accounts: changing', { timeout: 90_000 }, () => {
  it('renames an account (PUT, then polls until the new address is ok and the old one gone), and back', async () => {
    const since = sim.requests.length;
    const renamed = await exchange.renameAccount('jane.doe@mydomain.ovh', 'jane.doe01@mydomain.ovh');
    expect(renamed).toMatchObject({ address: 'jane.doe01@mydomain.ovh', state: 'ok', configured: true });
    expect(await exchange.getAccount('jane.doe@mydomain.ovh')).toBeUndefined();
    const put = requestsSince(since).find((r) => r.method === 'PUT');
    expect(put).toMatchObject({ path: `/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/jane.doe@mydomain.ovh`, body: { login: 'jane.doe01', domain: 'mydomain.ovh' } });
    expect(await imapLoginWorks(sim, 'jane.doe01@mydomain.ovh', 'Exchange-Pass-02')).toBe(true);
    await exchange.renameAccount('jane.doe01@mydomain.ovh', 'jane.doe@mydomain.ovh');
    expect(await exchange.getAccount('jane.doe@mydomain.ovh')).toMatchObject({ state: 'ok' });
  });

  it('refuses a rename onto an existing address or an unattached domain before changing anything', async () => {
    const since = sim.requests.length;
    await expect(pro.renameAccount('alice@pro-domain.ovh', 'bob@pro-domain.ovh')).rejects.toMatchObject({ reason: 'accountExists' });
    await expect(pro.renameAccount('alice@pro-domain.ovh', 'alice@elsewhere.example')).rejects.toMatchObject({ reason: 'domainNotAttached' });
    await expect(pro.renameAccount('ghost@pro-domain.ovh', 'ghost01@pro-domain.ovh')).rejects.toMatchObject({ reason: 'accountMissing' });
    expect(requestsSince(since).some((r) => r.method !== 'GET')).toBe(false);
    await expect(legacy.renameAccount('info@legacy-domain.ovh', 'info01@legacy-domain.ovh')).rejects.toBeInstanceOf(OvhUnsupported);
  });

  it('E-mail Pro: configures a free slot under the address with the password, changes it, resets it', async () => {
    const slotsBefore = (await pro.listAccounts()).filter((a) => a.endsWith('@configureme.me')).length;
    const password = generatePassword((await pro.describeService()).passwordPolicy);
    const created = await pro.createAccount({ address: 'new.user@pro-domain.ovh', password, displayName: 'New User' });
    expect(created).toMatchObject({ address: 'new.user@pro-domain.ovh', configured: true, state: 'ok', displayName: 'New User' });
    expect((await pro.listAccounts()).filter((a) => a.endsWith('@configureme.me'))).toHaveLength(slotsBefore - 1);
    expect(await imapLoginWorks(sim, 'new.user@pro-domain.ovh', password)).toBe(true);

    const second = generatePassword((await pro.describeService()).passwordPolicy);
    await pro.changePassword('new.user@pro-domain.ovh', second);
    expect(await imapLoginWorks(sim, 'new.user@pro-domain.ovh', second)).toBe(true);
    expect(await imapLoginWorks(sim, 'new.user@pro-domain.ovh', password)).toBe(false);

    await expect(pro.createAccount({ address: 'new.user@pro-domain.ovh', password })).rejects.toMatchObject({ reason: 'accountExists' });

    await pro.resetAccount('new.user@pro-domain.ovh');
    expect(await pro.getAccount('new.user@pro-domain.ovh')).toBeUndefined();
    expect((await pro.listAccounts()).filter((a) => a.endsWith('@configureme.me'))).toHaveLength(slotsBefore);
    await pro.resetAccount('new.user@pro-domain.ovh'); // idempotent
  });

  it('a free slot another migration took between our look and our PUT (two workers): 409, then the next free slot', async () => {
    const ours = await factoryFor(sim)({ platform: 'emailpro', name: PRO });
    const patched = ours as unknown as { freeSlot(skip?: ReadonlySet<string>): Promise<{ primaryEmailAddress: string } | undefined> };
    const look = patched.freeSlot.bind(ours);
    // ours looked first; the other worker's migration then configured that very slot
    const stale = (await look())!;
    const slotPut = (r: { method: string; path: string; status: number }) => r.method === 'PUT' && r.path === `/email/pro/${PRO}/account/${stale.primaryEmailAddress}` && r.status === 200;
    const seen = sim.requests.length;
    const other = pro.createAccount({ address: 'other.worker@pro-domain.ovh', password: 'Other-Passw0rd-1' });
    // its PUT is answered; its rename task is still pending
    while (!requestsSince(seen).some(slotPut)) await new Promise((r) => setTimeout(r, 5));
    let looks = 0;
    patched.freeSlot = (skip) => (looks++ === 0 ? Promise.resolve(stale) : look(skip));
    const since = sim.requests.length;
    const created = await ours.createAccount({ address: 'this.worker@pro-domain.ovh', password: 'This-Passw0rd-1' });
    await other;
    expect(created).toMatchObject({ address: 'this.worker@pro-domain.ovh', configured: true, state: 'ok' });
    const puts = requestsSince(since).filter((r) => r.method === 'PUT' && r.path.startsWith(`/email/pro/${PRO}/account/`) && r.path.endsWith('@configureme.me'));
    expect(puts.map((r) => r.status)).toEqual([409, 200]);
    expect(puts[1]!.path).not.toBe(puts[0]!.path);
    await pro.resetAccount('other.worker@pro-domain.ovh');
    await pro.resetAccount('this.worker@pro-domain.ovh');
  });

  it('refuses a password outside the policy and a mailbox bigger than the slot before changing anything', async () => {
    const since = sim.requests.length;
    await expect(pro.createAccount({ address: 'weak@pro-domain.ovh', password: 'weakpassword' })).rejects.toMatchObject({ reason: 'passwordPolicy' });
    await expect(
      pro.createAccount({ address: 'huge@pro-domain.ovh', password: 'Str0ng-Passw0rd', neededBytes: 11 * QUOTA_GB_BYTES }),
    ).rejects.toMatchObject({ reason: 'quotaTooSmall' });
    expect(requestsSince(since).some((r) => r.method !== 'GET')).toBe(false);
  });

  it('Exchange (hosted offer): configures a slot, adds an alias, resets', async () => {
    const created = await exchange.createAccount({ address: 'temp.user@mydomain.ovh', password: 'Tmp-Passw0rd-1', displayName: 'Temp' });
    expect(created).toMatchObject({ address: 'temp.user@mydomain.ovh', configured: true });
    await exchange.addAlias('temp.user@mydomain.ovh', 'temp.alias@mydomain.ovh');
    expect(await exchange.listAliases('temp.user@mydomain.ovh')).toEqual(['temp.alias@mydomain.ovh']);
    await exchange.addAlias('temp.user@mydomain.ovh', 'temp.alias@mydomain.ovh'); // idempotent
    await exchange.resetAccount('temp.user@mydomain.ovh');
    expect(await exchange.getAccount('temp.user@mydomain.ovh')).toBeUndefined();
  });

  it('Exchange: reads and switches IMAP per mailbox', async () => {
    expect(await exchange.getImapEnabled('imap.off@mydomain.ovh')).toBe(false);
    expect(await imapLoginWorks(sim, 'imap.off@mydomain.ovh', 'Exchange-Pass-04')).toBe(false);
    await exchange.setImapEnabled('imap.off@mydomain.ovh', true);
    expect(await exchange.getImapEnabled('imap.off@mydomain.ovh')).toBe(true);
    expect(await imapLoginWorks(sim, 'imap.off@mydomain.ovh', 'Exchange-Pass-04')).toBe(true);
    await exchange.setImapEnabled('imap.off@mydomain.ovh', false);
    expect(await exchange.getImapEnabled('imap.off@mydomain.ovh')).toBe(false);
    expect(await pro.getImapEnabled('alice@pro-domain.ovh')).toBe(true);
    await pro.setImapEnabled('alice@pro-domain.ovh', true);
  });

  it('MX Plan: picks the smallest allowed quota holding the mailbox plus headroom, on the fixed domain only', async () => {
    const since = sim.requests.length;
    await expect(mxplan.createAccount({ address: 'x@other.example', password: 'Mxplan-Pass-9' })).rejects.toMatchObject({ reason: 'fixedDomain' });
    await expect(mxplan.createAccount({ address: 'x@mydomain.ovh', password: 'Mxplan-Pass-9', neededBytes: 4.8 * QUOTA_GB_BYTES })).rejects.toMatchObject({ reason: 'quotaTooSmall' });
    expect(requestsSince(since).some((r) => r.method !== 'GET')).toBe(false);

    const created = await mxplan.createAccount({ address: 'sized@mydomain.ovh', password: 'Mxplan-Pass-9', neededBytes: 1.5 * QUOTA_GB_BYTES });
    expect(created.quotaBytes).toBe(2.5 * QUOTA_GB_BYTES);
    const put = requestsSince(since).find((r) => r.method === 'PUT');
    expect(put?.body).toMatchObject({ login: 'sized', domain: 'mydomain.ovh', quota: 2.5 });
    expect(await imapLoginWorks(sim, 'sized@mydomain.ovh', 'Mxplan-Pass-9')).toBe(true);
    await mxplan.addAlias('sized@mydomain.ovh', 'sized.alias@mydomain.ovh');
    expect(await mxplan.listAliases('sized@mydomain.ovh')).toEqual(['sized.alias@mydomain.ovh']);
    await mxplan.changePassword('sized@mydomain.ovh', 'Mxplan-Pass-10');
    expect(await imapLoginWorks(sim, 'sized@mydomain.ovh', 'Mxplan-Pass-10')).toBe(true);
    await mxplan.resetAccount('sized@mydomain.ovh');
    expect(await mxplan.getAccount('sized@mydomain.ovh')).toBeUndefined();
  });

  it('legacy MX Plan: creates with POST (size in bytes), changes the password, deletes', async () => {
    const since = sim.requests.length;
    const created = await legacy.createAccount({ address: 'newbox@legacy-domain.ovh', password: 'Legacy-Pass-9', displayName: 'New box', neededBytes: 50_000_000 });
    // The domain's quota rule: 50 MB plus max(10 %, 100 MiB) of headroom does not fit 100 MB, so the 1 GB size.
    expect(created).toMatchObject({ address: 'newbox@legacy-domain.ovh', quotaBytes: 1_000_000_000, configured: true });
    const post = requestsSince(since).find((r) => r.method === 'POST');
    expect(post).toMatchObject({ path: `/email/domain/${LEGACY}/account`, body: { accountName: 'newbox', size: 1_000_000_000, description: 'New box' } });
    expect(await imapLoginWorks(sim, 'newbox@legacy-domain.ovh', 'Legacy-Pass-9')).toBe(true);
    await legacy.changePassword('newbox@legacy-domain.ovh', 'Legacy-Pass-10');
    expect(await imapLoginWorks(sim, 'newbox@legacy-domain.ovh', 'Legacy-Pass-10')).toBe(true);
    await expect(legacy.changePassword('newbox@legacy-domain.ovh', 'é-accented-pass')).rejects.toMatchObject({ reason: 'passwordPolicy' });
    await expect(legacy.createAccount({ address: 'x@other.example', password: 'Legacy-Pass-9' })).rejects.toMatchObject({ reason: 'fixedDomain' });
    await legacy.resetAccount('newbox@legacy-domain.ovh');
    expect(await legacy.getAccount('newbox@legacy-domain.ovh')).toBeUndefined();
  });
});

describe('requests on the wire', () => {
  it('every request went to a schema route, e-mail addresses URL-encoded and correctly signed', () => {
    const rejected = sim.requests.filter((r) => r.status === 401 || r.status === 403 || r.status === 405 || (r.status === 400 && r.errorCode === 'INVALID_SIGNATURE'));
    expect(rejected).toEqual([]);
    expect(sim.requests.every((r) => r.route !== undefined)).toBe(true);
  });
});
