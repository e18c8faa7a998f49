import { badRequest, conflict, objectNotFound } from '../errors.js';
import { addressOf, nowIso } from '../state.js';
import { addressesInUse, checkLogin, renderTask, splitAddress } from './common.js';
import { account, FAMILIES, service, usableDomains, type Family } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * Aliases of a hosted account, on any ready domain of its service: listed at once when added, active and without
 * `taskPendingId` once their task is done, removed again if it fails.
 */

/** The request's account and alias, or a 404. */
function existing(ctx: HandlerContext, family: Family) {
  const svc = service(ctx, family);
  const a = account(ctx, family, svc);
  const alias = a.aliases.find((x) => x.alias === String(ctx.path.alias).toLowerCase());
  if (!alias) throw objectNotFound({ [family.accountParam]: addressOf(a), alias: String(ctx.path.alias) });
  return { svc, a, alias };
}

export function registerAliases(table: RouteTable): void {
  for (const family of FAMILIES) {
    const R = `${family.accountPath}/alias`;
    table.on('GET', R, (ctx) => {
      const svc = service(ctx, family);
      return account(ctx, family, svc).aliases.map((x) => x.alias);
    });
    table.on('GET', `${R}/{alias}`, (ctx) => {
      const { alias } = existing(ctx, family);
      return { alias: alias.alias, creationDate: alias.creationDate, taskPendingId: alias.taskPendingId };
    });
    table.on('POST', R, (ctx) => {
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
    table.on('DELETE', `${R}/{alias}`, (ctx) => {
      const { svc, a, alias } = existing(ctx, family);
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
  }
}
