import { randomBytes } from 'node:crypto';
import type { SpecialUse } from '../dovecot.js';

/**
 * The simulator's in-memory state: services, their domains and accounts, DNS zones and tasks. Plain JSON data
 * (so the sandbox can persist it to `dataDir/state.json`); behaviour lives in the handlers and the task engine.
 */

export type SimPlatform = 'exchange' | 'emailpro' | 'mxplan' | 'mxplan-legacy';

export const PLACEHOLDER_DOMAIN = 'configureme.me';

export interface SimProtocol {
  IMAP: boolean;
  POP: boolean;
  activeSync: boolean;
  webMail: boolean;
  creationDate: string;
  lastUpdate: string | null;
  taskPendingId: number;
}

export interface SimAlias {
  alias: string;
  creationDate: string;
  taskPendingId: number;
  /** False while the addAlias task runs. */
  active: boolean;
}

export interface SimAccount {
  id: number;
  /** Local part; on legacy MX Plan the accountName. */
  login: string;
  domain: string;
  configured: boolean;
  /** ObjectStateEnum value; legacy accounts keep 'ok'. */
  state: string;
  /** GB on Exchange / E-mail Pro / new MX Plan; bytes on legacy MX Plan (its `size`). */
  quota: number;
  /** The password the platform holds; undefined for a slot nobody configured. */
  password?: string;
  displayName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  initials?: string | null;
  hiddenFromGAL: boolean;
  accountLicense: 'basic' | 'standard' | 'enterprise';
  /** Legacy MX Plan description. */
  description?: string | null;
  creationDate: string;
  lastUpdateDate: string;
  passwordLastUpdate: string | null;
  taskPendingId: number;
  aliases: SimAlias[];
  fullAccess: number[];
  sendAs: number[];
  sendOnBehalfTo: number[];
  protocol: SimProtocol;
  /** Reported usage = real Dovecot storage + this (lets a fixture pretend a mailbox holds gigabytes). */
  usagePaddingBytes: number;
  /** Set while a rename or slot configuration is in progress. */
  pendingRename?: { login: string; domain: string; taskId: number };
  /** Legacy MX Plan: created by a POST whose task has not finished yet (not listed, not readable). */
  hidden?: boolean;
  /** Legacy MX Plan: OVH customer ids (NIC handles) this account is delegated to (`account/{a}/delegation`). */
  delegations?: string[];
  /** Exchange forwarding (absent in state saved before it existed: none). */
  forwardingEmail?: string | null;
  storeCopyOfEmail?: boolean;
  /** `spamAndVirusConfiguration` (absent: the service default). */
  spamAndVirus?: SimSpamConfig;
  /** Exchange litigation hold. */
  litigation?: boolean;
  litigationPeriod?: number | null;
  /** Exchange archive mailbox (`account/{a}/archive`), GB. */
  archive?: { quota: number; creationDate: string };
}

export interface SimSpamConfig {
  checkDKIM: boolean;
  checkSPF: boolean;
  deleteSpam: boolean;
  deleteVirus: boolean;
  putInJunk: boolean;
  tagSpam: boolean;
  tagVirus: boolean;
}

export const DEFAULT_SPAM_CONFIG: SimSpamConfig = { checkDKIM: true, checkSPF: true, deleteSpam: false, deleteVirus: true, putInJunk: true, tagSpam: true, tagVirus: false };

export interface SimDomain {
  name: string;
  type: 'authoritative' | 'nonAuthoritative';
  state: string;
  mxRelay: string | null;
  main: boolean;
  taskPendingId: number;
  cnameToCheck: string;
  creationDate: string;
  disclaimer?: { content: string; outsideOnly: boolean; creationDate: string; taskPendingId: number };
}

export interface SimExternalContact {
  id: number;
  externalEmailAddress: string;
  displayName: string;
  firstName: string | null;
  lastName: string | null;
  initials: string | null;
  hiddenFromGAL: boolean;
  creationDate: string;
  taskPendingId: number;
  state: string;
}

