import { sampleMailbox, sandboxFixture, secondExchangeService, type SimulatorFixture } from '../../src/sandbox/ovh-simulator/index.js';

/**
 * The sandbox fixture plus what the pair tests need and the sample lacks: a second Exchange service, a second
 * E-mail Pro service, an MX Plan service on the E-mail Pro domain, and seeded mailboxes for each source.
 */
export function pairsFixture(): SimulatorFixture {
  const fixture = sandboxFixture();
  const pro = fixture.services.find((s) => s.platform === 'emailpro')!;
  pro.accounts.find((a) => a.login === 'bob')!.mailbox = sampleMailbox('bob@pro-domain.ovh', 0.4);
  pro.accounts.push({ login: 'carol', domain: 'pro-domain.ovh', password: 'EmailPro-Pass-03', quota: 10, displayName: 'Carol', aliases: ['sales@pro-domain.ovh'], mailbox: sampleMailbox('carol@pro-domain.ovh', 0.4) });
  pro.accounts.push({ login: 'dave', domain: 'pro-domain.ovh', password: 'EmailPro-Pass-04', quota: 10, displayName: 'Dave', mailbox: sampleMailbox('dave@pro-domain.ovh', 0.3) });
  pro.freeSlots = 4;
  // An E-mail Pro mailbox on the legacy MX Plan's domain, to test the legacy MX Plan as a destination.
  pro.domains = [...(pro.domains ?? []), { name: 'legacy-domain.ovh', type: 'nonAuthoritative', mxRelay: 'mx1.mail.ovh.net' }];
  pro.accounts.push({ login: 'old', domain: 'legacy-domain.ovh', password: 'EmailPro-Pass-05', quota: 10, displayName: 'Old', mailbox: sampleMailbox('old@legacy-domain.ovh', 0.3) });
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  exchange.accounts.push({ login: 'erin', domain: 'mydomain.ovh', password: 'Exchange-Pass-05', quota: 50, displayName: 'Erin', accountLicense: 'standard', mailbox: sampleMailbox('erin@mydomain.ovh', 0.3) });
  exchange.accounts.push({ login: 'frank', domain: 'mydomain.ovh', password: 'Exchange-Pass-06', quota: 50, displayName: 'Frank', accountLicense: 'standard', mailbox: sampleMailbox('frank@mydomain.ovh', 0.3) });
  exchange.accounts.push({ login: 'gina', domain: 'mydomain.ovh', password: 'Exchange-Pass-07', quota: 50, displayName: 'Gina', accountLicense: 'standard', mailbox: sampleMailbox('gina@mydomain.ovh', 0.3) });
  exchange.freeSlots = 3;
  fixture.services.push(
    secondExchangeService(),
    {
      platform: 'emailpro',
      service: 'emailpro-sb66666-1',
      displayName: 'Second E-mail Pro',
      offer: 'emailpro',
      hostname: 'pro2.sandbox.local',
      domain: 'second-pro.ovh',
      domains: [{ name: 'second-pro.ovh', type: 'authoritative', main: true }],
      passwordPolicy: { minPasswordLength: 8, complexityEnabled: true },
      billingMigrated: true,
      accounts: [],
      freeSlots: 2,
      mailbox: { separator: '/', prefix: '', specialUse: { sent: 'Sent', trash: 'Trash', drafts: 'Drafts', junk: 'Junk', archive: 'Archive' } },
    },
    {
      platform: 'mxplan',
      service: 'mxplan-sb44444-1',
      displayName: 'MX Plan for pro-domain.ovh',
      offer: 'MXPLAN',
      hostname: 'mxplan2.sandbox.local',
      domain: 'pro-domain.ovh',
      domains: [{ name: 'pro-domain.ovh', type: 'authoritative', main: true }],
      passwordPolicy: { minPasswordLength: 9, complexityEnabled: false },
      quotaChoices: [1, 2.5, 5],
      accounts: [],
      freeSlots: 2,
      mailbox: { separator: '/', prefix: '', specialUse: {} },
    },
  );
  return fixture;
}

/** An Exchange service with nothing on it yet, for feature tests (each destination service fresh). */
function emptyExchange(id: string, hostname: string): SimulatorFixture['services'][number] {
  return {
    platform: 'exchange',
    organization: id,
    service: id,
    displayName: `Exchange ${id}`,
    offer: 'hosted',
    hostname,
    domain: `${id}.ovh`,
    domains: [{ name: `${id}.ovh`, type: 'authoritative', main: true }],
    passwordPolicy: { minPasswordLength: 10, complexityEnabled: true },
    accounts: [],
    freeSlots: 8,
    mailbox: { separator: '/', prefix: '', specialUse: {} },
  };
}

/** The legacy MX Plan of mydomain.ovh (the sandbox's legacy service holds legacy-domain.ovh). */
function legacyMydomain(): SimulatorFixture['services'][number] {
  return {
    platform: 'mxplan-legacy',
    service: 'mydomain.ovh',
    displayName: 'mydomain.ovh',
    offer: 'MXPLAN',
    hostname: 'ssl1.sandbox.local',
    domain: 'mydomain.ovh',
    allowedAccountSize: [1_000_000_000, 5_000_000_000],
    passwordPolicy: { minPasswordLength: 9, maxPasswordLength: 30, complexityEnabled: false },
    accounts: [],
    mailbox: { separator: '/', prefix: '', specialUse: {} },
  };
}

