import { badRequest } from '../errors.js';
import type { SimService, SimTask } from '../state.js';
import { addressOf, type SimAccount } from '../state.js';

/** OVH "like" filters: `%` is a wildcard, the comparison ignores case; without `%` it is an equality. */
export function like(pattern: unknown, value: string | number | null | undefined): boolean {
  if (pattern === undefined || pattern === null) return true;
  if (value === null || value === undefined) return false;
  const source = String(pattern)
    .split('%')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(String(value));
}

export function renderTask(task: SimTask): Record<string, unknown> {
  return { id: task.id, function: task.function, status: task.status, todoDate: task.todoDate, finishDate: task.finishDate };
}

export function renderTaskPop(task: SimTask, domain: string): Record<string, unknown> {
  return { id: task.id, action: task.legacy?.action ?? 'unknown', date: task.todoDate, domain, name: task.legacy?.name ?? '' };
}

const NON_ASCII = /[^\x20-\x7e]/;

/**
 * Password policy of a service. Hosted platforms: `minPasswordLength` and, with `complexityEnabled`, three of
 * upper / lower / digit / other (the Active Directory rule); legacy MX Plan: 9 to 30 characters, no accent,
 * no leading or trailing space.
 */
export function checkPassword(service: SimService, password: string): void {
  const policy = service.passwordPolicy;
  const problems: string[] = [];
  if (password.length < policy.minPasswordLength) problems.push(`at least ${policy.minPasswordLength} characters`);
  if (password.length > policy.maxPasswordLength) problems.push(`at most ${policy.maxPasswordLength} characters`);
  if (service.platform === 'mxplan-legacy') {
    if (NON_ASCII.test(password)) problems.push('no accented or non-ASCII character');
    if (password !== password.trim()) problems.push('no space at the beginning or the end');
  }
  if (policy.complexityEnabled) {
    const classes = [/[A-Z]/, /[a-z]/, /\d/, /[^A-Za-z0-9]/].filter((re) => re.test(password)).length;
    if (classes < 3) problems.push('three of: upper case, lower case, digit, special character');
  }
  if (problems.length) throw badRequest(`[password] Password does not match the password policy: ${problems.join(', ')}`);
}

const LOGIN = /^[-_a-zA-Z0-9]+((\.|\+)[-_a-zA-Z0-9]+)*$/;

export function checkLogin(login: string, field = 'login'): void {
  if (!LOGIN.test(login) || login.length > 64) throw badRequest(`[${field}] Invalid login ${JSON.stringify(login)}`);
}

export function splitAddress(address: string, field: string): { login: string; domain: string } {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) throw badRequest(`[${field}] ${JSON.stringify(address)} is not an e-mail address`);
  return { login: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

/**
 * Every address (primary, alias, pending rename target; on Exchange also groups and their aliases, shared
 * mailboxes and resources) in use on a hosted service.
 */
export function addressesInUse(service: SimService, except?: SimAccount): Set<string> {
  const used = new Set<string>();
  for (const account of service.accounts) {
    if (account === except) continue;
    used.add(addressOf(account));
    if (account.pendingRename) used.add(addressOf(account.pendingRename));
    for (const alias of account.aliases) used.add(alias.alias.toLowerCase());
  }
  if (service.platform !== 'mxplan-legacy') {
    for (const list of service.mailingLists) {
      used.add(list.name.toLowerCase());
      for (const alias of list.aliases ?? []) used.add(alias.value.toLowerCase());
    }
  }
  for (const shared of service.sharedAccounts ?? []) used.add(shared.address.toLowerCase());
  for (const resource of service.resourceAccounts ?? []) used.add(resource.address.toLowerCase());
  return used;
}

/** What every account created through the API starts with: no aliases or delegations, all protocols per offer. */
export function newAccountDefaults(now: string, activeSync: boolean): Pick<
  SimAccount,
  'creationDate' | 'lastUpdateDate' | 'passwordLastUpdate' | 'taskPendingId' | 'aliases' | 'fullAccess' | 'sendAs' | 'sendOnBehalfTo' | 'protocol' | 'usagePaddingBytes'
> {
  return {
    creationDate: now,
    lastUpdateDate: now,
    passwordLastUpdate: now,
    taskPendingId: 0,
    aliases: [],
    fullAccess: [],
    sendAs: [],
    sendOnBehalfTo: [],
    protocol: { IMAP: true, POP: true, activeSync, webMail: true, creationDate: now, lastUpdate: null, taskPendingId: 0 },
    usagePaddingBytes: 0,
  };
}
