import { badRequest, conflict, objectNotFound } from '../errors.js';
import { addressOf, nowIso, type SimAccount, type SimMailingList, type SimRedirection, type SimService, type SimTask } from '../state.js';
import { isPending } from '../tasks.js';
import { checkPassword, like, newAccountDefaults, renderTaskPop, splitAddress } from './common.js';
import { dnsName, mxIsOvh, spfIncludesOvh } from './dns.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * Legacy MX Plan (`/email/domain/{domain}`): accounts are `accountName` on the service's single domain, sizes in
 * bytes, no rename (accountName is read-only), tasks are `TaskPop` without a status: a task is listed under
 * `task/account` while pending and is gone (404) once done.
 */

const D = '/email/domain/{domain}';
const ACCOUNT_NAME = /^[\w][\w.-]{0,30}[\w]$/;

function service(ctx: HandlerContext): SimService {
  const found = ctx.state.service(`mxplan-legacy:${String(ctx.path.domain).toLowerCase()}`);
  if (!found) throw objectNotFound({ domain: String(ctx.path.domain) });
  return found;
}

function account(ctx: HandlerContext, svc: SimService): SimAccount {
  const found = ctx.state.account(svc, String(ctx.path.accountName));
  if (!found) throw objectNotFound({ domain: svc.domain, accountName: String(ctx.path.accountName) });
  return found;
}

function render(svc: SimService, a: SimAccount): Record<string, unknown> {
  return { accountName: a.login, description: a.description ?? '', domain: svc.domain, email: addressOf(a), isBlocked: false, size: a.quota };
}

function checkSize(svc: SimService, size: number): void {
  const allowed = svc.allowedAccountSize ?? [];
  if (allowed.length && !allowed.includes(size)) throw badRequest(`[size] Allowed sizes (bytes): ${allowed.join(', ')}`);
}

