import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvhSimulator, sandboxFixture, type SimulatorFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { OvhForbidden, OvhTaskFailed } from '../../src/ovh/errors.js';
import { applyFeatures, describeChange, featureChanges, featureKey, type AppliedFeature } from '../../src/ovh/features.js';
import type { FeatureChange, FeatureSnapshot, FeatureTask, MailPlatform } from '../../src/ovh/mail-platform.js';
import { OvhClient } from '../../src/ovh/ovh-client.js';
import type { OvhPlatformFactory } from '../../src/ovh/platform-factory.js';
import { accessRules } from '../../src/ovh/routes.js';
import { clientFor, factoryFor } from './sim-helpers.js';

/**
 * Reading every recreatable feature of a mailbox on its source and applying it on each kind of destination,
 * against the simulator over HTTPS with the real signed client.
 */

const EX = 'hosted-sb11111-1/hosted-sb11111-1';
const EX_DEST = 'hosted-sb55555-1/hosted-sb55555-1';
const PRO = 'emailpro-sb22222-1';
const MX = 'mxplan-sb33333-1';
const LEGACY = 'mydomain.ovh';
const JOHN = 'john.smith@mydomain.ovh';
const JANE = 'jane.doe@mydomain.ovh';

/** The sandbox, without mail, plus what these tests need on top of it. */
function testFixture(): SimulatorFixture {
  const fixture = sandboxFixture();
  for (const service of fixture.services) for (const account of service.accounts) delete account.mailbox;
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  const john = exchange.accounts.find((a) => a.login === 'john.smith')!;
  john.litigationPeriod = 365;
  john.archiveQuota = 50;
  exchange.resourceAccounts = [{ address: 'room1@mydomain.ovh', displayName: 'Room 1', delegates: [JOHN] }];
  const pro = fixture.services.find((s) => s.platform === 'emailpro')!;
  pro.accounts.find((a) => a.login === 'alice')!.fullAccess = ['bob@pro-domain.ovh'];
  pro.accounts.find((a) => a.login === 'bob')!.sendAs = ['alice@pro-domain.ovh'];
  pro.domains = [{ name: 'pro-domain.ovh', type: 'authoritative', main: true, disclaimer: '<p>Pro footer</p>', disclaimerOutsideOnly: true }];
  pro.freeSlots = 4;
  fixture.services.push(
    {
      platform: 'exchange',
      organization: 'hosted-sb55555-1',
      service: 'hosted-sb55555-1',
      displayName: 'Destination Exchange',
      offer: 'hosted',
      hostname: 'ex2.sandbox.local',
      domain: 'second.ovh',
      domains: [{ name: 'second.ovh', type: 'authoritative', main: true }],
      accounts: [],
      freeSlots: 3,
      mailbox: { separator: '/', prefix: '', specialUse: {} },
    },
    {
      platform: 'mxplan-legacy',
      service: LEGACY,
      displayName: LEGACY,
      offer: 'MXPLAN',
      hostname: 'ssl1.sandbox.local',
      domain: LEGACY,
      allowedAccountSize: [1_000_000_000, 5_000_000_000],
      passwordPolicy: { minPasswordLength: 9, maxPasswordLength: 30, complexityEnabled: false },
      accounts: [],
      mailbox: { separator: '/', prefix: '', specialUse: {} },
    },
  );
  return fixture;
}

let sim: OvhSimulator;
let factory: OvhPlatformFactory;
let exchange: MailPlatform;
let exchangeDest: MailPlatform;
let pro: MailPlatform;
let mxplan: MailPlatform;
let legacy: MailPlatform;
/** john.smith's features, read on the Exchange source at "preflight". */
let john: FeatureSnapshot;

beforeAll(async () => {
  sim = await OvhSimulator.start({ fixture: testFixture(), taskDelayMs: 40, renameDelayMs: 60 });
  factory = factoryFor(sim);
  exchange = await factory({ platform: 'exchange', name: EX });
  exchangeDest = await factory({ platform: 'exchange', name: EX_DEST });
  pro = await factory({ platform: 'emailpro', name: PRO });
  mxplan = await factory({ platform: 'mxplan', name: MX });
  legacy = await factory({ platform: 'mxplan-legacy', name: LEGACY });
  john = await exchange.readFeatures(JOHN);
}, 120_000);

