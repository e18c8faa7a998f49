import { conflict, objectNotFound } from '../errors.js';
import { nowIso } from '../state.js';
import { renderTask } from './common.js';
import { domain, FAMILIES, service, type Family } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/** A hosted domain's footer (`.../domain/{domainName}/disclaimer`): one per domain, added and deleted through tasks. */

/** The request's domain with its footer, or a 404. */
function existing(ctx: HandlerContext, family: Family) {
  const svc = service(ctx, family);
  const d = domain(ctx, family, svc);
  if (!d.disclaimer) throw objectNotFound({ ...family.serviceIds(ctx.path), domainName: d.name, disclaimer: 'disclaimer' });
  return { svc, d, disclaimer: d.disclaimer };
}

export function registerDisclaimers(table: RouteTable): void {
  for (const family of FAMILIES) {
    const R = `${family.prefix}/domain/{domainName}/disclaimer`;
    table.on('GET', R, (ctx) => {
      const { d, disclaimer } = existing(ctx, family);
      return { name: d.name, content: disclaimer.content, outsideOnly: disclaimer.outsideOnly, creationDate: disclaimer.creationDate, taskPendingId: disclaimer.taskPendingId };
    });
    table.on('POST', R, (ctx) => {
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
    table.on('PUT', R, (ctx) => {
      const { disclaimer } = existing(ctx, family);
      if (typeof ctx.body.content === 'string') disclaimer.content = ctx.body.content;
      if (typeof ctx.body.outsideOnly === 'boolean') disclaimer.outsideOnly = ctx.body.outsideOnly;
      ctx.changed();
      return null;
    });
    table.on('DELETE', R, (ctx) => {
      const { svc, d, disclaimer } = existing(ctx, family);
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
  }
}