export function registerLegacy(table: RouteTable): void {
  table.on('GET', '/email/domain', (ctx) => ctx.state.servicesOf('mxplan-legacy').map((s) => s.service));
  table.on('GET', D, (ctx) => {
    const svc = service(ctx);
    return {
      domain: svc.domain,
      status: 'ok',
      offer: svc.offer,
      allowedAccountSize: svc.allowedAccountSize ?? [],
      creationDate: svc.creationDate,
      filerz: 1,
      isMXValid: mxValidity(ctx.state.zone(svc.domain).mx),
      isSPFValid: spfValidity(ctx.state.zone(svc.domain).spf),
      linkTo: null,
      migratedMXPlanServiceName: null,
      iam: { id: '00000000-0000-4000-8000-000000000000', urn: `urn:v1:eu:resource:emailDomain:${svc.domain}`, displayName: svc.domain, tags: null },
    };
  });
  table.on('GET', `${D}/account`, (ctx) =>
    ctx.state
      .accountsOf(service(ctx))
      .filter((a) => like(ctx.query.accountName, a.login) && like(ctx.query.description, a.description ?? ''))
      .map((a) => a.login),
  );
  table.on('GET', `${D}/account/{accountName}`, (ctx) => {
    const svc = service(ctx);
    return render(svc, account(ctx, svc));
  });
  table.on('POST', `${D}/account`, (ctx) => {
    const svc = service(ctx);
    const name = String(ctx.body.accountName).toLowerCase();
    if (!ACCOUNT_NAME.test(name)) throw badRequest('[accountName] 2 to 32 characters: letters, digits, and . - _ inside');
    if (svc.accounts.some((a) => a.login === name)) throw conflict(`[accountName] ${name}@${svc.domain} already exists`);
    const password = String(ctx.body.password);
    checkPassword(svc, password);
    const size = (ctx.body.size as number | undefined) ?? 5_000_000_000;
    checkSize(svc, size);
    const description = (ctx.body.description as string | undefined) ?? '';
    if (description.length > 32) throw badRequest('[description] At most 32 characters');
    const now = nowIso();
    const a: SimAccount = {
      id: ctx.state.nextId(),
      login: name,
      domain: svc.domain,
      configured: true,
      state: 'ok',
      quota: size,
      password,
      description,
      hiddenFromGAL: false,
      accountLicense: 'basic',
      ...newAccountDefaults(now, false),
      hidden: true,
    };
    svc.accounts.push(a);
    const task = ctx.tasks.create(
      svc,
      'addAccount',
      a,
      {
        apply: async () => {
          await ctx.dovecot.reconcile(svc, () => ({ ...a, hidden: false }));
          a.hidden = false;
        },
        rollback: () => {
          svc.accounts.splice(svc.accounts.indexOf(a), 1);
        },
      },
      { action: 'addAccount', name },
    );
    ctx.changed();
    return renderTaskPop(task, svc.domain);
  });
  table.on('PUT', `${D}/account/{accountName}`, (ctx) => {
    const svc = service(ctx);
    const a = account(ctx, svc);
    const current = render(svc, a);
    for (const key of ['accountName', 'domain', 'email', 'isBlocked']) {
      if (key in ctx.body && ctx.body[key] !== current[key]) {
        throw badRequest(`[${key}] Property is read-only${key === 'accountName' || key === 'email' ? ': legacy MX Plan accounts cannot be renamed' : ''}`);
      }
    }
    if (typeof ctx.body.description === 'string') {
      if (ctx.body.description.length > 32) throw badRequest('[description] At most 32 characters');
      a.description = ctx.body.description;
    }
    if (typeof ctx.body.size === 'number' && ctx.body.size !== a.quota) {
      checkSize(svc, ctx.body.size);
      a.quota = ctx.body.size;
      void ctx.dovecot.reconcile(svc, a);
    }
    a.lastUpdateDate = nowIso();
    ctx.changed();
    return null;
  });
  table.on('DELETE', `${D}/account/{accountName}`, (ctx) => {
    const svc = service(ctx);
    const a = account(ctx, svc);
    if (ctx.state.tasks.some((t) => t.accountId === a.id && isPending(t) && t.function === 'deleteAccount')) throw conflict('Already being deleted');
    const task = ctx.tasks.create(
      svc,
      'deleteAccount',
      a,
      {
        apply: async () => {
          await ctx.dovecot.remove(svc, addressOf(a));
          svc.accounts.splice(svc.accounts.indexOf(a), 1);
        },
      },
      { action: 'deleteAccount', name: a.login },
    );
    ctx.changed();
    return renderTaskPop(task, svc.domain);
  });
  table.on('POST', `${D}/account/{accountName}/changePassword`, (ctx) => {
    const svc = service(ctx);
    const a = account(ctx, svc);
    const password = String(ctx.body.password);
    checkPassword(svc, password);
    const task = ctx.tasks.create(
      svc,
      'changePassword',
      a,
      {
        apply: async () => {
          a.password = password;
          a.passwordLastUpdate = nowIso();
          await ctx.dovecot.reconcile(svc, a);
        },
      },
      { action: 'changePassword', name: a.login },
    );
    ctx.changed();
    return renderTaskPop(task, svc.domain);
  });
  table.on('GET', `${D}/account/{accountName}/usage`, async (ctx) => {
    const svc = service(ctx);
    const a = account(ctx, svc);
    const usage = await ctx.dovecot.usage(svc, addressOf(a));
    return { date: nowIso(), emailCount: usage.messages, quota: usage.bytes + a.usagePaddingBytes };
  });
  table.on('POST', `${D}/account/{accountName}/updateUsage`, (ctx) => {
    account(ctx, service(ctx));
    return null;
  });
  table.on('GET', `${D}/task/account`, (ctx) => {
    const svc = service(ctx);
    return ctx.state.tasks
      .filter((t) => t.serviceKey === svc.key && t.legacy && isPending(t) && like(ctx.query.name, t.legacy.name))
      .map((t) => t.id);
  });
  table.on('GET', `${D}/task/account/{id}`, (ctx) => {
    const svc = service(ctx);
    const task = ctx.state.task(Number(ctx.path.id));
    if (!task || task.serviceKey !== svc.key || !task.legacy || !isPending(task)) throw objectNotFound({ domain: svc.domain, id: String(ctx.path.id) });
    return renderTaskPop(task, svc.domain);
  });
  table.on('GET', `${D}/mailingList`, (ctx) =>
    service(ctx)
      .mailingLists.filter((m) => !m.hidden && like(ctx.query.name, m.name))
      .map((m) => m.name),
  );
  table.on('GET', `${D}/mailingList/{name}`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    return {
      id: svc.mailingLists.indexOf(list) + 1,
      name: list.name,
      language: list.language ?? 'fr',
      nbSubscribers: (list.subscribers ?? []).length,
      nbSubscribersUpdateDate: list.creationDate,
      options: list.options ?? { moderatorMessage: false, subscribeByModerator: true, usersPostOnly: false },
      ownerEmail: list.ownerEmail ?? `postmaster@${svc.domain}`,
      replyTo: list.replyTo ?? 'mailinglist',
    };
  });
  // ---- DNS helpers, driven by the simulated zone (`sim.setDnsZone`) -----------------------------------------
  table.on('GET', `${D}/dnsMXRecords`, (ctx) => {
    const svc = service(ctx);
    // Only the zone apex is simulated: a subdomain has no MX of its own.
    if (ctx.query.subDomain) return [];
    return [...ctx.state.zone(svc.domain).mx];
  });
  table.on('GET', `${D}/dnsMXFilter`, (ctx) => {
    const svc = service(ctx);
    return ctx.query.subDomain ? 'CUSTOM' : mxFilter(ctx.state.zone(svc.domain).mx);
  });
  table.on('GET', `${D}/recommendedDNSRecords`, (ctx) => recommendedRecords(service(ctx).domain));
  table.on('GET', `${D}/quota`, (ctx) => {
    service(ctx);
    return { account: 1000, alias: 1000, mailingList: 10, redirection: 1000, responder: 1000 };
  });
  table.on('GET', `${D}/summary`, (ctx) => {
    const svc = service(ctx);
    return { account: ctx.state.accountsOf(svc).length, mailingList: svc.mailingLists.filter((m) => !m.hidden).length, redirection: visibleRedirections(svc).length, responder: 0 };
  });
  registerLegacyExtras(table);
}