afterAll(async () => {
  factory?.client.close();
  await sim?.stop();
}, 60_000);

/** Writes (anything but GET) the simulator answered since `since`. */
const writesSince = (since: number) => sim.requests.slice(since).filter((r) => r.method !== 'GET');
const postsSince = (since: number) => writesSince(since).filter((r) => r.method === 'POST');

/** key -> status of each applied change. */
function statuses(results: AppliedFeature[]): Record<string, string> {
  return Object.fromEntries(results.map((r) => [r.key, r.outcome.status]));
}

function byKind(results: AppliedFeature[], kind: FeatureChange['kind']): AppliedFeature[] {
  return results.filter((r) => r.change.kind === kind);
}

/** A destination account for `address`, as the pipeline's create step makes it. */
async function createOn(platform: MailPlatform, address: string, password: string): Promise<void> {
  if (!(await platform.getAccount(address))) await platform.createAccount({ address, password });
}

describe('reading a mailbox\'s features on its source, by address', { timeout: 60_000 }, () => {
  it('Exchange: settings, forwarding, aliases, rights in both directions, groups, contacts, footer, what cannot move', () => {
    expect(john).toMatchObject({ address: JOHN, platform: 'exchange', service: EX });
    expect(john.settings).toEqual({ displayName: 'John Smith', firstName: 'John', lastName: 'Smith', initials: 'JS', hiddenFromGAL: false });
    expect(john.forwarding).toEqual({ forwardingEmail: 'john.smith@example.com', storeCopyOfEmail: true });
    expect(john.spamAndVirus).toMatchObject({ putInJunk: true, deleteVirus: true });
    expect([...john.aliases].sort()).toEqual(['j.smith@mydomain.ovh', 'john@mydomain.ovh']);
    // others on john (ids resolved to addresses), and john on others
    expect(john.delegations).toHaveLength(5);
    expect(john.delegations).toEqual(
      expect.arrayContaining([
        { right: 'fullAccess', owner: JOHN, grantee: JANE },
        { right: 'sendAs', owner: JOHN, grantee: JANE },
        { right: 'sendOnBehalfTo', owner: JOHN, grantee: JANE },
        { right: 'fullAccess', owner: JANE, grantee: JOHN },
        { right: 'sendAs', owner: JANE, grantee: JOHN },
      ]),
    );
    expect(john.groups).toEqual([
      {
        address: 'team@mydomain.ovh',
        displayName: 'Team',
        departRestriction: 'closed',
        joinRestriction: 'approvalRequired',
        hiddenFromGAL: false,
        senderAuthentification: false,
        roles: ['member'],
        memberAccounts: [JOHN],
        memberContacts: ['partner@example.com'],
        managers: [JANE],
        aliases: ['equipe@mydomain.ovh'],
        sendAs: [JANE],
        sendOnBehalfTo: [],
      },
    ]);
    expect(john.externalContacts).toEqual([
      { address: 'partner@example.com', displayName: 'Partner Example', firstName: 'Paula', lastName: 'Partner', hiddenFromGAL: false },
      { address: 'supplier@example.org', displayName: 'Supplier Example', hiddenFromGAL: false },
    ]);
    expect(john.footer).toEqual({ domain: 'mydomain.ovh', content: '<p>Sent from mydomain.ovh</p>', outsideOnly: false });
    expect(john.unmigrated.map((f) => f.kind).sort()).toEqual(['archive', 'collaborative', 'litigation', 'resourceAccount', 'sharedAccount']);
    expect(john.unmigrated.find((f) => f.kind === 'sharedAccount')).toMatchObject({ description: 'full access on the shared mailbox shared@mydomain.ovh', instruction: expect.stringMatching(/Shared accounts/) });
    expect(john.unmigrated.find((f) => f.kind === 'litigation')?.description).toMatch(/365 days/);
    expect(john.unmigrated.find((f) => f.kind === 'resourceAccount')?.description).toMatch(/room1@mydomain.ovh/);
    for (const f of john.unmigrated) expect(f.instruction).toEqual(expect.any(String));
  });

  it('Exchange: the other end of the same rights, and a group the mailbox manages and may send as', async () => {
    const since = sim.requests.length;
    const jane = await exchange.readFeatures('Jane.Doe@mydomain.ovh');
    expect(writesSince(since)).toEqual([]);
    expect(jane.delegations).toEqual(
      expect.arrayContaining([
        { right: 'fullAccess', owner: JANE, grantee: JOHN },
        { right: 'sendAs', owner: JANE, grantee: JOHN },
        { right: 'fullAccess', owner: JOHN, grantee: JANE },
        { right: 'sendAs', owner: JOHN, grantee: JANE },
        { right: 'sendOnBehalfTo', owner: JOHN, grantee: JANE },
      ]),
    );
    expect(jane.groups.map((g) => [g.address, g.roles])).toEqual([['team@mydomain.ovh', ['manager', 'sendAs']]]);
    expect(jane.forwarding).toBeUndefined();
    expect(jane.unmigrated.map((f) => f.kind)).toEqual(['collaborative']);
  });

  it('E-mail Pro: settings, aliases, rights in both directions, contacts, the footer; no groups or forwarding', async () => {
    const alice = await pro.readFeatures('alice@pro-domain.ovh');
    expect(alice.settings).toEqual({ displayName: 'Alice Martin', firstName: 'Alice', lastName: 'Martin', hiddenFromGAL: false });
    expect(alice.forwarding).toBeUndefined();
    expect(alice.aliases).toEqual(['contact@pro-domain.ovh']);
    expect(alice.delegations).toEqual([
      { right: 'fullAccess', owner: 'alice@pro-domain.ovh', grantee: 'bob@pro-domain.ovh' },
      { right: 'sendAs', owner: 'bob@pro-domain.ovh', grantee: 'alice@pro-domain.ovh' },
    ]);
    expect(alice.groups).toEqual([]);
    expect(alice.externalContacts.map((c) => c.address)).toEqual(['client@example.net', 'partner@example.com', 'supplier@example.org']);
    expect(alice.footer).toEqual({ domain: 'pro-domain.ovh', content: '<p>Pro footer</p>', outsideOnly: true });
    expect(alice.unmigrated).toEqual([]);
  });
});

