import { sampleMailbox, sandboxFixture, type SimulatorFixture } from '../../src/sandbox/ovh-simulator/index.js';

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
    {
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
    },
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