// ---- DNS ---------------------------------------------------------------------------------------------------

/** `email.domain.DomainServiceWithIAM.isMXValid`: same rule as the hosted `mxIsValid` (every MX is OVH's). */
function mxValidity(mx: string[]): string {
  if (mx.length === 0) return 'none';
  return mxIsOvh(mx) ? 'valid' : 'invalid';
}

function spfValidity(spf: string[]): string {
  if (spf.length === 0) return 'none';
  return spfIncludesOvh(spf) ? 'valid' : 'invalid';
}

/** `dnsMXFilter` (invented mapping): OVH's MX -> FULL_FILTERING, OVH's redirect MX -> REDIRECT, else CUSTOM. */
function mxFilter(mx: string[]): string {
  if (mxIsOvh(mx)) return 'FULL_FILTERING';
  if (mx.length > 0 && mx.every((m) => dnsName(m) === 'redirect.ovh.net')) return 'REDIRECT';
  return 'CUSTOM';
}

/** What OVH recommends for an MX Plan domain: three MX and the SPF TXT (`domain.zone.Record[]`). */
function recommendedRecords(domain: string): Record<string, unknown>[] {
  const mx = (
    [
      [1, 'mx1.mail.ovh.net.'],
      [5, 'mx2.mail.ovh.net.'],
      [100, 'mx3.mail.ovh.net.'],
    ] as const
  ).map(([priority, target], i) => ({ id: i + 1, fieldType: 'MX', subDomain: '', target: `${priority} ${target}`, ttl: 3600, zone: domain }));
  return [...mx, { id: 4, fieldType: 'TXT', subDomain: '', target: '"v=spf1 include:mx.ovh.com ~all"', ttl: 3600, zone: domain }];
}

// ---- redirections, delegations, subscribers ----------------------------------------------------------------

function redirectionsOf(svc: SimService): SimRedirection[] {
  svc.redirections ??= [];
  return svc.redirections;
}

function visibleRedirections(svc: SimService): SimRedirection[] {
  return (svc.redirections ?? []).filter((r) => !r.hidden);
}