describe('the changes a snapshot asks for', () => {
  it('come in a working order, once each, with natural keys', () => {
    const changes = featureChanges(john);
    const keys = changes.map(featureKey);
    expect(new Set(keys).size).toBe(keys.length);
    const at = (key: string) => keys.indexOf(key);
    expect(at('settings:john.smith@mydomain.ovh')).toBe(0);
    // contacts before the group, the group before its members, managers and rights
    expect(at('externalContact:partner@example.com')).toBeLessThan(at('group:team@mydomain.ovh'));
    expect(at('group:team@mydomain.ovh')).toBeLessThan(at('groupMember:team@mydomain.ovh:contact:partner@example.com'));
    expect(at('group:team@mydomain.ovh')).toBeLessThan(at('groupManager:team@mydomain.ovh:jane.doe@mydomain.ovh'));
    expect(keys).toEqual(expect.arrayContaining(['right:fullAccess:jane.doe@mydomain.ovh:john.smith@mydomain.ovh', 'groupRight:sendAs:team@mydomain.ovh:jane.doe@mydomain.ovh', 'footer:mydomain.ovh']));
    // a list owner where one is needed: its first manager
    expect(changes.find((c) => c.kind === 'group')).toMatchObject({ owner: JANE });
    expect(describeChange({ kind: 'right', right: 'sendAs', owner: JANE, grantee: JOHN })).toBe(`send as on ${JANE} for ${JOHN}`);
  });
});

