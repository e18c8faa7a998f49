import type { SeedMessage, SpecialUse } from '../dovecot.js';
import { sampleCollaborativeData, type MailboxSeed } from '../ews/seed.js';
import { PLACEHOLDER_DOMAIN, type DnsZone, type SimAccount, type SimPlatform, type SimService } from './state.js';

/**
 * What a simulator starts with. `sandboxFixture()` is the default; tests may pass their own (smaller) one.
 * Ids, dates and slot names are filled in by the simulator.
 */

export interface FixtureFolder {
  /** Logical path with `/` between levels, without the namespace prefix (`INBOX`, `Projets/Été 2024`)... */
  path?: string;
  /** ...or a special-use folder, named as the service's Dovecot names it. */
  specialUse?: SpecialUse;
  messages: SeedMessage[];
}

export interface FixtureAccount {
  login: string;
  domain: string;
  /** Absent for free `...@configureme.me` slots. */
  password?: string;
  /** GB (hosted platforms) or bytes (legacy MX Plan `size`). */
  quota?: number;
  displayName?: string;
  firstName?: string;
  lastName?: string;
  initials?: string;
  hiddenFromGAL?: boolean;
  /** Exchange forwarding. */
  forwardingEmail?: string;
  storeCopyOfEmail?: boolean;
  /** Exchange litigation hold (days; 0 = unlimited). */
  litigationPeriod?: number;
  /** Exchange archive mailbox quota (GB). */
  archiveQuota?: number;
  accountLicense?: SimAccount['accountLicense'];
  description?: string;
  imapEnabled?: boolean;
  usagePaddingBytes?: number;
  aliases?: string[];
  /** Addresses (same service) granted full access / send as / send on behalf on this mailbox. */
  fullAccess?: string[];
  sendAs?: string[];
  sendOnBehalfTo?: string[];
  mailbox?: FixtureFolder[];
  /** Legacy MX Plan: OVH customer ids (NIC handles) the account is delegated to. */
  delegations?: string[];
  /** Exchange: contacts, calendars, tasks, rules and out-of-office its EWS mailbox holds (the sandbox's EWS double). */
  collaborative?: MailboxSeed;
}

export interface FixtureDomain {
  name: string;
  type?: 'authoritative' | 'nonAuthoritative';
  main?: boolean;
  mxRelay?: string;
  disclaimer?: string;
  disclaimerOutsideOnly?: boolean;
}

/** A group: Exchange (name = address; members etc. by address) or legacy MX Plan (name = local part). */
export interface FixtureMailingList {
  name: string;
  displayName?: string;
  // Exchange
  departRestriction?: 'closed' | 'open';
  joinRestriction?: 'approvalRequired' | 'closed' | 'open';
  hiddenFromGAL?: boolean;
  senderAuthentification?: boolean;
  /** Accounts of the service (addresses). */
  members?: string[];
  /** External contacts of the service (addresses). */
  contacts?: string[];
  managers?: string[];
  aliases?: string[];
  sendAs?: string[];
  sendOnBehalfTo?: string[];
  // legacy MX Plan
  ownerEmail?: string;
  subscribers?: string[];
  moderators?: string[];
}

export interface FixtureService {
  platform: SimPlatform;
  /** Exchange organisation (Exchange only). */
  organization?: string;
  /** Exchange service / Pro & MX Plan service / legacy domain. */
  service: string;
  displayName?: string;
  offer?: string;
  hostname: string;
  domain: string;
  domains?: FixtureDomain[];
  accounts: FixtureAccount[];
  /** Number of free `...@configureme.me` slots to add (hosted platforms). */
  freeSlots?: number;
  externalContacts?: { address: string; displayName: string; firstName?: string; lastName?: string; initials?: string; hiddenFromGAL?: boolean }[];
  mailingLists?: FixtureMailingList[];
  /** Exchange shared mailboxes, with the accounts (addresses) holding rights on them. */
  sharedAccounts?: { address: string; displayName?: string; fullAccess?: string[]; sendAs?: string[]; sendOnBehalfTo?: string[] }[];
  /** Exchange resources, with their delegates (addresses). */
  resourceAccounts?: { address: string; displayName?: string; type?: 'equipment' | 'room'; capacity?: number; delegates?: string[] }[];
  /** Legacy MX Plan redirections (`localCopy` false = an alias of `to`). */
  redirections?: { from: string; to: string; localCopy?: boolean }[];
  passwordPolicy?: Partial<SimService['passwordPolicy']>;
  allowedAccountSize?: number[];
  quotaChoices?: number[];
  billingMigrated?: boolean;
  mailbox: SimService['mailbox'];
}

