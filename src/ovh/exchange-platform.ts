import { OvhPreconditionFailed } from './errors.js';
import { RIGHT_LABEL } from './features.js';
import { AccountNames, differences, HostedFeaturePlatform, RIGHT_BODY_FIELD, type PlatformFeatures } from './hosted-features.js';
import { mapLimit } from '../domain/map-limit.js';
import { fullDnsChecks, splitAddress, voidResponse, type HostedRoutes, type PlatformOptions } from './hosted-platform.js';
import type { AccountInfo, CreateAccountRequest, DnsDiagnostic, FeatureChange, FeatureCheck, FeatureTask, GroupRole, GroupSettings, GroupSnapshot, RightKind, ServiceInfo, UnmigratedFeature } from './mail-platform.js';
import { hostedTaskSchema, idList, stringList } from './models/common.js';
import {
  exchangeAccountSchema,
  exchangeArchiveSchema,
  exchangeDomainSchema,
  exchangeGroupManagerSchema,
  exchangeGroupMemberSchema,
  exchangeMailingListSchema,
  exchangeProtocolSchema,
  exchangeServiceSchema,
  type ExchangeAccount,
  type ExchangeDomain,
  type ExchangeMailingList,
  type ExchangeService,
} from './models/exchange.js';
import type { OvhClient } from './ovh-client.js';
import { EXCHANGE, type Route } from './routes.js';
import { pollUntil } from './task-waiter.js';

/** Exchange licence used when an account must be created (dedicated offers). */
export type ExchangeLicense = 'basic' | 'standard' | 'enterprise';

/** `ORG/SERVICE` -> path parameters. */
function parseExchangeService(name: string): { organizationName: string; exchangeService: string } {
  const parts = name.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new OvhPreconditionFailed('invalidName', `${JSON.stringify(name)} is not an Exchange service name`, 'write it as ORGANIZATION/SERVICE, e.g. hosted-ab12345-1/hosted-ab12345-1');
  }
  return { organizationName: parts[0], exchangeService: parts[1] };
}

/** Hosted / private / provider Exchange (`/email/exchange/{organizationName}/service/{exchangeService}`). */
export class ExchangePlatform extends HostedFeaturePlatform<ExchangeService, ExchangeAccount, ExchangeDomain> {
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

  // ---- features only Exchange has: forwarding, spam settings, groups; what cannot move ---------------------

  private get exchangeParams(): { organizationName: string; exchangeService: string } {
    return parseExchangeService(this.service);
  }

  private listParams(list: string): { organizationName: string; exchangeService: string; mailingListAddress: string } {
    return { ...this.exchangeParams, mailingListAddress: list.trim().toLowerCase() };
  }

  private async mailingListObject(list: string): Promise<ExchangeMailingList | undefined> {
    return this.orNotFound(this.client.request(EXCHANGE.mailingList, this.listParams(list), { schema: exchangeMailingListSchema }));
  }

  private groupRightRoute(right: 'sendAs' | 'sendOnBehalfTo', add: boolean) {
    if (right === 'sendAs') return add ? EXCHANGE.addMailingListSendAs : EXCHANGE.mailingListSendAs;
    return add ? EXCHANGE.addMailingListSendOnBehalfTo : EXCHANGE.mailingListSendOnBehalfTo;
  }

  protected override async readPlatformFeatures(account: ExchangeAccount, names: AccountNames): Promise<PlatformFeatures> {
    const self = account.primaryEmailAddress.toLowerCase();
    return {
      ...(account.forwardingEmail ? { forwarding: { forwardingEmail: account.forwardingEmail.toLowerCase(), storeCopyOfEmail: account.storeCopyOfEmail } } : {}),
      groups: await this.readGroups(account, names),
      unmigrated: await this.readUnmigrated(account, self),
    };
  }

