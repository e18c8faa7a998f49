import type { FixtureAccount, FixtureFolder, SimulatorFixture } from './fixture.js';
import { addressOf, nowIso, PLACEHOLDER_DOMAIN, slotLogin, type SimAccount, type SimService, type SimulatorStateData } from './state.js';

/** Turns a fixture into simulator state (ids, dates, slots), and lists the mailboxes to seed. */
export function stateFromFixture(fixture: SimulatorFixture): { data: SimulatorStateData; seeds: { serviceKey: string; address: string; folders: FixtureFolder[] }[] } {
  const data: SimulatorStateData = { services: [], zones: {}, tasks: [], nextId: 1_000_001 };
  const seeds: { serviceKey: string; address: string; folders: FixtureFolder[] }[] = [];
  const created = '2024-01-10T10:00:00+00:00';
  for (const [name, zone] of Object.entries(fixture.zones ?? {})) {
    data.zones[name.toLowerCase()] = { mx: [], srv: [], spf: [], cnames: [], owned: false, ...zone };
  }
  for (const f of fixture.services) {
    const name = f.platform === 'exchange' ? `${f.organization}/${f.service}` : f.service;
    const legacy = f.platform === 'mxplan-legacy';
    const service: SimService = {
      key: `${f.platform}:${name}`,
      platform: f.platform,
      name,
      organization: f.organization,
      service: f.service,
      displayName: f.displayName ?? f.service,
      offer: f.offer ?? { exchange: 'hosted', emailpro: 'emailpro', mxplan: 'MXPLAN', 'mxplan-legacy': 'MXPLAN' }[f.platform],
      state: 'ok',
      hostname: f.hostname,
      webUrl: f.platform === 'exchange' || f.platform === 'emailpro' ? `https://${f.hostname}/owa/` : 'https://www.ovhcloud.com/fr/mail/',
      domain: f.domain.toLowerCase(),
      creationDate: created,
      passwordPolicy: {
        minPasswordLength: legacy ? 9 : 8,
        maxPasswordLength: legacy ? 30 : 128,
        complexityEnabled: !legacy,
        maxPasswordAge: null,
        minPasswordAge: null,
        lockoutThreshold: null,
        ...f.passwordPolicy,
      },
      domains: (f.domains ?? (legacy ? [] : [{ name: f.domain, type: 'authoritative', main: true }])).map((d) => ({
        name: d.name.toLowerCase(),
        type: d.type ?? 'authoritative',
        state: 'ok',
        mxRelay: d.mxRelay ?? null,
        main: d.main ?? false,
        taskPendingId: 0,
        cnameToCheck: `${f.service.replace(/[^a-z0-9]/gi, '').slice(-5).toLowerCase()}-check`,
        creationDate: created,
        disclaimer: d.disclaimer ? { content: d.disclaimer, outsideOnly: d.disclaimerOutsideOnly ?? false, creationDate: created, taskPendingId: 0 } : undefined,
      })),
      accounts: [],
      externalContacts: (f.externalContacts ?? []).map((c) => ({
        id: data.nextId++,
        externalEmailAddress: c.address.toLowerCase(),
        displayName: c.displayName,
        firstName: c.firstName ?? null,
        lastName: c.lastName ?? null,
        initials: c.initials ?? null,
        hiddenFromGAL: c.hiddenFromGAL ?? false,
        creationDate: created,
        taskPendingId: 0,
        state: 'ok',
      })),
      mailingLists: (f.mailingLists ?? []).map((m) =>
        legacy
          ? {
              name: m.name.toLowerCase(),
              displayName: m.displayName ?? m.name,
              state: 'ok',
              creationDate: created,
              ownerEmail: m.ownerEmail,
              subscribers: (m.subscribers ?? []).map((x) => x.toLowerCase()),
              moderators: (m.moderators ?? []).map((x) => x.toLowerCase()),
            }
          : {
              name: m.name.toLowerCase(),
              displayName: m.displayName ?? m.name,
              state: 'ok',
              creationDate: created,
              taskPendingId: 0,
              departRestriction: m.departRestriction ?? 'closed',
              joinRestriction: m.joinRestriction ?? 'approvalRequired',
              hiddenFromGAL: m.hiddenFromGAL ?? false,
              maxReceiveSize: null,
              maxSendSize: null,
              senderAuthentification: m.senderAuthentification ?? false,
              // members, managers and send rights name accounts and contacts by address: ids below
              memberAccounts: [],
              memberContacts: [],
              managers: [],
              aliases: (m.aliases ?? []).map((alias) => ({ value: alias.toLowerCase(), creationDate: created, taskPendingId: 0 })),
              sendAs: [],
              sendOnBehalfTo: [],
            },
      ),
      sharedAccounts: (f.sharedAccounts ?? []).map((x) => ({ address: x.address.toLowerCase(), displayName: x.displayName ?? x.address, quota: 10, fullAccess: [], sendAs: [], sendOnBehalfTo: [] })),
      resourceAccounts: (f.resourceAccounts ?? []).map((x) => ({ address: x.address.toLowerCase(), displayName: x.displayName ?? x.address, type: x.type ?? 'room', capacity: x.capacity ?? 10, delegates: [] })),
      redirections: legacy
        ? (f.redirections ?? []).map((r) => ({ id: String(data.nextId++), from: r.from.toLowerCase(), to: r.to.toLowerCase(), localCopy: r.localCopy ?? false }))
        : undefined,
      allowedAccountSize: f.allowedAccountSize,
      quotaChoices: f.quotaChoices,
      billingMigrated: f.billingMigrated,
      mailbox: f.mailbox,
    };
    const defaultQuota = legacy ? 5_000_000_000 : f.platform === 'mxplan' ? 5 : f.platform === 'emailpro' ? 10 : 50;
    const toAccount = (a: FixtureAccount): SimAccount => ({
      id: data.nextId++,
      login: a.login,
      domain: a.domain.toLowerCase(),
      configured: a.domain.toLowerCase() !== PLACEHOLDER_DOMAIN,
      state: 'ok',
      quota: a.quota ?? defaultQuota,
      password: a.password,
      displayName: a.displayName ?? null,
      firstName: a.firstName ?? null,
      lastName: a.lastName ?? null,
      initials: a.initials ?? null,
      hiddenFromGAL: a.hiddenFromGAL ?? false,
      forwardingEmail: a.forwardingEmail?.toLowerCase() ?? null,
      storeCopyOfEmail: a.storeCopyOfEmail ?? false,
      litigation: a.litigationPeriod !== undefined,
      litigationPeriod: a.litigationPeriod ? a.litigationPeriod : null,
      archive: a.archiveQuota !== undefined ? { quota: a.archiveQuota, creationDate: created } : undefined,
      accountLicense: a.accountLicense ?? 'standard',
      description: a.description ?? (legacy ? '' : null),
      creationDate: created,
      lastUpdateDate: created,
      passwordLastUpdate: a.password ? created : null,
      taskPendingId: 0,
      aliases: (a.aliases ?? []).map((alias) => ({ alias: alias.toLowerCase(), creationDate: created, taskPendingId: 0, active: true })),
      fullAccess: [],
      sendAs: [],
      sendOnBehalfTo: [],
      protocol: { IMAP: a.imapEnabled ?? true, POP: true, activeSync: !legacy, webMail: true, creationDate: created, lastUpdate: null, taskPendingId: 0 },
      usagePaddingBytes: a.usagePaddingBytes ?? 0,
      ...(legacy ? { delegations: [...(a.delegations ?? [])] } : {}),
    });
    for (const a of f.accounts) {
      const account = toAccount(a);
      service.accounts.push(account);
      if (a.mailbox?.length) seeds.push({ serviceKey: service.key, address: addressOf(account), folders: a.mailbox });
    }
    for (let i = 0; i < (f.freeSlots ?? 0); i++) {
      service.accounts.push(toAccount({ login: slotLogin(), domain: PLACEHOLDER_DOMAIN, quota: defaultQuota }));
    }
    // Delegations and group links name other accounts (and contacts) of the same service by address.
    const idOf = (address: string, what: string): number => {
      const other = service.accounts.find((x) => addressOf(x) === address.toLowerCase());
      if (!other) throw new Error(`fixture: ${address} (${what}) is not an account of ${name}`);
      return other.id;
    };
    for (const a of f.accounts) {
      const account = service.accounts.find((x) => x.login === a.login && x.domain === a.domain.toLowerCase())!;
      for (const kind of ['fullAccess', 'sendAs', 'sendOnBehalfTo'] as const) {
        for (const address of a[kind] ?? []) account[kind].push(idOf(address, `${kind} on ${addressOf(account)}`));
      }
    }
    if (!legacy) {
      const link = (value: number) => ({ value, creationDate: created, taskPendingId: 0 });
      for (const m of f.mailingLists ?? []) {
        const list = service.mailingLists.find((x) => x.name === m.name.toLowerCase())!;
        list.memberAccounts = (m.members ?? []).map((a) => link(idOf(a, `member of ${list.name}`)));
        list.managers = (m.managers ?? []).map((a) => link(idOf(a, `manager of ${list.name}`)));
        list.sendAs = (m.sendAs ?? []).map((a) => link(idOf(a, `send as ${list.name}`)));
        list.sendOnBehalfTo = (m.sendOnBehalfTo ?? []).map((a) => link(idOf(a, `send on behalf of ${list.name}`)));
        list.memberContacts = (m.contacts ?? []).map((address) => {
          const contact = service.externalContacts.find((c) => c.externalEmailAddress === address.toLowerCase());
          if (!contact) throw new Error(`fixture: ${address} (member of ${list.name}) is not an external contact of ${name}`);
          return link(contact.id);
        });
      }
      for (const x of f.sharedAccounts ?? []) {
        const shared = service.sharedAccounts!.find((s) => s.address === x.address.toLowerCase())!;
        for (const kind of ['fullAccess', 'sendAs', 'sendOnBehalfTo'] as const) shared[kind] = (x[kind] ?? []).map((a) => idOf(a, `${kind} on ${shared.address}`));
      }
      for (const x of f.resourceAccounts ?? []) {
        const resource = service.resourceAccounts!.find((r) => r.address === x.address.toLowerCase())!;
        resource.delegates = (x.delegates ?? []).map((a) => idOf(a, `delegate of ${resource.address}`));
      }
    }
    data.services.push(service);
  }
  void nowIso;
  return { data, seeds };
}
