import type { FeatureKind } from '../domain/plan.js';
import type { Platform, ServiceRef } from '../domain/platform.js';
import type { FeatureReading } from './feature-reading.js';

/**
 * The contract between the pipeline and OVHcloud: one implementation per platform kind (Hosted Exchange,
 * E-mail Pro, new MX Plan, legacy MX Plan). Every method waits for the OVH task or state change it causes
 * to finish before resolving, unless its name says otherwise. Sizes are bytes everywhere here: each adapter
 * converts OVH's units (GB quotas, `currentUsage`) in one place.
 */
export interface MailPlatform {
  readonly platform: Platform;
  /** The service name as users type it (`ORG/SERVICE` for Exchange, the domain for legacy MX Plan). */
  readonly service: string;

  describeService(): Promise<ServiceInfo>;

  listDomains(): Promise<string[]>;
  getDomain(domain: string): Promise<DomainInfo | undefined>;
  /** Attaches the domain as non-authoritative with this MX relay and waits until its state is `ok`. */
  attachDomainNonAuthoritative(domain: string, mxRelay: string): Promise<DomainInfo>;
  /** MX, SRV/autodiscover, SPF, DKIM and ownership CNAME, each with the expected value where OVH gives it. */
  dnsDiagnostic(domain: string): Promise<DnsDiagnostic>;

  /** Primary addresses of every account, free `...@configureme.me` slots included. */
  listAccounts(): Promise<string[]>;
  getAccount(address: string): Promise<AccountInfo | undefined>;
  /** A free, unconfigured slot, or undefined when none is left (legacy MX Plan: always undefined). */
  findFreeSlot(): Promise<string | undefined>;
  /**
   * Renames an account and waits until the new address exists and the old one is gone. `urgent`: someone's
   * mailbox is switching right now (a cut-over), so the wait looks more often (more GETs, for seconds).
   */
  renameAccount(from: string, to: string, options?: { urgent?: boolean }): Promise<AccountInfo>;
  /** Configures a free slot (or creates the account, legacy MX Plan) under `address` with this password. */
  createAccount(request: CreateAccountRequest): Promise<AccountInfo>;
  changePassword(address: string, password: string, options?: { urgent?: boolean }): Promise<void>;
  /** Resets (hosted: back to a free slot) or deletes the account and its mail. */
  resetAccount(address: string): Promise<void>;

  /** IMAP enabled for this mailbox? Always true where the platform has no per-mailbox switch. */
  getImapEnabled(address: string): Promise<boolean>;
  setImapEnabled(address: string, enabled: boolean): Promise<void>;

  listAliases(address: string): Promise<string[]>;
  addAlias(address: string, alias: string): Promise<void>;
  /** Delegations, groups, external contacts and footers: listed to report what must be recreated by hand. */
  listUnmigratedFeatures(address: string): Promise<UnmigratedFeature[]>;

  // ---- recreating features (see FeatureSnapshot and FeatureChange below) ----------------------------------

  /**
   * Everything about this mailbox that another platform could recreate, by address (account ids resolved on
   * this service), plus what no platform can take (`unmigrated`). Read it at preflight, before the rename:
   * afterwards the rights and memberships of the source point at the temporary name. `reading`: shared by the
   * rows of one batch, so that what is read for the whole service is read once.
   */
  readFeatures(address: string, reading?: FeatureReading): Promise<FeatureSnapshot>;
  /** What this platform kind can hold, per kind of change (a `checkFeature` may still refine the verdict). */
  featureSupport(): FeatureSupportTable;
  /** Reads this (destination) service and says what `change` would do: nothing is written. */
  checkFeature(change: FeatureChange): Promise<FeatureCheck>;
  /**
   * Reads first (natural key: see FeatureChange), then starts the change only when it is missing and every
   * account, contact, group or domain it names exists here. Returns at once with a serialisable task to
   * record before waiting for it, so that a resumed run waits for that task instead of posting again.
   */
  startFeature(change: FeatureChange): Promise<FeatureStart>;
  /**
   * Waits for a task `startFeature` returned, from this or any other process (a new client after a crash).
   * Throws OvhTaskFailed naming the feature when OVH's task ends in error (or, on legacy MX Plan, when the
   * task is gone without the change showing), OvhWaitTimeout when it takes too long.
   */
  waitFeature(task: FeatureTask): Promise<void>;
  /** startFeature then waitFeature. */
  applyFeature(change: FeatureChange): Promise<FeatureOutcome>;

  /** IMAP/SMTP host and ports and the webmail URL users should configure after the move. */
  clientSettings(): Promise<ClientSettings>;
}

export interface ServiceInfo {
  platform: Platform;
  service: string;
  /** Display name or domain, for humans. */
  displayName: string;
  state: string;
  /** The service's fixed domain (new MX Plan, legacy MX Plan), undefined where domains are attached. */
  fixedDomain?: string;
  passwordPolicy: PasswordPolicy;
  /** Quotas (bytes) an account may be created with; undefined when the platform has a single size. */
  allowedQuotas?: number[];
  /** Largest mailbox this platform accepts as a migration destination (bytes), per the OVH guide. */
  maxMailboxBytes?: number;
}

