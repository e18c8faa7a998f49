import { badRequest, conflict, objectNotFound } from '../errors.js';
import { addressOf } from '../state.js';
import { renderTask } from './common.js';
import { account, FAMILIES, service } from './families.js';
import type { RouteTable } from './registry.js';

/**
 * Rights other accounts of the service hold on a hosted account (`fullAccess`, `sendAs`, `sendOnBehalfTo`):
 * lists of account ids, granted and withdrawn through tasks.
 */

export function registerRights(table: RouteTable): void {
  for (const family of FAMILIES) {
    for (const [kind, bodyField, addFn, delFn] of [
      ['fullAccess', 'allowedAccountId', 'addFullAccess', 'deleteFullAccess'],
      ['sendAs', 'allowAccountId', 'addSendAs', 'deleteSendAs'],
      ['sendOnBehalfTo', 'allowAccountId', 'addSendOnBehalfTo', 'deleteSendOnBehalfTo'],
    ] as const) {
      const R = `${family.accountPath}/${kind}`;
      table.on('GET', R, (ctx) => {
        const svc = service(ctx, family);
        return account(ctx, family, svc)[kind];
      });
      table.on('GET', `${R}/{allowedAccountId}`, (ctx) => {
        const svc = service(ctx, family);
        const a = account(ctx, family, svc);
        const id = Number(ctx.path.allowedAccountId);
        if (!a[kind].includes(id)) throw objectNotFound({ [family.accountParam]: addressOf(a), allowedAccountId: String(id) });
        return { allowedAccountId: id, creationDate: a.creationDate, taskPendingId: 0 };
      });
      table.on('POST', R, (ctx) => {
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
      table.on('DELETE', `${R}/{allowedAccountId}`, (ctx) => {
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
  }
}