function renderRedirection(r: SimRedirection): Record<string, unknown> {
  return { id: r.id, from: r.from, to: r.to };
}

function renderTaskSpecial(task: SimTask, domain: string): Record<string, unknown> {
  const special = task.special!;
  return { id: String(task.id), account: special.account, action: special.action, date: task.todoDate, domain, type: special.type };
}

const ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function mailingList(ctx: HandlerContext, svc: SimService): SimMailingList {
  const list = svc.mailingLists.find((m) => !m.hidden && m.name === String(ctx.path.name).toLowerCase());
  if (!list) throw objectNotFound({ domain: svc.domain, name: String(ctx.path.name) });
  return list;
}

function registerLegacyExtras(table: RouteTable): void {
  table.on('GET', `${D}/redirection`, (ctx) =>
    visibleRedirections(service(ctx))
      .filter((r) => like(ctx.query.from, r.from) && like(ctx.query.to, r.to))
      .map((r) => r.id),
  );
  table.on('GET', `${D}/redirection/{id}`, (ctx) => {
    const svc = service(ctx);
    const found = visibleRedirections(svc).find((r) => r.id === String(ctx.path.id));
    if (!found) throw objectNotFound({ domain: svc.domain, id: String(ctx.path.id) });
    return renderRedirection(found);
  });
  table.on('POST', `${D}/redirection`, (ctx) => {
    const svc = service(ctx);
    const rawFrom = String(ctx.body.from).trim().toLowerCase();
    // `from` is the full address; a bare local part is taken as one on the service's domain.
    const from = rawFrom.includes('@') ? rawFrom : `${rawFrom}@${svc.domain}`;
    const to = String(ctx.body.to).trim().toLowerCase();
    const localCopy = ctx.body.localCopy === true;
    if (!ADDRESS.test(from)) throw badRequest(`[from] ${JSON.stringify(ctx.body.from)} is not an e-mail address`);
    if (!ADDRESS.test(to)) throw badRequest(`[to] ${JSON.stringify(ctx.body.to)} is not an e-mail address`);
    const { login, domain } = splitAddress(from, 'from');
    if (domain !== svc.domain) throw badRequest(`[from] A redirection of ${svc.domain} must start from an address @${svc.domain}`);
    if (from === to) throw badRequest('[to] A redirection cannot point to its own source');
    const isAccount = ctx.state.accountsOf(svc).some((a) => a.login === login);
    if (localCopy && !isAccount) throw badRequest(`[localCopy] ${from} is not an account: there is no mailbox to keep a copy in`);
    if (redirectionsOf(svc).some((r) => r.from === from && r.to === to)) throw conflict(`[from] ${from} already redirects to ${to}`);
    const r: SimRedirection = { id: String(ctx.state.nextId()), from, to, localCopy, hidden: true };
    redirectionsOf(svc).push(r);
    const task = ctx.tasks.create(
      svc,
      'addRedirection',
      undefined,
      {
        apply: () => {
          r.hidden = false;
        },
        rollback: () => {
          const list = redirectionsOf(svc);
          if (list.includes(r)) list.splice(list.indexOf(r), 1);
        },
      },
    );
    task.special = { action: 'add', type: isAccount ? 'forward' : 'alias', account: login, redirectionId: r.id };
    ctx.changed();
    return renderTaskSpecial(task, svc.domain);
  });
  table.on('DELETE', `${D}/redirection/{id}`, (ctx) => {
    const svc = service(ctx);
    const r = visibleRedirections(svc).find((x) => x.id === String(ctx.path.id));
    if (!r) throw objectNotFound({ domain: svc.domain, id: String(ctx.path.id) });
    const deleting = ctx.state.tasks.some((t) => t.serviceKey === svc.key && t.special?.action === 'delete' && t.special.redirectionId === r.id && isPending(t));
    if (deleting) throw conflict('Already being deleted');
    const { login } = splitAddress(r.from, 'from');
    const task = ctx.tasks.create(svc, 'deleteRedirection', undefined, {
      apply: () => {
        const list = redirectionsOf(svc);
        if (list.includes(r)) list.splice(list.indexOf(r), 1);
      },
    });
    task.special = { action: 'delete', type: ctx.state.accountsOf(svc).some((a) => a.login === login) ? 'forward' : 'alias', account: login, redirectionId: r.id };
    ctx.changed();
    return renderTaskSpecial(task, svc.domain);
  });
  table.on('GET', `${D}/task/redirection`, (ctx) => {
    const svc = service(ctx);
    return ctx.state.tasks
      .filter((t) => t.serviceKey === svc.key && t.special && isPending(t) && like(ctx.query.account, t.special.account))
      .map((t) => String(t.id));
  });
  table.on('GET', `${D}/task/redirection/{id}`, (ctx) => {
    const svc = service(ctx);
    const task = /^\d+$/.test(String(ctx.path.id)) ? ctx.state.task(Number(ctx.path.id)) : undefined;
    if (!task || task.serviceKey !== svc.key || !task.special || !isPending(task)) throw objectNotFound({ domain: svc.domain, id: String(ctx.path.id) });
    return renderTaskSpecial(task, svc.domain);
  });
  table.on('GET', `${D}/account/{accountName}/delegation`, (ctx) => {
    const svc = service(ctx);
    return [...(account(ctx, svc).delegations ?? [])];
  });
  table.on('GET', `${D}/account/{accountName}/delegation/{accountId}`, (ctx) => {
    const svc = service(ctx);
    const a = account(ctx, svc);
    const id = String(ctx.path.accountId);
    if (!(a.delegations ?? []).includes(id)) throw objectNotFound({ domain: svc.domain, accountName: a.login, accountId: id });
    return { accountId: id };
  });
  table.on('GET', `${D}/mailingList/{name}/subscriber`, (ctx) => {
    const svc = service(ctx);
    return (mailingList(ctx, svc).subscribers ?? []).filter((email) => like(ctx.query.email, email));
  });
  registerLegacyMailingLists(table);
  table.on('GET', `${D}/mailingList/{name}/subscriber/{email}`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    const email = String(ctx.path.email).toLowerCase();
    if (!(list.subscribers ?? []).includes(email)) throw objectNotFound({ domain: svc.domain, name: list.name, email });
    return { domain: svc.domain, email, mailinglist: list.name };
  });
}

