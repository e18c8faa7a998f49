import { badRequest, conflict, objectNotFound } from '../errors.js';
import { addressOf, nowIso, type SimListLink, type SimMailingList, type SimService } from '../state.js';
import { addressesInUse, checkLogin, like, renderTask, splitAddress } from './common.js';
import { account, EXCHANGE as EX, service, usableDomains } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * Exchange groups (`mailingList`) with their members (accounts and external contacts), managers, aliases and
 * send rights; shared mailboxes and resources as far as rights on them go; account archives (read).
 *
 * Groups: POST answers an `addDistributionGroup` task; the group is listed at once in state `creating` and turns
 * `ok` when the task is done (a failed task removes it). Members, managers, aliases and send rights are listed
 * at once too, with the id of the task adding them in the item's `taskPendingId` (0 once done), and disappear
 * again when that task fails. Lists of members, managers and send rights are ids (account ids, or external
 * contact ids for `member/contact`); their items carry the address (`memberEmailAddress`,
 * `managerEmailAddress`). Changes to a group still `creating` are refused (409), as are duplicates.
 */

const G = `${EX.prefix}/mailingList/{mailingListAddress}`;

type LinkKind = 'memberAccounts' | 'memberContacts' | 'managers' | 'sendAs' | 'sendOnBehalfTo';

function group(ctx: HandlerContext, svc: SimService): SimMailingList {
  const name = String(ctx.path.mailingListAddress).toLowerCase();
  const found = svc.mailingLists.find((m) => m.name === name);
  if (!found) throw objectNotFound({ ...EX.serviceIds(ctx.path), mailingListAddress: name });
  return found;
}

function links(list: SimMailingList, kind: LinkKind): SimListLink[] {
  list[kind] ??= [];
  return list[kind]!;
}

function aliases(list: SimMailingList): SimListLink<string>[] {
  list.aliases ??= [];
  return list.aliases;
}

function requireReady(list: SimMailingList): void {
  if (list.state !== 'ok') throw conflict(`The group ${list.name} is busy (state ${list.state})`);
}

function renderGroup(list: SimMailingList): Record<string, unknown> {
  return {
    mailingListAddress: list.name,
    displayName: list.displayName,
    state: list.state,
    creationDate: list.creationDate,
    lastUpdateDate: null,
    company: null,
    departRestriction: list.departRestriction ?? 'closed',
    joinRestriction: list.joinRestriction ?? 'approvalRequired',
    hiddenFromGAL: list.hiddenFromGAL ?? false,
    maxReceiveSize: list.maxReceiveSize ?? null,
    maxSendSize: list.maxSendSize ?? null,
    senderAuthentification: list.senderAuthentification ?? false,
    spamDetected: false,
    spamTicketNumber: null,
    taskPendingId: list.taskPendingId ?? 0,
  };
}

/** A configured account of the service with this id, or a 400 naming the field. */
function configuredAccount(ctx: HandlerContext, svc: SimService, id: number, field: string) {
  const found = ctx.state.accountById(svc, id);
  if (!found || !found.configured || found.hidden) throw badRequest(`[${field}] No configured account with id ${id} on this service`);
  return found;
}

/** Adds a link through a task: listed at once, removed again if the task fails. */
function addLink<T>(ctx: HandlerContext, svc: SimService, list: SimListLink<T>[], value: T, fn: string): Record<string, unknown> {
  const link: SimListLink<T> = { value, creationDate: nowIso(), taskPendingId: 0 };
  list.push(link);
  const task = ctx.tasks.create(svc, fn, undefined, {
    apply: () => {
      link.taskPendingId = 0;
    },
    rollback: () => {
      const at = list.indexOf(link);
      if (at >= 0) list.splice(at, 1);
    },
  });
  link.taskPendingId = task.id;
  ctx.changed();
  return renderTask(task);
}

function removeLink<T>(ctx: HandlerContext, svc: SimService, list: SimListLink<T>[], link: SimListLink<T>, fn: string): Record<string, unknown> {
  const task = ctx.tasks.create(svc, fn, undefined, {
    apply: () => {
      const at = list.indexOf(link);
      if (at >= 0) list.splice(at, 1);
    },
    rollback: () => {
      link.taskPendingId = 0;
    },
  });
  link.taskPendingId = task.id;
  ctx.changed();
  return renderTask(task);
}

