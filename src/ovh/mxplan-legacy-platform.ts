import { clientSettingsFor } from './client-settings.js';
import { OvhConflict, OvhNotFound, OvhPreconditionFailed, OvhTaskFailed, OvhUnsupported, OvhWaitTimeout } from './errors.js';
import { describeChange, featureSupportFor, unsupportedCheck } from './features.js';
import { splitAddress, type PlatformOptions } from './hosted-platform.js';
import type {
  AccountInfo,
  ClientSettings,
  CreateAccountRequest,
  DnsCheck,
  DnsDiagnostic,
  DomainInfo,
  FeatureChange,
  FeatureCheck,
  FeatureOutcome,
  FeatureSnapshot,
  FeatureStart,
  FeatureSupportTable,
  FeatureTask,
  MailPlatform,
  ServiceInfo,
  UnmigratedFeature,
} from './mail-platform.js';
import { stringList } from './models/common.js';
import {
  legacyAccountSchema,
  legacyMailingListSchema,
  legacyMxFilterSchema,
  legacyTaskMlSchema,
  legacyRedirectionSchema,
  legacyServiceSchema,
  legacyTaskPopSchema,
  legacyTaskSpecialSchema,
  legacyUsageSchema,
  zoneRecordSchema,
  type LegacyAccount,
  type LegacyService,
  type ZoneRecord,
} from './models/domain.js';
import type { OvhClient } from './ovh-client.js';
import { checkPassword, LEGACY_MXPLAN_POLICY } from './password.js';
import { MXPLAN_LEGACY } from './routes.js';
import { pollUntil, waitForLegacyTask } from './task-waiter.js';
import { formatBytes, legacyBytes, MAX_DESTINATION_BYTES, pickQuota } from './units.js';
import { voidResponse } from './hosted-platform.js';
import { z } from 'zod';

/** Account name rule of the legacy control panel: 2-32 characters, letters, digits, `.`, `-`, `_`. */
const ACCOUNT_NAME = /^\w[\w.-]*\w$/;
/** Size the control panel proposes by default (bytes). */
const LEGACY_DEFAULT_SIZE = 5_000_000_000;

/**
 * Legacy MX Plan (`/email/domain/{domain}`): the service is the domain; accounts are names without `@`;
 * sizes are bytes; tasks (`TaskPop`) have no status; no rename, no slots, no per-account aliases (aliases
 * are redirections).
 */
export class MxPlanLegacyPlatform implements MailPlatform {
  readonly platform = 'mxplan-legacy' as const;
  private readonly params: { domain: string };

  constructor(
    private readonly client: OvhClient,
    readonly service: string,
    private readonly options: PlatformOptions = {},
  ) {
    this.params = { domain: service };
  }

  private serviceObject(): Promise<LegacyService> {
    return this.client.request(MXPLAN_LEGACY.service, this.params, { schema: legacyServiceSchema });
  }

  async describeService(): Promise<ServiceInfo> {
    const service = await this.serviceObject();
    return {
      platform: this.platform,
      service: this.service,
      displayName: service.domain,
      state: service.status,
      fixedDomain: service.domain,
      passwordPolicy: LEGACY_MXPLAN_POLICY,
      allowedQuotas: service.allowedAccountSize?.map((size) => legacyBytes(size)!),
      maxMailboxBytes: MAX_DESTINATION_BYTES['mxplan-legacy'],
    };
  }

  async clientSettings(): Promise<ClientSettings> {
    return clientSettingsFor({ platform: this.platform, service: this.service, overrides: this.options.imapHosts });
  }

  // ---- domain --------------------------------------------------------------------------------------------

  async listDomains(): Promise<string[]> {
    return [this.service];
  }

  async getDomain(domain: string): Promise<DomainInfo | undefined> {
    if (domain.toLowerCase() !== this.service.toLowerCase()) return undefined;
    const service = await this.serviceObject();
    return { name: service.domain, state: service.status, type: 'authoritative' };
  }