describe('applying on an Exchange destination', { timeout: 90_000 }, () => {
  it('recreates everything whose ends exist, leaves the links to jane.doe waiting, posts nothing twice', async () => {
    await exchangeDest.attachDomainNonAuthoritative('mydomain.ovh', 'mx1.mail.ovh.net');
    await createOn(exchangeDest, JOHN, 'Dest-Passw0rd-1');
    const changes = featureChanges(john);

    const first = await applyFeatures(exchangeDest, changes);
    const s = statuses(first);
    expect(first.filter((r) => r.outcome.status === 'failed')).toEqual([]);
    expect(s).toMatchObject({
      'settings:john.smith@mydomain.ovh': 'created',
      'forwarding:john.smith@mydomain.ovh': 'created',
      'spamFilter:john.smith@mydomain.ovh': 'exists',
      'alias:john.smith@mydomain.ovh:john@mydomain.ovh': 'created',
      'externalContact:partner@example.com': 'created',
      'externalContact:supplier@example.org': 'created',
      'footer:mydomain.ovh': 'created',
      'group:team@mydomain.ovh': 'created',
      'groupAlias:team@mydomain.ovh:equipe@mydomain.ovh': 'created',
      'groupMember:team@mydomain.ovh:contact:partner@example.com': 'created',
      'groupMember:team@mydomain.ovh:account:john.smith@mydomain.ovh': 'created',
      'groupManager:team@mydomain.ovh:jane.doe@mydomain.ovh': 'waiting',
      'groupRight:sendAs:team@mydomain.ovh:jane.doe@mydomain.ovh': 'waiting',
    });
    for (const r of byKind(first, 'right')) expect(r.outcome).toEqual({ status: 'waiting', missing: [JANE] });

    // what the destination now holds, read back the same way
    const there = await exchangeDest.readFeatures(JOHN);
    expect(there.settings).toEqual(john.settings);
    expect(there.forwarding).toEqual(john.forwarding);
    expect([...there.aliases].sort()).toEqual([...john.aliases].sort());
    expect(there.externalContacts).toEqual(john.externalContacts);
    expect(there.footer).toEqual(john.footer);
    expect(there.groups).toEqual([{ ...john.groups[0], managers: [], sendAs: [] }]);

    // jane.doe arrives (a later migration): the waiting links go through, nothing else is posted again
    await createOn(exchangeDest, JANE, 'Dest-Passw0rd-2');
    const since = sim.requests.length;
    const second = await applyFeatures(exchangeDest, changes);
    const waited = first.filter((r) => r.outcome.status === 'waiting').map((r) => r.key);
    expect(waited).toHaveLength(7);
    for (const r of second) expect(r.outcome.status).toBe(waited.includes(r.key) ? 'created' : 'exists');
    expect(postsSince(since)).toHaveLength(waited.length);
    const janeThere = await exchangeDest.readFeatures(JANE);
    expect(new Set(janeThere.delegations.map((d) => `${d.right} ${d.owner} ${d.grantee}`))).toEqual(new Set(john.delegations.map((d) => `${d.right} ${d.owner} ${d.grantee}`)));
    expect(janeThere.groups[0]).toMatchObject({ roles: ['manager', 'sendAs'], managers: [JANE], sendAs: [JANE] });

    // a third run changes nothing at all
    const again = sim.requests.length;
    const third = await applyFeatures(exchangeDest, changes);
    expect(third.every((r) => r.outcome.status === 'exists')).toBe(true);
    expect(writesSince(again)).toEqual([]);
  });

  it('reports a group, contact or footer that exists with other values as a conflict and leaves it alone', async () => {
    const since = sim.requests.length;
    const contact = { ...john.externalContacts[0]!, displayName: 'Someone Else' };
    expect(await exchangeDest.applyFeature({ kind: 'externalContact', contact })).toEqual({
      status: 'conflict',
      detail: expect.stringMatching(/partner@example.com already exists .*displayName is "Partner Example" there, "Someone Else" on the source/),
    });
    expect(await exchangeDest.applyFeature({ kind: 'footer', footer: { ...john.footer!, content: 'other' } })).toMatchObject({ status: 'conflict' });
    const group = featureChanges(john).find((c) => c.kind === 'group')!;
    expect(await exchangeDest.applyFeature({ ...group, group: { ...(group as Extract<FeatureChange, { kind: 'group' }>).group, joinRestriction: 'open' } } as FeatureChange)).toMatchObject({
      status: 'conflict',
      detail: expect.stringMatching(/joinRestriction/),
    });
    expect(writesSince(since)).toEqual([]);
  });
});

