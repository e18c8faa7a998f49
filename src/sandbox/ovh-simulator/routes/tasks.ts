import { objectNotFound } from '../errors.js';
import { addressOf } from '../state.js';
import { isPending } from '../tasks.js';
import { renderTask } from './common.js';
import { account, FAMILIES, service } from './families.js';
import type { RouteTable } from './registry.js';

/**
 * Tasks of a hosted service and of one of its accounts (`.../tasks`, MX Plan `.../task`): the lists show pending
 * tasks only, a task by id stays readable once done.
 */

export function registerTasks(table: RouteTable): void {
  for (const family of FAMILIES) {
    const S = `${family.prefix}/task`;
    const A = `${family.accountPath}/${family.accountTasks}`;
    table.on('GET', S, (ctx) => {
      const svc = service(ctx, family);
      return ctx.state.tasks.filter((t) => t.serviceKey === svc.key && isPending(t)).map((t) => t.id);
    });
    table.on('GET', `${S}/{id}`, (ctx) => {
      const svc = service(ctx, family);
      const task = ctx.state.task(Number(ctx.path.id));
      if (!task || task.serviceKey !== svc.key) throw objectNotFound({ ...family.serviceIds(ctx.path), id: String(ctx.path.id) });
      return renderTask(task);
    });
    table.on('GET', A, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      return ctx.state.tasks.filter((t) => t.serviceKey === svc.key && t.accountId === a.id && isPending(t)).map((t) => t.id);
    });
    table.on('GET', `${A}/{id}`, (ctx) => {
      const svc = service(ctx, family);
      const a = account(ctx, family, svc);
      const task = ctx.state.task(Number(ctx.path.id));
      if (!task || task.serviceKey !== svc.key || task.accountId !== a.id) throw objectNotFound({ [family.accountParam]: addressOf(a), id: String(ctx.path.id) });
      return renderTask(task);
    });
  }
}
