import { badRequest, conflict, forbidden } from '../errors.js';
import { addressOf, DEFAULT_SPAM_CONFIG, nowIso, PLACEHOLDER_DOMAIN, slotLogin, type SimAccount, type SimService, type SimSpamConfig } from '../state.js';
import { bytesToUsageKb } from '../units.js';
import { addressesInUse, checkLogin, checkPassword, like, newAccountDefaults, renderTask, splitAddress } from './common.js';
import { account, EXCHANGE, FAMILIES, MXPLAN, service, usableDomains, type Family } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * Hosted accounts: listed, read, changed or renamed (PUT, a free slot configured the same way), reset or deleted,
 * their password changed; Exchange also creates accounts (not on the hosted and provider offers) and switches
 * protocols per account; MX Plan tells the quotas an account may take.
 */

function requireIdle(account: SimAccount): void {
  if (account.pendingRename || account.state !== 'ok') {
    throw conflict(`An operation is already pending on this account (state ${account.state}, task ${account.taskPendingId})`);
  }
}

async function renderAccount(ctx: HandlerContext, svc: SimService, a: SimAccount): Promise<Record<string, unknown>> {
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
    spamAndVirusConfiguration: a.spamAndVirus ?? DEFAULT_SPAM_CONFIG,
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

export function registerAccounts(table: RouteTable): void {
  for (const family of FAMILIES) {
    const A = family.accountPath;
    table.on('GET', `${family.prefix}/account`, (ctx) =>
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
            hiddenFromGAL: false,
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
  }

  // ---- Exchange only
  table.on('POST', `${EXCHANGE.prefix}/account`, (ctx) => {
    const svc = service(ctx, EXCHANGE);
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
  table.on('GET', `${EXCHANGE.accountPath}/protocol`, (ctx) => {
    const svc = service(ctx, EXCHANGE);
    return account(ctx, EXCHANGE, svc).protocol;
  });
  table.on('PUT', `${EXCHANGE.accountPath}/protocol`, (ctx) => {
    const svc = service(ctx, EXCHANGE);
    const a = account(ctx, EXCHANGE, svc);
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

  // ---- MX Plan only
  table.on('GET', `${MXPLAN.accountPath}/capabilities`, (ctx) => {
    const svc = service(ctx, MXPLAN);
    account(ctx, MXPLAN, svc);
    return { quotas: svc.quotaChoices ?? null };
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
      a.spamAndVirus = { ...(a.spamAndVirus ?? DEFAULT_SPAM_CONFIG), ...(body.spamAndVirusConfiguration as Partial<SimSpamConfig>) };
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