/** A link of an Exchange group to an account or contact id (member, manager, send right), or an alias. */
export interface SimListLink<T = number> {
  value: T;
  creationDate: string;
  /** Id of the task adding it while it runs (the link is listed once that task is done). */
  taskPendingId: number;
}

/**
 * A group: Exchange `mailingList` (name = its address) or legacy MX Plan mailing list (name = its local part).
 * Fields of the other kind are absent.
 */
export interface SimMailingList {
  name: string;
  displayName: string;
  state: string;
  creationDate: string;
  taskPendingId?: number;
  // ---- Exchange (absent in state saved before they existed: defaults)
  departRestriction?: 'closed' | 'open';
  joinRestriction?: 'approvalRequired' | 'closed' | 'open';
  hiddenFromGAL?: boolean;
  maxReceiveSize?: number | null;
  maxSendSize?: number | null;
  senderAuthentification?: boolean;
  memberAccounts?: SimListLink[];
  memberContacts?: SimListLink[];
  managers?: SimListLink[];
  aliases?: SimListLink<string>[];
  sendAs?: SimListLink[];
  sendOnBehalfTo?: SimListLink[];
  // ---- legacy MX Plan
  /** Legacy MX Plan mailing list owner. */
  ownerEmail?: string;
  /** Legacy MX Plan subscribers (addresses, lower case). */
  subscribers?: string[];
  /** Legacy MX Plan moderators (addresses, lower case). */
  moderators?: string[];
  language?: string;
  options?: { moderatorMessage: boolean; subscribeByModerator: boolean; usersPostOnly: boolean };
  replyTo?: string;
  /** Legacy: created by a POST whose task has not finished yet (not listed, not readable). */
  hidden?: boolean;
}

/** Exchange shared mailbox: only what the rights of other accounts on it need. */
export interface SimSharedAccount {
  address: string;
  displayName: string;
  quota: number;
  fullAccess: number[];
  sendAs: number[];
  sendOnBehalfTo: number[];
}

/** Exchange resource (room, equipment): only its delegates. */
export interface SimResourceAccount {
  address: string;
  displayName: string;
  type: 'equipment' | 'room';
  capacity: number;
  delegates: number[];
}

/** Legacy MX Plan redirection (`/email/domain/{domain}/redirection`); an alias is one with `localCopy` false. */
export interface SimRedirection {
  /** `email.domain.RedirectionGlobal.id` is a string. */
  id: string;
  /** Full address on the service's domain, lower case. */
  from: string;
  /** Any address, lower case. */
  to: string;
  localCopy: boolean;
  /** Created by a POST whose task has not finished yet (not listed, not readable). */
  hidden?: boolean;
}

export interface SimService {
  /** `${platform}:${name}`: what `sim.dovecot()` takes. */
  key: string;
  platform: SimPlatform;
  /** As users type it: `ORG/SERVICE` for Exchange, the domain for legacy MX Plan, else the service name. */
  name: string;
  organization?: string;
  /** Service name in API paths (Exchange exchangeService, Pro/MX service, legacy domain). */
  service: string;
  displayName: string;
  offer: string;
  state: string;
  /** `hostname` field, a distinct `*.sandbox.local` name per service (its IMAP host; see IMAP_ENDPOINTS). */
  hostname: string;
  webUrl: string;
  /** Main domain (fixed domain for MX Plan). */
  domain: string;
  creationDate: string;
  passwordPolicy: { minPasswordLength: number; maxPasswordLength: number; complexityEnabled: boolean; maxPasswordAge: number | null; minPasswordAge: number | null; lockoutThreshold: number | null };
  domains: SimDomain[];
  accounts: SimAccount[];
  externalContacts: SimExternalContact[];
  mailingLists: SimMailingList[];
  /** Exchange shared mailboxes and resources (absent in older saved state). */
  sharedAccounts?: SimSharedAccount[];
  resourceAccounts?: SimResourceAccount[];
  /** Legacy MX Plan redirections (absent in state saved before they existed). */
  redirections?: SimRedirection[];
  /** Legacy: allowed account sizes (bytes). */
  allowedAccountSize?: number[];
  /** New MX Plan: quotas (GB) an account may take (`capabilities`). */
  quotaChoices?: number[];
  /** E-mail Pro only. */
  billingMigrated?: boolean;
  mailbox: { separator: '/' | '.'; prefix: string; specialUse: Partial<Record<SpecialUse, string>> };
}