export interface SimulatorFixture {
  services: FixtureService[];
  zones?: Record<string, Partial<DnsZone>>;
}

const GB = 1; // hosted quotas are in GB already

/** A few dozen small messages over INBOX, Sent, Drafts, Archive and a nested non-ASCII folder, with flags. */
export function sampleMailbox(address: string, scale = 1): FixtureFolder[] {
  const base = Date.UTC(2024, 0, 15, 9, 0, 0);
  const make = (folder: string, n: number, flags: (i: number) => string[], subject: (i: number) => string): SeedMessage[] =>
    Array.from({ length: Math.max(1, Math.round(n * scale)) }, (_, i) => {
      const date = new Date(base + (i * 7 + folder.length) * 3_600_000);
      const raw =
        `Message-ID: <${folder.replace(/\W/g, '')}-${i}.${address.replace(/\W/g, '.')}@sandbox.local>\r\n` +
        `Date: ${date.toUTCString().replace('GMT', '+0000')}\r\n` +
        `From: Sender ${i} <sender${i}@example.com>\r\n` +
        `To: ${address}\r\n` +
        `Subject: ${subject(i)}\r\n` +
        'MIME-Version: 1.0\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Transfer-Encoding: 8bit\r\n\r\n' +
        `Hello ${address},\r\n\r\nThis is message ${i} of ${folder}. Café, naïve, Zürich.\r\n`;
      return { raw, flags: flags(i), internalDate: date };
    });
  return [
    {
      path: 'INBOX',
      messages: make('INBOX', 14, (i) => [...(i % 3 ? ['\\Seen'] : []), ...(i % 5 === 0 ? ['\\Flagged'] : []), ...(i % 4 === 1 ? ['\\Answered'] : []), ...(i === 2 ? ['$label1'] : [])], (i) => `Inbox message ${i}`),
    },
    { specialUse: 'sent', messages: make('Sent', 6, () => ['\\Seen'], (i) => `Re: sent ${i}`) },
    { specialUse: 'drafts', messages: make('Drafts', 2, () => ['\\Draft'], (i) => `Draft ${i}`) },
    { specialUse: 'archive', messages: make('Archive', 3, () => ['\\Seen'], (i) => `Archived ${i}`) },
    { path: 'Projets/Été 2024', messages: make('Projets', 5, (i) => (i % 2 ? ['\\Seen', 'Important'] : []), (i) => `=?utf-8?q?Projet_=C3=A9t=C3=A9_${i}?=`) },
  ];
}

/**
 * The sandbox: one Hosted Exchange service, one E-mail Pro, one new MX Plan and one legacy MX Plan, each with
 * a domain, configured accounts with small seeded mailboxes, and free `@configureme.me` slots on the hosted
 * platforms. The Exchange source also holds what an IMAP copy does not carry: john.smith's names, initials,
 * forwarding and aliases; full access and send-as between john.smith and jane.doe in both directions (and send
 * on behalf from john to jane); the group team@mydomain.ovh (member john.smith, external-contact member
 * partner@example.com, manager jane.doe, alias equipe@, send-as jane.doe); two external contacts; a footer on
 * mydomain.ovh; full access of john.smith on the shared mailbox shared@mydomain.ovh. The E-mail Pro sample holds
 * external contacts: partner@example.com as on Exchange, supplier@example.org with another display name (a
 * conflict). The legacy MX Plan holds an alias (redirection `contact@ -> info@`), a delegation of `info@` to
 * another OVH customer and `info@`'s subscription to (and ownership of) the list `newsletter`.
 */
