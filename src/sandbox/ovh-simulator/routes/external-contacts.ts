import { badRequest, conflict, objectNotFound } from '../errors.js';
import { nowIso, type SimService } from '../state.js';
import { addressesInUse, like, renderTask, splitAddress } from './common.js';
import { FAMILIES, service, type Family } from './families.js';
import type { HandlerContext, RouteTable } from './registry.js';

/**
 * External contacts of a hosted service (addresses outside it shown in the address book), by address: added and
 * deleted through tasks, changed at once.
 */

/** The request's service and contact, or a 404. */
function existing(ctx: HandlerContext, family: Family) {
  const svc = service(ctx, family);
  const wanted = String(ctx.path.externalEmailAddress).toLowerCase();
  const contact = svc.externalContacts.find((c) => c.externalEmailAddress === wanted);
  if (!contact) throw objectNotFound({ ...family.serviceIds(ctx.path), externalEmailAddress: wanted });
  return { svc, wanted, contact };
}

/** A contact's new address: an e-mail address that no contact, account, alias or group of the service uses. */
function checkFree(svc: SimService, address: string): void {
  splitAddress(address, 'externalEmailAddress');
  if (svc.externalContacts.some((c) => c.externalEmailAddress === address) || addressesInUse(svc).has(address)) {
    throw conflict(`[externalEmailAddress] ${address} already exists on this service`);
  }
}

export function registerExternalContacts(table: RouteTable): void {
  for (const family of FAMILIES) {
    const R = `${family.prefix}/externalContact`;
    table.on('GET', R, (ctx) =>
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
    table.on('GET', `${R}/{externalEmailAddress}`, (ctx) => ({ ...existing(ctx, family).contact, organization2010: null }));
    table.on('POST', R, (ctx) => {
      const svc = service(ctx, family);
      const address = String(ctx.body.externalEmailAddress).toLowerCase();
      checkFree(svc, address);
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
    table.on('PUT', `${R}/{externalEmailAddress}`, (ctx) => {
      const { svc, wanted, contact } = existing(ctx, family);
      if (contact.state !== 'ok') throw conflict(`External contact ${wanted} is busy (state ${contact.state})`);
      const body = ctx.body;
      for (const key of ['id', 'state', 'creationDate', 'taskPendingId']) {
        if (key in body && body[key] !== (contact as unknown as Record<string, unknown>)[key]) throw badRequest(`[${key}] Property is read-only`);
      }
      if (typeof body.externalEmailAddress === 'string' && body.externalEmailAddress.toLowerCase() !== contact.externalEmailAddress) {
        const address = body.externalEmailAddress.toLowerCase();
        checkFree(svc, address);
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
    table.on('DELETE', `${R}/{externalEmailAddress}`, (ctx) => {
      const { svc, contact } = existing(ctx, family);
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
  }
}