  async attachDomainNonAuthoritative(domain: string): Promise<DomainInfo> {
    const found = await this.getDomain(domain);
    if (!found) {
      throw new OvhPreconditionFailed('fixedDomain', `legacy MX Plan ${this.service} only hosts @${this.service}, not ${domain}`, `choose an address @${this.service} or another destination`);
    }
    return found;
  }

  async dnsDiagnostic(domain: string): Promise<DnsDiagnostic> {
    if (domain.toLowerCase() !== this.service.toLowerCase()) {
      throw new OvhPreconditionFailed('fixedDomain', `legacy MX Plan ${this.service} has no domain ${domain}`, `ask for the diagnostic of ${this.service}`);
    }
    const [service, mx, filter, recommended] = await Promise.all([
      this.serviceObject(),
      this.client.request(MXPLAN_LEGACY.dnsMXRecords, this.params, { schema: stringList }),
      this.client.request(MXPLAN_LEGACY.dnsMXFilter, this.params, { schema: legacyMxFilterSchema }),
      this.client.request(MXPLAN_LEGACY.recommendedDNSRecords, this.params, { schema: z.array(zoneRecordSchema) }),
    ]);
    // Only records of the zone apex matter for the domain's own mail.
    const apex = recommended.filter((r) => !r.subDomain);
    const targetsOf = (records: ZoneRecord[]) => records.map((r) => unquote(r.target));
    const expectedMx = targetsOf(apex.filter((r) => r.fieldType.toUpperCase() === 'MX'));
    const expectedSpf = targetsOf(apex.filter((r) => ['SPF', 'TXT'].includes(r.fieldType.toUpperCase()))).filter((t) => /^v=spf1\b/i.test(t));
    const checks: DnsCheck[] = [
      {
        record: 'MX',
        ok: service.isMXValid === 'valid',
        current: mx,
        expected: expectedMx,
        detail: `OVH MX check: ${service.isMXValid}; MX filter: ${filter}`,
      },
      {
        record: 'SPF',
        ok: service.isSPFValid === 'valid',
        // The legacy API reports the result of OVH's SPF check, not the record itself.
        current: [],
        expected: expectedSpf,
        detail: `OVH SPF check: ${service.isSPFValid} (the current SPF record is not exposed by this API)`,
      },
    ];
    const srv = recommended.filter((r) => r.fieldType.toUpperCase() === 'SRV');
    if (srv.length > 0) {
      checks.push({
        record: 'SRV',
        ok: false,
        current: [],
        expected: srv.map((r) => `${r.subDomain ? `${r.subDomain}.` : ''}${r.zone} SRV ${r.target}`),
        detail: 'OVH does not check SRV records on legacy MX Plan: compare by hand',
      });
    }
    return { domain: service.domain, checks };
  }

  // ---- accounts ------------------------------------------------------------------------------------------

  private accountName(address: string): string {
    const { login, domain } = splitAddress(address);
    if (domain !== this.service.toLowerCase()) {
      throw new OvhPreconditionFailed('fixedDomain', `${address} is not @${this.service}`, `legacy MX Plan ${this.service} only hosts @${this.service}`);
    }
    return login;
  }

  private hosts(address: string): boolean {
    return address.slice(address.lastIndexOf('@') + 1).toLowerCase() === this.service.toLowerCase();
  }

  private async accountObject(address: string): Promise<LegacyAccount | undefined> {
    // An address of another domain is simply not here (lookups across services ask every one of them).
    if (!this.hosts(address)) return undefined;
    try {
      return await this.client.request(MXPLAN_LEGACY.account, { ...this.params, accountName: this.accountName(address) }, { schema: legacyAccountSchema });
    } catch (error) {
      if (error instanceof OvhNotFound) return undefined;
      throw error;
    }
  }