describe('spam and virus settings', { timeout: 60_000 }, () => {
  it('are written on Exchange; where read-only, equal ones need nothing and differing ones are by hand', async () => {
    const change: FeatureChange = { kind: 'spamFilter', address: JOHN, spamAndVirus: { ...john.spamAndVirus!, deleteSpam: true, putInJunk: false } };
    expect(await exchangeDest.applyFeature(change)).toEqual({ status: 'created' });
    expect((await exchangeDest.readFeatures(JOHN)).spamAndVirus).toEqual(change.spamAndVirus);
    expect(await exchangeDest.applyFeature(change)).toEqual({ status: 'exists' });
    await pro.attachDomainNonAuthoritative('mydomain.ovh', 'mx1.mail.ovh.net');
    await createOn(pro, JOHN, 'Pro-Passw0rd-1');
    const since = sim.requests.length;
    expect(await pro.applyFeature(change)).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/read-only/), instruction: expect.stringMatching(/control panel/) });
    expect(await pro.applyFeature({ ...change, spamAndVirus: john.spamAndVirus! })).toEqual({ status: 'exists' });
    expect(writesSince(since)).toEqual([]);
  });
});

describe('applying on an E-mail Pro destination', { timeout: 90_000 }, () => {
  it('recreates settings, aliases, contacts and the footer; forwarding and groups by hand; a differing contact is a conflict', async () => {
    expect(pro.featureSupport()).toMatchObject({ forwarding: { supported: false }, group: { supported: false }, right: { supported: true }, footer: { supported: true } });
    await pro.attachDomainNonAuthoritative('mydomain.ovh', 'mx1.mail.ovh.net');
    await createOn(pro, JOHN, 'Pro-Passw0rd-1');
    const changes = featureChanges(john);
    const first = await applyFeatures(pro, changes);
    const s = statuses(first);
    expect(first.filter((r) => r.outcome.status === 'failed')).toEqual([]);
    expect(s).toMatchObject({
      'settings:john.smith@mydomain.ovh': 'created',
      'forwarding:john.smith@mydomain.ovh': 'unsupported',
      // the same settings as E-mail Pro's (read-only) ones: nothing to do
      'spamFilter:john.smith@mydomain.ovh': 'exists',
      'alias:john.smith@mydomain.ovh:j.smith@mydomain.ovh': 'created',
      'externalContact:partner@example.com': 'exists',
      'externalContact:supplier@example.org': 'conflict',
      'footer:mydomain.ovh': 'created',
    });
    expect(byKind(first, 'forwarding')[0]!.outcome).toMatchObject({ reason: expect.stringMatching(/no forwarding.*john.smith@example.com/), instruction: expect.stringMatching(/webmail/) });
    expect(byKind(first, 'externalContact').find((r) => r.key.includes('supplier'))!.outcome).toMatchObject({ detail: expect.stringMatching(/Supplier \(old name\)/) });
    for (const kind of ['group', 'groupMember', 'groupManager', 'groupAlias', 'groupRight'] as const) {
      for (const r of byKind(first, kind)) expect(r.outcome).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/E-mail Pro has no groups/) });
    }
    for (const r of byKind(first, 'right')) expect(r.outcome).toEqual({ status: 'waiting', missing: [JANE] });
    // the conflicting contact was left as it was
    expect(sim.state.service(`emailpro:${PRO}`)!.externalContacts.find((c) => c.externalEmailAddress === 'supplier@example.org')!.displayName).toBe('Supplier (old name)');

    await createOn(pro, JANE, 'Pro-Passw0rd-2');
    const rights = await applyFeatures(pro, changes.filter((c) => c.kind === 'right'));
    expect(rights.map((r) => r.outcome.status)).toEqual(['created', 'created', 'created', 'created', 'created']);

    const since = sim.requests.length;
    const again = await applyFeatures(pro, changes);
    expect(postsSince(since)).toEqual([]);
    expect(writesSince(since)).toEqual([]);
    expect(again.filter((r) => r.outcome.status === 'created')).toEqual([]);
  });
});