  /** The groups the account is a member or manager of, or may send as / on behalf of, each in full. */
  private async readGroups(account: ExchangeAccount, names: AccountNames): Promise<GroupSnapshot[]> {
    const lists = await this.client.request(EXCHANGE.mailingLists, this.serviceParams, { schema: stringList });
    const found = await mapLimit(lists, 2, async (list): Promise<GroupSnapshot | undefined> => {
      const params = this.listParams(list);
      const [members, managers, sendAs, sendOnBehalfTo] = await Promise.all([
        this.client.request(EXCHANGE.mailingListMembers, params, { schema: idList }),
        this.client.request(EXCHANGE.mailingListManagers, params, { schema: idList }),
        this.client.request(EXCHANGE.mailingListSendAs, params, { schema: idList }),
        this.client.request(EXCHANGE.mailingListSendOnBehalfTo, params, { schema: idList }),
      ]);
      const roles: GroupRole[] = [];
      if (members.includes(account.id)) roles.push('member');
      if (managers.includes(account.id)) roles.push('manager');
      if (sendAs.includes(account.id)) roles.push('sendAs');
      if (sendOnBehalfTo.includes(account.id)) roles.push('sendOnBehalfTo');
      if (roles.length === 0) return undefined;
      const object = await this.mailingListObject(list);
      if (!object) return undefined;
      const contactIds = await this.client.request(EXCHANGE.mailingListContacts, params, { schema: idList });
      // Member and manager items carry the address; send rights only the account id.
      const memberAccounts = await Promise.all(
        members.map(async (id) => (await this.client.request(EXCHANGE.mailingListMember, { ...params, memberAccountId: id }, { schema: exchangeGroupMemberSchema })).memberEmailAddress),
      );
      const memberContacts = await Promise.all(
        contactIds.map(async (id) => (await this.client.request(EXCHANGE.mailingListContact, { ...params, memberContactId: id }, { schema: exchangeGroupMemberSchema })).memberEmailAddress),
      );
      const managerAddresses = await Promise.all(
        managers.map(async (id) => (await this.client.request(EXCHANGE.mailingListManager, { ...params, managerAccountId: id }, { schema: exchangeGroupManagerSchema })).managerEmailAddress),
      );
      const aliases = await this.client.request(EXCHANGE.mailingListAliases, params, { schema: stringList });
      return {
        ...groupSettingsOf(object),
        roles,
        memberAccounts: memberAccounts.map((a) => a.toLowerCase()),
        memberContacts: memberContacts.map((a) => a.toLowerCase()),
        managers: managerAddresses.map((a) => a.toLowerCase()),
        aliases: aliases.map((a) => a.toLowerCase()),
        sendAs: await names.all(sendAs),
        sendOnBehalfTo: await names.all(sendOnBehalfTo),
      };
    });
    return found.filter((g): g is GroupSnapshot => g !== undefined);
  }