export function registerExchangeGroups(table: RouteTable): void {
  // ---- groups
  table.on('GET', `${EX.prefix}/mailingList`, (ctx) =>
    service(ctx, EX)
      .mailingLists.filter((m) => like(ctx.query.mailingListAddress, m.name) && (ctx.query.company === undefined || like(ctx.query.company, null)))
      .map((m) => m.name),
  );
  table.on('GET', G, (ctx) => renderGroup(group(ctx, service(ctx, EX))));
  table.on('POST', `${EX.prefix}/mailingList`, (ctx) => {
    const svc = service(ctx, EX);
    const address = String(ctx.body.mailingListAddress).trim().toLowerCase();
    const { login, domain } = splitAddress(address, 'mailingListAddress');
    checkLogin(login, 'mailingListAddress');
    if (!usableDomains(svc).includes(domain)) throw badRequest(`[mailingListAddress] Domain ${domain} is not attached to this service`);
    if (addressesInUse(svc).has(address)) throw conflict(`[mailingListAddress] ${address} is already used on this service`);
    const body = ctx.body;
    const list: SimMailingList = {
      name: address,
      displayName: (body.displayName as string | undefined) ?? address,
      state: 'creating',
      creationDate: nowIso(),
      taskPendingId: 0,
      departRestriction: body.departRestriction as SimMailingList['departRestriction'],
      joinRestriction: body.joinRestriction as SimMailingList['joinRestriction'],
      hiddenFromGAL: body.hiddenFromGAL === true,
      maxReceiveSize: (body.maxReceiveSize as number | undefined) ?? null,
      maxSendSize: (body.maxSendSize as number | undefined) ?? null,
      senderAuthentification: body.senderAuthentification === true,
      memberAccounts: [],
      memberContacts: [],
      managers: [],
      aliases: [],
      sendAs: [],
      sendOnBehalfTo: [],
    };
    svc.mailingLists.push(list);
    const task = ctx.tasks.create(svc, 'addDistributionGroup', undefined, {
      apply: () => {
        list.state = 'ok';
        list.taskPendingId = 0;
      },
      rollback: () => {
        svc.mailingLists = svc.mailingLists.filter((m) => m !== list);
      },
    });
    list.taskPendingId = task.id;
    ctx.changed();
    return renderTask(task);
  });
  table.on('PUT', G, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    requireReady(list);
    const body = ctx.body;
    for (const key of ['mailingListAddress', 'state', 'creationDate', 'taskPendingId']) {
      if (key in body && body[key] !== renderGroup(list)[key]) throw badRequest(`[${key}] Property is read-only`);
    }
    if (typeof body.displayName === 'string') list.displayName = body.displayName;
    if (typeof body.departRestriction === 'string') list.departRestriction = body.departRestriction as SimMailingList['departRestriction'];
    if (typeof body.joinRestriction === 'string') list.joinRestriction = body.joinRestriction as SimMailingList['joinRestriction'];
    if (typeof body.hiddenFromGAL === 'boolean') list.hiddenFromGAL = body.hiddenFromGAL;
    if (typeof body.senderAuthentification === 'boolean') list.senderAuthentification = body.senderAuthentification;
    if ('maxReceiveSize' in ctx.rawBody) list.maxReceiveSize = (body.maxReceiveSize as number | null | undefined) ?? null;
    if ('maxSendSize' in ctx.rawBody) list.maxSendSize = (body.maxSendSize as number | null | undefined) ?? null;
    ctx.changed();
    return null;
  });
  table.on('DELETE', G, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    requireReady(list);
    list.state = 'deleting';
    const task = ctx.tasks.create(svc, 'deleteDistributionGroup', undefined, {
      apply: () => {
        svc.mailingLists = svc.mailingLists.filter((m) => m !== list);
      },
      rollback: () => {
        list.state = 'ok';
        list.taskPendingId = 0;
      },
    });
    list.taskPendingId = task.id;
    ctx.changed();
    return renderTask(task);
  });

  // ---- members: accounts and external contacts
  for (const [segment, kind, idField, otherField] of [
    ['account', 'memberAccounts', 'memberAccountId', 'memberContactId'],
    ['contact', 'memberContacts', 'memberContactId', 'memberAccountId'],
  ] as const) {
    const R = `${G}/member/${segment}`;
    const addressOfMember = (ctx: HandlerContext, svc: SimService, id: number): string => {
      if (kind === 'memberAccounts') {
        const a = ctx.state.accountById(svc, id);
        return a ? addressOf(a) : '';
      }
      return svc.externalContacts.find((c) => c.id === id)?.externalEmailAddress ?? '';
    };
    table.on('GET', R, (ctx) => links(group(ctx, service(ctx, EX)), kind).map((l) => l.value));
    table.on('GET', `${R}/{${idField}}`, (ctx) => {
      const svc = service(ctx, EX);
      const list = group(ctx, svc);
      const id = Number(ctx.path[idField]);
      const link = links(list, kind).find((l) => l.value === id);
      if (!link) throw objectNotFound({ mailingListAddress: list.name, [idField]: String(id) });
      return { creationDate: link.creationDate, [idField]: id, [otherField]: null, memberEmailAddress: addressOfMember(ctx, svc, id), taskPendingId: link.taskPendingId };
    });
    table.on('POST', R, (ctx) => {
      const svc = service(ctx, EX);
      const list = group(ctx, svc);
      requireReady(list);
      const raw = ctx.body[idField];
      if (typeof raw !== 'number') throw badRequest(`[${idField}] Property is mandatory on member/${segment}`);
      if (ctx.body[otherField] !== undefined) throw badRequest(`[${otherField}] Use member/${segment === 'account' ? 'contact' : 'account'} for that`);
      if (kind === 'memberAccounts') configuredAccount(ctx, svc, raw, idField);
      else {
        const contact = svc.externalContacts.find((c) => c.id === raw);
        if (!contact || contact.state !== 'ok') throw badRequest(`[${idField}] No external contact with id ${raw} on this service`);
      }
      if (links(list, kind).some((l) => l.value === raw)) throw conflict(`[${idField}] ${raw} is already a member of ${list.name}`);
      return addLink(ctx, svc, links(list, kind), raw, 'addDistributionGroupMember');
    });
    table.on('DELETE', `${R}/{${idField}}`, (ctx) => {
      const svc = service(ctx, EX);
      const list = group(ctx, svc);
      const id = Number(ctx.path[idField]);
      const link = links(list, kind).find((l) => l.value === id);
      if (!link) throw objectNotFound({ mailingListAddress: list.name, [idField]: String(id) });
      return removeLink(ctx, svc, links(list, kind), link, 'deleteDistributionGroupMember');
    });
  }

  // ---- managers
  const M = `${G}/manager/account`;
  table.on('GET', M, (ctx) => links(group(ctx, service(ctx, EX)), 'managers').map((l) => l.value));
  table.on('GET', `${M}/{managerAccountId}`, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    const id = Number(ctx.path.managerAccountId);
    const link = links(list, 'managers').find((l) => l.value === id);
    if (!link) throw objectNotFound({ mailingListAddress: list.name, managerAccountId: String(id) });
    const a = ctx.state.accountById(svc, id);
    return { creationDate: link.creationDate, managerAccountId: id, managerEmailAddress: a ? addressOf(a) : '', taskPendingId: link.taskPendingId };
  });
  table.on('POST', M, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    requireReady(list);
    const id = Number(ctx.body.managerAccountId);
    configuredAccount(ctx, svc, id, 'managerAccountId');
    if (links(list, 'managers').some((l) => l.value === id)) throw conflict(`[managerAccountId] ${id} already manages ${list.name}`);
    return addLink(ctx, svc, links(list, 'managers'), id, 'addDistributionGroupManager');
  });
  table.on('DELETE', `${M}/{managerAccountId}`, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    const id = Number(ctx.path.managerAccountId);
    const link = links(list, 'managers').find((l) => l.value === id);
    if (!link) throw objectNotFound({ mailingListAddress: list.name, managerAccountId: String(id) });
    return removeLink(ctx, svc, links(list, 'managers'), link, 'deleteDistributionGroupManager');
  });

  // ---- aliases of a group
  table.on('GET', `${G}/alias`, (ctx) => aliases(group(ctx, service(ctx, EX))).map((l) => l.value));
  table.on('GET', `${G}/alias/{alias}`, (ctx) => {
    const list = group(ctx, service(ctx, EX));
    const wanted = String(ctx.path.alias).toLowerCase();
    const link = aliases(list).find((l) => l.value === wanted);
    if (!link) throw objectNotFound({ mailingListAddress: list.name, alias: wanted });
    return { alias: link.value, creationDate: link.creationDate, taskPendingId: link.taskPendingId };
  });
  table.on('POST', `${G}/alias`, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    requireReady(list);
    const wanted = String(ctx.body.alias).trim().toLowerCase();
    const { login, domain } = splitAddress(wanted, 'alias');
    checkLogin(login, 'alias');
    if (!usableDomains(svc).includes(domain)) throw badRequest(`[alias] Domain ${domain} is not attached to this service`);
    if (addressesInUse(svc).has(wanted)) throw conflict(`[alias] ${wanted} is already used on this service`);
    return addLink(ctx, svc, aliases(list), wanted, 'addAlias');
  });
  table.on('DELETE', `${G}/alias/{alias}`, (ctx) => {
    const svc = service(ctx, EX);
    const list = group(ctx, svc);
    const wanted = String(ctx.path.alias).toLowerCase();
    const link = aliases(list).find((l) => l.value === wanted);
    if (!link) throw objectNotFound({ mailingListAddress: list.name, alias: wanted });
    return removeLink(ctx, svc, aliases(list), link, 'deleteAlias');
  });

  // ---- send rights on a group
  for (const [kind, addFn, delFn] of [
    ['sendAs', 'addDistributionGroupSendAs', 'deleteDistributionGroupSendAs'],
    ['sendOnBehalfTo', 'addDistributionGroupSendOnBehalfTo', 'deleteDistributionGroupSendOnBehalfTo'],
  ] as const) {
    const R = `${G}/${kind}`;
    table.on('GET', R, (ctx) => links(group(ctx, service(ctx, EX)), kind).map((l) => l.value));
    table.on('GET', `${R}/{allowedAccountId}`, (ctx) => {
      const list = group(ctx, service(ctx, EX));
      const id = Number(ctx.path.allowedAccountId);
      const link = links(list, kind).find((l) => l.value === id);
      if (!link) throw objectNotFound({ mailingListAddress: list.name, allowedAccountId: String(id) });
      return { allowedAccountId: id, creationDate: link.creationDate, taskPendingId: link.taskPendingId };
    });
    table.on('POST', R, (ctx) => {
      const svc = service(ctx, EX);
      const list = group(ctx, svc);
      requireReady(list);
      const id = Number(ctx.body.allowAccountId);
      configuredAccount(ctx, svc, id, 'allowAccountId');
      if (links(list, kind).some((l) => l.value === id)) throw conflict(`[allowAccountId] Account ${id} already has this right on ${list.name}`);
      return addLink(ctx, svc, links(list, kind), id, addFn);
    });
    table.on('DELETE', `${R}/{allowedAccountId}`, (ctx) => {
      const svc = service(ctx, EX);
      const list = group(ctx, svc);
      const id = Number(ctx.path.allowedAccountId);
      const link = links(list, kind).find((l) => l.value === id);
      if (!link) throw objectNotFound({ mailingListAddress: list.name, allowedAccountId: String(id) });
      return removeLink(ctx, svc, links(list, kind), link, delFn);
    });
  }

  // ---- shared mailboxes and resources: the rights other accounts hold on them (read only)
  const sharedOf = (ctx: HandlerContext, svc: SimService) => {
    const wanted = String(ctx.path.sharedEmailAddress).toLowerCase();
    const found = (svc.sharedAccounts ?? []).find((s) => s.address === wanted);
    if (!found) throw objectNotFound({ ...EX.serviceIds(ctx.path), sharedEmailAddress: wanted });
    return found;
  };
  table.on('GET', `${EX.prefix}/sharedAccount`, (ctx) =>
    (service(ctx, EX).sharedAccounts ?? []).filter((s) => like(ctx.query.sharedEmailAddress, s.address)).map((s) => s.address),
  );
  for (const kind of ['fullAccess', 'sendAs', 'sendOnBehalfTo'] as const) {
    table.on('GET', `${EX.prefix}/sharedAccount/{sharedEmailAddress}/${kind}`, (ctx) => [...sharedOf(ctx, service(ctx, EX))[kind]]);
  }
  table.on('GET', `${EX.prefix}/resourceAccount`, (ctx) =>
    (service(ctx, EX).resourceAccounts ?? [])
      .filter((r) => like(ctx.query.resourceEmailAddress, r.address) && (ctx.query.company === undefined || like(ctx.query.company, null)))
      .map((r) => r.address),
  );
  table.on('GET', `${EX.prefix}/resourceAccount/{resourceEmailAddress}/delegate`, (ctx) => {
    const svc = service(ctx, EX);
    const wanted = String(ctx.path.resourceEmailAddress).toLowerCase();
    const found = (svc.resourceAccounts ?? []).find((r) => r.address === wanted);
    if (!found) throw objectNotFound({ ...EX.serviceIds(ctx.path), resourceEmailAddress: wanted });
    return [...found.delegates];
  });

  // ---- archive mailbox of an account (read): 404 when it has none
  table.on('GET', `${EX.prefix}/account/{primaryEmailAddress}/archive`, (ctx) => {
    const svc = service(ctx, EX);
    const a = account(ctx, EX, svc);
    if (!a.archive) throw objectNotFound({ primaryEmailAddress: addressOf(a), archive: 'archive' });
    return { creationDate: a.archive.creationDate, currentUsage: 0, guid: null, quota: a.archive.quota, state: 'ok', taskPendingId: 0 };
  });
}