describe('applying on a new MX Plan destination', { timeout: 90_000 }, () => {
  it('recreates settings, aliases, contacts, the footer and rights; no groups or forwarding', async () => {
    await createOn(mxplan, JOHN, 'MxPlan-Pass-01');
    await createOn(mxplan, JANE, 'MxPlan-Pass-02');
    const changes = featureChanges(john);
    const first = await applyFeatures(mxplan, changes);
    expect(first.filter((r) => r.outcome.status === 'failed')).toEqual([]);
    expect(statuses(first)).toMatchObject({
      'settings:john.smith@mydomain.ovh': 'created',
      'forwarding:john.smith@mydomain.ovh': 'unsupported',
      'alias:john.smith@mydomain.ovh:john@mydomain.ovh': 'created',
      'externalContact:partner@example.com': 'created',
      'footer:mydomain.ovh': 'created',
      'group:team@mydomain.ovh': 'unsupported',
      'right:fullAccess:john.smith@mydomain.ovh:jane.doe@mydomain.ovh': 'created',
      'right:sendAs:jane.doe@mydomain.ovh:john.smith@mydomain.ovh': 'created',
    });
    const there = await mxplan.readFeatures(JOHN);
    expect(there.settings).toEqual(john.settings);
    expect(new Set(there.delegations.map((d) => `${d.right} ${d.owner} ${d.grantee}`))).toEqual(new Set(john.delegations.map((d) => `${d.right} ${d.owner} ${d.grantee}`)));

    const since = sim.requests.length;
    await applyFeatures(mxplan, changes);
    expect(writesSince(since)).toEqual([]);
  });
});

describe('applying on a legacy MX Plan destination', { timeout: 90_000 }, () => {
  it('aliases and forwarding as redirections, the group as a mailing list; rights, contacts and footers by hand', async () => {
    await createOn(legacy, JOHN, 'Legacy-Pass-01');
    const changes = featureChanges(john);
    const first = await applyFeatures(legacy, changes);
    expect(first.filter((r) => r.outcome.status === 'failed')).toEqual([]);
    expect(statuses(first)).toMatchObject({
      'settings:john.smith@mydomain.ovh': 'created',
      'forwarding:john.smith@mydomain.ovh': 'created',
      'spamFilter:john.smith@mydomain.ovh': 'unsupported',
      'alias:john.smith@mydomain.ovh:john@mydomain.ovh': 'created',
      'alias:john.smith@mydomain.ovh:j.smith@mydomain.ovh': 'created',
      'externalContact:partner@example.com': 'unsupported',
      'footer:mydomain.ovh': 'unsupported',
      'group:team@mydomain.ovh': 'created',
      'groupAlias:team@mydomain.ovh:equipe@mydomain.ovh': 'created',
      'groupMember:team@mydomain.ovh:contact:partner@example.com': 'created',
      'groupMember:team@mydomain.ovh:account:john.smith@mydomain.ovh': 'created',
      'groupManager:team@mydomain.ovh:jane.doe@mydomain.ovh': 'created',
      'groupRight:sendAs:team@mydomain.ovh:jane.doe@mydomain.ovh': 'unsupported',
    });
    for (const r of byKind(first, 'right')) expect(r.outcome).toMatchObject({ status: 'unsupported', reason: expect.stringMatching(/no mailbox delegation/) });

    const svc = sim.state.service(`mxplan-legacy:${LEGACY}`)!;
    expect(svc.accounts.find((a) => a.login === 'john.smith')!.description).toBe('John Smith');
    const list = svc.mailingLists.find((m) => m.name === 'team')!;
    expect(list).toMatchObject({ ownerEmail: JANE, moderators: [JANE] });
    expect([...list.subscribers!].sort()).toEqual([JOHN, 'partner@example.com']);
    expect(svc.redirections!.filter((r) => !r.hidden).map((r) => `${r.from} -> ${r.to}${r.localCopy ? ' (copy)' : ''}`).sort()).toEqual([
      'equipe@mydomain.ovh -> team@mydomain.ovh',
      'j.smith@mydomain.ovh -> john.smith@mydomain.ovh',
      'john.smith@mydomain.ovh -> john.smith@example.com (copy)',
      'john@mydomain.ovh -> john.smith@mydomain.ovh',
    ]);

    const since = sim.requests.length;
    const again = await applyFeatures(legacy, changes);
    expect(writesSince(since)).toEqual([]);
    expect(again.filter((r) => r.outcome.status === 'created')).toEqual([]);
  });
});