/** The logins of FEATURE_CLONES: one Exchange mailbox per destination kind, each holding every kind of feature. */
export const FEATURE_CLONES = ['ex2ex', 'ex2pro', 'ex2mx', 'ex2legacy'] as const;

/**
 * For the features tests: the sandbox plus, on the Exchange source, `boss@mydomain.ovh` (stays there) and one
 * mailbox per destination kind (FEATURE_CLONES) holding names, initials, a forwarding, an alias, full access given
 * to boss and send-as on boss, and its own group `grp-LOGIN@` (member: itself and the contact partner@example.com,
 * manager and send-as: boss, an alias); alice (E-mail Pro) gives bob full access and may send as bob, and
 * pro-domain.ovh has a footer. Destinations: the second Exchange (hosted-sb55555-1), a third one for alice
 * (hosted-sb77777-1), the sandbox's E-mail Pro and MX Plan, and a legacy MX Plan of mydomain.ovh (instead of the
 * sandbox's legacy-domain.ovh).
 */
export function featuresFixture(): SimulatorFixture {
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  exchange.accounts.push({
    login: 'boss',
    domain: 'mydomain.ovh',
    password: 'Exchange-Pass-20',
    quota: 50,
    displayName: 'The Boss',
    accountLicense: 'standard',
    sendAs: FEATURE_CLONES.map((login) => `${login}@mydomain.ovh`),
  });
  for (const login of FEATURE_CLONES) {
    exchange.accounts.push({
      login,
      domain: 'mydomain.ovh',
      password: 'Exchange-Pass-21',
      quota: 50,
      displayName: `Clone ${login}`,
      firstName: 'Clone',
      lastName: login,
      initials: 'CL',
      forwardingEmail: `${login}@example.com`,
      storeCopyOfEmail: true,
      accountLicense: 'standard',
      aliases: [`${login}.alias@mydomain.ovh`],
      fullAccess: ['boss@mydomain.ovh'],
      mailbox: [{ path: 'INBOX', messages: sampleMailbox(`${login}@mydomain.ovh`, 0.2)[0]!.messages }],
    });
    exchange.mailingLists!.push({
      name: `grp-${login}@mydomain.ovh`,
      displayName: `Group of ${login}`,
      departRestriction: 'open',
      joinRestriction: 'closed',
      members: [`${login}@mydomain.ovh`],
      contacts: ['partner@example.com'],
      managers: ['boss@mydomain.ovh'],
      aliases: [`grp-${login}-alias@mydomain.ovh`],
      sendAs: ['boss@mydomain.ovh'],
    });
  }
  exchange.freeSlots = 4;
  const pro = fixture.services.find((s) => s.platform === 'emailpro')!;
  pro.accounts.find((a) => a.login === 'alice')!.fullAccess = ['bob@pro-domain.ovh'];
  pro.accounts.find((a) => a.login === 'bob')!.sendAs = ['alice@pro-domain.ovh'];
  pro.domains = [{ name: 'pro-domain.ovh', type: 'authoritative', main: true, disclaimer: '<p>Pro footer</p>', disclaimerOutsideOnly: true }];
  pro.freeSlots = 4;
  // legacy MX Plan logins go to ssl0.ovh.net, which the simulator maps to its first legacy service: this one
  fixture.services = fixture.services.filter((s) => s.platform !== 'mxplan-legacy');
  fixture.services.push(emptyExchange('hosted-sb55555-1', 'ex2.sandbox.local'), emptyExchange('hosted-sb77777-1', 'ex3.sandbox.local'), legacyMydomain());
  return fixture;
}

/**
 * For the tests of links across migrations: pairs of Exchange mailboxes that give each other full access, and
 * single mailboxes with an alias (the task-error test) or a service's external contacts to create (the old
 * consumer key test); destinations: the second and third Exchange services and the sandbox's MX Plan.
 */
export const LINKED_PAIRS = [
  ['p1', 'q1'],
  ['p2', 'q2'],
  ['a', 'b'],
  ['c', 'd'],
  ['e', 'f'],
] as const;

export function linksFixture(): SimulatorFixture {
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  const account = (login: string, extra: Partial<SimulatorFixture['services'][number]['accounts'][number]> = {}) => ({
    login,
    domain: 'mydomain.ovh',
    password: 'Exchange-Pass-30',
    quota: 50,
    displayName: `User ${login}`,
    accountLicense: 'standard' as const,
    mailbox: [{ path: 'INBOX', messages: sampleMailbox(`${login}@mydomain.ovh`, 0.15)[0]!.messages }],
    ...extra,
  });
  for (const [x, y] of LINKED_PAIRS) {
    exchange.accounts.push(account(x, { fullAccess: [`${y}@mydomain.ovh`] }), account(y, { fullAccess: [`${x}@mydomain.ovh`] }));
  }
  exchange.accounts.push(account('g', { aliases: ['g.alias@mydomain.ovh'] }), account('k'));
  exchange.freeSlots = 4;
  fixture.services.push(emptyExchange('hosted-sb55555-1', 'ex2.sandbox.local'), emptyExchange('hosted-sb77777-1', 'ex3.sandbox.local'));
  fixture.services.find((s) => s.service === 'hosted-sb55555-1')!.freeSlots = 16;
  return fixture;
}