export interface PasswordPolicy {
  minLength: number;
  maxLength: number;
  /** Upper, lower, digit and special characters required. */
  complexity: boolean;
  /** Characters outside ASCII refused (legacy MX Plan: no accents). */
  asciiOnly: boolean;
}

export interface DomainInfo {
  name: string;
  /** OVH state, `ok` when usable. */
  state: string;
  type: 'authoritative' | 'nonAuthoritative';
  mxRelay?: string;
}

export interface DnsCheck {
  record: 'MX' | 'SRV' | 'SPF' | 'DKIM' | 'CNAME';
  ok: boolean;
  /** What the zone holds now. */
  current: string[];
  /** What OVH expects, when it says. */
  expected: string[];
  detail?: string;
}

export interface DnsDiagnostic {
  domain: string;
  checks: DnsCheck[];
}

export interface AccountInfo {
  address: string;
  /** OVH account id (used for delegations); undefined on legacy MX Plan. */
  id?: number;
  state: string;
  configured: boolean;
  quotaBytes?: number;
  usedBytes?: number;
  displayName?: string;
}

export interface CreateAccountRequest {
  address: string;
  password: string;
  displayName?: string;
  /** Needed size: MX Plan picks the smallest allowed quota that holds it plus headroom. */
  neededBytes?: number;
  /** Inside a cut-over window: wait for OVH looking more often (see renameAccount). */
  urgent?: boolean;
  /** Told which free slot is about to be configured, before the call that configures it (to journal it). */
  onSlot?: (slot: string) => Promise<void>;
  /**
   * A slot an interrupted earlier attempt configured (as journaled through `onSlot`): while OVH is still renaming
   * it, that rename is waited for instead of configuring another slot.
   */
  earlierSlot?: string;
}

export interface UnmigratedFeature {
  kind: FeatureKind;
  /** Human description, e.g. "full access granted to jane@mydomain.ovh". */
  description: string;
  /** What a person has to do about it, where (control panel, webmail), when the OVH layer knows. */
  instruction?: string;
}

// ---- features recreated on the destination ------------------------------------------------------------------
//
// Addresses are lower case everywhere below. Rights and group memberships name accounts by id within one
// service at OVH; here they are always addresses: ids are resolved to addresses when reading the source, and
// back to ids of the destination (`GET .../account/{address}`, its `id`) when applying.

/** A mailbox right: `fullAccess`, `sendAs`, `sendOnBehalfTo` (OVH's route names). */
export type RightKind = 'fullAccess' | 'sendAs' | 'sendOnBehalfTo';

/** Account settings a destination can take (OVH `PUT .../account`); a field left out is not wanted. */
export interface AccountSettings {
  displayName?: string;
  firstName?: string;
  lastName?: string;
  /** OVH's `initial` on accounts. */
  initials?: string;
  /** Hidden from the global address list. */
  hiddenFromGAL?: boolean;
}

/** Exchange's forwarding fields of an account. */
export interface Forwarding {
  forwardingEmail: string;
  /** Keep a copy in the mailbox. */
  storeCopyOfEmail: boolean;
}

/** An account's `spamAndVirusConfiguration` (writable on Exchange only). */
export interface SpamAndVirusSettings {
  checkDKIM: boolean;
  checkSPF: boolean;
  deleteSpam: boolean;
  deleteVirus: boolean;
  putInJunk: boolean;
  tagSpam: boolean;
  tagVirus: boolean;
}

/** `grantee` holds `right` on the mailbox `owner` (both accounts of the same service). */
export interface Delegation {
  right: RightKind;
  owner: string;
  grantee: string;
}

/** The writable settings of a group (Exchange `mailingList`), its address included. */
export interface GroupSettings {
  address: string;
  displayName?: string;
  departRestriction: 'closed' | 'open';
  joinRestriction: 'approvalRequired' | 'closed' | 'open';
  hiddenFromGAL: boolean;
  /** MB. */
  maxReceiveSize?: number;
  /** MB. */
  maxSendSize?: number;
  /** Only authenticated (internal) senders may write to it. */
  senderAuthentification: boolean;
}

/** How the snapshot's mailbox relates to a group. */
export type GroupRole = 'member' | 'manager' | 'sendAs' | 'sendOnBehalfTo';

/** A group (mailing list) with everything in it, by address. */
export interface GroupSnapshot extends GroupSettings {
  roles: GroupRole[];
  /** Accounts of the service that are members. */
  memberAccounts: string[];
  /** External contacts of the service that are members. */
  memberContacts: string[];
  managers: string[];
  aliases: string[];
  /** Accounts that may send as / on behalf of the group. */
  sendAs: string[];
  sendOnBehalfTo: string[];
}

/** A service's external contact (an outside address in its address book). */
export interface ExternalContact {
  address: string;
  displayName: string;
  firstName?: string;
  lastName?: string;
  initials?: string;
  hiddenFromGAL: boolean;
}