export function sandboxFixture(): SimulatorFixture {
  return {
    services: [
      {
        platform: 'exchange',
        organization: 'hosted-sb11111-1',
        service: 'hosted-sb11111-1',
        displayName: 'Sandbox Hosted Exchange',
        offer: 'hosted',
        hostname: 'ex1.sandbox.local',
        domain: 'mydomain.ovh',
        domains: [{ name: 'mydomain.ovh', type: 'authoritative', main: true, disclaimer: '<p>Sent from mydomain.ovh</p>' }],
        passwordPolicy: { minPasswordLength: 8, complexityEnabled: true },
        accounts: [
          {
            login: 'john.smith',
            domain: 'mydomain.ovh',
            password: 'Exchange-Pass-01',
            quota: 50 * GB,
            displayName: 'John Smith',
            firstName: 'John',
            lastName: 'Smith',
            initials: 'JS',
            forwardingEmail: 'john.smith@example.com',
            storeCopyOfEmail: true,
            accountLicense: 'standard',
            aliases: ['john@mydomain.ovh', 'j.smith@mydomain.ovh'],
            fullAccess: ['jane.doe@mydomain.ovh'],
            sendAs: ['jane.doe@mydomain.ovh'],
            sendOnBehalfTo: ['jane.doe@mydomain.ovh'],
            mailbox: sampleMailbox('john.smith@mydomain.ovh'),
            collaborative: sampleCollaborativeData('john.smith@mydomain.ovh', { colleague: 'jane.doe@mydomain.ovh' }),
          },
          {
            login: 'jane.doe',
            domain: 'mydomain.ovh',
            password: 'Exchange-Pass-02',
            quota: 50 * GB,
            displayName: 'Jane Doe',
            firstName: 'Jane',
            lastName: 'Doe',
            accountLicense: 'standard',
            // rights john.smith holds on jane.doe (he gives her the same ones on his mailbox)
            fullAccess: ['john.smith@mydomain.ovh'],
            sendAs: ['john.smith@mydomain.ovh'],
            mailbox: sampleMailbox('jane.doe@mydomain.ovh', 0.5),
            collaborative: sampleCollaborativeData('jane.doe@mydomain.ovh', { colleague: 'john.smith@mydomain.ovh' }),
          },
          {
            login: 'big.mailbox',
            domain: 'mydomain.ovh',
            password: 'Exchange-Pass-03',
            quota: 50 * GB,
            displayName: 'Big Mailbox',
            accountLicense: 'standard',
            // reported usage ~12 GB: too big for E-mail Pro (10 GB) and MX Plan (5 GB)
            usagePaddingBytes: 12 * 1024 ** 3,
            mailbox: [{ path: 'INBOX', messages: sampleMailbox('big.mailbox@mydomain.ovh', 0.2)[0].messages }],
          },
          {
            login: 'imap.off',
            domain: 'mydomain.ovh',
            password: 'Exchange-Pass-04',
            quota: 50 * GB,
            displayName: 'IMAP Disabled',
            accountLicense: 'basic',
            imapEnabled: false,
            mailbox: [{ path: 'INBOX', messages: sampleMailbox('imap.off@mydomain.ovh', 0.2)[0].messages }],
          },
        ],
        freeSlots: 2,
        externalContacts: [
          { address: 'partner@example.com', displayName: 'Partner Example', firstName: 'Paula', lastName: 'Partner' },
          { address: 'supplier@example.org', displayName: 'Supplier Example' },
        ],
        mailingLists: [
          {
            name: 'team@mydomain.ovh',
            displayName: 'Team',
            departRestriction: 'closed',
            joinRestriction: 'approvalRequired',
            members: ['john.smith@mydomain.ovh'],
            contacts: ['partner@example.com'],
            managers: ['jane.doe@mydomain.ovh'],
            aliases: ['equipe@mydomain.ovh'],
            sendAs: ['jane.doe@mydomain.ovh'],
          },
        ],
        sharedAccounts: [{ address: 'shared@mydomain.ovh', displayName: 'Shared inbox', fullAccess: ['john.smith@mydomain.ovh'] }],
        mailbox: {
          separator: '/',
          prefix: '',
          specialUse: { sent: 'Sent Items', trash: 'Deleted Items', drafts: 'Drafts', junk: 'Junk Email', archive: 'Archive' },
        },
      },
      {
        platform: 'emailpro',
        service: 'emailpro-sb22222-1',
        displayName: 'Sandbox E-mail Pro',
        offer: 'emailpro',
        hostname: 'pro1.sandbox.local',
        domain: 'pro-domain.ovh',
        domains: [{ name: 'pro-domain.ovh', type: 'authoritative', main: true }],
        passwordPolicy: { minPasswordLength: 8, complexityEnabled: true },
        billingMigrated: true,
        accounts: [
          {
            login: 'alice',
            domain: 'pro-domain.ovh',
            password: 'EmailPro-Pass-01',
            quota: 10 * GB,
            displayName: 'Alice Martin',
            firstName: 'Alice',
            lastName: 'Martin',
            aliases: ['contact@pro-domain.ovh'],
            mailbox: sampleMailbox('alice@pro-domain.ovh', 0.5),
          },
          { login: 'bob', domain: 'pro-domain.ovh', password: 'EmailPro-Pass-02', quota: 10 * GB, displayName: 'Bob Durand' },
        ],
        freeSlots: 3,
        // partner@ is the same as on the Exchange sample; supplier@ differs from it (a conflict to report)
        externalContacts: [
          { address: 'client@example.net', displayName: 'Client Example' },
          { address: 'partner@example.com', displayName: 'Partner Example', firstName: 'Paula', lastName: 'Partner' },
          { address: 'supplier@example.org', displayName: 'Supplier (old name)' },
        ],
        mailbox: {
          separator: '.',
          prefix: 'INBOX.',
          specialUse: { sent: 'Éléments envoyés', trash: 'Éléments supprimés', drafts: 'Brouillons', junk: 'Courrier indésirable', archive: 'Archives' },
        },
      },
      {
        platform: 'mxplan',
        service: 'mxplan-sb33333-1',
        displayName: 'Sandbox MX Plan',
        offer: 'MXPLAN',
        hostname: 'mxplan1.sandbox.local',
        domain: 'mydomain.ovh',
        domains: [{ name: 'mydomain.ovh', type: 'authoritative', main: true }],
        passwordPolicy: { minPasswordLength: 9, complexityEnabled: false },
        quotaChoices: [1, 2.5, 5],
        accounts: [
          {
            login: 'contact',
            domain: 'mydomain.ovh',
            password: 'MxPlan-Pass-01',
            quota: 5,
            displayName: 'Contact',
            mailbox: sampleMailbox('contact@mydomain.ovh', 0.3),
          },
        ],
        freeSlots: 3,
        mailbox: { separator: '.', prefix: 'INBOX.', specialUse: {} },
      },
      {
        platform: 'mxplan-legacy',
        service: 'legacy-domain.ovh',
        displayName: 'legacy-domain.ovh',
        offer: 'MXPLAN',
        hostname: 'ssl0.sandbox.local',
        domain: 'legacy-domain.ovh',
        allowedAccountSize: [25_000_000, 100_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000],
        passwordPolicy: { minPasswordLength: 9, maxPasswordLength: 30, complexityEnabled: false },
        accounts: [
          {
            login: 'info',
            domain: 'legacy-domain.ovh',
            password: 'Legacy-Pass-01',
            quota: 5_000_000_000,
            description: 'Info mailbox',
            mailbox: sampleMailbox('info@legacy-domain.ovh', 0.3),
            delegations: ['ab12345-ovh'],
          },
          { login: 'sales', domain: 'legacy-domain.ovh', password: 'Legacy-Pass-02', quota: 1_000_000_000, description: 'Sales' },
        ],
        mailingLists: [{ name: 'newsletter', ownerEmail: 'info@legacy-domain.ovh', subscribers: ['info@legacy-domain.ovh', 'reader@example.com'] }],
        // On legacy MX Plan an alias is a redirection without local copy.
        redirections: [{ from: 'contact@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false }],
        mailbox: { separator: '/', prefix: '', specialUse: { junk: 'Spam' } },
      },
    ],
    zones: {
      'mydomain.ovh': {
        mx: ['mx0.mail.ovh.net.', 'mx1.mail.ovh.net.', 'mx2.mail.ovh.net.', 'mx3.mail.ovh.net.'],
        srv: ['0 0 443 ex1.sandbox.local.'],
        spf: ['v=spf1 include:mx.ovh.com ~all'],
        cnames: [],
        owned: true,
      },
      'pro-domain.ovh': {
        mx: ['mx0.mail.ovh.net.', 'mx1.mail.ovh.net.', 'mx2.mail.ovh.net.', 'mx3.mail.ovh.net.'],
        srv: ['0 0 443 pro1.sandbox.local.'],
        spf: ['v=spf1 include:mx.ovh.com ~all'],
        cnames: [],
        owned: true,
      },
      'legacy-domain.ovh': {
        mx: ['mx1.mail.ovh.net.', 'mx2.mail.ovh.net.', 'mx3.mail.ovh.net.'],
        srv: [],
        spf: ['v=spf1 include:mx.ovh.com ~all'],
        cnames: [],
        owned: true,
      },
    },
  };
}

export { PLACEHOLDER_DOMAIN };

/**
 * A second Hosted Exchange service (its own domain, German folder names, no account yet), so that Exchange ->
 * Exchange can be tried: mail, features, and calendars, contacts and tasks over EWS.
 */
export function secondExchangeService(): FixtureService {
  return {
  platform: 'exchange',
  organization: 'hosted-sb55555-1',
  service: 'hosted-sb55555-1',
  displayName: 'Second Hosted Exchange',
  offer: 'hosted',
  hostname: 'ex2.sandbox.local',
  domain: 'second.ovh',
  domains: [{ name: 'second.ovh', type: 'authoritative', main: true }],
  passwordPolicy: { minPasswordLength: 10, complexityEnabled: true },
  accounts: [],
  freeSlots: 2,
  mailbox: { separator: '.', prefix: 'INBOX.', specialUse: { sent: 'Gesendete Elemente', trash: 'Gelöschte Elemente', drafts: 'Entwürfe', junk: 'Junk-E-Mail', archive: 'Archiv' } },
};
}

// ---- scale: many more mailboxes, for batches and benchmarks -------------------------------------------------

/**
 * About `messages` small messages (1-3 KB of text, a few with a second part) for one seeded mailbox: 70 % in INBOX
 * (a third unread, some flagged), 20 % in Sent, the rest in Archive; each with its own Message-ID and date.
 */
export function scaleMailbox(address: string, messages: number): FixtureFolder[] {
  const total = Math.max(0, Math.round(messages));
  const sent = Math.round(total * 0.2);
  const archive = Math.round(total * 0.1);
  const inbox = total - sent - archive;
  const base = Date.UTC(2023, 5, 1, 8, 0, 0);
  const local = address.replace(/\W/g, '.');
  const make = (folder: string, n: number, flags: (i: number) => string[]): SeedMessage[] =>
    Array.from({ length: n }, (_, i) => {
      const date = new Date(base + (i * 11 + folder.length * 3) * 3_600_000);
      const lines = 12 + ((i * 7) % 25);
      const body = Array.from({ length: lines }, (_, l) => `Line ${l + 1} of message ${i} in ${folder}: the quick brown fox jumps over the lazy dog.`).join('\r\n');
      const multipart = i % 10 === 3;
      const boundary = `b-${folder}-${i}`;
      const raw =
        `Message-ID: <${folder.toLowerCase()}-${i}.${local}@scale.sandbox.local>\r\n` +
        `Date: ${date.toUTCString().replace('GMT', '+0000')}\r\n` +
        `From: ${folder === 'Sent' ? address : `Correspondent ${i % 17} <c${i % 17}@example.com>`}\r\n` +
        `To: ${folder === 'Sent' ? `c${i % 17}@example.com` : address}\r\n` +
        `Subject: ${folder} ${i}: report for week ${(i % 52) + 1}\r\n` +
        'MIME-Version: 1.0\r\n' +
        (multipart
          ? `Content-Type: multipart/alternative; boundary="${boundary}"\r\n\r\n--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n` +
            `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>${body.replace(/\r\n/g, '<br>')}</p>\r\n--${boundary}--\r\n`
          : `Content-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);
      return { raw, flags: flags(i), internalDate: date };
    });
  const folders: FixtureFolder[] = [{ path: 'INBOX', messages: make('INBOX', inbox, (i) => [...(i % 3 ? ['\\Seen'] : []), ...(i % 9 === 0 ? ['\\Flagged'] : [])]) }];
  if (sent > 0) folders.push({ specialUse: 'sent', messages: make('Sent', sent, () => ['\\Seen']) });
  if (archive > 0) folders.push({ specialUse: 'archive', messages: make('Archive', archive, () => ['\\Seen']) });
  return folders;
}

export interface ScaleOptions {
  /** Extra source mailboxes, spread over the Exchange and E-mail Pro sources (Exchange gets the odd one). */
  mailboxes: number;
  /** Messages in each (about). */
  messages: number;
}

/** One seeded mailbox and where it can go: a row of a batch CSV. */
export interface ScaleRow {
  source: string;
  destinationService: string;
}

/**
 * Adds `mailboxes` source mailboxes (`load0001@` ... on the first Hosted Exchange service's domain and on the E-mail
 * Pro service's domain, alternately) of about `messages` messages each, and one more free slot per mailbox on its
 * destination: Exchange mailboxes go to the E-mail Pro service, E-mail Pro ones to another Hosted Exchange service
 * (the second one when the fixture has it). Returns the rows of a batch that moves them all.
 */
export function addScaleMailboxes(fixture: SimulatorFixture, options: ScaleOptions): ScaleRow[] {
  const count = Math.max(0, Math.floor(options.mailboxes));
  if (count === 0) return [];
  const exchanges = fixture.services.filter((s) => s.platform === 'exchange');
  const exchange = exchanges[0];
  const pro = fixture.services.find((s) => s.platform === 'emailpro');
  if (!exchange || !pro) throw new Error('scaling the sandbox needs a Hosted Exchange and an E-mail Pro service in the fixture');
  const proDestination = exchanges[1] ?? exchange;
  const serviceName = (s: FixtureService) => (s.platform === 'exchange' ? `${s.organization}/${s.service}` : s.service);
  const width = Math.max(4, String(count).length);
  const rows: ScaleRow[] = [];
  for (let i = 1; i <= count; i++) {
    const onExchange = i % 2 === 1;
    const source = onExchange ? exchange : pro;
    const destination = onExchange ? pro : proDestination;
    const login = `load${String(i).padStart(width, '0')}`;
    const address = `${login}@${source.domain}`;
    source.accounts.push({
      login,
      domain: source.domain,
      password: `Load-Pass-${String(i).padStart(width, '0')}`,
      quota: onExchange ? 50 : 10,
      displayName: `Load test ${i}`,
      ...(onExchange ? { accountLicense: 'standard' as const } : {}),
      mailbox: scaleMailbox(address, options.messages),
    });
    destination.freeSlots = (destination.freeSlots ?? 0) + 1;
    rows.push({ source: address, destinationService: serviceName(destination) });
  }
  return rows;
}
