import { OvhPreconditionFailed } from './errors.js';
import { fullDnsChecks, HostedPlatform, splitAddress, voidResponse, type HostedRoutes, type PlatformOptions } from './hosted-platform.js';
import type { AccountInfo, CreateAccountRequest, DnsDiagnostic, ServiceInfo, UnmigratedFeature } from './mail-platform.js';
import { hostedTaskSchema, idList, stringList } from './models/common.js';
import {
  exchangeAccountSchema,
  exchangeDomainSchema,
  exchangeProtocolSchema,
  exchangeServiceSchema,
  type ExchangeAccount,
  type ExchangeDomain,
  type ExchangeService,
} from './models/exchange.js';
import type { OvhClient } from './ovh-client.js';
import { EXCHANGE } from './routes.js';
import { pollUntil } from './task-waiter.js';

/** Exchange licence used when an account must be created (dedicated offers). */
export type ExchangeLicense = 'basic' | 'standard' | 'enterprise';

/** `ORG/SERVICE` -> path parameters. */
export function parseExchangeService(name: string): { organizationName: string; exchangeService: string } {
  const parts = name.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new OvhPreconditionFailed('invalidName', `${JSON.stringify(name)} is not an Exchange service name`, 'write it as ORGANIZATION/SERVICE, e.g. hosted-ab12345-1/hosted-ab12345-1');
  }
  return { organizationName: parts[0], exchangeService: parts[1] };
}

/** Hosted / private / provider Exchange (`/email/exchange/{organizationName}/service/{exchangeService}`). */
export class ExchangePlatform extends HostedPlatform<ExchangeService, ExchangeAccount, ExchangeDomain> {
  readonly platform = 'exchange' as const;
  protected readonly routes: HostedRoutes = EXCHANGE;
  protected readonly serviceSchema = exchangeServiceSchema;
  protected readonly accountSchema = exchangeAccountSchema;
  protected readonly domainSchema = exchangeDomainSchema;
  protected readonly accountParam = 'primaryEmailAddress';

  constructor(
    client: OvhClient,
    service: string,
    options: PlatformOptions & { license?: ExchangeLicense } = {},
  ) {
    super(client, service, parseExchangeService(service), options);
    this.license = options.license ?? 'standard';
  }

  private readonly license: ExchangeLicense;

  protected override async serviceExtras(): Promise<Pick<ServiceInfo, 'fixedDomain' | 'allowedQuotas' | 'maxMailboxBytes'>> {
    return {};
  }

  override async dnsDiagnostic(domain: string): Promise<DnsDiagnostic> {
    const found = await this.requireDomain(domain);
    const service = await this.serviceObject();
    // Provider offers prove ownership with a CNAME to ex-mail.biz (OVH guide "Exchange: CNAME").
    const common = this.commonDnsChecks(found, service.offer === 'provider' ? 'ex-mail.biz.' : 'ovh.com.');
    return { domain: found.name, checks: fullDnsChecks(common, found) };
  }

  /**
   * Dedicated offers create accounts (`POST .../account`); hosted and provider offers only configure slots
   * they ordered (the control panel's CREATION_METHOD rule).
   */
  protected override async createWithoutSlot(request: CreateAccountRequest, service: ExchangeService): Promise<AccountInfo> {
    if (service.offer !== 'dedicated' && service.offer !== 'dedicatedCluster') return super.createWithoutSlot(request, service);
    const { login, domain } = splitAddress(request.address);
    const task = await this.client.request(EXCHANGE.createAccount, this.serviceParams, {
      schema: hostedTaskSchema,
      body: { login, domain, password: request.password, license: this.license, ...(request.displayName ? { displayName: request.displayName } : {}) },
    });
    await this.waitTask(task, `create ${request.address}`);
    return pollUntil(
      `${request.address} to be created on ${this.service}`,
      async () => {
        const account = await this.accountObject(request.address);
        if (account && account.state === 'ok' && !account.taskPendingId) return { done: true, value: this.accountInfo(account) };
        return { done: false, seen: account ? `state ${account.state}` : 'absent' };
      },
      this.options.stateWait,
    );
  }

  override async getImapEnabled(address: string): Promise<boolean> {
    const protocol = await this.client.request(EXCHANGE.protocol, this.accountParams(address), { schema: exchangeProtocolSchema });
    return protocol.IMAP;
  }

  /** `PUT .../protocol {IMAP}` answers without a task: poll until the switch shows and nothing is pending. */
  override async setImapEnabled(address: string, enabled: boolean): Promise<void> {
    const current = await this.client.request(EXCHANGE.protocol, this.accountParams(address), { schema: exchangeProtocolSchema });
    if (current.IMAP === enabled && !current.taskPendingId) return;
    if (current.IMAP !== enabled) {
      await this.client.request(EXCHANGE.updateProtocol, this.accountParams(address), { schema: voidResponse, body: { IMAP: enabled } });
    }
    await pollUntil(
      `IMAP to be ${enabled ? 'enabled' : 'disabled'} on ${address}`,
      async () => {
        const protocol = await this.client.request(EXCHANGE.protocol, this.accountParams(address), { schema: exchangeProtocolSchema });
        if (protocol.IMAP === enabled && !protocol.taskPendingId) return { done: true, value: undefined };
        return { done: false, seen: `IMAP ${protocol.IMAP}${protocol.taskPendingId ? `, task ${protocol.taskPendingId}` : ''}` };
      },
      this.options.stateWait,
    );
  }

  /** Forwarding, distribution groups, and the collaborative data an IMAP copy leaves behind. */
  protected override async extraUnmigratedFeatures(account: ExchangeAccount): Promise<UnmigratedFeature[]> {
    const features: UnmigratedFeature[] = [];
    if (account.forwardingEmail) {
      features.push({
        kind: 'redirection',
        description: `forwards to ${account.forwardingEmail}${account.storeCopyOfEmail ? ' (keeping a copy)' : ''}`,
      });
    }
    const lists = await this.client.request(EXCHANGE.mailingLists, this.serviceParams, { schema: stringList });
    for (const list of lists) {
      const params = { ...parseExchangeService(this.service), mailingListAddress: list };
      const members = await this.client.request(EXCHANGE.mailingListMembers, params, { schema: idList });
      if (members.includes(account.id)) features.push({ kind: 'group', description: `member of the group ${list}` });
      const managers = await this.client.request(EXCHANGE.mailingListManagers, params, { schema: idList });
      if (managers.includes(account.id)) features.push({ kind: 'group', description: `manager of the group ${list}` });
    }
    features.push({
      kind: 'collaborative',
      description: 'calendars, contacts and tasks are not copied over IMAP: export them (Outlook/OWA) and import them on the destination',
    });
    return features;
  }
}