export interface DnsZone {
  mx: string[];
  /** Autodiscover SRV targets, e.g. `0 0 443 ex1.sandbox.local.` */
  srv: string[];
  /** TXT records holding SPF. */
  spf: string[];
  /** Names of CNAME records present (for ownership checks). */
  cnames: string[];
  /** The domain belongs to the same OVH account (its ownership is validated without a CNAME). */
  owned: boolean;
}

export type TaskStatus = 'todo' | 'doing' | 'done' | 'error' | 'cancelled';

export interface SimTask {
  id: number;
  serviceKey: string;
  accountId?: number;
  function: string;
  status: TaskStatus;
  todoDate: string;
  finishDate: string | null;
  /** Legacy MX Plan TaskPop fields. */
  legacy?: { action: string; name: string };
  /** Legacy MX Plan TaskMl fields (mailing-list tasks; listed under `task/mailinglist`). */
  ml?: { action: string; account: string; language: string };
  /** Legacy MX Plan TaskSpecialAccount fields (redirection tasks; listed under `task/redirection`, not `task/account`). */
  special?: { action: 'add' | 'change' | 'delete'; type: 'alias' | 'forward'; account: string; redirectionId: string };
}

export interface SimulatorStateData {
  services: SimService[];
  zones: Record<string, DnsZone>;
  tasks: SimTask[];
  nextId: number;
}

export function addressOf(account: Pick<SimAccount, 'login' | 'domain'>): string {
  return `${account.login}@${account.domain}`.toLowerCase();
}

export function nowIso(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function slotLogin(): string {
  return randomBytes(5).toString('hex');
}

/** Read access for tests, plus the lookups the handlers share. */
export class SimulatorState {
  constructor(readonly data: SimulatorStateData) {}

  get services(): SimService[] {
    return this.data.services;
  }

  get tasks(): SimTask[] {
    return this.data.tasks;
  }

  get zones(): Record<string, DnsZone> {
    return this.data.zones;
  }

  nextId(): number {
    return this.data.nextId++;
  }

  service(key: string): SimService | undefined {
    return this.data.services.find((s) => s.key === key);
  }

  servicesOf(platform: SimPlatform): SimService[] {
    return this.data.services.filter((s) => s.platform === platform);
  }

  /** Accounts visible through the API (legacy accounts still being created are not). */
  accountsOf(service: SimService): SimAccount[] {
    return service.accounts.filter((a) => !a.hidden);
  }

  /** The account whose current primary address (or legacy accountName) is `name`. */
  account(service: SimService, name: string): SimAccount | undefined {
    const wanted = name.toLowerCase();
    if (service.platform === 'mxplan-legacy') {
      return this.accountsOf(service).find((a) => a.login.toLowerCase() === wanted);
    }
    return this.accountsOf(service).find((a) => addressOf(a) === wanted);
  }

  /** Any account, on any service, with this address (primary). */
  findAddress(address: string): { service: SimService; account: SimAccount } | undefined {
    const wanted = address.toLowerCase();
    for (const service of this.data.services) {
      const account = service.accounts.find((a) => !a.hidden && addressOf(a) === wanted);
      if (account) return { service, account };
    }
    return undefined;
  }

  accountById(service: SimService, id: number): SimAccount | undefined {
    return service.accounts.find((a) => a.id === id);
  }

  task(id: number): SimTask | undefined {
    return this.data.tasks.find((t) => t.id === id);
  }

  zone(domain: string): DnsZone {
    const key = domain.toLowerCase();
    if (!this.data.zones[key]) this.data.zones[key] = { mx: [], srv: [], spf: [], cnames: [], owned: false };
    return this.data.zones[key];
  }
}