  async listAccounts(): Promise<string[]> {
    const names = await this.client.request(MXPLAN_LEGACY.listAccounts, this.params, { schema: stringList });
    return names.map((name) => `${name}@${this.service}`);
  }

  async getAccount(address: string): Promise<AccountInfo | undefined> {
    const account = await this.accountObject(address);
    if (!account) return undefined;
    let usedBytes: number | undefined;
    try {
      const usage = await this.client.request(MXPLAN_LEGACY.usage, { ...this.params, accountName: account.accountName }, { schema: legacyUsageSchema });
      usedBytes = legacyBytes(usage.quota);
    } catch (error) {
      if (!(error instanceof OvhNotFound)) throw error;
    }
    return {
      address: account.email,
      state: account.isBlocked ? 'blocked' : 'ok',
      configured: true,
      quotaBytes: legacyBytes(account.size),
      usedBytes,
      displayName: account.description || undefined,
    };
  }

  async findFreeSlot(): Promise<string | undefined> {
    return undefined;
  }

  async renameAccount(from: string): Promise<AccountInfo> {
    throw new OvhUnsupported(
      `legacy MX Plan accounts cannot be renamed (${from})`,
      'MX Plan sources follow OVH\'s built-in migration: control panel > E-mails > the account > "Migrate the account"',
    );
  }

  async createAccount(request: CreateAccountRequest): Promise<AccountInfo> {
    const accountName = this.accountName(request.address);
    if (accountName.length < 2 || accountName.length > 32 || !ACCOUNT_NAME.test(accountName)) {
      throw new OvhPreconditionFailed('invalidName', `${JSON.stringify(accountName)} is not a valid MX Plan account name`, 'use 2 to 32 letters, digits, dots, dashes or underscores, not starting or ending with a dot or dash');
    }
    this.assertPassword(request.password);
    if (await this.accountObject(request.address)) {
      throw new OvhPreconditionFailed('accountExists', `${request.address} already exists on ${this.service}`, 'reset the existing account first, or choose another destination');
    }
    const service = await this.serviceObject();
    const allowed = (service.allowedAccountSize ?? []).filter((size) => size > 0);
    let size: number | undefined;
    if (request.neededBytes !== undefined) {
      size = allowed.length > 0 ? pickQuota(allowed, request.neededBytes) : undefined;
      if (allowed.length > 0 && size === undefined) {
        throw new OvhPreconditionFailed('quotaTooSmall', `${formatBytes(request.neededBytes)} (plus headroom) fit in none of ${this.service}'s sizes: ${allowed.map(formatBytes).join(', ')}`, 'choose another destination, or clean up the mailbox first');
      }
    } else if (allowed.length > 0) {
      size = allowed.includes(LEGACY_DEFAULT_SIZE) ? LEGACY_DEFAULT_SIZE : Math.max(...allowed);
    }
    const task = await this.client.request(MXPLAN_LEGACY.createAccount, this.params, {
      schema: legacyTaskPopSchema,
      body: {
        accountName,
        password: request.password,
        ...(request.displayName ? { description: request.displayName.slice(0, 32) } : {}),
        ...(size !== undefined ? { size } : {}),
      },
    });
    await this.waitTask(task.id, task.action, `create ${request.address}`);
    return pollUntil(
      `${request.address} to be created on ${this.service}`,
      async () => {
        const account = await this.getAccount(request.address);
        return account ? { done: true, value: account } : { done: false, seen: 'absent' };
      },
      this.options.stateWait,
    );
  }

  private assertPassword(password: string): void {
    const problems = checkPassword(password, LEGACY_MXPLAN_POLICY);
    if (problems.length > 0) {
      throw new OvhPreconditionFailed('passwordPolicy', `the password does not meet MX Plan's policy: needs ${problems.join(', ')}`, 'choose another password, or leave it empty to generate one');
    }
  }

