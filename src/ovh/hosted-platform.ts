import { domainToASCII } from 'node:url';
import { z } from 'zod';
import type { Platform } from '../domain/platform.js';
import type { Logger } from '../log/logger.js';
import { clientSettingsFor, type ImapHostOverrides } from './client-settings.js';
import { OvhConflict, OvhNotFound, OvhPreconditionFailed, OvhUnsupported } from './errors.js';
import type {
  AccountInfo,
  ClientSettings,
  CreateAccountRequest,
  DnsCheck,
  DnsDiagnostic,
  DomainInfo,
  MailPlatform,
  PasswordPolicy,
  ServiceInfo,
  SpamAndVirusSettings,
  UnmigratedFeature,
} from './mail-platform.js';
import { disclaimerSchema, hostedTaskSchema, idList, stringList, type HostedTask } from './models/common.js';
import type { OvhClient } from './ovh-client.js';
import { checkPassword } from './password.js';
import type { Route } from './routes.js';
import { pollUntil, waitForHostedTask, type WaitOptions } from './task-waiter.js';
import { currentUsageToBytes, formatBytes, quotaGbToBytes } from './units.js';

/** Options every adapter takes. */
export interface PlatformOptions {
  /** Polling of OVH tasks. */
  taskWait?: WaitOptions;
  /** Polling of state changes without a task (rename, domain state, protocol switch). */
  stateWait?: WaitOptions;
  /** IMAP_HOSTS, parsed. */
  imapHosts?: ImapHostOverrides;
  logger?: Logger;
}

/**
 * A cut-over's renames: the person's mailbox is switching, every second counts. Look after 100 ms, then a little
 * later each time, never more than 1 s apart: a few dozen GETs during the one or two minutes a rename may take.
 */
function urgentWait(base: WaitOptions | undefined): WaitOptions {
  return { ...base, initialDelayMs: Math.min(base?.initialDelayMs ?? 100, 100), factor: 1.2, maxDelayMs: Math.min(base?.maxDelayMs ?? 1000, 1000) };
}

/** Password length bounds where OVH's service object says nothing about a maximum. */
const HOSTED_DEFAULT_MIN_PASSWORD = 8;
const HOSTED_MAX_PASSWORD = 64;

/** Domain of the free, unconfigured account slots on Exchange, E-mail Pro and new MX Plan. */
const SLOT_DOMAIN = 'configureme.me';

export function isSlotAddress(address: string): boolean {
  return address.toLowerCase().endsWith(`@${SLOT_DOMAIN}`);
}

export function splitAddress(address: string): { login: string; domain: string } {
  const at = address.lastIndexOf('@');
  if (at <= 0 || at === address.length - 1) {
    throw new OvhPreconditionFailed('invalidName', `${JSON.stringify(address)} is not an e-mail address`, 'write the full address, e.g. john.smith@mydomain.ovh');
  }
  return { login: address.slice(0, at), domain: address.slice(at + 1).toLowerCase() };
}

/** The routes a hosted platform (Exchange, E-mail Pro, new MX Plan) uses; shapes are the same on all three. */
export interface HostedRoutes {
  service: Route;
  listAccounts: Route;
  account: Route;
  updateAccount: Route;
  deleteAccount: Route;
  changePassword: Route;
  aliases: Route;
  addAlias: Route;
  fullAccess: Route;
  addFullAccess: Route;
  sendAs: Route;
  addSendAs: Route;
  sendOnBehalfTo: Route;
  addSendOnBehalfTo: Route;
  listDomains: Route;
  domain: Route;
  disclaimer: Route;
  addDisclaimer: Route;
  externalContacts: Route;
  externalContact: Route;
  addExternalContact: Route;
  task: Route;
  addDomain?: Route;
}

/** The fields of the service object every hosted platform has. */
export interface HostedServiceObject {
  domain: string;
  displayName?: string | null;
  hostname?: string | null;
  webUrl?: string | null;
  state: string;
  offer: string;
  complexityEnabled: boolean;
  minPasswordLength?: number | null;
}

export interface HostedAccountObject {
  primaryEmailAddress: string;
  login: string;
  domain: string;
  id: number;
  configured: boolean;
  state: string;
  quota: number;
  currentUsage?: number | null;
  displayName?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  initial?: string | null;
  hiddenFromGAL: boolean;
  spamAndVirusConfiguration: SpamAndVirusSettings;
  taskPendingId?: number | null;
}

