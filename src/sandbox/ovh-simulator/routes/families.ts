import { objectNotFound } from '../errors.js';
import type { SimAccount, SimDomain, SimService } from '../state.js';
import type { HandlerContext } from './registry.js';

/**
 * Hosted Exchange, E-mail Pro and new MX Plan: the same account model (primary address = login@domain,
 * free `...@configureme.me` slots, tasks) under three path prefixes. Each hosted resource module registers its
 * routes once per family, and finds the service, account and domain of a request here.
 */

type HostedPlatform = 'exchange' | 'emailpro' | 'mxplan';

export interface Family {
  platform: HostedPlatform;
  prefix: string;
  /** `${prefix}/account/{accountParam}` */
  accountPath: string;
  accountParam: string;
  accountTasks: 'tasks' | 'task';
  serviceKey(path: Record<string, unknown>): string;
  serviceIds(path: Record<string, unknown>): Record<string, string>;
}

export const FAMILIES: Family[] = [
  {
    platform: 'exchange',
    prefix: '/email/exchange/{organizationName}/service/{exchangeService}',
    accountPath: '/email/exchange/{organizationName}/service/{exchangeService}/account/{primaryEmailAddress}',
    accountParam: 'primaryEmailAddress',
    accountTasks: 'tasks',
    serviceKey: (p) => `exchange:${p.organizationName}/${p.exchangeService}`,
    serviceIds: (p) => ({ organizationName: String(p.organizationName), exchangeService: String(p.exchangeService) }),
  },
  {
    platform: 'emailpro',
    prefix: '/email/pro/{service}',
    accountPath: '/email/pro/{service}/account/{email}',
    accountParam: 'email',
    accountTasks: 'tasks',
    serviceKey: (p) => `emailpro:${p.service}`,
    serviceIds: (p) => ({ service: String(p.service) }),
  },
  {
    platform: 'mxplan',
    prefix: '/email/mxplan/{service}',
    accountPath: '/email/mxplan/{service}/account/{email}',
    accountParam: 'email',
    accountTasks: 'task',
    serviceKey: (p) => `mxplan:${p.service}`,
    serviceIds: (p) => ({ service: String(p.service) }),
  },
];

export const [EXCHANGE, EMAIL_PRO, MXPLAN] = FAMILIES;

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

/** Domains an account or alias of this service may use. */
export function usableDomains(svc: SimService): string[] {
  if (svc.platform === 'mxplan') return [svc.domain];
  return svc.domains.filter((d) => d.state === 'ok').map((d) => d.name);
}