  private async waitTask(id: number, action: string, what: string): Promise<void> {
    await waitForLegacyTask(
      id,
      action,
      async (taskId) => {
        try {
          await this.client.request(MXPLAN_LEGACY.accountTask, { ...this.params, id: taskId }, { schema: legacyTaskPopSchema });
          return true;
        } catch (error) {
          if (error instanceof OvhNotFound) return false;
          throw error;
        }
      },
      { service: this.service, what },
      this.options.taskWait,
    );
  }

  async changePassword(address: string, password: string): Promise<void> {
    this.assertPassword(password);
    const task = await this.client.request(
      MXPLAN_LEGACY.changePassword,
      { ...this.params, accountName: this.accountName(address) },
      { schema: legacyTaskPopSchema, body: { password } },
    );
    await this.waitTask(task.id, task.action, `change the password of ${address}`);
  }

  async resetAccount(address: string): Promise<void> {
    if (!(await this.accountObject(address))) return;
    const task = await this.client.request(MXPLAN_LEGACY.deleteAccount, { ...this.params, accountName: this.accountName(address) }, { schema: legacyTaskPopSchema });
    await this.waitTask(task.id, task.action, `delete ${address}`);
    await pollUntil(
      `${address} to be deleted on ${this.service}`,
      async () => ((await this.accountObject(address)) ? { done: false, seen: 'still there' } : { done: true, value: undefined }),
      this.options.stateWait,
    );
  }

  async getImapEnabled(): Promise<boolean> {
    return true;
  }

  async setImapEnabled(address: string, enabled: boolean): Promise<void> {
    if (!enabled) throw new OvhUnsupported('legacy MX Plan has no per-mailbox IMAP switch', `IMAP stays enabled on ${address}`);
  }

  // ---- aliases (redirections) and what does not migrate --------------------------------------------------

  private async redirections(query: { from?: string; to?: string }): Promise<Array<z.infer<typeof legacyRedirectionSchema>>> {
    const ids = await this.client.request(MXPLAN_LEGACY.redirections, this.params, { schema: stringList, query });
    const found = [];
    for (const id of ids) {
      try {
        found.push(await this.client.request(MXPLAN_LEGACY.redirection, { ...this.params, id }, { schema: legacyRedirectionSchema }));
      } catch (error) {
        if (!(error instanceof OvhNotFound)) throw error;
      }
    }
    return found;
  }

  /**
   * Legacy MX Plan has no per-account alias: an alias of `address` is a redirection `alias@domain -> address`
   * created without a local copy, whose source is not itself an account (a redirection from an account is that
   * account's forward, reported by `listUnmigratedFeatures`). `RedirectionGlobal` does not expose `localCopy`,
   * so "not an account" is what tells them apart when reading.
   */
  async listAliases(address: string): Promise<string[]> {
    const target = address.toLowerCase();
    const redirections = (await this.redirections({ to: address })).filter((r) => r.to.toLowerCase() === target && r.from.toLowerCase() !== target);
    if (redirections.length === 0) return [];
    const accounts = new Set((await this.listAccounts()).map((a) => a.toLowerCase()));
    return redirections.map((r) => r.from.toLowerCase()).filter((from) => this.hosts(from) && !accounts.has(from));
  }