describe('start, then wait from another process', { timeout: 90_000 }, () => {
  it('a task reference kept as JSON is waited for by a new client, and nothing is posted again', async () => {
    const change: FeatureChange = { kind: 'externalContact', contact: { address: 'late@example.net', displayName: 'Late Contact', hiddenFromGAL: false } };
    sim.faults.slowTasks(600);
    let saved: string;
    try {
      const started = await exchangeDest.startFeature(change);
      expect(started).toMatchObject({ status: 'started', task: { queue: 'hosted', function: 'addExternalContact', service: EX_DEST } });
      saved = JSON.stringify((started as { task: FeatureTask }).task);
    } finally {
      sim.faults.clear();
    }
    // the process dies here; a new one, with a new client, resumes from the checkpoint
    factory.client.close();
    const other = factoryFor(sim);
    try {
      const resumed = await other({ platform: 'exchange', name: EX_DEST });
      const since = sim.requests.length;
      await resumed.waitFeature(JSON.parse(saved) as FeatureTask);
      expect(sim.requests.slice(since).some((r) => r.method === 'GET' && /\/task\/\d+$/.test(r.path))).toBe(true);
      expect(await resumed.checkFeature(change)).toEqual({ status: 'exists' });
      expect(writesSince(since)).toEqual([]);

      // legacy MX Plan: a redirection task, followed the same way
      const alias: FeatureChange = { kind: 'alias', address: JOHN, alias: 'js@mydomain.ovh' };
      const started = await (await other({ platform: 'mxplan-legacy', name: LEGACY })).startFeature(alias);
      expect(started).toMatchObject({ status: 'started', task: { queue: 'redirection' } });
      const third = factoryFor(sim);
      try {
        await (await third({ platform: 'mxplan-legacy', name: LEGACY })).waitFeature(JSON.parse(JSON.stringify((started as { task: FeatureTask }).task)));
        expect(await legacy.checkFeature(alias)).toEqual({ status: 'exists' });
      } finally {
        third.client.close();
      }
    } finally {
      other.client.close();
      factory = factoryFor(sim);
      exchangeDest = await factory({ platform: 'exchange', name: EX_DEST });
      pro = await factory({ platform: 'emailpro', name: PRO });
      legacy = await factory({ platform: 'mxplan-legacy', name: LEGACY });
    }
  });
});