export interface HostedDomainObject {
  name: string;
  state: string;
  type: 'authoritative' | 'nonAuthoritative';
  mxRelay?: string | null;
  domainValidated: boolean;
  cnameToCheck?: string | null;
  mxIsValid: boolean;
  mxRecord?: string[] | null;
  expectedMX: string[];
  srvIsValid: boolean;
  srvRecord?: string[] | null;
  taskPendingId: number;
}

/**
 * Everything Exchange, E-mail Pro and new MX Plan share (their APIs differ in prefix, parameter names and a
 * few extra routes): services, domains, accounts, aliases. Recreating features is layered on top of it in
 * hosted-features.ts (HostedFeaturePlatform, which completes MailPlatform). Subclasses give the routes, the
 * models and what is specific.
 */
export abstract class HostedPlatform<
  S extends HostedServiceObject = HostedServiceObject,
  A extends HostedAccountObject = HostedAccountObject,
  D extends HostedDomainObject = HostedDomainObject,
> implements Omit<MailPlatform, 'readFeatures' | 'featureSupport' | 'checkFeature' | 'startFeature' | 'waitFeature' | 'applyFeature'>
{
  abstract readonly platform: Platform;
  protected abstract readonly routes: HostedRoutes;
  protected abstract readonly serviceSchema: z.ZodType<S>;
  protected abstract readonly accountSchema: z.ZodType<A>;
  protected abstract readonly domainSchema: z.ZodType<D>;
  /** Name of the account path parameter: `primaryEmailAddress` (Exchange) or `email`. */
  protected abstract readonly accountParam: string;

  constructor(
    protected readonly client: OvhClient,
    readonly service: string,
    /** Path parameters naming the service (`{service}` or `{organizationName, exchangeService}`). */
    protected readonly serviceParams: Record<string, string>,
    protected readonly options: PlatformOptions = {},
  ) {}

  // ---- service -------------------------------------------------------------------------------------------

  protected async serviceObject(): Promise<S> {
    return this.client.request(this.routes.service, this.serviceParams, { schema: this.serviceSchema });
  }

  protected passwordPolicyOf(service: S): PasswordPolicy {
    return {
      minLength: service.minPasswordLength ?? HOSTED_DEFAULT_MIN_PASSWORD,
      maxLength: HOSTED_MAX_PASSWORD,
      complexity: service.complexityEnabled,
      // IMAP LOGIN with non-ASCII passwords is unreliable across clients: keep to ASCII everywhere.
      asciiOnly: true,
    };
  }

  async describeService(): Promise<ServiceInfo> {
    const service = await this.serviceObject();
    return {
      platform: this.platform,
      service: this.service,
      displayName: service.displayName || service.domain,
      state: service.state,
      passwordPolicy: this.passwordPolicyOf(service),
      ...(await this.serviceExtras(service)),
    };
  }

  /** The one domain this service hosts, where it is fixed (new MX Plan); undefined where domains are attached. */
  protected fixedDomainOf(_service: S): string | undefined {
    return undefined;
  }

  /** fixedDomain, allowedQuotas, maxMailboxBytes. */
  protected abstract serviceExtras(service: S): Promise<Pick<ServiceInfo, 'fixedDomain' | 'allowedQuotas' | 'maxMailboxBytes'>>;

  async clientSettings(): Promise<ClientSettings> {
    const service = await this.serviceObject();
    return clientSettingsFor({
      platform: this.platform,
      service: this.service,
      hostname: service.hostname,
      webUrl: service.webUrl,
      overrides: this.options.imapHosts,
    });
  }

  // ---- tasks and params ----------------------------------------------------------------------------------

  protected accountParams(address: string): Record<string, string> {
    return { ...this.serviceParams, [this.accountParam]: address };
  }

  protected async waitTask(task: HostedTask, what: string, wait: WaitOptions | undefined = this.options.taskWait): Promise<HostedTask> {
    return waitForHostedTask(
      task,
      (id) => this.client.request(this.routes.task, { ...this.serviceParams, id }, { schema: hostedTaskSchema }),
      { service: this.service, what },
      wait,
    );
  }

  protected async orNotFound<T>(call: Promise<T>): Promise<T | undefined> {
    try {
      return await call;
    } catch (error) {
      if (error instanceof OvhNotFound) return undefined;
      throw error;
    }
  }

  // ---- domains -------------------------------------------------------------------------------------------

  async listDomains(): Promise<string[]> {
    return this.client.request(this.routes.listDomains, this.serviceParams, { schema: stringList });
  }

  protected async domainObject(domain: string): Promise<D | undefined> {
    return this.orNotFound(
      this.client.request(this.routes.domain, { ...this.serviceParams, domainName: domainToASCII(domain) || domain }, { schema: this.domainSchema }),
    );
  }

  protected domainInfo(domain: D): DomainInfo {
    return { name: domain.name, state: domain.state, type: domain.type, mxRelay: domain.mxRelay ?? undefined };
  }

  async getDomain(domain: string): Promise<DomainInfo | undefined> {
    const found = await this.domainObject(domain);
    return found && this.domainInfo(found);
  }

  async attachDomainNonAuthoritative(domain: string, mxRelay: string): Promise<DomainInfo> {
    const name = domainToASCII(domain.toLowerCase());
    if (!name) throw new OvhPreconditionFailed('invalidName', `${JSON.stringify(domain)} is not a valid domain name`, 'check the domain name');
    const addDomain = this.routes.addDomain;
    if (!addDomain) {
      throw new OvhUnsupported(`${this.platform} ${this.service} cannot attach domains`, 'use a service whose domain is this one');
    }
    const existing = await this.domainObject(name);
    if (!existing) {
      try {
        const task = await this.client.request(addDomain, this.serviceParams, {
          schema: hostedTaskSchema,
          // Non-authoritative, and leave the DNS alone: mail keeps flowing to the source until the switch.
          body: { name, type: 'nonAuthoritative', mxRelay, configureMx: false, configureAutodiscover: false },
        });
        await this.waitTask(task, `attach ${name} as non-authoritative`);
      } catch (error) {
        // Another migration to this service (another worker, or a batch's other row) attached the same domain
        // between our look and our POST: OVH answers 409 AlreadyExists. Its task makes the domain ok; wait for that.
        if (!(error instanceof OvhConflict)) throw error;
      }
    }
    return pollUntil(
      `domain ${name} to be ok on ${this.service}`,
      async () => {
        const current = await this.domainObject(name);
        if (current && current.state === 'ok') return { done: true, value: this.domainInfo(current) };
        return { done: false, seen: current ? `state ${current.state}` : 'absent' };
      },
      this.options.stateWait,
    );
  }

  abstract dnsDiagnostic(domain: string): Promise<DnsDiagnostic>;

  /** MX, SRV and the ownership CNAME: the checks every hosted domain object carries. */
  protected commonDnsChecks(domain: D, cnameTarget = 'ovh.com.'): DnsCheck[] {
    const checks: DnsCheck[] = [
      { record: 'MX', ok: domain.mxIsValid, current: domain.mxRecord ?? [], expected: domain.expectedMX },
      { record: 'SRV', ok: domain.srvIsValid, current: domain.srvRecord ?? [], expected: [] },
    ];
    const cname = domain.cnameToCheck;
    const fqdn = cname ? (cname.endsWith(domain.name) || cname.endsWith(`${domain.name}.`) ? cname.replace(/\.$/, '') : `${cname}.${domain.name}`) : undefined;
    checks.push({
      record: 'CNAME',
      ok: domain.domainValidated,
      current: [],
      expected: fqdn ? [`${fqdn}. CNAME ${cnameTarget}`] : [],
      detail: domain.domainValidated ? 'domain ownership validated' : fqdn ? `create ${fqdn}. CNAME ${cnameTarget} to prove ownership` : 'domain ownership not validated yet',
    });
    return checks;
  }

  protected async requireDomain(domain: string): Promise<D> {
    const found = await this.domainObject(domain);
    if (!found) {
      throw new OvhPreconditionFailed('domainNotAttached', `${domain} is not attached to ${this.service}`, `attach ${domain} to ${this.service} first (non-authoritative)`);
    }
    return found;
  }

  // ---- accounts ------------------------------------------------------------------------------------------

  async listAccounts(): Promise<string[]> {
    return this.client.request(this.routes.listAccounts, this.serviceParams, { schema: stringList });
  }

  protected async accountObject(address: string): Promise<A | undefined> {
    return this.orNotFound(this.client.request(this.routes.account, this.accountParams(address), { schema: this.accountSchema }));
  }

  protected accountInfo(account: A): AccountInfo {
    return {
      address: account.primaryEmailAddress,
      id: account.id,
      state: account.state,
      configured: account.configured,
      quotaBytes: quotaGbToBytes(account.quota),
      usedBytes: currentUsageToBytes(account.currentUsage),
      displayName: account.displayName ?? undefined,
    };
  }

  async getAccount(address: string): Promise<AccountInfo | undefined> {
    const account = await this.accountObject(address);
    return account && this.accountInfo(account);
  }

  protected async requireAccount(address: string): Promise<A> {
    const account = await this.accountObject(address);
    if (!account) {
      throw new OvhPreconditionFailed('accountMissing', `${address} does not exist on ${this.service}`, `check the address; list the service's accounts in the OVH control panel`);
    }
    return account;
  }

  /** Account ids -> addresses, through `GET .../account?id=`. */
  protected async addressOfId(id: number): Promise<string> {
    const found = await this.client.request(this.routes.listAccounts, this.serviceParams, { schema: stringList, query: { id } });
    return found[0] ?? `account #${id}`;
  }

  async findFreeSlot(): Promise<string | undefined> {
    return (await this.freeSlot())?.primaryEmailAddress;
  }

  /** The first free slot, leaving out `skip` (slots another migration took between our look and our PUT). */
  protected async freeSlot(skip: ReadonlySet<string> = new Set()): Promise<A | undefined> {
    const slots = (await this.listAccounts()).filter(isSlotAddress).filter((address) => !skip.has(address)).sort();
    for (const address of slots) {
      const slot = await this.accountObject(address);
      if (slot && !slot.configured && slot.state === 'ok' && !slot.taskPendingId) return slot;
    }
    return undefined;
  }

  async renameAccount(from: string, to: string, options: { urgent?: boolean } = {}): Promise<AccountInfo> {
    const { login, domain } = splitAddress(to);
    const source = await this.requireAccount(from);
    if (source.primaryEmailAddress.toLowerCase() === to.toLowerCase()) return this.accountInfo(source);
    if (!isSlotAddress(to)) await this.requireDomain(domain);
    if (await this.accountObject(to)) {
      throw new OvhPreconditionFailed('accountExists', `${to} already exists on ${this.service}`, 'choose another temporary name');
    }
    await this.client.request(this.routes.updateAccount, this.accountParams(from), { schema: voidResponse, body: { login, domain } });
    return this.waitRenamed(from, to, options.urgent ? urgentWait(this.options.stateWait) : this.options.stateWait);
  }

  /** A rename answers without a task: poll until the new address is ok and the old one is gone. */
  protected async waitRenamed(from: string, to: string, wait: WaitOptions | undefined = this.options.stateWait): Promise<AccountInfo> {
    return pollUntil(
      `${from} to be renamed to ${to} on ${this.service}`,
      async () => {
        // one GET per look while the new address is not ready; the old one is looked at only once it is
        const renamed = await this.accountObject(to);
        const ready = renamed && renamed.state === 'ok' && !renamed.taskPendingId;
        const old = ready ? await this.accountObject(from) : undefined;
        if (ready && !old) return { done: true, value: this.accountInfo(renamed) };
        return { done: false, seen: `${to}: ${renamed ? `state ${renamed.state}${renamed.taskPendingId ? ` task ${renamed.taskPendingId}` : ''}` : 'absent'}, ${from}: ${!ready ? 'not looked at yet' : old ? `state ${old.state}` : 'gone'}` };
      },
      wait,
    );
  }

  async createAccount(request: CreateAccountRequest): Promise<AccountInfo> {
    const { login, domain } = splitAddress(request.address);
    const service = await this.serviceObject();
    this.assertPassword(request.password, this.passwordPolicyOf(service));
    const fixed = this.fixedDomainOf(service);
    if (fixed && fixed.toLowerCase() !== domain) {
      throw new OvhPreconditionFailed('fixedDomain', `${this.service} only hosts addresses @${fixed}, not @${domain}`, `choose an address @${fixed} or another destination service`);
    }
    if (!fixed) await this.requireDomain(domain);
    const wait = request.urgent ? urgentWait(this.options.stateWait) : this.options.stateWait;
    if (request.earlierSlot && (await this.earlierSlotBecame(request.earlierSlot, request.address, wait))) {
      await this.changePassword(request.address, request.password, { urgent: request.urgent });
      return this.accountInfo(await this.requireAccount(request.address));
    }
    if (await this.accountObject(request.address)) {
      throw new OvhPreconditionFailed('accountExists', `${request.address} already exists on ${this.service}`, 'reset or rename the existing account first, or choose another destination');
    }
    // Another migration to this service (another worker) may take the same free slot between our look and our
    // PUT: OVH then answers 409 (an operation is pending on that account), or 404 once that rename is done, and
    // nothing changed: take the next one.
    const taken = new Set<string>();
    let slot: A | undefined;
    for (;;) {
      slot = await this.freeSlot(taken);
      if (!slot) return this.createWithoutSlot(request, service);
      const extra = await this.slotSettings(slot, request);
      await request.onSlot?.(slot.primaryEmailAddress);
      try {
        await this.client.request(this.routes.updateAccount, this.accountParams(slot.primaryEmailAddress), {
          schema: voidResponse,
          body: { login, domain, ...(request.displayName ? { displayName: request.displayName } : {}), ...extra },
        });
        break;
      } catch (error) {
        if (!(error instanceof OvhConflict) && !(error instanceof OvhNotFound)) throw error;
        taken.add(slot.primaryEmailAddress);
      }
    }
    await this.waitRenamed(slot.primaryEmailAddress, request.address, wait);
    await this.changePassword(request.address, request.password, { urgent: request.urgent });
    return this.accountInfo(await this.requireAccount(request.address));
  }

  /**
   * Whether an earlier attempt's slot became `address`: waits while OVH still has an operation pending on the
   * slot, then looks for the address. False when the slot is free and idle (the earlier call never reached OVH,
   * or was refused): configure a slot as usual.
   */
  private async earlierSlotBecame(slot: string, address: string, wait: WaitOptions | undefined): Promise<boolean> {
    return pollUntil(
      `the earlier configuration of ${slot} as ${address} on ${this.service}`,
      async () => {
        const [target, pending] = await Promise.all([this.accountObject(address), this.accountObject(slot)]);
        if (target && target.state === 'ok' && !target.taskPendingId) return { done: true, value: true };
        if (!pending?.taskPendingId && !target) return { done: true, value: false };
        return { done: false, seen: `${slot}: ${pending ? `task ${pending.taskPendingId ?? 'none'}` : 'gone'}, ${address}: ${target ? `state ${target.state}` : 'absent'}` };
      },
      wait,
    );
  }

  /**
   * Extra PUT fields when configuring `slot` (MX Plan: the quota), after checking the mailbox fits; throws
   * OvhPreconditionFailed('quotaTooSmall') before anything changes when it does not.
   */
  protected async slotSettings(slot: A, request: CreateAccountRequest): Promise<Record<string, unknown>> {
    const quotaBytes = quotaGbToBytes(slot.quota);
    if (request.neededBytes !== undefined && quotaBytes > 0 && request.neededBytes > quotaBytes) {
      throw new OvhPreconditionFailed(
        'quotaTooSmall',
        `${formatBytes(request.neededBytes)} do not fit in ${this.service}'s ${formatBytes(quotaBytes)} accounts`,
        'choose a destination with larger mailboxes, or clean up the mailbox first',
      );
    }
    return {};
  }

  /** No free slot left: hosted offers must order one (Exchange dedicated offers override this). */
  protected async createWithoutSlot(request: CreateAccountRequest, _service: S): Promise<AccountInfo> {
    throw new OvhPreconditionFailed(
      'noFreeSlot',
      `${this.service} has no free account slot (…@${SLOT_DOMAIN}) for ${request.address}`,
      `order one more account for ${this.service} in the OVH control panel, wait until it appears, then retry`,
    );
  }

  protected assertPassword(password: string, policy: PasswordPolicy): void {
    const problems = checkPassword(password, policy);
    if (problems.length > 0) {
      throw new OvhPreconditionFailed('passwordPolicy', `the password does not meet ${this.service}'s policy: needs ${problems.join(', ')}`, 'choose another password, or leave it empty to generate one');
    }
  }

  async changePassword(address: string, password: string, options: { urgent?: boolean } = {}): Promise<void> {
    this.assertPassword(password, this.passwordPolicyOf(await this.serviceObject()));
    const task = await this.client.request(this.routes.changePassword, this.accountParams(address), { schema: hostedTaskSchema, body: { password } });
    await this.waitTask(task, `change the password of ${address}`, options.urgent ? urgentWait(this.options.taskWait) : this.options.taskWait);
  }

  async resetAccount(address: string): Promise<void> {
    const account = await this.accountObject(address);
    if (!account) return; // already reset: idempotent
    const task = await this.client.request(this.routes.deleteAccount, this.accountParams(address), { schema: hostedTaskSchema });
    await this.waitTask(task, `reset ${address}`);
    await pollUntil(
      `${address} to be reset on ${this.service}`,
      async () => {
        const current = await this.accountObject(address);
        return current ? { done: false, seen: `state ${current.state}` } : { done: true, value: undefined };
      },
      this.options.stateWait,
    );
  }

  async getImapEnabled(_address: string): Promise<boolean> {
    return true;
  }

  async setImapEnabled(address: string, enabled: boolean): Promise<void> {
    if (!enabled) throw new OvhUnsupported(`${this.platform} has no per-mailbox IMAP switch`, `IMAP stays enabled on ${address}`);
  }

  // ---- aliases and what does not migrate -----------------------------------------------------------------

  async listAliases(address: string): Promise<string[]> {
    return this.client.request(this.routes.aliases, this.accountParams(address), { schema: stringList });
  }

  async addAlias(address: string, alias: string): Promise<void> {
    const existing = await this.listAliases(address);
    if (existing.some((a) => a.toLowerCase() === alias.toLowerCase())) return;
    const task = await this.client.request(this.routes.addAlias, this.accountParams(address), { schema: hostedTaskSchema, body: { alias } });
    await this.waitTask(task, `add alias ${alias} to ${address}`);
  }

  async listUnmigratedFeatures(address: string): Promise<UnmigratedFeature[]> {
    const account = await this.requireAccount(address);
    const features: UnmigratedFeature[] = [];
    const delegations: Array<[Route, string]> = [
      [this.routes.fullAccess, 'full access'],
      [this.routes.sendAs, 'send as'],
      [this.routes.sendOnBehalfTo, 'send on behalf'],
    ];
    for (const [route, label] of delegations) {
      const ids = await this.client.request(route, this.accountParams(address), { schema: idList });
      for (const id of ids) features.push({ kind: 'delegation', description: `${label} granted to ${await this.addressOfId(id)}` });
    }
    const contacts = await this.client.request(this.routes.externalContacts, this.serviceParams, { schema: stringList });
    for (const contact of contacts) {
      features.push({ kind: 'externalContact', description: `external contact ${contact} (service-wide on ${this.service})` });
    }
    const disclaimer = await this.orNotFound(
      this.client.request(this.routes.disclaimer, { ...this.serviceParams, domainName: account.domain }, { schema: disclaimerSchema }),
    );
    if (disclaimer) {
      features.push({
        kind: 'footer',
        description: `footer on every message from @${account.domain}${disclaimer.outsideOnly ? ' (external recipients only)' : ''}`,
      });
    }
    features.push(...(await this.extraUnmigratedFeatures(account)));
    return features;
  }

  protected async extraUnmigratedFeatures(_account: A): Promise<UnmigratedFeature[]> {
    return [];
  }
}