  async addAlias(address: string, alias: string): Promise<void> {
    this.accountName(address);
    const { domain } = splitAddress(alias);
    if (domain !== this.service.toLowerCase()) {
      throw new OvhPreconditionFailed('fixedDomain', `alias ${alias} is not @${this.service}`, `legacy MX Plan ${this.service} only takes aliases @${this.service}; recreate ${alias} where its domain is hosted`);
    }
    const wanted = alias.toLowerCase();
    if ((await this.listAliases(address)).includes(wanted)) return;
    if (await this.accountObject(alias)) {
      throw new OvhPreconditionFailed('accountExists', `${alias} is an account of ${this.service}, it cannot also be an alias of ${address}`, `delete the account ${alias} first, or forward it by hand`);
    }
    const task = await this.client.request(MXPLAN_LEGACY.addRedirection, this.params, {
      schema: legacyTaskSpecialSchema,
      body: { from: wanted, to: address.toLowerCase(), localCopy: false },
    });
    const what = `alias ${wanted} -> ${address} on ${this.service}`;
    // A TaskSpecialAccount has no status either: pending while readable, finished once gone.
    await pollUntil(
      `OVH task ${task.id} (redirection ${task.action}) for ${what}`,
      async () => {
        try {
          await this.client.request(MXPLAN_LEGACY.redirectionTask, { ...this.params, id: task.id }, { schema: legacyTaskSpecialSchema });
          return { done: false, seen: 'still pending' };
        } catch (error) {
          if (error instanceof OvhNotFound) return { done: true, value: undefined };
          throw error;
        }
      },
      this.options.taskWait,
    );
    try {
      await pollUntil(
        what,
        async () => ((await this.listAliases(address)).includes(wanted) ? { done: true, value: undefined } : { done: false, seen: 'absent after its task' }),
        { ...this.options.stateWait, timeoutMs: Math.min(this.options.stateWait?.timeoutMs ?? 60_000, 60_000) },
      );
    } catch (error) {
      // The task is gone but the redirection never appeared: OVH dropped it (a task in error looks the same).
      if (error instanceof OvhWaitTimeout) throw new OvhTaskFailed(task.id, `redirection ${task.action}`, 'finished without creating the redirection', this.service);
      throw error;
    }
  }

  /**
   * What OVH's migration does not carry: the account's own redirections (forwards), its delegations to other OVH
   * customer accounts, and the mailing lists it subscribes to or owns.
   */
  async listUnmigratedFeatures(address: string): Promise<UnmigratedFeature[]> {
    const accountName = this.accountName(address);
    const self = address.toLowerCase();
    const features: UnmigratedFeature[] = [];
    for (const r of await this.redirections({ from: address })) {
      if (r.from.toLowerCase() === self) features.push({ kind: 'redirection', description: `redirects to ${r.to}` });
    }
    const delegations = await this.client.request(MXPLAN_LEGACY.delegations, { ...this.params, accountName }, { schema: stringList });
    for (const id of delegations) features.push({ kind: 'delegation', description: `delegated to the OVH account ${id}` });
    const lists = await this.client.request(MXPLAN_LEGACY.mailingLists, this.params, { schema: stringList });
    for (const name of lists) {
      const [list, subscribers] = await Promise.all([
        this.client.request(MXPLAN_LEGACY.mailingList, { ...this.params, name }, { schema: legacyMailingListSchema }),
        this.client.request(MXPLAN_LEGACY.mailingListSubscribers, { ...this.params, name }, { schema: stringList, query: { email: address } }),
      ]);
      const roles = [
        ...(subscribers.some((s) => s.toLowerCase() === self) ? ['subscribed to'] : []),
        ...(list.ownerEmail.toLowerCase() === self ? ['owner of'] : []),
      ];
      if (roles.length > 0) features.push({ kind: 'group', description: `${roles.join(' and ')} the mailing list ${name}@${this.service}` });
    }
    return features;
  }

  // ---- recreating features ---------------------------------------------------------------------------------
  //
  // Legacy MX Plan holds: aliases and forwarding as redirections, the display name as the account's description
  // (32 characters), groups as mailing lists named by the local part (members as subscribers, managers as
  // moderators, group aliases as redirections to the list). Nothing else: see featureSupportFor.