  /** Litigation, archive, rights on shared mailboxes and resources, collaborative data: no API recreates them. */
  private async readUnmigrated(account: ExchangeAccount, self: string): Promise<UnmigratedFeature[]> {
    const features: UnmigratedFeature[] = [];
    if (account.litigation) {
      features.push({
        kind: 'litigation',
        description: `litigation hold on ${self}${account.litigationPeriod ? ` (${account.litigationPeriod} days)` : ' (unlimited)'}`,
        instruction:
          'a hold keeps what is in the old mailbox, not in the new one: do not reset the temporary source account while the hold must last; on an Exchange destination switch litigation on for the new account (control panel > Exchange > Accounts > the account > Litigation); E-mail Pro and MX Plan have none',
      });
    }
    const archive = await this.orNotFound(this.client.request(EXCHANGE.archive, this.accountParams(self), { schema: exchangeArchiveSchema }));
    if (archive) {
      features.push({
        kind: 'archive',
        description: `archive mailbox of ${self} (${archive.quota} GB quota)`,
        instruction:
          'the archive is not copied over IMAP: export it from Outlook (File > Open & Export > Export to a .pst file) before resetting the old account; on an Exchange destination enable the archive of the new account (control panel > Exchange > Accounts > the account > Archive) and import the .pst',
      });
    }
    const shared = await this.client.request(EXCHANGE.sharedAccounts, this.serviceParams, { schema: stringList });
    for (const sharedEmailAddress of shared) {
      const params = { ...this.exchangeParams, sharedEmailAddress };
      const routes: Array<[RightKind, Route]> = [
        ['fullAccess', EXCHANGE.sharedAccountFullAccess],
        ['sendAs', EXCHANGE.sharedAccountSendAs],
        ['sendOnBehalfTo', EXCHANGE.sharedAccountSendOnBehalfTo],
      ];
      for (const [right, route] of routes) {
        const ids = (await this.orNotFound(this.client.request(route, params, { schema: idList }))) ?? [];
        if (!ids.includes(account.id)) continue;
        features.push({
          kind: 'sharedAccount',
          description: `${RIGHT_LABEL[right]} on the shared mailbox ${sharedEmailAddress.toLowerCase()}`,
          instruction: `shared mailboxes stay on ${this.service} and their rights only name accounts of one service: on an Exchange destination create the shared mailbox there (control panel > Exchange > Shared accounts) and give ${self} ${RIGHT_LABEL[right]} again; elsewhere open ${sharedEmailAddress.toLowerCase()} with its own login`,
        });
      }
    }
    const resources = await this.client.request(EXCHANGE.resourceAccounts, this.serviceParams, { schema: stringList });
    for (const resourceEmailAddress of resources) {
      const ids = (await this.orNotFound(this.client.request(EXCHANGE.resourceAccountDelegates, { ...this.exchangeParams, resourceEmailAddress }, { schema: idList }))) ?? [];
      if (!ids.includes(account.id)) continue;
      features.push({
        kind: 'resourceAccount',
        description: `delegate of the resource ${resourceEmailAddress.toLowerCase()}`,
        instruction: `resources (rooms, equipment) exist only on Exchange and their delegates are accounts of the same service: if the resource moves, recreate it (control panel > Exchange > Resources) and add ${self} as its delegate again`,
      });
    }
    features.push({
      kind: 'collaborative',
      description: 'calendars, contacts and tasks are not copied over IMAP',
      instruction: 'export them from Outlook or OWA and import them on the destination',
    });
    return features;
  }

  protected override async checkForwarding(change: Extract<FeatureChange, { kind: 'forwarding' }>): Promise<FeatureCheck> {
    const account = await this.accountObject(change.address);
    if (!account) return { status: 'waiting', missing: [change.address.toLowerCase()] };
    const same =
      (account.forwardingEmail ?? '').toLowerCase() === change.forwarding.forwardingEmail.toLowerCase() && account.storeCopyOfEmail === change.forwarding.storeCopyOfEmail;
    return same ? { status: 'exists' } : { status: 'missing' };
  }

  protected override async checkGroupChange(change: FeatureChange): Promise<FeatureCheck> {
    if (change.kind === 'group') {
      const address = change.group.address.toLowerCase();
      const { domain } = splitAddress(address);
      if (!(await this.domainObject(domain))) return { status: 'waiting', missing: [domain] };
      const current = await this.mailingListObject(address);
      if (!current) return { status: 'missing' };
      const { address: _a, ...wanted } = change.group;
      const { address: _b, ...there } = groupSettingsOf(current);
      const diff = differences(wanted, there);
      return diff.length ? { status: 'conflict', detail: `the group ${address} already exists on ${this.service} with other settings: ${diff.join('; ')}` } : { status: 'exists' };
    }
    if (change.kind !== 'groupMember' && change.kind !== 'groupManager' && change.kind !== 'groupAlias' && change.kind !== 'groupRight') {
      return super.checkGroupChange(change);
    }
    const group = change.group.toLowerCase();
    if (!(await this.mailingListObject(group))) return { status: 'waiting', missing: [group] };
    const params = this.listParams(group);
    switch (change.kind) {
      case 'groupAlias': {
        const aliases = await this.client.request(EXCHANGE.mailingListAliases, params, { schema: stringList });
        return aliases.some((a) => a.toLowerCase() === change.alias.toLowerCase()) ? { status: 'exists' } : { status: 'missing' };
      }
      case 'groupMember': {
        if (change.memberType === 'contact') {
          const contact = await this.externalContactObject(change.member);
          if (!contact) return { status: 'waiting', missing: [change.member.toLowerCase()] };
          const ids = await this.client.request(EXCHANGE.mailingListContacts, params, { schema: idList });
          return ids.includes(contact.id) ? { status: 'exists' } : { status: 'missing' };
        }
        const member = await this.accountObject(change.member);
        if (!member?.configured) return { status: 'waiting', missing: [change.member.toLowerCase()] };
        const ids = await this.client.request(EXCHANGE.mailingListMembers, params, { schema: idList });
        return ids.includes(member.id) ? { status: 'exists' } : { status: 'missing' };
      }
      case 'groupManager': {
        const manager = await this.accountObject(change.manager);
        if (!manager?.configured) return { status: 'waiting', missing: [change.manager.toLowerCase()] };
        const ids = await this.client.request(EXCHANGE.mailingListManagers, params, { schema: idList });
        return ids.includes(manager.id) ? { status: 'exists' } : { status: 'missing' };
      }
      case 'groupRight': {
        const grantee = await this.accountObject(change.grantee);
        if (!grantee?.configured) return { status: 'waiting', missing: [change.grantee.toLowerCase()] };
        const ids = await this.client.request(this.groupRightRoute(change.right, false), params, { schema: idList });
        return ids.includes(grantee.id) ? { status: 'exists' } : { status: 'missing' };
      }
    }
  }

