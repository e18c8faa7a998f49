import { clientSettingsFor } from './client-settings.js';
import { OvhNotFound, OvhPreconditionFailed, OvhUnsupported } from './errors.js';
import { splitAddress, type PlatformOptions } from './hosted-platform.js';
import type {
  AccountInfo,
  ClientSettings,
  CreateAccountRequest,
  DnsCheck,
  DnsDiagnostic,
  DomainInfo,
  MailPlatform,
  ServiceInfo,
  UnmigratedFeature,
} from './mail-platform.js';
import { stringList } from './models/common.js';
import {
  legacyAccountSchema,
  legacyRedirectionSchema,
  legacyServiceSchema,
  legacyTaskPopSchema,
  legacyTaskSpecialSchema,
  legacyUsageSchema,
  zoneRecordSchema,
  type LegacyAccount,
  type LegacyService,
} from './models/domain.js';
import type { OvhClient } from './ovh-client.js';
import { checkPassword, LEGACY_MXPLAN_POLICY } from './password.js';
import { MXPLAN_LEGACY } from './routes.js';
import { pollUntil, waitForLegacyTask } from './task-waiter.js';
import { formatBytes, legacyBytes, MAX_DESTINATION_BYTES, pickQuota } from './units.js';
import { z } from 'zod';

/** Account name rule of the legacy control panel: 2-32 characters, letters, digits, `.`, `-`, `_`. */
const ACCOUNT_NAME = /^\w[\w.-]*\w$/;
/** Size the control panel proposes by default (bytes). */
export const LEGACY_DEFAULT_SIZE = 5_000_000_000;

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
    const [service, mx, recommended] = await Promise.all([
      this.serviceObject(),
      this.client.request(MXPLAN_LEGACY.dnsMXRecords, this.params, { schema: stringList }),
      this.client.request(MXPLAN_LEGACY.recommendedDNSRecords, this.params, { schema: z.array(zoneRecordSchema) }),
    ]);
    const expectedOf = (type: string, filter: (target: string) => boolean = () => true) =>
      recommended.filter((r) => r.fieldType.toUpperCase() === type && filter(r.target)).map((r) => r.target);
    const checks: DnsCheck[] = [
      { record: 'MX', ok: service.isMXValid === 'valid', current: mx, expected: expectedOf('MX'), detail: `OVH MX check: ${service.isMXValid}` },
      {
        record: 'SPF',
        ok: service.isSPFValid === 'valid',
        current: [],
        expected: [...expectedOf('SPF'), ...expectedOf('TXT', (t) => /v=spf1/i.test(t))].map((t) => t.replace(/^"|"$/g, '')),
        detail: `OVH SPF check: ${service.isSPFValid}`,
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

  /** Aliases are redirections to this address (without a local copy, the source being another address). */
  async listAliases(address: string): Promise<string[]> {
    const redirections = await this.redirections({ to: address });
    return redirections.filter((r) => r.to.toLowerCase() === address.toLowerCase()).map((r) => r.from);
  }

  async addAlias(address: string, alias: string): Promise<void> {
    if ((await this.listAliases(address)).some((a) => a.toLowerCase() === alias.toLowerCase())) return;
    await this.client.request(MXPLAN_LEGACY.addRedirection, this.params, {
      schema: legacyTaskSpecialSchema,
      body: { from: alias, to: address, localCopy: false },
    });
    await pollUntil(
      `alias ${alias} -> ${address} on ${this.service}`,
      async () => ((await this.listAliases(address)).some((a) => a.toLowerCase() === alias.toLowerCase()) ? { done: true, value: undefined } : { done: false, seen: 'absent' }),
      this.options.stateWait,
    );
  }

  async listUnmigratedFeatures(address: string): Promise<UnmigratedFeature[]> {
    const accountName = this.accountName(address);
    const features: UnmigratedFeature[] = [];
    for (const r of await this.redirections({ from: address })) {
      if (r.from.toLowerCase() === address.toLowerCase()) features.push({ kind: 'redirection', description: `redirects to ${r.to}` });
    }
    const delegations = await this.client.request(MXPLAN_LEGACY.delegations, { ...this.params, accountName }, { schema: stringList });
    for (const id of delegations) features.push({ kind: 'delegation', description: `delegated to the OVH account ${id}` });
    const lists = await this.client.request(MXPLAN_LEGACY.mailingLists, this.params, { schema: stringList });
    for (const name of lists) {
      const subscribers = await this.client.request(MXPLAN_LEGACY.mailingListSubscribers, { ...this.params, name }, { schema: stringList, query: { email: address } });
      if (subscribers.some((s) => s.toLowerCase() === address.toLowerCase())) features.push({ kind: 'group', description: `subscribed to the mailing list ${name}@${this.service}` });
    }
    return features;
  }
}