  /**
   * A legacy MX Plan is never a source of this procedure (OVH's own migration applies), but its features read
   * the same way: the description, the aliases and the forward; delegations and mailing lists are reported.
   */
  async readFeatures(address: string): Promise<FeatureSnapshot> {
    const self = address.toLowerCase();
    const account = await this.accountObject(self);
    if (!account) {
      throw new OvhPreconditionFailed('accountMissing', `${address} does not exist on ${this.service}`, 'check the address; list the domain\'s accounts in the OVH control panel');
    }
    const forward = (await this.redirections({ from: self })).find((r) => r.from.toLowerCase() === self);
    const unmigrated = (await this.listUnmigratedFeatures(self)).filter((f) => f.kind !== 'redirection');
    return {
      address: self,
      platform: this.platform,
      service: this.service,
      readAt: new Date().toISOString(),
      settings: account.description ? { displayName: account.description } : {},
      // RedirectionGlobal does not say whether a copy is kept.
      ...(forward ? { forwarding: { forwardingEmail: forward.to.toLowerCase(), storeCopyOfEmail: false } } : {}),
      aliases: await this.listAliases(self),
      delegations: [],
      groups: [],
      externalContacts: [],
      unmigrated,
    };
  }

  featureSupport(): FeatureSupportTable {
    return featureSupportFor(this.platform);
  }

  /** The list name of a group address, or an unsupported verdict when the address is not on this domain. */
  private listName(group: string): { name: string } | { check: FeatureCheck } {
    const { login, domain } = splitAddress(group.toLowerCase());
    if (domain !== this.service.toLowerCase()) {
      return {
        check: {
          status: 'unsupported',
          reason: `legacy MX Plan ${this.service} only holds mailing lists @${this.service}, not ${group.toLowerCase()}`,
          instruction: `recreate the group where @${domain} is hosted, or as a mailing list @${this.service} and tell its members the new address`,
        },
      };
    }
    return { name: login };
  }

  private async mailingListObject(name: string): Promise<z.infer<typeof legacyMailingListSchema> | undefined> {
    try {
      return await this.client.request(MXPLAN_LEGACY.mailingList, { ...this.params, name }, { schema: legacyMailingListSchema });
    } catch (error) {
      if (error instanceof OvhNotFound) return undefined;
      throw error;
    }
  }

  private async redirectionExists(from: string, to: string): Promise<boolean> {
    const found = await this.redirections({ from: from.toLowerCase(), to: to.toLowerCase() });
    return found.some((r) => r.from.toLowerCase() === from.toLowerCase() && r.to.toLowerCase() === to.toLowerCase());
  }

  /** An alias (of an account or a list) must be @ this domain and not an account itself. */
  private async aliasCheck(alias: string, target: string): Promise<FeatureCheck> {
    const wanted = alias.toLowerCase();
    if (!this.hosts(wanted)) {
      return {
        status: 'unsupported',
        reason: `legacy MX Plan ${this.service} only takes aliases @${this.service}, not ${wanted}`,
        instruction: `recreate ${wanted} where its domain is hosted, pointing at ${target.toLowerCase()}`,
      };
    }
    if (await this.redirectionExists(wanted, target)) return { status: 'exists' };
    if (await this.accountObject(wanted)) return { status: 'conflict', detail: `${wanted} is an account of ${this.service}: it cannot also be an alias of ${target.toLowerCase()}` };
    return { status: 'missing' };
  }