/** PUT answers nothing useful (`void`: `null` or an empty body). */
export const voidResponse = z.unknown();

/** The SRV, SPF and DKIM fields Exchange and E-mail Pro domain objects add (new MX Plan has none of them). */
export interface FullDnsFields {
  expectedAutodiscoverSRV: string;
  spfIsValid: boolean;
  spfRecord?: string[] | null;
  expectedSPF: string;
  dkimDiagnostics?: { state?: string | null; errorCode?: number | null; message?: string | null } | null;
}

/** `IN TXT v=spf1 include:mx.ovh.com ~all` -> `v=spf1 include:mx.ovh.com ~all` (the control panel's regex). */
export function spfValue(expectedSPF: string): string {
  return /^IN ([A-Z]*) (v=spf.*all)/i.exec(expectedSPF)?.[2] ?? expectedSPF;
}

/** Adds the expected SRV to the SRV check, then SPF and DKIM checks. */
export function fullDnsChecks(common: DnsCheck[], domain: FullDnsFields): DnsCheck[] {
  const checks = common.map((check) =>
    check.record === 'SRV' && domain.expectedAutodiscoverSRV ? { ...check, expected: [domain.expectedAutodiscoverSRV] } : check,
  );
  checks.push({ record: 'SPF', ok: domain.spfIsValid, current: domain.spfRecord ?? [], expected: domain.expectedSPF ? [spfValue(domain.expectedSPF)] : [] });
  const dkim = domain.dkimDiagnostics;
  const state = dkim?.state ?? 'toConfigure';
  checks.push({
    record: 'DKIM',
    ok: state === 'active',
    current: [],
    expected: [],
    detail: `DKIM ${state}${dkim?.message ? `: ${dkim.message}` : ''}`,
  });
  // Keep a stable order for humans: MX, SRV, SPF, DKIM, CNAME.
  const order = ['MX', 'SRV', 'SPF', 'DKIM', 'CNAME'];
  return checks.sort((a, b) => order.indexOf(a.record) - order.indexOf(b.record));
}
