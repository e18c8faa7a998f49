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
const EM = `${E}/mailingList/{mailingListAddress}` as const;

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
  addFullAccess: route('exchange', 'POST', `${EA}/fullAccess`),
  sendAs: route('exchange', 'GET', `${EA}/sendAs`),
  addSendAs: route('exchange', 'POST', `${EA}/sendAs`),
  sendOnBehalfTo: route('exchange', 'GET', `${EA}/sendOnBehalfTo`),
  addSendOnBehalfTo: route('exchange', 'POST', `${EA}/sendOnBehalfTo`),
  /** Archive mailbox: 404 when the account has none. */
  archive: route('exchange', 'GET', `${EA}/archive`),
  protocol: route('exchange', 'GET', `${EA}/protocol`),
  updateProtocol: route('exchange', 'PUT', `${EA}/protocol`),
  listDomains: route('exchange', 'GET', `${E}/domain`),
  addDomain: route('exchange', 'POST', `${E}/domain`),
  domain: route('exchange', 'GET', `${E}/domain/{domainName}`),
  disclaimer: route('exchange', 'GET', `${E}/domain/{domainName}/disclaimer`),
  addDisclaimer: route('exchange', 'POST', `${E}/domain/{domainName}/disclaimer`),
  externalContacts: route('exchange', 'GET', `${E}/externalContact`),
  externalContact: route('exchange', 'GET', `${E}/externalContact/{externalEmailAddress}`),
  addExternalContact: route('exchange', 'POST', `${E}/externalContact`),
  mailingLists: route('exchange', 'GET', `${E}/mailingList`),
  mailingList: route('exchange', 'GET', `${EM}`),
  addMailingList: route('exchange', 'POST', `${E}/mailingList`),
  mailingListMembers: route('exchange', 'GET', `${EM}/member/account`),
  mailingListMember: route('exchange', 'GET', `${EM}/member/account/{memberAccountId}`),
  addMailingListMember: route('exchange', 'POST', `${EM}/member/account`),
  mailingListContacts: route('exchange', 'GET', `${EM}/member/contact`),
  mailingListContact: route('exchange', 'GET', `${EM}/member/contact/{memberContactId}`),
  addMailingListContact: route('exchange', 'POST', `${EM}/member/contact`),
  mailingListManagers: route('exchange', 'GET', `${EM}/manager/account`),
  mailingListManager: route('exchange', 'GET', `${EM}/manager/account/{managerAccountId}`),
  addMailingListManager: route('exchange', 'POST', `${EM}/manager/account`),
  mailingListAliases: route('exchange', 'GET', `${EM}/alias`),
  addMailingListAlias: route('exchange', 'POST', `${EM}/alias`),
  mailingListSendAs: route('exchange', 'GET', `${EM}/sendAs`),
  addMailingListSendAs: route('exchange', 'POST', `${EM}/sendAs`),
  mailingListSendOnBehalfTo: route('exchange', 'GET', `${EM}/sendOnBehalfTo`),
  addMailingListSendOnBehalfTo: route('exchange', 'POST', `${EM}/sendOnBehalfTo`),
  /** Shared and resource accounts: read only, to report the rights a mailbox holds on them. */
  sharedAccounts: route('exchange', 'GET', `${E}/sharedAccount`),
  sharedAccountFullAccess: route('exchange', 'GET', `${E}/sharedAccount/{sharedEmailAddress}/fullAccess`),
  sharedAccountSendAs: route('exchange', 'GET', `${E}/sharedAccount/{sharedEmailAddress}/sendAs`),
  sharedAccountSendOnBehalfTo: route('exchange', 'GET', `${E}/sharedAccount/{sharedEmailAddress}/sendOnBehalfTo`),
  resourceAccounts: route('exchange', 'GET', `${E}/resourceAccount`),
  resourceAccountDelegates: route('exchange', 'GET', `${E}/resourceAccount/{resourceEmailAddress}/delegate`),
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
  addFullAccess: route('pro', 'POST', `${PA}/fullAccess`),
  sendAs: route('pro', 'GET', `${PA}/sendAs`),
  addSendAs: route('pro', 'POST', `${PA}/sendAs`),
  sendOnBehalfTo: route('pro', 'GET', `${PA}/sendOnBehalfTo`),
  addSendOnBehalfTo: route('pro', 'POST', `${PA}/sendOnBehalfTo`),
  listDomains: route('pro', 'GET', `${P}/domain`),
  addDomain: route('pro', 'POST', `${P}/domain`),
  domain: route('pro', 'GET', `${P}/domain/{domainName}`),
  disclaimer: route('pro', 'GET', `${P}/domain/{domainName}/disclaimer`),
  addDisclaimer: route('pro', 'POST', `${P}/domain/{domainName}/disclaimer`),
  externalContacts: route('pro', 'GET', `${P}/externalContact`),
  externalContact: route('pro', 'GET', `${P}/externalContact/{externalEmailAddress}`),
  addExternalContact: route('pro', 'POST', `${P}/externalContact`),
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
  addFullAccess: route('mxplan', 'POST', `${XA}/fullAccess`),
  sendAs: route('mxplan', 'GET', `${XA}/sendAs`),
  addSendAs: route('mxplan', 'POST', `${XA}/sendAs`),
  sendOnBehalfTo: route('mxplan', 'GET', `${XA}/sendOnBehalfTo`),
  addSendOnBehalfTo: route('mxplan', 'POST', `${XA}/sendOnBehalfTo`),
  listDomains: route('mxplan', 'GET', `${X}/domain`),
  domain: route('mxplan', 'GET', `${X}/domain/{domainName}`),
  disclaimer: route('mxplan', 'GET', `${X}/domain/{domainName}/disclaimer`),
  addDisclaimer: route('mxplan', 'POST', `${X}/domain/{domainName}/disclaimer`),
  externalContacts: route('mxplan', 'GET', `${X}/externalContact`),
  externalContact: route('mxplan', 'GET', `${X}/externalContact/{externalEmailAddress}`),
  addExternalContact: route('mxplan', 'POST', `${X}/externalContact`),
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
  /** Only `description` and `size` are writable. */
  updateAccount: route('domain', 'PUT', LA),
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
  addMailingList: route('domain', 'POST', `${L}/mailingList`),
  mailingListSubscribers: route('domain', 'GET', `${L}/mailingList/{name}/subscriber`),
  addMailingListSubscriber: route('domain', 'POST', `${L}/mailingList/{name}/subscriber`),
  mailingListModerators: route('domain', 'GET', `${L}/mailingList/{name}/moderator`),
  addMailingListModerator: route('domain', 'POST', `${L}/mailingList/{name}/moderator`),
  /** `TaskMl` of a mailing-list change: readable while pending, gone (404) once done. */
  mailingListTask: route('domain', 'GET', `${L}/task/mailinglist/{id}`),
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

/**
 * The access rule (`METHOD /path/with/*`) that grants a call, from the path as sent (parameters URL-encoded,
 * without `/1.0`): the table route whose template matches segment by segment. Undefined for a path the table
 * does not know.
 */
export function accessRuleFor(method: string, path: string, routes: readonly Route[] = EMAIL_ROUTES): AccessRule | undefined {
  const segments = path.replace(/\?.*$/, '').split('/');
  const found = routes.find((r) => {
    if (r.method !== method.toUpperCase()) return false;
    const template = r.path.split('/');
    return template.length === segments.length && template.every((part, i) => /^\{[^}]+\}$/.test(part) || part === segments[i]);
  });
  return found && { method: found.method, path: found.path.replace(/\{[^}]+\}/g, '*') };
}