  protected override async postPlatformFeature(change: FeatureChange): Promise<FeatureTask> {
    switch (change.kind) {
      case 'forwarding':
        return this.put(
          EXCHANGE.updateAccount,
          this.accountParams(change.address.toLowerCase()),
          { forwardingEmail: change.forwarding.forwardingEmail.toLowerCase(), storeCopyOfEmail: change.forwarding.storeCopyOfEmail },
          change,
        );
      case 'group': {
        const g = change.group;
        return this.post(
          EXCHANGE.addMailingList,
          this.serviceParams,
          {
            mailingListAddress: g.address.toLowerCase(),
            departRestriction: g.departRestriction,
            joinRestriction: g.joinRestriction,
            hiddenFromGAL: g.hiddenFromGAL,
            senderAuthentification: g.senderAuthentification,
            ...(g.displayName !== undefined ? { displayName: g.displayName } : {}),
            ...(g.maxReceiveSize !== undefined ? { maxReceiveSize: g.maxReceiveSize } : {}),
            ...(g.maxSendSize !== undefined ? { maxSendSize: g.maxSendSize } : {}),
          },
          change,
        );
      }
      case 'groupAlias':
        return this.post(EXCHANGE.addMailingListAlias, this.listParams(change.group), { alias: change.alias.toLowerCase() }, change);
      case 'groupMember': {
        if (change.memberType === 'contact') {
          const contact = await this.externalContactObject(change.member);
          if (!contact) throw new OvhPreconditionFailed('accountMissing', `external contact ${change.member} does not exist on ${this.service}`, 'create the contact first');
          return this.post(EXCHANGE.addMailingListContact, this.listParams(change.group), { memberContactId: contact.id }, change);
        }
        const member = await this.requireAccount(change.member);
        return this.post(EXCHANGE.addMailingListMember, this.listParams(change.group), { memberAccountId: member.id }, change);
      }
      case 'groupManager': {
        const manager = await this.requireAccount(change.manager);
        return this.post(EXCHANGE.addMailingListManager, this.listParams(change.group), { managerAccountId: manager.id }, change);
      }
      case 'groupRight': {
        const grantee = await this.requireAccount(change.grantee);
        return this.post(this.groupRightRoute(change.right, true), this.listParams(change.group), { [RIGHT_BODY_FIELD[change.right]]: grantee.id }, change);
      }
      default:
        return super.postPlatformFeature(change);
    }
  }
}

/** The writable settings of an Exchange group, as GroupSettings (empty values left out). */
function groupSettingsOf(list: ExchangeMailingList): GroupSettings {
  return {
    address: list.mailingListAddress.toLowerCase(),
    ...(list.displayName ? { displayName: list.displayName } : {}),
    departRestriction: list.departRestriction,
    joinRestriction: list.joinRestriction,
    hiddenFromGAL: list.hiddenFromGAL,
    ...(list.maxReceiveSize != null ? { maxReceiveSize: list.maxReceiveSize } : {}),
    ...(list.maxSendSize != null ? { maxSendSize: list.maxSendSize } : {}),
    senderAuthentification: list.senderAuthentification,
  };
}
