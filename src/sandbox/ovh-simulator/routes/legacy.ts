import { badRequest, conflict, objectNotFound } from '../errors.js';
import { addressOf, nowIso, type SimAccount, type SimService } from '../state.js';
import { isPending } from '../tasks.js';
import { checkPassword, like, renderTaskPop } from './common.js';
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
      isMXValid: 'valid',
      isSPFValid: 'valid',
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
      creationDate: now,
      lastUpdateDate: now,
      passwordLastUpdate: now,
      taskPendingId: 0,
      aliases: [],
      fullAccess: [],
      sendAs: [],
      sendOnBehalfTo: [],
      protocol: { IMAP: true, POP: true, activeSync: false, webMail: true, creationDate: now, lastUpdate: null, taskPendingId: 0 },
      usagePaddingBytes: 0,
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
  table.on('GET', `${D}/mailingList`, (ctx) => service(ctx).mailingLists.map((m) => m.name));
  table.on('GET', `${D}/mailingList/{name}`, (ctx) => {
    const svc = service(ctx);
    const list = svc.mailingLists.find((m) => m.name === String(ctx.path.name).toLowerCase());
    if (!list) throw objectNotFound({ domain: svc.domain, name: String(ctx.path.name) });
    return {
      id: svc.mailingLists.indexOf(list) + 1,
      name: list.name,
      language: 'fr',
      nbSubscribers: 0,
      nbSubscribersUpdateDate: list.creationDate,
      options: { moderatorMessage: false, subscribeByModerator: true, usersPostOnly: false },
      ownerEmail: list.ownerEmail ?? `postmaster@${svc.domain}`,
      replyTo: 'mailinglist',
    };
  });
  table.on('GET', `${D}/dnsMXRecords`, (ctx) => {
    const svc = service(ctx);
    return ctx.state.zone(svc.domain).mx;
  });
  table.on('GET', `${D}/recommendedDNSRecords`, (ctx) => {
    const svc = service(ctx);
    const mx = (
      [
        [1, 'mx1.mail.ovh.net.'],
        [5, 'mx2.mail.ovh.net.'],
        [100, 'mx3.mail.ovh.net.'],
      ] as const
    ).map(([priority, target], i) => ({
      id: i + 1,
      fieldType: 'MX',
      subDomain: '',
      target: `${priority} ${target}`,
      ttl: 3600,
      zone: svc.domain,
    }));
    return [...mx, { id: 4, fieldType: 'TXT', subDomain: '', target: 'v=spf1 include:mx.ovh.com ~all', ttl: 3600, zone: svc.domain }];
  });
  table.on('GET', `${D}/quota`, (ctx) => {
    service(ctx);
    return { account: 1000, alias: 1000, mailingList: 10, redirection: 1000, responder: 1000 };
  });
  table.on('GET', `${D}/summary`, (ctx) => {
    const svc = service(ctx);
    return { account: ctx.state.accountsOf(svc).length, mailingList: svc.mailingLists.length, redirection: 0, responder: 0 };
  });
}