describe('an OVH task that ends in error', { timeout: 90_000 }, () => {
  it('fails that feature alone, with an error naming it; the others are recreated', async () => {
    const changes: FeatureChange[] = [
      { kind: 'externalContact', contact: { address: 'first@example.net', displayName: 'First', hiddenFromGAL: false } },
      { kind: 'right', right: 'sendOnBehalfTo', owner: JANE, grantee: JOHN },
      { kind: 'externalContact', contact: { address: 'second@example.net', displayName: 'Second', hiddenFromGAL: false } },
    ];
    sim.faults.failTasks({ function: 'addSendOnBehalfTo', times: 1 });
    const results = await applyFeatures(pro, changes);
    expect(results.map((r) => r.outcome.status)).toEqual(['created', 'failed', 'created']);
    const failed = results[1]!.outcome as { status: 'failed'; error: Error; detail: string };
    expect(failed.error).toBeInstanceOf(OvhTaskFailed);
    expect(failed.error.message).toMatch(new RegExp(`^OVH task \\d+ \\(addSendOnBehalfTo\\) on ${PRO} to recreate send on behalf on ${JANE} for ${JOHN} ended with status error$`));
    expect(failed.detail).toMatch(/^send on behalf on jane.doe@mydomain.ovh for john.smith@mydomain.ovh: OVH task/);
    // the fault is gone: the next run creates it, and only it
    const since = sim.requests.length;
    expect((await applyFeatures(pro, changes)).map((r) => r.outcome.status)).toEqual(['exists', 'created', 'exists']);
    expect(postsSince(since)).toHaveLength(1);
  });

  it('legacy MX Plan: a mailing-list task gone without its change is a failure of that feature', async () => {
    const change: FeatureChange = { kind: 'groupMember', group: 'team@mydomain.ovh', member: 'new.member@example.com', memberType: 'contact' };
    sim.faults.failTasks({ function: 'addSubscriber', times: 1 });
    // once its task is gone, the change is read back for a while: keep that short here
    const impatient = factoryFor(sim, { stateWait: { initialDelayMs: 30, maxDelayMs: 100, timeoutMs: 800 } });
    const [result] = await applyFeatures(await impatient({ platform: 'mxplan-legacy', name: LEGACY }), [change]).finally(() => impatient.client.close());
    expect(result!.outcome).toMatchObject({ status: 'failed', error: expect.any(OvhTaskFailed) });
    expect((result!.outcome as { error: Error }).error.message).toMatch(/to recreate external contact new.member@example.com as a member of the group team@mydomain.ovh/);
    expect(await legacy.applyFeature(change)).toEqual({ status: 'created' });
  });
});

describe('a consumer key without the new access rules', { timeout: 60_000 }, () => {
  it('says to run ovh-login again and names the missing rule', async () => {
    const env = sim.endpointEnv();
    const unsigned = new OvhClient({ host: env.OVH_HOST, port: Number(env.OVH_PORT), appKey: env.OVH_APP_KEY!, appSecret: env.OVH_APP_SECRET!, ca: sim.caCertificate });
    // A call this tool did not make before, that no older rule covers (OVH's `*` also covers sub-paths, so an
    // old `GET /email/exchange/*/service/*` already grants every new GET there): creating an external contact.
    const missing = { method: 'POST', path: '/email/exchange/*/service/*/externalContact' } as const;
    expect(accessRules()).toContainEqual(missing);
    const credential = await unsigned.requestCredential({ accessRules: accessRules().filter((r) => !(r.method === missing.method && r.path === missing.path)) });
    unsigned.close();
    const old = factoryFor(sim, {}, clientFor(sim, { consumerKey: credential.consumerKey }));
    try {
      const destination = await old({ platform: 'exchange', name: EX_DEST });
      const change: FeatureChange = { kind: 'externalContact', contact: { address: 'granted@example.net', displayName: 'Granted?', hiddenFromGAL: false } };
      const error = await destination.applyFeature(change).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OvhForbidden);
      expect(error).toMatchObject({ status: 403, errorCode: 'NOT_GRANTED_CALL', missingRule: missing });
      expect((error as OvhForbidden).nextStep).toMatch(/run migrate-mailbox ovh-login again/);
      expect((error as OvhForbidden).nextStep).toContain(`${missing.method} ${missing.path}`);
      // the same key reads features fine: it only lacks that one rule
      expect((await (await old({ platform: 'exchange', name: EX })).readFeatures(JOHN)).address).toBe(JOHN);
    } finally {
      old.client.close();
    }
  });
});