/** The footer (disclaimer) OVH adds to mail sent from a domain. */
export interface Footer {
  domain: string;
  content: string;
  /** Only on mail to outside recipients. */
  outsideOnly: boolean;
}

/**
 * Everything recreatable of one mailbox, read on the source by `readFeatures` at preflight. Per-mailbox parts
 * (settings, forwarding, spam settings, aliases, delegations) and per-service parts (the groups the mailbox is
 * in, the service's external contacts, the footer of its domain) are all here; `featureChanges()` (features.ts)
 * turns it into the ordered list of changes to apply on a destination.
 */
export interface FeatureSnapshot {
  /** The mailbox, as read. */
  address: string;
  platform: Platform;
  service: string;
  /** ISO time of the reading. */
  readAt: string;
  settings: AccountSettings;
  /** Exchange only; absent when the mailbox does not forward. */
  forwarding?: Forwarding;
  spamAndVirus?: SpamAndVirusSettings;
  aliases: string[];
  /** Both directions: rights others hold on this mailbox (owner = address) and rights it holds (grantee = address). */
  delegations: Delegation[];
  /** Groups the mailbox is a member or manager of, or may send as / on behalf of (Exchange only). */
  groups: GroupSnapshot[];
  /** Every external contact of the source service. */
  externalContacts: ExternalContact[];
  /** The footer of the address's domain on the source service, if any. */
  footer?: Footer;
  /** What no platform can recreate through the API, each with the thing to do. */
  unmigrated: UnmigratedFeature[];
}

/**
 * One change to recreate on a destination, identified by its natural key (what `checkFeature` reads before
 * anything is created): settings/forwarding/spam by account; alias by (account, alias); right by (owner,
 * right, grantee); contact by address; footer by domain; group by address; member, manager, group alias and
 * group right by (group, address).
 */
export type FeatureChange =
  | { kind: 'settings'; address: string; settings: AccountSettings }
  | { kind: 'forwarding'; address: string; forwarding: Forwarding }
  | { kind: 'spamFilter'; address: string; spamAndVirus: SpamAndVirusSettings }
  | { kind: 'alias'; address: string; alias: string }
  | { kind: 'right'; right: RightKind; owner: string; grantee: string }
  | { kind: 'externalContact'; contact: ExternalContact }
  | { kind: 'footer'; footer: Footer }
  /** `owner`: who owns the list where the platform needs one (legacy MX Plan `ownerEmail`). */
  | { kind: 'group'; group: GroupSettings; owner: string }
  | { kind: 'groupMember'; group: string; member: string; memberType: 'account' | 'contact' }
  | { kind: 'groupManager'; group: string; manager: string }
  | { kind: 'groupAlias'; group: string; alias: string }
  | { kind: 'groupRight'; group: string; right: 'sendAs' | 'sendOnBehalfTo'; grantee: string };

export type FeatureChangeKind = FeatureChange['kind'];

/** What a destination would do with a change. */
export type FeatureCheck =
  /** Not there: `startFeature` creates it. */
  | { status: 'missing' }
  /** Already there, as wanted: nothing to do. */
  | { status: 'exists' }
  /** There, but different from the source (a contact, footer or group): reported, never overwritten. */
  | { status: 'conflict'; detail: string }
  /**
   * Something it names is not on this service yet: the addresses of accounts, contacts or groups (or a domain
   * name, not attached) to wait for. A link between two mailboxes waits until both are migrated.
   */
  | { status: 'waiting'; missing: string[] }
  /** This platform cannot hold it: what a person should do instead. */
  | { status: 'unsupported'; reason: string; instruction: string };

export type FeatureStatus = FeatureCheck['status'];

/**
 * A change started on OVH, serialisable (JSON) so the pipeline can keep it in its checkpoint and wait for it
 * after a restart: `queue` says how to follow it (a hosted task `.../task/{id}`; a legacy redirection or
 * mailing-list task, readable while pending; `none` for a PUT that answers no task, checked until it shows).
 */
export interface FeatureTask {
  platform: Platform;
  service: string;
  change: FeatureChange;
  queue: 'hosted' | 'redirection' | 'mailingList' | 'none';
  /** OVH task id (legacy redirection task ids are strings). */
  id?: number | string;
  /** OVH task function or action, e.g. `addFullAccess`. */
  function?: string;
  /** ISO time the change was posted. */
  startedAt: string;
}

export type FeatureStart = Exclude<FeatureCheck, { status: 'missing' }> | { status: 'started'; task: FeatureTask };
export type FeatureOutcome = Exclude<FeatureCheck, { status: 'missing' }> | { status: 'created' };

export type FeatureSupport = { supported: true } | { supported: false; reason: string; instruction: string };
export type FeatureSupportTable = Record<FeatureChangeKind, FeatureSupport>;

export interface ClientSettings {
  imap: { host: string; port: number; security: 'tls' | 'starttls' };
  smtp: { host: string; port: number; security: 'tls' | 'starttls' };
  webmailUrl: string;
}

/** Finds the adapter for a service reference; implemented by the OVH layer's factory. */
export type MailPlatformFactory = (service: ServiceRef) => Promise<MailPlatform>;