  async checkFeature(change: FeatureChange): Promise<FeatureCheck> {
    switch (change.kind) {
      case 'settings': {
        const account = await this.accountObject(change.address);
        if (!account) return { status: 'waiting', missing: [change.address.toLowerCase()] };
        const wanted = change.settings.displayName?.slice(0, 32);
        // Only the display name has a place here (the description); the other settings have none.
        return wanted === undefined || account.description === wanted ? { status: 'exists' } : { status: 'missing' };
      }
      case 'forwarding': {
        if (!(await this.accountObject(change.address))) return { status: 'waiting', missing: [change.address.toLowerCase()] };
        return (await this.redirectionExists(change.address, change.forwarding.forwardingEmail)) ? { status: 'exists' } : { status: 'missing' };
      }
      case 'alias': {
        if (!(await this.accountObject(change.address))) return { status: 'waiting', missing: [change.address.toLowerCase()] };
        return this.aliasCheck(change.alias, change.address);
      }
      case 'group': {
        const list = this.listName(change.group.address);
        if ('check' in list) return list.check;
        const current = await this.mailingListObject(list.name);
        if (!current) {
          if (await this.accountObject(change.group.address)) return { status: 'conflict', detail: `${change.group.address.toLowerCase()} is an account of ${this.service}, not a mailing list` };
          return { status: 'missing' };
        }
        return current.ownerEmail.toLowerCase() === change.owner.toLowerCase()
          ? { status: 'exists' }
          : { status: 'conflict', detail: `the mailing list ${change.group.address.toLowerCase()} already exists on ${this.service}, owned by ${current.ownerEmail} (the group's owner would be ${change.owner.toLowerCase()})` };
      }
      case 'groupMember':
      case 'groupManager': {
        const list = this.listName(change.group);
        if ('check' in list) return list.check;
        if (!(await this.mailingListObject(list.name))) return { status: 'waiting', missing: [change.group.toLowerCase()] };
        // Subscribers and moderators are plain addresses: a member needs not exist anywhere yet.
        const email = (change.kind === 'groupMember' ? change.member : change.manager).toLowerCase();
        const route = change.kind === 'groupMember' ? MXPLAN_LEGACY.mailingListSubscribers : MXPLAN_LEGACY.mailingListModerators;
        const found = await this.client.request(route, { ...this.params, name: list.name }, { schema: stringList, query: { email } });
        return found.some((e) => e.toLowerCase() === email) ? { status: 'exists' } : { status: 'missing' };
      }
      case 'groupAlias': {
        const list = this.listName(change.group);
        if ('check' in list) return list.check;
        if (!(await this.mailingListObject(list.name))) return { status: 'waiting', missing: [change.group.toLowerCase()] };
        return this.aliasCheck(change.alias, change.group);
      }
      default:
        return unsupportedCheck(this.featureSupport(), change) ?? { status: 'unsupported', reason: `legacy MX Plan cannot hold ${describeChange(change)}`, instruction: 'recreate it by hand' };
    }
  }

  async startFeature(change: FeatureChange): Promise<FeatureStart> {
    const check = await this.checkFeature(change);
    if (check.status !== 'missing') return check;
    try {
      return { status: 'started', task: await this.postFeature(change) };
    } catch (error) {
      if (!(error instanceof OvhConflict)) throw error;
      const again = await this.checkFeature(change);
      if (again.status === 'exists') return again;
      return { status: 'conflict', detail: `${this.service} refused ${describeChange(change)}: ${error.message}` };
    }
  }

  private featureTask(change: FeatureChange, queue: FeatureTask['queue'], task?: { id: number | string; action: string }): FeatureTask {
    return {
      platform: this.platform,
      service: this.service,
      change,
      queue,
      ...(task ? { id: task.id, function: task.action } : {}),
      startedAt: new Date().toISOString(),
    };
  }

  private async postRedirection(from: string, to: string, localCopy: boolean, change: FeatureChange): Promise<FeatureTask> {
    const task = await this.client.request(MXPLAN_LEGACY.addRedirection, this.params, {
      schema: legacyTaskSpecialSchema,
      body: { from: from.toLowerCase(), to: to.toLowerCase(), localCopy },
    });
    return this.featureTask(change, 'redirection', task);
  }

