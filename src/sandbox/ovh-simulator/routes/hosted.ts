import { randomUUID } from 'node:crypto';
import { badRequest, conflict, forbidden, notFound, objectNotFound } from '../errors.js';
import { addressOf, DEFAULT_SPAM_CONFIG, nowIso, PLACEHOLDER_DOMAIN, slotLogin, type SimAccount, type SimDomain, type SimService, type SimSpamConfig } from '../state.js';
import { bytesToUsageKb, quotaGbToBytes, SERVER_DISK_UNIT_BYTES } from '../units.js';
import { isPending } from '../tasks.js';
import { addressesInUse, checkLogin, checkPassword, like, newAccountDefaults, renderTask, splitAddress } from './common.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * Hosted Exchange, E-mail Pro and new MX Plan: the same account model (primary address = login@domain,
 * free `...@configureme.me` slots, tasks) under three path prefixes.
 */

type HostedPlatform = 'exchange' | 'emailpro' | 'mxplan';

interface Family {
  platform: HostedPlatform;
  prefix: string;
  accountParam: string;
  accountTasks: 'tasks' | 'task';
  serviceKey(path: Record<string, unknown>): string;
  serviceIds(path: Record<string, unknown>): Record<string, string>;
}

export const FAMILIES: Family[] = [
  {
    platform: 'exchange',
    prefix: '/email/exchange/{organizationName}/service/{exchangeService}',
    accountParam: 'primaryEmailAddress',
    accountTasks: 'tasks',
    serviceKey: (p) => `exchange:${p.organizationName}/${p.exchangeService}`,
    serviceIds: (p) => ({ organizationName: String(p.organizationName), exchangeService: String(p.exchangeService) }),
  },
  {
    platform: 'emailpro',
    prefix: '/email/pro/{service}',
    accountParam: 'email',
    accountTasks: 'tasks',
    serviceKey: (p) => `emailpro:${p.service}`,
    serviceIds: (p) => ({ service: String(p.service) }),
  },
  {
    platform: 'mxplan',
    prefix: '/email/mxplan/{service}',
    accountParam: 'email',
    accountTasks: 'task',
    serviceKey: (p) => `mxplan:${p.service}`,
    serviceIds: (p) => ({ service: String(p.service) }),
  },
];

const SPAM_CONFIG = DEFAULT_SPAM_CONFIG;
export const OVH_MX = ['mx0.mail.ovh.net', 'mx1.mail.ovh.net', 'mx2.mail.ovh.net', 'mx3.mail.ovh.net'];
export const EXPECTED_SPF = 'IN TXT v=spf1 include:mx.ovh.com ~all';

function iam(service: SimService): Record<string, unknown> {
  const kind = { exchange: 'emailExchange', emailpro: 'emailPro', mxplan: 'emailMXPlan', 'mxplan-legacy': 'emailDomain' }[service.platform];
  return { id: uuidFor(service.key), urn: `urn:v1:eu:resource:${kind}:${service.name}`, displayName: service.displayName, tags: null };
}

const uuids = new Map<string, string>();
function uuidFor(key: string): string {
  if (!uuids.has(key)) uuids.set(key, randomUUID());
  return uuids.get(key)!;
}

export function service(ctx: HandlerContext, family: Family): SimService {
  const found = ctx.state.service(family.serviceKey(ctx.path));
  if (!found || found.platform !== family.platform) throw objectNotFound(family.serviceIds(ctx.path));
  return found;
}

export function account(ctx: HandlerContext, family: Family, svc: SimService): SimAccount {
  const name = String(ctx.path[family.accountParam]);
  const found = ctx.state.account(svc, name);
  if (!found) throw objectNotFound({ ...family.serviceIds(ctx.path), [family.accountParam]: name });
  return found;
}

export function domain(ctx: HandlerContext, family: Family, svc: SimService): SimDomain {
  const name = String(ctx.path.domainName).toLowerCase();
  const found = svc.domains.find((d) => d.name === name);
  if (!found) throw objectNotFound({ ...family.serviceIds(ctx.path), domainName: name });
  return found;
}

function requireIdle(account: SimAccount): void {
  if (account.pendingRename || account.state !== 'ok') {
    throw conflict(`An operation is already pending on this account (state ${account.state}, task ${account.taskPendingId})`);
  }
}