// ---- mailing lists: creation, subscribers, moderators, their tasks -------------------------------------------

function renderTaskMl(task: SimTask, domain: string): Record<string, unknown> {
  const ml = task.ml!;
  return { id: task.id, account: ml.account, action: ml.action, date: task.todoDate, domain, language: ml.language };
}

/**
 * A mailing-list change through a `TaskMl` (no status either): listed under `task/mailinglist` (query `account` =
 * the list name) and readable while pending, 404 once done; the change shows once the task is done, and never
 * when it fails. Task functions for fault injection: the action names below.
 */
function mlTask(ctx: HandlerContext, svc: SimService, list: SimMailingList, action: string, apply: () => void, rollback?: () => void): Record<string, unknown> {
  const task = ctx.tasks.create(svc, action, undefined, { apply, rollback });
  task.ml = { action, account: list.name, language: list.language ?? 'fr' };
  ctx.changed();
  return renderTaskMl(task, svc.domain);
}

const LIST_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function registerLegacyMailingLists(table: RouteTable): void {
  table.on('POST', `${D}/mailingList`, (ctx) => {
    const svc = service(ctx);
    const name = String(ctx.body.name).trim().toLowerCase();
    if (!LIST_NAME.test(name)) throw badRequest(`[name] ${JSON.stringify(ctx.body.name)} is not a valid mailing list name (letters, digits, . - _)`);
    if (svc.mailingLists.some((m) => m.name === name)) throw conflict(`[name] The mailing list ${name}@${svc.domain} already exists`);
    if (ctx.state.accountsOf(svc).some((a) => a.login === name)) throw conflict(`[name] ${name}@${svc.domain} is an account`);
    if (visibleRedirections(svc).some((r) => r.from === `${name}@${svc.domain}`)) throw conflict(`[name] ${name}@${svc.domain} is a redirection`);
    const ownerEmail = String(ctx.body.ownerEmail).trim().toLowerCase();
    if (!ADDRESS.test(ownerEmail)) throw badRequest(`[ownerEmail] ${JSON.stringify(ctx.body.ownerEmail)} is not an e-mail address`);
    const list: SimMailingList = {
      name,
      displayName: name,
      state: 'ok',
      creationDate: nowIso(),
      ownerEmail,
      subscribers: [],
      moderators: [],
      language: String(ctx.body.language),
      options: ctx.body.options as SimMailingList['options'],
      replyTo: (ctx.body.replyTo as string | undefined) ?? 'mailinglist',
      hidden: true,
    };
    svc.mailingLists.push(list);
    return mlTask(
      ctx,
      svc,
      list,
      'addMailingList',
      () => {
        list.hidden = false;
      },
      () => {
        svc.mailingLists = svc.mailingLists.filter((m) => m !== list);
      },
    );
  });
  table.on('POST', `${D}/mailingList/{name}/subscriber`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    const email = String(ctx.body.email).trim().toLowerCase();
    if (!ADDRESS.test(email)) throw badRequest(`[email] ${JSON.stringify(ctx.body.email)} is not an e-mail address`);
    if ((list.subscribers ?? []).includes(email)) throw conflict(`[email] ${email} already subscribes to ${list.name}`);
    return mlTask(ctx, svc, list, 'addSubscriber', () => {
      list.subscribers ??= [];
      if (!list.subscribers.includes(email)) list.subscribers.push(email);
    });
  });
  table.on('DELETE', `${D}/mailingList/{name}/subscriber/{email}`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    const email = String(ctx.path.email).toLowerCase();
    if (!(list.subscribers ?? []).includes(email)) throw objectNotFound({ domain: svc.domain, name: list.name, email });
    return mlTask(ctx, svc, list, 'deleteSubscriber', () => {
      list.subscribers = (list.subscribers ?? []).filter((e) => e !== email);
    });
  });
  table.on('GET', `${D}/mailingList/{name}/moderator`, (ctx) => {
    const svc = service(ctx);
    return (mailingList(ctx, svc).moderators ?? []).filter((email) => like(ctx.query.email, email));
  });
  table.on('GET', `${D}/mailingList/{name}/moderator/{email}`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    const email = String(ctx.path.email).toLowerCase();
    if (!(list.moderators ?? []).includes(email)) throw objectNotFound({ domain: svc.domain, name: list.name, email });
    return { domain: svc.domain, email, mailinglist: list.name };
  });
  table.on('POST', `${D}/mailingList/{name}/moderator`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    const email = String(ctx.body.email).trim().toLowerCase();
    if (!ADDRESS.test(email)) throw badRequest(`[email] ${JSON.stringify(ctx.body.email)} is not an e-mail address`);
    if ((list.moderators ?? []).includes(email)) throw conflict(`[email] ${email} already moderates ${list.name}`);
    return mlTask(ctx, svc, list, 'addModerator', () => {
      list.moderators ??= [];
      if (!list.moderators.includes(email)) list.moderators.push(email);
    });
  });
  table.on('DELETE', `${D}/mailingList/{name}/moderator/{email}`, (ctx) => {
    const svc = service(ctx);
    const list = mailingList(ctx, svc);
    const email = String(ctx.path.email).toLowerCase();
    if (!(list.moderators ?? []).includes(email)) throw objectNotFound({ domain: svc.domain, name: list.name, email });
    return mlTask(ctx, svc, list, 'deleteModerator', () => {
      list.moderators = (list.moderators ?? []).filter((e) => e !== email);
    });
  });
  table.on('GET', `${D}/task/mailinglist`, (ctx) => {
    const svc = service(ctx);
    return ctx.state.tasks.filter((t) => t.serviceKey === svc.key && t.ml && isPending(t) && like(ctx.query.account, t.ml.account)).map((t) => t.id);
  });
  table.on('GET', `${D}/task/mailinglist/{id}`, (ctx) => {
    const svc = service(ctx);
    const task = ctx.state.task(Number(ctx.path.id));
    if (!task || task.serviceKey !== svc.key || !task.ml || !isPending(task)) throw objectNotFound({ domain: svc.domain, id: String(ctx.path.id) });
    return renderTaskMl(task, svc.domain);
  });
}
