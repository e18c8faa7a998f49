import type { Platform, ServiceRef } from '../domain/platform.js';

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
  /** Renames an account and waits until the new address exists and the old one is gone. */
  renameAccount(from: string, to: string): Promise<AccountInfo>;
  /** Configures a free slot (or creates the account, legacy MX Plan) under `address` with this password. */
  createAccount(request: CreateAccountRequest): Promise<AccountInfo>;
  changePassword(address: string, password: string): Promise<void>;
  /** Resets (hosted: back to a free slot) or deletes the account and its mail. */
  resetAccount(address: string): Promise<void>;

  /** IMAP enabled for this mailbox? Always true where the platform has no per-mailbox switch. */
  getImapEnabled(address: string): Promise<boolean>;
  setImapEnabled(address: string, enabled: boolean): Promise<void>;

  listAliases(address: string): Promise<string[]>;
  addAlias(address: string, alias: string): Promise<void>;
  /** Delegations, groups, external contacts and footers: listed to report what must be recreated by hand. */
  listUnmigratedFeatures(address: string): Promise<UnmigratedFeature[]>;

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
}

export interface UnmigratedFeature {
  kind: 'delegation' | 'group' | 'externalContact' | 'footer' | 'redirection' | 'collaborative';
  /** Human description, e.g. "full access granted to jane@mydomain.ovh". */
  description: string;
}

export interface ClientSettings {
  imap: { host: string; port: number; security: 'tls' | 'starttls' };
  smtp: { host: string; port: number; security: 'tls' | 'starttls' };
  webmailUrl: string;
}

/** Finds the adapter for a service reference; implemented by the OVH layer's factory. */
export type MailPlatformFactory = (service: ServiceRef) => Promise<MailPlatform>;
