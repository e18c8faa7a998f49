/**
 * Every OVH API call this project makes, in one table. Adapters call routes only through these constants, so
 * that `ovh-login` can ask for exactly these access rules and a test can check each one against the published
 * schemas (`../shared/ovh-api-schemas/`). Adding a call = adding a line here.
 */

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Names of the `{placeholders}` in a path template. */
export type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}` ? Name | PathParams<Rest> : never;

export interface Route<P extends string = string> {
  readonly method: HttpMethod;
  /** Path template relative to the API base path (`/1.0`), with `{name}` placeholders. */
  readonly path: P;
  /** Which schema file documents it (`auth` = the `/auth` API, not in our copies). */
  readonly api: 'exchange' | 'pro' | 'mxplan' | 'domain' | 'auth';
}

function route<P extends string>(api: Route['api'], method: HttpMethod, path: P): Route<P> {
  return Object.freeze({ api, method, path });
}

const E = '/email/exchange/{organizationName}/service/{exchangeService}' as const;
const EA = `${E}/account/{primaryEmailAddress}` as const;

export const EXCHANGE = {
  listOrganizations: route('exchange', 'GET', '/email/exchange'),
  listServices: route('exchange', 'GET', '/email/exchange/{organizationName}/service'),
  service: route('exchange', 'GET', E),
  listAccounts: route('exchange', 'GET', `${E}/account`),
  createAccount: route('exchange', 'POST', `${E}/account`),
  account: route('exchange', 'GET', EA),
  updateAccount: route('exchange', 'PUT', EA),
  deleteAccount: route('exchange', 'DELETE', EA),
  changePassword: route('exchange', 'POST', `${EA}/changePassword`),
  aliases: route('exchange', 'GET', `${EA}/alias`),
  addAlias: route('exchange', 'POST', `${EA}/alias`),
  fullAccess: route('exchange', 'GET', `${EA}/fullAccess`),
  sendAs: route('exchange', 'GET', `${EA}/sendAs`),
  sendOnBehalfTo: route('exchange', 'GET', `${EA}/sendOnBehalfTo`),
  protocol: route('exchange', 'GET', `${EA}/protocol`),
  updateProtocol: route('exchange', 'PUT', `${EA}/protocol`),
  listDomains: route('exchange', 'GET', `${E}/domain`),
  addDomain: route('exchange', 'POST', `${E}/domain`),
  domain: route('exchange', 'GET', `${E}/domain/{domainName}`),
  disclaimer: route('exchange', 'GET', `${E}/domain/{domainName}/disclaimer`),
  externalContacts: route('exchange', 'GET', `${E}/externalContact`),
  mailingLists: route('exchange', 'GET', `${E}/mailingList`),
  mailingListMembers: route('exchange', 'GET', `${E}/mailingList/{mailingListAddress}/member/account`),
  mailingListManagers: route('exchange', 'GET', `${E}/mailingList/{mailingListAddress}/manager/account`),
  task: route('exchange', 'GET', `${E}/task/{id}`),
} as const;

const P = '/email/pro/{service}' as const;
const PA = `${P}/account/{email}` as const;

export const EMAIL_PRO = {
  listServices: route('pro', 'GET', '/email/pro'),
  service: route('pro', 'GET', P),
  /** The control panel's test: an error here means the service is a new MX Plan. */
  billingMigrated: route('pro', 'GET', `${P}/billingMigrated`),
  listAccounts: route('pro', 'GET', `${P}/account`),
  account: route('pro', 'GET', PA),
  updateAccount: route('pro', 'PUT', PA),
  deleteAccount: route('pro', 'DELETE', PA),
  changePassword: route('pro', 'POST', `${PA}/changePassword`),
  aliases: route('pro', 'GET', `${PA}/alias`),
  addAlias: route('pro', 'POST', `${PA}/alias`),
  fullAccess: route('pro', 'GET', `${PA}/fullAccess`),
  sendAs: route('pro', 'GET', `${PA}/sendAs`),
  sendOnBehalfTo: route('pro', 'GET', `${PA}/sendOnBehalfTo`),
  listDomains: route('pro', 'GET', `${P}/domain`),
  addDomain: route('pro', 'POST', `${P}/domain`),
  domain: route('pro', 'GET', `${P}/domain/{domainName}`),
  disclaimer: route('pro', 'GET', `${P}/domain/{domainName}/disclaimer`),
  externalContacts: route('pro', 'GET', `${P}/externalContact`),
  task: route('pro', 'GET', `${P}/task/{id}`),
} as const;

const X = '/email/mxplan/{service}' as const;
const XA = `${X}/account/{email}` as const;

export const MXPLAN = {
  listServices: route('mxplan', 'GET', '/email/mxplan'),
  service: route('mxplan', 'GET', X),
  listAccounts: route('mxplan', 'GET', `${X}/account`),
  account: route('mxplan', 'GET', XA),
  updateAccount: route('mxplan', 'PUT', XA),
  deleteAccount: route('mxplan', 'DELETE', XA),
  capabilities: route('mxplan', 'GET', `${XA}/capabilities`),
  changePassword: route('mxplan', 'POST', `${XA}/changePassword`),
  aliases: route('mxplan', 'GET', `${XA}/alias`),
  addAlias: route('mxplan', 'POST', `${XA}/alias`),
  fullAccess: route('mxplan', 'GET', `${XA}/fullAccess`),
  sendAs: route('mxplan', 'GET', `${XA}/sendAs`),
  sendOnBehalfTo: route('mxplan', 'GET', `${XA}/sendOnBehalfTo`),
  listDomains: route('mxplan', 'GET', `${X}/domain`),
  domain: route('mxplan', 'GET', `${X}/domain/{domainName}`),
  disclaimer: route('mxplan', 'GET', `${X}/domain/{domainName}/disclaimer`),
  externalContacts: route('mxplan', 'GET', `${X}/externalContact`),
  task: route('mxplan', 'GET', `${X}/task/{id}`),
} as const;

const L = '/email/domain/{domain}' as const;
const LA = `${L}/account/{accountName}` as const;

export const MXPLAN_LEGACY = {
  listServices: route('domain', 'GET', '/email/domain'),
  service: route('domain', 'GET', L),
  listAccounts: route('domain', 'GET', `${L}/account`),
  createAccount: route('domain', 'POST', `${L}/account`),
  account: route('domain', 'GET', LA),
  deleteAccount: route('domain', 'DELETE', LA),
  changePassword: route('domain', 'POST', `${LA}/changePassword`),
  usage: route('domain', 'GET', `${LA}/usage`),
  delegations: route('domain', 'GET', `${LA}/delegation`),
  accountTask: route('domain', 'GET', `${L}/task/account/{id}`),
  dnsMXRecords: route('domain', 'GET', `${L}/dnsMXRecords`),
  dnsMXFilter: route('domain', 'GET', `${L}/dnsMXFilter`),
  recommendedDNSRecords: route('domain', 'GET', `${L}/recommendedDNSRecords`),
  redirections: route('domain', 'GET', `${L}/redirection`),
  redirection: route('domain', 'GET', `${L}/redirection/{id}`),
  addRedirection: route('domain', 'POST', `${L}/redirection`),
  /** `TaskSpecialAccount` of a redirection: readable while pending, gone (404) once done. */
  redirectionTask: route('domain', 'GET', `${L}/task/redirection/{id}`),
  mailingLists: route('domain', 'GET', `${L}/mailingList`),
  mailingList: route('domain', 'GET', `${L}/mailingList/{name}`),
  mailingListSubscribers: route('domain', 'GET', `${L}/mailingList/{name}/subscriber`),
} as const;

/** The `/auth` API (not in the e-mail schema files): unsigned calls. */
export const AUTH = {
  time: route('auth', 'GET', '/auth/time'),
  credential: route('auth', 'POST', '/auth/credential'),
} as const;

/** Every route of the e-mail APIs the adapters call. */
export const EMAIL_ROUTES: readonly Route[] = [
  ...Object.values(EXCHANGE),
  ...Object.values(EMAIL_PRO),
  ...Object.values(MXPLAN),
  ...Object.values(MXPLAN_LEGACY),
];

export interface AccessRule {
  method: HttpMethod;
  path: string;
}

/**
 * The access rules to request for a consumer key: each route with its `{placeholders}` turned into `*`
 * (OVH's wildcard), deduplicated and sorted. Derived from EMAIL_ROUTES, so it cannot drift from the code.
 */
export function accessRules(routes: readonly Route[] = EMAIL_ROUTES): AccessRule[] {
  const seen = new Map<string, AccessRule>();
  for (const r of routes) {
    if (r.api === 'auth') continue;
    const path = r.path.replace(/\{[^}]+\}/g, '*');
    seen.set(`${r.method} ${path}`, { method: r.method, path });
  }
  return [...seen.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** Fills a path template, URL-encoding every value (`@` becomes `%40`); throws on a missing value. */
export function fillPath(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined || value === null || value === '') throw new Error(`OVH path ${template}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}