  private async postFeature(change: FeatureChange): Promise<FeatureTask> {
    switch (change.kind) {
      case 'settings': {
        await this.client.request(
          MXPLAN_LEGACY.updateAccount,
          { ...this.params, accountName: this.accountName(change.address) },
          { schema: voidResponse, body: { description: change.settings.displayName!.slice(0, 32) } },
        );
        return this.featureTask(change, 'none');
      }
      case 'forwarding':
        return this.postRedirection(change.address, change.forwarding.forwardingEmail, change.forwarding.storeCopyOfEmail, change);
      case 'alias':
        return this.postRedirection(change.alias, change.address, false, change);
      case 'groupAlias':
        return this.postRedirection(change.alias, change.group, false, change);
      case 'group': {
        const { login: name } = splitAddress(change.group.address.toLowerCase());
        const task = await this.client.request(MXPLAN_LEGACY.addMailingList, this.params, {
          schema: legacyTaskMlSchema,
          body: {
            name,
            // The API needs a language for the list's own messages; groups have none.
            language: 'en',
            ownerEmail: change.owner.toLowerCase(),
            options: {
              moderatorMessage: false,
              subscribeByModerator: change.group.joinRestriction !== 'open',
              usersPostOnly: change.group.senderAuthentification,
            },
          },
        });
        return this.featureTask(change, 'mailingList', task);
      }
      case 'groupMember':
      case 'groupManager': {
        const { login: name } = splitAddress(change.group.toLowerCase());
        const route = change.kind === 'groupMember' ? MXPLAN_LEGACY.addMailingListSubscriber : MXPLAN_LEGACY.addMailingListModerator;
        const email = (change.kind === 'groupMember' ? change.member : change.manager).toLowerCase();
        const task = await this.client.request(route, { ...this.params, name }, { schema: legacyTaskMlSchema, body: { email } });
        return this.featureTask(change, 'mailingList', task);
      }
      default:
        throw new OvhUnsupported(`legacy MX Plan cannot hold ${describeChange(change)}`, 'recreate it by hand');
    }
  }

  /**
   * Legacy tasks have no status: pending while readable, then gone, whether they worked or not. So the change is
   * read back once its task is gone; absent, the task failed.
   */
  async waitFeature(task: FeatureTask): Promise<void> {
    if (task.platform !== this.platform || task.service !== this.service) {
      throw new Error(`task of ${task.platform} ${task.service} given to ${this.platform} ${this.service}: wait for it on its own service`);
    }
    const what = `recreate ${describeChange(task.change)}`;
    if ((task.queue === 'redirection' || task.queue === 'mailingList') && task.id !== undefined) {
      const route = task.queue === 'redirection' ? MXPLAN_LEGACY.redirectionTask : MXPLAN_LEGACY.mailingListTask;
      const schema: z.ZodType<unknown> = task.queue === 'redirection' ? legacyTaskSpecialSchema : legacyTaskMlSchema;
      await pollUntil(
        `OVH task ${task.id} (${task.function ?? task.queue}) on ${this.service} to ${what}`,
        async () => {
          try {
            await this.client.request(route, { ...this.params, id: task.id! }, { schema });
            return { done: false, seen: 'still pending' };
          } catch (error) {
            if (error instanceof OvhNotFound) return { done: true, value: undefined };
            throw error;
          }
        },
        this.options.taskWait,
      );
    }
    try {
      await pollUntil(
        what,
        async () => {
          const check = await this.checkFeature(task.change);
          return check.status === 'exists' ? { done: true, value: undefined } : { done: false, seen: check.status };
        },
        { ...this.options.stateWait, timeoutMs: Math.min(this.options.stateWait?.timeoutMs ?? 60_000, 60_000) },
      );
    } catch (error) {
      if (error instanceof OvhWaitTimeout) throw new OvhTaskFailed(task.id ?? 'none', task.function ?? 'update', 'finished without the change', this.service, what);
      throw error;
    }
  }

  async applyFeature(change: FeatureChange): Promise<FeatureOutcome> {
    const started = await this.startFeature(change);
    if (started.status !== 'started') return started;
    await this.waitFeature(started.task);
    return { status: 'created' };
  }
}

/** TXT targets come quoted from the zone API. */
function unquote(target: string): string {
  return target.replace(/^"(.*)"$/, '$1');
}