export async function renderAccount(ctx: HandlerContext, svc: SimService, a: SimAccount): Promise<Record<string, unknown>> {
  const usage = a.configured ? await ctx.dovecot.usage(svc, addressOf(a)) : { bytes: 0, messages: 0 };
  return {
    primaryEmailAddress: addressOf(a),
    login: a.login,
    domain: a.domain,
    id: a.id,
    configured: a.configured,
    state: a.state,
    quota: a.quota,
    currentUsage: a.configured ? bytesToUsageKb(usage.bytes + a.usagePaddingBytes) : 0,
    displayName: a.displayName ?? null,
    firstName: a.firstName ?? null,
    lastName: a.lastName ?? null,
    initial: a.initials ?? null,
    hiddenFromGAL: a.hiddenFromGAL,
    accountLicense: a.accountLicense,
    creationDate: a.creationDate,
    lastUpdateDate: a.lastUpdateDate,
    passwordLastUpdate: a.passwordLastUpdate,
    lastLogonDate: null,
    lastLogoffDate: null,
    taskPendingId: a.taskPendingId,
    SAMAccountName: a.configured ? a.login.slice(0, 20) : null,
    spamAndVirusConfiguration: a.spamAndVirus ?? SPAM_CONFIG,
    spamDetected: false,
    spamTicketNumber: null,
    numberOfAliases: a.aliases.length,
    litigation: a.litigation ?? false,
    litigationPeriod: a.litigationPeriod ?? null,
    outlookLicense: false,
    owaLimited: false,
    forwardingEmail: a.forwardingEmail ?? null,
    storeCopyOfEmail: a.storeCopyOfEmail ?? false,
    deleteAtExpiration: false,
    deleteOutlookAtExpiration: false,
    renewPeriod: 'yearly',
    mailingFilter: ['vaderetro'],
    guid: null,
    exchangeGuid: null,
  };
}

function renderService(svc: SimService): Record<string, unknown> {
  const policy = svc.passwordPolicy;
  return {
    domain: svc.domain,
    displayName: svc.displayName,
    hostname: svc.hostname,
    offer: svc.offer,
    state: svc.state,
    webUrl: svc.webUrl,
    complexityEnabled: policy.complexityEnabled,
    minPasswordLength: policy.minPasswordLength,
    maxPasswordAge: policy.maxPasswordAge,
    minPasswordAge: policy.minPasswordAge,
    lockoutThreshold: policy.lockoutThreshold,
    lockoutDuration: 30,
    lockoutObservationWindow: 30,
    passwordHistoryCount: 0,
    maxReceiveSize: 100,
    maxSendSize: 100,
    adfsChangePassword: false,
    isZimbra: false,
    spamAndVirusConfiguration: SPAM_CONFIG,
    sslExpirationDate: '2030-01-01',
    lastUpdateDate: svc.creationDate,
    taskPendingId: 0,
    iam: iam(svc),
  };
}

const norm = (value: string) => value.toLowerCase().replace(/\.$/, '');

/** The domain's DNS diagnostic as OVH computes it, against the simulated zone of the domain. */
function renderDomain(ctx: HandlerContext, svc: SimService, d: SimDomain): Record<string, unknown> {
  const zone = ctx.state.zone(d.name);
  const expectedSrvTarget = `0 0 443 ${svc.hostname}.`;
  const mxIsValid = zone.mx.length > 0 && zone.mx.every((mx) => OVH_MX.includes(norm(mx)));
  const srvIsValid = zone.srv.some((srv) => norm(srv) === norm(expectedSrvTarget));
  const spfIsValid = zone.spf.some((txt) => /^v=spf1\b.*\binclude:mx\.ovh\.com\b/.test(txt));
  const domainValidated = zone.owned || zone.cnames.map(norm).includes(`${d.cnameToCheck}.${d.name}`);
  return {
    name: d.name,
    state: d.state,
    type: d.type,
    mxRelay: d.mxRelay,
    main: d.main,
    taskPendingId: d.taskPendingId,
    domainValidated,
    cnameToCheck: d.cnameToCheck,
    mxIsValid,
    mxRecord: zone.mx,
    expectedMX: OVH_MX,
    srvIsValid,
    srvRecord: zone.srv,
    expectedAutodiscoverSRV: `_autodiscover._tcp.${d.name}. IN SRV ${expectedSrvTarget}`,
    spfIsValid,
    spfRecord: zone.spf,
    expectedSPF: EXPECTED_SPF,
    dkimDiagnostics: { state: d.type === 'authoritative' && d.state === 'ok' ? 'disabled' : 'toConfigure', errorCode: null, message: null },
    domainAliases: [],
    isAliasDomain: false,
    organization2010: null,
    sbrDefault: null,
    sendConnectorIdDefault: null,
  };
}

/** Domains an account or alias of this service may use. */
export function usableDomains(svc: SimService): string[] {
  if (svc.platform === 'mxplan') return [svc.domain];
  return svc.domains.filter((d) => d.state === 'ok').map((d) => d.name);
}

export function registerHosted(table: RouteTable): void {
  table.on('GET', '/email/exchange', (ctx) => [...new Set(ctx.state.servicesOf('exchange').map((s) => s.organization!))]);
  table.on('GET', '/email/exchange/{organizationName}/service', (ctx) =>
    ctx.state
      .servicesOf('exchange')
      .filter((s) => s.organization === ctx.path.organizationName)
      .map((s) => s.service),
  );
  table.on('GET', '/email/pro', (ctx) => ctx.state.servicesOf('emailpro').map((s) => s.service));
  table.on('GET', '/email/mxplan', (ctx) => ctx.state.servicesOf('mxplan').map((s) => s.service));
  table.on('GET', '/email/pro/{service}/billingMigrated', (ctx) => {
    const svc = service(ctx, FAMILIES[1]);
    return svc.billingMigrated ?? true;
  });
  table.on('GET', '/email/mxplan/{service}/account/{email}/capabilities', (ctx) => {
    const svc = service(ctx, FAMILIES[2]);
    account(ctx, FAMILIES[2], svc);
    return { quotas: svc.quotaChoices ?? null };
  });

  for (const family of FAMILIES) {
    const P = family.prefix;
    const A = `${P}/account/{${family.accountParam}}`;

    table.on('GET', P, (ctx) => renderService(service(ctx, family)));
    table.on('PUT', P, (ctx) => {
      const svc = service(ctx, family);
      if (typeof ctx.body.displayName === 'string') svc.displayName = ctx.body.displayName;
      if (typeof ctx.body.minPasswordLength === 'number') svc.passwordPolicy.minPasswordLength = ctx.body.minPasswordLength;
      if (typeof ctx.body.complexityEnabled === 'boolean') svc.passwordPolicy.complexityEnabled = ctx.body.complexityEnabled;
      ctx.changed();
      return null;
    });
    table.on('GET', `${P}/server`, async (ctx) => {
      const svc = service(ctx, family);
      let used = 0;
      for (const a of svc.accounts) used += (await ctx.dovecot.usage(svc, addressOf(a))).bytes + a.usagePaddingBytes;
      const size = svc.accounts.reduce((sum, a) => sum + quotaGbToBytes(a.quota), 0);
      return {
        commercialVersion: '2019',
        currentDiskUsage: Math.ceil(used / SERVER_DISK_UNIT_BYTES),
        diskSize: Math.ceil(size / SERVER_DISK_UNIT_BYTES),
        individual2010: false,
        ip: '127.0.0.1',
        ipV6: null,
        isAValid: true,
        isAaaaValid: false,
        isPtrValid: true,
        isPtrV6Valid: false,
        owaMfa: false,
        state: 'ok',
        taskPendingId: 0,
        version: 15,
      };
    });

    // ---- domains
    table.on('GET', `${P}/domain`, (ctx) =>
      service(ctx, family)
        .domains.filter((d) => (ctx.query.state === undefined || d.state === ctx.query.state) && (ctx.query.main === undefined || d.main === ctx.query.main))
        .map((d) => d.name),
    );
    table.on('GET', `${P}/domain/{domainName}`, (ctx) => {
      const svc = service(ctx, family);
      return renderDomain(ctx, svc, domain(ctx, family, svc));
    });
    table.on('PUT', `${P}/domain/{domainName}`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      if (d.state !== 'ok') throw conflict(`Domain ${d.name} is busy (state ${d.state})`);
      const type = (ctx.body.type as SimDomain['type'] | undefined) ?? d.type;
      const mxRelay = 'mxRelay' in ctx.body ? (ctx.body.mxRelay as string | null) : d.mxRelay;
      if (family.platform === 'mxplan' && type !== d.type) throw badRequest('[type] The domain of an MX Plan service cannot change type');
      const task = ctx.tasks.create(svc, 'setDomain', undefined, {
        apply: () => {
          d.type = type;
          d.mxRelay = type === 'authoritative' ? null : mxRelay;
          d.state = 'ok';
          d.taskPendingId = 0;
        },
        rollback: () => {
          d.state = 'ok';
          d.taskPendingId = 0;
        },
      });
      d.taskPendingId = task.id;
      ctx.changed();
      return null;
    });
    if (family.platform !== 'mxplan') {
      table.on('POST', `${P}/domain`, (ctx) => {
        const svc = service(ctx, family);
        const name = String(ctx.body.name).toLowerCase();
        if (!/^(?=.{1,253}$)([a-z0-9](-*[a-z0-9])*\.)+[a-z0-9-]{2,}$/.test(name)) throw badRequest(`[name] ${JSON.stringify(name)} is not a valid domain name (use punycode)`);
        if (svc.domains.some((d) => d.name === name)) throw conflict(`Domain ${name} is already attached to this service`);
        const type = ctx.body.type as SimDomain['type'];
        const d: SimDomain = {
          name,
          type,
          state: 'creating',
          mxRelay: type === 'nonAuthoritative' ? ((ctx.body.mxRelay as string | undefined) ?? null) : null,
          main: ctx.body.main === true,
          taskPendingId: 0,
          cnameToCheck: `${svc.service.replace(/[^a-z0-9]/gi, '').slice(-5).toLowerCase()}-check`,
          creationDate: nowIso(),
        };
        svc.domains.push(d);
        const task = ctx.tasks.create(svc, 'addDomain', undefined, {
          apply: () => {
            d.state = 'ok';
            d.taskPendingId = 0;
          },
          rollback: () => {
            svc.domains.splice(svc.domains.indexOf(d), 1);
          },
        });
        d.taskPendingId = task.id;
        ctx.changed();
        return renderTask(task);
      });
      table.on('DELETE', `${P}/domain/{domainName}`, (ctx) => {
        const svc = service(ctx, family);
        const d = domain(ctx, family, svc);
        if (svc.accounts.some((a) => a.domain === d.name)) throw badRequest(`Domain ${d.name} still has accounts: rename or reset them first`);
        d.state = 'deleting';
        const task = ctx.tasks.create(svc, 'deleteDomain', undefined, {
          apply: () => {
            svc.domains.splice(svc.domains.indexOf(d), 1);
          },
          rollback: () => {
            d.state = 'ok';
            d.taskPendingId = 0;
          },
        });
        d.taskPendingId = task.id;
        ctx.changed();
        return renderTask(task);
      });
    }

    // ---- footers (disclaimers)
    table.on('GET', `${P}/domain/{domainName}/disclaimer`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      if (!d.disclaimer) throw objectNotFound({ ...family.serviceIds(ctx.path), domainName: d.name, disclaimer: 'disclaimer' });
      return { name: d.name, content: d.disclaimer.content, outsideOnly: d.disclaimer.outsideOnly, creationDate: d.disclaimer.creationDate, taskPendingId: d.disclaimer.taskPendingId };
    });
    table.on('POST', `${P}/domain/{domainName}/disclaimer`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      if (d.disclaimer) throw conflict(`Domain ${d.name} already has a disclaimer`);
      const disclaimer = { content: String(ctx.body.content), outsideOnly: ctx.body.outsideOnly === true, creationDate: nowIso(), taskPendingId: 0 };
      d.disclaimer = disclaimer;
      const task = ctx.tasks.create(svc, 'addDomainDisclaimer', undefined, {
        apply: () => {
          disclaimer.taskPendingId = 0;
        },
        rollback: () => {
          d.disclaimer = undefined;
        },
      });
      disclaimer.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });

    table.on('PUT', `${P}/domain/{domainName}/disclaimer`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      if (!d.disclaimer) throw objectNotFound({ ...family.serviceIds(ctx.path), domainName: d.name, disclaimer: 'disclaimer' });
      if (typeof ctx.body.content === 'string') d.disclaimer.content = ctx.body.content;
      if (typeof ctx.body.outsideOnly === 'boolean') d.disclaimer.outsideOnly = ctx.body.outsideOnly;
      ctx.changed();
      return null;
    });
    table.on('DELETE', `${P}/domain/{domainName}/disclaimer`, (ctx) => {
      const svc = service(ctx, family);
      const d = domain(ctx, family, svc);
      const disclaimer = d.disclaimer;
      if (!disclaimer) throw objectNotFound({ ...family.serviceIds(ctx.path), domainName: d.name, disclaimer: 'disclaimer' });
      const task = ctx.tasks.create(svc, 'deleteDomainDisclaimer', undefined, {
        apply: () => {
          if (d.disclaimer === disclaimer) d.disclaimer = undefined;
        },
        rollback: () => {
          disclaimer.taskPendingId = 0;
        },
      });
      disclaimer.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });

    // ---- accounts
    table.on('GET', `${P}/account`, (ctx) =>
      ctx.state
        .accountsOf(service(ctx, family))
        .filter(
          (a) =>
            like(ctx.query.primaryEmailAddress, addressOf(a)) &&
            like(ctx.query.id, a.id) &&
            (ctx.query.accountLicense === undefined || a.accountLicense === ctx.query.accountLicense) &&
            (ctx.query.company === undefined || like(ctx.query.company, null)),
        )
        .map((a) => addressOf(a)),
    );
    table.on('GET', A, async (ctx) => {
      const svc = service(ctx, family);
      return renderAccount(ctx, svc, account(ctx, family, svc));
    });
    table.on('PUT', A, (ctx) => updateAccount(ctx, family));
    table.on('DELETE', A, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      requireIdle(a);
      if (!a.configured) throw badRequest('This account is a free slot (not configured): there is nothing to reset');
      const previous = addressOf(a);
      const dedicated = family.platform === 'exchange' && svc.offer !== 'hosted';
      a.state = 'deleting';
      const task = ctx.tasks.create(svc, 'deleteAccount', a, {
        apply: async () => {
          await ctx.dovecot.remove(svc, previous);
          if (dedicated) {
            svc.accounts.splice(svc.accounts.indexOf(a), 1);
            return;
          }
          // Hosted offers "reset": the mailbox is wiped and the slot goes back to ...@configureme.me.
          Object.assign(a, {
            login: slotLogin(),
            domain: PLACEHOLDER_DOMAIN,
            configured: false,
            password: undefined,
            displayName: null,
            firstName: null,
            lastName: null,
            initials: null,
            aliases: [],
            fullAccess: [],
            sendAs: [],
            sendOnBehalfTo: [],
            forwardingEmail: null,
            storeCopyOfEmail: false,
            spamAndVirus: undefined,
            litigation: false,
            litigationPeriod: null,
            archive: undefined,
            usagePaddingBytes: 0,
            passwordLastUpdate: null,
            lastUpdateDate: nowIso(),
            state: 'ok',
            taskPendingId: 0,
          });
          a.protocol = { ...a.protocol, IMAP: true, POP: true, activeSync: true, webMail: true, lastUpdate: nowIso(), taskPendingId: 0 };
        },
        rollback: () => {
          a.state = 'ok';
          a.taskPendingId = 0;
        },
      });
      a.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });
    table.on('POST', `${A}/changePassword`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      if (a.state === 'deleting') throw conflict('The account is being deleted');
      const password = String(ctx.body.password);
      checkPassword(svc, password);
      const task = ctx.tasks.create(svc, 'changePassword', a, {
        apply: async () => {
          a.password = password;
          a.passwordLastUpdate = nowIso();
          await ctx.dovecot.reconcile(svc, a);
          if (a.taskPendingId === task.id) a.taskPendingId = 0;
        },
        rollback: () => {
          if (a.taskPendingId === task.id) a.taskPendingId = 0;
        },
      });
      if (!a.pendingRename) a.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });
    table.on('GET', `${A}/${family.accountTasks}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      return ctx.state.tasks.filter((t) => t.serviceKey === svc.key && t.accountId === a.id && isPending(t)).map((t) => t.id);
    });
    table.on('GET', `${A}/${family.accountTasks}/{id}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      const task = ctx.state.task(Number(ctx.path.id));
      if (!task || task.serviceKey !== svc.key || task.accountId !== a.id) throw objectNotFound({ [family.accountParam]: addressOf(a), id: String(ctx.path.id) });
      return renderTask(task);
    });

    // ---- aliases
    table.on('GET', `${A}/alias`, (ctx) => {
      const svc = service(ctx, family);
      return account(ctx, family, svc).aliases.map((x) => x.alias);
    });
    table.on('GET', `${A}/alias/{alias}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      const alias = a.aliases.find((x) => x.alias === String(ctx.path.alias).toLowerCase());
      if (!alias) throw objectNotFound({ [family.accountParam]: addressOf(a), alias: String(ctx.path.alias) });
      return { alias: alias.alias, creationDate: alias.creationDate, taskPendingId: alias.taskPendingId };
    });
    table.on('POST', `${A}/alias`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      if (!a.configured) throw badRequest('Configure the account before adding aliases');
      const wanted = String(ctx.body.alias).toLowerCase();
      const { login, domain: aliasDomain } = splitAddress(wanted, 'alias');
      checkLogin(login, 'alias');
      if (!usableDomains(svc).includes(aliasDomain)) throw badRequest(`[alias] Domain ${aliasDomain} is not attached to this service`);
      if (addressesInUse(svc).has(wanted)) throw conflict(`[alias] ${wanted} is already used on this service`);
      const alias = { alias: wanted, creationDate: nowIso(), taskPendingId: 0, active: false };
      a.aliases.push(alias);
      const task = ctx.tasks.create(svc, 'addAlias', a, {
        apply: () => {
          alias.active = true;
          alias.taskPendingId = 0;
        },
        rollback: () => {
          a.aliases = a.aliases.filter((x) => x !== alias);
        },
      });
      alias.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });
    table.on('DELETE', `${A}/alias/{alias}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      const alias = a.aliases.find((x) => x.alias === String(ctx.path.alias).toLowerCase());
      if (!alias) throw objectNotFound({ [family.accountParam]: addressOf(a), alias: String(ctx.path.alias) });
      const task = ctx.tasks.create(svc, 'deleteAlias', a, {
        apply: () => {
          a.aliases = a.aliases.filter((x) => x !== alias);
        },
        rollback: () => {
          alias.taskPendingId = 0;
        },
      });
      alias.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });

    // ---- delegations
    for (const [kind, bodyField, addFn, delFn] of [
      ['fullAccess', 'allowedAccountId', 'addFullAccess', 'deleteFullAccess'],
      ['sendAs', 'allowAccountId', 'addSendAs', 'deleteSendAs'],
      ['sendOnBehalfTo', 'allowAccountId', 'addSendOnBehalfTo', 'deleteSendOnBehalfTo'],
    ] as const) {
      table.on('GET', `${A}/${kind}`, (ctx) => {
        const svc = service(ctx, family);
        return account(ctx, family, svc)[kind];
      });
      table.on('GET', `${A}/${kind}/{allowedAccountId}`, (ctx) => {
        const svc = service(ctx, family);
        const a = account(ctx, family, svc);
        const id = Number(ctx.path.allowedAccountId);
        if (!a[kind].includes(id)) throw objectNotFound({ [family.accountParam]: addressOf(a), allowedAccountId: String(id) });
        return { allowedAccountId: id, creationDate: a.creationDate, taskPendingId: 0 };
      });
      table.on('POST', `${A}/${kind}`, (ctx) => {
        const svc = service(ctx, family);
        const a = account(ctx, family, svc);
        const id = Number(ctx.body[bodyField]);
        const other = ctx.state.accountById(svc, id);
        if (!other || !other.configured) throw badRequest(`[${bodyField}] No configured account with id ${id} on this service`);
        if (a[kind].includes(id)) throw conflict(`[${bodyField}] Account ${id} already has this delegation`);
        const task = ctx.tasks.create(svc, addFn, a, {
          apply: () => {
            if (!a[kind].includes(id)) a[kind].push(id);
          },
        });
        ctx.changed();
        return renderTask(task);
      });
      table.on('DELETE', `${A}/${kind}/{allowedAccountId}`, (ctx) => {
        const svc = service(ctx, family);
        const a = account(ctx, family, svc);
        const id = Number(ctx.path.allowedAccountId);
        if (!a[kind].includes(id)) throw objectNotFound({ [family.accountParam]: addressOf(a), allowedAccountId: String(id) });
        const task = ctx.tasks.create(svc, delFn, a, {
          apply: () => {
            (a[kind] as number[]) = a[kind].filter((x) => x !== id);
          },
        });
        ctx.changed();
        return renderTask(task);
      });
    }

    // ---- service tasks
    table.on('GET', `${P}/task`, (ctx) => {
      const svc = service(ctx, family);
      return ctx.state.tasks.filter((t) => t.serviceKey === svc.key && isPending(t)).map((t) => t.id);
    });
    table.on('GET', `${P}/task/{id}`, (ctx) => {
      const svc = service(ctx, family);
      const task = ctx.state.task(Number(ctx.path.id));
      if (!task || task.serviceKey !== svc.key) throw objectNotFound({ ...family.serviceIds(ctx.path), id: String(ctx.path.id) });
      return renderTask(task);
    });

    // ---- external contacts
    table.on('GET', `${P}/externalContact`, (ctx) =>
      service(ctx, family)
        .externalContacts.filter(
          (c) =>
            like(ctx.query.externalEmailAddress, c.externalEmailAddress) &&
            like(ctx.query.displayName, c.displayName) &&
            like(ctx.query.firstName, c.firstName ?? '') &&
            like(ctx.query.lastName, c.lastName ?? '') &&
            like(ctx.query.id, c.id),
        )
        .map((c) => c.externalEmailAddress),
    );
    table.on('GET', `${P}/externalContact/{externalEmailAddress}`, (ctx) => {
      const svc = service(ctx, family);
      const wanted = String(ctx.path.externalEmailAddress).toLowerCase();
      const contact = svc.externalContacts.find((c) => c.externalEmailAddress === wanted);
      if (!contact) throw objectNotFound({ ...family.serviceIds(ctx.path), externalEmailAddress: wanted });
      return { ...contact, organization2010: null };
    });
    table.on('POST', `${P}/externalContact`, (ctx) => {
      const svc = service(ctx, family);
      const address = String(ctx.body.externalEmailAddress).toLowerCase();
      splitAddress(address, 'externalEmailAddress');
      if (svc.externalContacts.some((c) => c.externalEmailAddress === address) || addressesInUse(svc).has(address)) {
        throw conflict(`[externalEmailAddress] ${address} already exists on this service`);
      }
      const contact = {
        id: ctx.state.nextId(),
        externalEmailAddress: address,
        displayName: (ctx.body.displayName as string | undefined) ?? address,
        firstName: (ctx.body.firstName as string | undefined) ?? null,
        lastName: (ctx.body.lastName as string | undefined) ?? null,
        initials: (ctx.body.initials as string | undefined) ?? null,
        hiddenFromGAL: ctx.body.hiddenFromGAL === true,
        creationDate: nowIso(),
        taskPendingId: 0,
        state: 'creating',
      };
      svc.externalContacts.push(contact);
      const task = ctx.tasks.create(svc, 'addExternalContact', undefined, {
        apply: () => {
          contact.state = 'ok';
          contact.taskPendingId = 0;
        },
        rollback: () => {
          svc.externalContacts = svc.externalContacts.filter((c) => c !== contact);
        },
      });
      contact.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });

    table.on('PUT', `${P}/externalContact/{externalEmailAddress}`, (ctx) => {
      const svc = service(ctx, family);
      const wanted = String(ctx.path.externalEmailAddress).toLowerCase();
      const contact = svc.externalContacts.find((c) => c.externalEmailAddress === wanted);
      if (!contact) throw objectNotFound({ ...family.serviceIds(ctx.path), externalEmailAddress: wanted });
      if (contact.state !== 'ok') throw conflict(`External contact ${wanted} is busy (state ${contact.state})`);
      const body = ctx.body;
      for (const key of ['id', 'state', 'creationDate', 'taskPendingId']) {
        if (key in body && body[key] !== (contact as unknown as Record<string, unknown>)[key]) throw badRequest(`[${key}] Property is read-only`);
      }
      if (typeof body.externalEmailAddress === 'string' && body.externalEmailAddress.toLowerCase() !== contact.externalEmailAddress) {
        const address = body.externalEmailAddress.toLowerCase();
        splitAddress(address, 'externalEmailAddress');
        if (svc.externalContacts.some((c) => c.externalEmailAddress === address) || addressesInUse(svc).has(address)) {
          throw conflict(`[externalEmailAddress] ${address} already exists on this service`);
        }
        contact.externalEmailAddress = address;
      }
      if (typeof body.displayName === 'string') contact.displayName = body.displayName;
      for (const key of ['firstName', 'lastName', 'initials'] as const) {
        if (key in ctx.rawBody) contact[key] = (body[key] as string | null | undefined) ?? null;
      }
      if (typeof body.hiddenFromGAL === 'boolean') contact.hiddenFromGAL = body.hiddenFromGAL;
      ctx.changed();
      return null;
    });

    table.on('DELETE', `${P}/externalContact/{externalEmailAddress}`, (ctx) => {
      const svc = service(ctx, family);
      const wanted = String(ctx.path.externalEmailAddress).toLowerCase();
      const contact = svc.externalContacts.find((c) => c.externalEmailAddress === wanted);
      if (!contact) throw objectNotFound({ ...family.serviceIds(ctx.path), externalEmailAddress: wanted });
      contact.state = 'deleting';
      const task = ctx.tasks.create(svc, 'deleteExternalContact', undefined, {
        apply: () => {
          svc.externalContacts = svc.externalContacts.filter((c) => c !== contact);
        },
        rollback: () => {
          contact.state = 'ok';
        },
      });
      contact.taskPendingId = task.id;
      ctx.changed();
      return renderTask(task);
    });

    // ---- per-account diagnostics (read)
    const diagnostics = family.platform === 'mxplan' ? 'diagnostic' : 'diagnostics';
    table.on('GET', `${A}/${diagnostics}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      const zone = ctx.state.zone(a.domain);
      const mxOk = zone.mx.length > 0 && zone.mx.every((mx) => OVH_MX.includes(norm(mx)));
      return {
        canReceiveEmail: a.configured && mxOk,
        canSendEmail: a.configured,
        connectiveOWA: a.configured,
        connectiveWebmail: a.configured,
        isLocked: false,
        isMxValid: mxOk,
        isSpammer: false,
        isSrvValid: zone.srv.some((srv) => norm(srv) === norm(`0 0 443 ${svc.hostname}.`)),
        isSuspended: false,
        lastCheck: nowIso(),
      };
    });
  }

  // ---- Exchange only
  const EX = FAMILIES[0];
  const EA = `${EX.prefix}/account/{primaryEmailAddress}`;
  table.on('POST', `${EX.prefix}/account`, (ctx) => {
    const svc = service(ctx, EX);
    if (svc.offer === 'hosted' || svc.offer === 'provider') {
      throw forbidden('Accounts cannot be created on this offer: order one and configure a free ...@configureme.me slot instead');
    }
    const login = String(ctx.body.login);
    const domainName = String(ctx.body.domain).toLowerCase();
    checkLogin(login);
    if (!usableDomains(svc).includes(domainName)) throw badRequest(`[domain] Domain ${domainName} is not attached to this service`);
    const address = `${login}@${domainName}`.toLowerCase();
    if (addressesInUse(svc).has(address)) throw conflict(`${address} already exists on this service`);
    const password = String(ctx.body.password);
    checkPassword(svc, password);
    const now = nowIso();
    const a: SimAccount = {
      id: ctx.state.nextId(),
      login,
      domain: domainName,
      configured: false,
      state: 'creating',
      quota: (ctx.body.quota as number | undefined) ?? 50,
      password,
      displayName: (ctx.body.displayName as string | undefined) ?? null,
      firstName: (ctx.body.firstName as string | undefined) ?? null,
      lastName: (ctx.body.lastName as string | undefined) ?? null,
      initials: (ctx.body.initials as string | undefined) ?? null,
      hiddenFromGAL: ctx.body.hiddenFromGAL === true,
      accountLicense: ctx.body.license as SimAccount['accountLicense'],
      ...newAccountDefaults(now, true),
    };
    svc.accounts.push(a);
    const task = ctx.tasks.create(svc, 'addAccount', a, {
      apply: async () => {
        await ctx.dovecot.reconcile(svc, () => ({ ...a, configured: true, state: 'ok' }));
        a.configured = true;
        a.state = 'ok';
        a.taskPendingId = 0;
      },
      rollback: () => {
        svc.accounts.splice(svc.accounts.indexOf(a), 1);
      },
    });
    a.taskPendingId = task.id;
    ctx.changed();
    return renderTask(task);
  });
  table.on('GET', `${EA}/protocol`, (ctx) => {
    const svc = service(ctx, EX);
    return account(ctx, EX, svc).protocol;
  });
  table.on('PUT', `${EA}/protocol`, (ctx) => {
    const svc = service(ctx, EX);
    const a = account(ctx, EX, svc);
    const changes: Partial<Record<'IMAP' | 'POP' | 'activeSync' | 'webMail', boolean>> = {};
    for (const key of ['IMAP', 'POP', 'activeSync', 'webMail'] as const) if (typeof ctx.body[key] === 'boolean') changes[key] = ctx.body[key] as boolean;
    const task = ctx.tasks.create(svc, 'setExchangeAccountProtocol', a, {
      apply: async () => {
        const protocol = { ...a.protocol, ...changes, lastUpdate: nowIso(), taskPendingId: 0 };
        await ctx.dovecot.reconcile(svc, () => ({ ...a, protocol }));
        a.protocol = protocol;
      },
      rollback: () => {
        a.protocol.taskPendingId = 0;
      },
    });
    a.protocol.taskPendingId = task.id;
    ctx.changed();
    return null;
  });
}

/**
 * PUT on an account: rename (login and/or domain change) or configure a free slot, plus the other writable
 * fields. Returns void; a rename completes after `renameDelayMs` through a `setAccount` task (visible in the
 * task lists, its id in the account's `taskPendingId`), when the old address disappears and the new one appears.
 */
async function updateAccount(ctx: HandlerContext, family: Family): Promise<null> {
  const svc = service(ctx, family);
  const a = account(ctx, family, svc);
  const body = ctx.body;
  const current = await renderAccount(ctx, svc, a);
  for (const key of ['primaryEmailAddress', 'id', 'configured', 'state']) {
    if (key in body && body[key] !== current[key]) throw badRequest(`[${key}] Property is read-only`);
  }
  const login = (body.login as string | undefined) ?? a.login;
  const domainName = ((body.domain as string | undefined) ?? a.domain).toLowerCase();
  const renaming = login !== a.login || domainName !== a.domain;
  if (renaming) {
    requireIdle(a);
    checkLogin(login);
    if (domainName === PLACEHOLDER_DOMAIN) throw badRequest(`[domain] ${PLACEHOLDER_DOMAIN} is reserved for free slots`);
    if (!usableDomains(svc).includes(domainName)) {
      throw badRequest(
        family.platform === 'mxplan'
          ? `[domain] This MX Plan service only hosts ${svc.domain}`
          : `[domain] Domain ${domainName} is not attached to this service (or not ready yet)`,
      );
    }
    const target = `${login}@${domainName}`.toLowerCase();
    if (addressesInUse(svc, a).has(target)) throw conflict(`[login] ${target} already exists on this service`);
  }
  if (body.quota !== undefined) {
    const quota = body.quota as number;
    if (family.platform === 'mxplan') {
      if (svc.quotaChoices && !svc.quotaChoices.includes(quota)) throw badRequest(`[quota] Allowed quotas: ${svc.quotaChoices.join(', ')} (GB)`);
    } else if (family.platform === 'emailpro' && quota !== a.quota) {
      throw badRequest('[quota] E-mail Pro accounts have a fixed size');
    } else if (quota <= 0 || quota > 300) throw badRequest('[quota] Quota must be between 1 and 300 GB');
  }
  // Immediate fields.
  for (const [from, to] of [
    ['displayName', 'displayName'],
    ['firstName', 'firstName'],
    ['lastName', 'lastName'],
    ['initial', 'initials'],
    ['hiddenFromGAL', 'hiddenFromGAL'],
    ['accountLicense', 'accountLicense'],
  ] as const) {
    if (from in body && body[from] !== undefined) (a as unknown as Record<string, unknown>)[to] = body[from];
  }
  if (family.platform === 'exchange') {
    // Forwarding: any address but the account's own; null switches it off.
    if ('forwardingEmail' in ctx.rawBody) {
      const to = body.forwardingEmail as string | null | undefined;
      if (to) {
        const target = to.trim().toLowerCase();
        splitAddress(target, 'forwardingEmail');
        if (target === addressOf(a)) throw badRequest('[forwardingEmail] An account cannot forward to itself');
        a.forwardingEmail = target;
      } else a.forwardingEmail = null;
    }
    if (typeof body.storeCopyOfEmail === 'boolean') a.storeCopyOfEmail = body.storeCopyOfEmail;
    if (body.spamAndVirusConfiguration && typeof body.spamAndVirusConfiguration === 'object') {
      a.spamAndVirus = { ...(a.spamAndVirus ?? SPAM_CONFIG), ...(body.spamAndVirusConfiguration as Partial<SimSpamConfig>) };
    }
    if (typeof body.litigation === 'boolean') a.litigation = body.litigation;
    if ('litigationPeriod' in ctx.rawBody) a.litigationPeriod = (body.litigationPeriod as number | null | undefined) ?? null;
  }
  // E-mail Pro and MX Plan: `spamAndVirusConfiguration` is read-only there (ignored, as other read-only fields).
  if (body.quota !== undefined && body.quota !== a.quota) {
    a.quota = body.quota as number;
    void ctx.dovecot.reconcile(svc, a);
  }
  a.lastUpdateDate = nowIso();
  if (renaming) {
    const wasSlot = !a.configured;
    const task = ctx.tasks.create(svc, 'setAccount', a, {
      durationMs: ctx.renameDelayMs,
      apply: async () => {
        const previous = addressOf(a);
        await ctx.dovecot.reconcile(svc, () => ({ ...a, login, domain: domainName, configured: true, state: 'ok', pendingRename: undefined }), previous);
        a.login = login;
        a.domain = domainName;
        a.configured = true;
        a.state = 'ok';
        a.pendingRename = undefined;
        a.taskPendingId = 0;
        a.lastUpdateDate = nowIso();
        // aliases on another domain of the service stay; nothing else to move
      },
      rollback: () => {
        a.pendingRename = undefined;
        a.state = 'ok';
        a.taskPendingId = 0;
      },
    });
    a.pendingRename = { login, domain: domainName, taskId: task.id };
    a.taskPendingId = task.id;
    if (wasSlot) a.state = 'creating';
  }
  ctx.changed();
  return null;
}

export { notFound };
