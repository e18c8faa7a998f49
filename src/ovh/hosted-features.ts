import { OvhConflict, OvhTaskFailed, OvhUnsupported, OvhWaitTimeout } from './errors.js';
import { describeChange, featureSupportFor, settingsMatch, spamMatches, unsupportedCheck } from './features.js';
import { HostedPlatform, isSlotAddress, splitAddress, voidResponse, type HostedAccountObject, type HostedDomainObject, type HostedServiceObject } from './hosted-platform.js';
import type {
  AccountSettings,
  Delegation,
  ExternalContact,
  FeatureChange,
  FeatureCheck,
  FeatureOutcome,
  FeatureSnapshot,
  FeatureStart,
  FeatureSupportTable,
  FeatureTask,
  Footer,
  Forwarding,
  GroupSnapshot,
  MailPlatform,
  RightKind,
  UnmigratedFeature,
} from './mail-platform.js';
import { disclaimerSchema, externalContactSchema, hostedTaskSchema, idList, stringList, type ExternalContactObject, type HostedTask } from './models/common.js';
import type { Route } from './routes.js';
import { pollUntil, waitForHostedTask } from './task-waiter.js';
import { mapLimit } from '../domain/map-limit.js';
import type { FeatureReading, ServiceRights } from './feature-reading.js';

export const RIGHTS: readonly RightKind[] = ['fullAccess', 'sendAs', 'sendOnBehalfTo'];
/** The POST body field naming the account a right is given to (the schemas spell it two ways). */
export const RIGHT_BODY_FIELD: Record<RightKind, string> = { fullAccess: 'allowedAccountId', sendAs: 'allowAccountId', sendOnBehalfTo: 'allowAccountId' };

const lower = (value: string) => value.trim().toLowerCase();
const MISSING: FeatureCheck = { status: 'missing' };
const EXISTS: FeatureCheck = { status: 'exists' };
const waiting = (...missing: string[]): FeatureCheck => ({ status: 'waiting', missing });

/** What a hosted account holds of AccountSettings (empty values left out). */
export function settingsOf(account: HostedAccountObject): AccountSettings {
  const settings: AccountSettings = {};
  if (account.displayName) settings.displayName = account.displayName;
  if (account.firstName) settings.firstName = account.firstName;
  if (account.lastName) settings.lastName = account.lastName;
  if (account.initial) settings.initials = account.initial;
  settings.hiddenFromGAL = account.hiddenFromGAL;
  return settings;
}

function contactOf(contact: ExternalContactObject): ExternalContact {
  return {
    address: lower(contact.externalEmailAddress),
    displayName: contact.displayName,
    ...(contact.firstName ? { firstName: contact.firstName } : {}),
    ...(contact.lastName ? { lastName: contact.lastName } : {}),
    ...(contact.initials ? { initials: contact.initials } : {}),
    hiddenFromGAL: contact.hiddenFromGAL,
  };
}

/** Names of the fields of `wanted` that differ in `current`, with both values, for a conflict's detail. */
export function differences<T extends object>(wanted: T, current: T): string[] {
  const out: string[] = [];
  for (const key of Object.keys(wanted) as (keyof T)[]) {
    const a = wanted[key];
    const b = current[key];
    if (a === undefined) continue;
    if ((a ?? null) !== (b ?? null)) out.push(`${String(key)} is ${JSON.stringify(b ?? null)} there, ${JSON.stringify(a)} on the source`);
  }
  return out;
}

/** Account id -> address on one service, cached for one reading (`GET .../account?id=`). */
export class AccountNames {
  private readonly cache = new Map<number, Promise<string | undefined>>();
  constructor(private readonly lookup: (id: number) => Promise<string | undefined>) {}
  of(id: number): Promise<string | undefined> {
    let found = this.cache.get(id);
    if (!found) this.cache.set(id, (found = this.lookup(id)));
    return found;
  }
  async all(ids: readonly number[]): Promise<string[]> {
    const addresses = await Promise.all(ids.map((id) => this.of(id)));
    return addresses.filter((a): a is string => a !== undefined).map(lower);
  }
}

/** What a platform-specific reading adds to the snapshot (Exchange: forwarding, groups, what cannot move). */
export interface PlatformFeatures {
  forwarding?: Forwarding;
  groups?: GroupSnapshot[];
  unmigrated?: UnmigratedFeature[];
}

/**
 * Reading and recreating features on Exchange, E-mail Pro and new MX Plan (same routes under three prefixes):
 * settings, aliases, rights in both directions, external contacts and footers here; forwarding, spam settings
 * and groups where the platform has them (Exchange overrides the hooks at the end).
 */
export abstract class HostedFeaturePlatform<
    S extends HostedServiceObject = HostedServiceObject,
    A extends HostedAccountObject = HostedAccountObject,
    D extends HostedDomainObject = HostedDomainObject,
  >
  extends HostedPlatform<S, A, D>
  implements MailPlatform
{
  // ---- reading ---------------------------------------------------------------------------------------------

  protected accountNames(): AccountNames {
    return new AccountNames(async (id) => {
      const found = await this.client.request(this.routes.listAccounts, this.serviceParams, { schema: stringList, query: { id } });
      return found[0];
    });
  }

  protected rightRoute(right: RightKind, add: boolean): Route {
    const r = this.routes;
    if (right === 'fullAccess') return add ? r.addFullAccess : r.fullAccess;
    if (right === 'sendAs') return add ? r.addSendAs : r.sendAs;
    return add ? r.addSendOnBehalfTo : r.sendOnBehalfTo;
  }

  /** Ids of the accounts holding `right` on `owner`; undefined when `owner` is gone meanwhile. */
  protected async rightHolders(owner: string, right: RightKind): Promise<number[] | undefined> {
    return this.orNotFound(this.client.request(this.rightRoute(right, false), this.accountParams(owner), { schema: idList }));
  }

  async readFeatures(address: string, reading?: FeatureReading): Promise<FeatureSnapshot> {
    const account = await this.requireAccount(address);
    const self = lower(account.primaryEmailAddress);
    const names = this.accountNames();
    const aliases = (await this.listAliases(self)).map(lower);
    const delegations = await this.readDelegations(account, names, reading);
    const externalContacts = await this.readExternalContacts();
    const footer = await this.readFooter(account.domain);
    const extra = await this.readPlatformFeatures(account, names);
    return {
      address: self,
      platform: this.platform,
      service: this.service,
      readAt: new Date().toISOString(),
      settings: settingsOf(account),
      ...(extra.forwarding ? { forwarding: extra.forwarding } : {}),
      spamAndVirus: { ...account.spamAndVirusConfiguration },
      aliases,
      delegations,
      groups: extra.groups ?? [],
      externalContacts,
      ...(footer ? { footer } : {}),
      unmigrated: extra.unmigrated ?? [],
    };
  }

  /**
   * Rights others hold on the mailbox, then rights it holds on every other configured account of the service
   * (read for every account of the service, or taken from what a batch's earlier rows read: `reading`).
   */
  protected async readDelegations(account: A, names: AccountNames, reading?: FeatureReading): Promise<Delegation[]> {
    const self = lower(account.primaryEmailAddress);
    const delegations: Delegation[] = [];
    for (const right of RIGHTS) {
      const ids = (await this.rightHolders(self, right)) ?? [];
      for (const grantee of await names.all(ids)) delegations.push({ right, owner: self, grantee });
    }
    const rights = reading ? await reading.rightsOf(`${this.platform}:${this.service}`, () => this.serviceRights()) : await this.serviceRights(self);
    for (const [owner, held] of rights) {
      if (owner === self) continue;
      for (const right of RIGHTS) if (held[right]?.includes(account.id)) delegations.push({ right, owner, grantee: self });
    }
    return delegations;
  }

  /** The holders of every right on every configured account of the service but `except`. */
  protected async serviceRights(except?: string): Promise<ServiceRights> {
    const owners = (await this.listAccounts()).map(lower).filter((a) => !isSlotAddress(a) && a !== except);
    const read = await mapLimit(owners, 4, async (owner) => {
      const held: Partial<Record<RightKind, number[]>> = {};
      for (const right of RIGHTS) {
        const ids = await this.rightHolders(owner, right);
        if (ids) held[right] = ids;
      }
      return [owner, held] as const;
    });
    return new Map(read);
  }

  protected async externalContactObject(address: string): Promise<ExternalContactObject | undefined> {
    return this.orNotFound(
      this.client.request(this.routes.externalContact, { ...this.serviceParams, externalEmailAddress: lower(address) }, { schema: externalContactSchema }),
    );
  }

  protected async readExternalContacts(): Promise<ExternalContact[]> {
    const addresses = await this.client.request(this.routes.externalContacts, this.serviceParams, { schema: stringList });
    const contacts = await mapLimit(addresses, 4, (address) => this.externalContactObject(address));
    return contacts.filter((c): c is ExternalContactObject => c !== undefined).map(contactOf);
  }

  protected async readFooter(domain: string): Promise<Footer | undefined> {
    const disclaimer = await this.orNotFound(
      this.client.request(this.routes.disclaimer, { ...this.serviceParams, domainName: lower(domain) }, { schema: disclaimerSchema }),
    );
    return disclaimer && { domain: lower(domain), content: disclaimer.content, outsideOnly: disclaimer.outsideOnly };
  }

  /** Forwarding, groups and what cannot move: nothing on E-mail Pro and new MX Plan. */
  protected async readPlatformFeatures(_account: A, _names: AccountNames): Promise<PlatformFeatures> {
    return {};
  }

  // ---- checking --------------------------------------------------------------------------------------------

  featureSupport(): FeatureSupportTable {
    return featureSupportFor(this.platform);
  }

  async checkFeature(change: FeatureChange): Promise<FeatureCheck> {
    switch (change.kind) {
      case 'settings': {
        const account = await this.accountObject(change.address);
        if (!account) return waiting(lower(change.address));
        return settingsMatch(change.settings, settingsOf(account)) ? EXISTS : MISSING;
      }
      case 'spamFilter': {
        const account = await this.accountObject(change.address);
        if (!account) return waiting(lower(change.address));
        // Equal settings need nothing, even where they are read-only.
        if (spamMatches(change.spamAndVirus, account.spamAndVirusConfiguration)) return EXISTS;
        return unsupportedCheck(this.featureSupport(), change) ?? MISSING;
      }
      case 'alias': {
        const unsupported = await this.aliasDomainCheck(change.alias);
        if (unsupported) return unsupported;
        const account = await this.accountObject(change.address);
        if (!account) return waiting(lower(change.address));
        const aliases = await this.listAliases(account.primaryEmailAddress);
        return aliases.some((a) => lower(a) === lower(change.alias)) ? EXISTS : MISSING;
      }
      case 'right': {
        const [owner, grantee] = await Promise.all([this.accountObject(change.owner), this.accountObject(change.grantee)]);
        const missing = [...(owner?.configured ? [] : [lower(change.owner)]), ...(grantee?.configured ? [] : [lower(change.grantee)])];
        if (missing.length) return waiting(...missing);
        const holders = (await this.rightHolders(owner!.primaryEmailAddress, change.right)) ?? [];
        return holders.includes(grantee!.id) ? EXISTS : MISSING;
      }
      case 'externalContact': {
        const current = await this.externalContactObject(change.contact.address);
        if (!current) return MISSING;
        const diff = differences(change.contact, contactOf(current));
        return diff.length ? { status: 'conflict', detail: `external contact ${lower(change.contact.address)} already exists on ${this.service} with other values: ${diff.join('; ')}` } : EXISTS;
      }
      case 'footer': {
        const domain = lower(change.footer.domain);
        if (!(await this.domainObject(domain))) return waiting(domain);
        const current = await this.readFooter(domain);
        if (!current) return MISSING;
        const diff = differences({ content: change.footer.content, outsideOnly: change.footer.outsideOnly }, { content: current.content, outsideOnly: current.outsideOnly });
        return diff.length ? { status: 'conflict', detail: `@${domain} already has another footer on ${this.service}: ${diff.join('; ')}` } : EXISTS;
      }
      case 'forwarding':
        return this.checkForwarding(change);
      default:
        return this.checkGroupChange(change);
    }
  }

  /** An alias on a domain this service does not host: a fixed-domain service never will; others wait for it. */
  protected async aliasDomainCheck(alias: string): Promise<FeatureCheck | undefined> {
    const { domain } = splitAddress(lower(alias));
    const fixed = this.fixedDomainOf(await this.serviceObject());
    if (fixed && lower(fixed) !== domain) {
      return { status: 'unsupported', reason: `${this.service} only hosts addresses @${fixed}, not the alias ${lower(alias)}`, instruction: `recreate ${lower(alias)} where @${domain} is hosted, pointing at the new mailbox` };
    }
    if (!fixed && !(await this.domainObject(domain))) return waiting(domain);
    return undefined;
  }

  /** Forwarding: Exchange only (it overrides this). */
  protected async checkForwarding(change: Extract<FeatureChange, { kind: 'forwarding' }>): Promise<FeatureCheck> {
    return unsupportedCheck(this.featureSupport(), change) ?? MISSING;
  }

  /** Groups and what is in them: Exchange only (it overrides this). */
  protected async checkGroupChange(change: FeatureChange): Promise<FeatureCheck> {
    return unsupportedCheck(this.featureSupport(), change) ?? { status: 'unsupported', reason: `${this.platform} cannot hold ${describeChange(change)}`, instruction: 'recreate it by hand' };
  }

  // ---- applying --------------------------------------------------------------------------------------------

  async startFeature(change: FeatureChange): Promise<FeatureStart> {
    const check = await this.checkFeature(change);
    if (check.status !== 'missing') return check;
    try {
      return { status: 'started', task: await this.postFeature(change) };
    } catch (error) {
      // 409: someone created it meanwhile (then it exists), or the address is taken by something else.
      if (!(error instanceof OvhConflict)) throw error;
      const again = await this.checkFeature(change);
      if (again.status === 'exists') return again;
      return { status: 'conflict', detail: `${this.service} refused ${describeChange(change)}: ${error.message}` };
    }
  }

  protected taskRef(change: FeatureChange, task?: HostedTask): FeatureTask {
    return {
      platform: this.platform,
      service: this.service,
      change,
      queue: task ? 'hosted' : 'none',
      ...(task ? { id: task.id, function: task.function } : {}),
      startedAt: new Date().toISOString(),
    };
  }

  protected async post(route: Route, params: Record<string, string | number>, body: Record<string, unknown>, change: FeatureChange): Promise<FeatureTask> {
    const task = await this.client.request(route, params, { schema: hostedTaskSchema, body });
    return this.taskRef(change, task);
  }

  protected async put(route: Route, params: Record<string, string | number>, body: Record<string, unknown>, change: FeatureChange): Promise<FeatureTask> {
    await this.client.request(route, params, { schema: voidResponse, body });
    return this.taskRef(change);
  }

  /** Sends the one call that creates `change` (checked missing, its ends present). */
  protected async postFeature(change: FeatureChange): Promise<FeatureTask> {
    switch (change.kind) {
      case 'settings': {
        const s = change.settings;
        const body = {
          ...(s.displayName !== undefined ? { displayName: s.displayName } : {}),
          ...(s.firstName !== undefined ? { firstName: s.firstName } : {}),
          ...(s.lastName !== undefined ? { lastName: s.lastName } : {}),
          ...(s.initials !== undefined ? { initial: s.initials } : {}),
          ...(s.hiddenFromGAL !== undefined ? { hiddenFromGAL: s.hiddenFromGAL } : {}),
        };
        return this.put(this.routes.updateAccount, this.accountParams(lower(change.address)), body, change);
      }
      case 'spamFilter':
        return this.put(this.routes.updateAccount, this.accountParams(lower(change.address)), { spamAndVirusConfiguration: change.spamAndVirus }, change);
      case 'alias':
        return this.post(this.routes.addAlias, this.accountParams(lower(change.address)), { alias: lower(change.alias) }, change);
      case 'right': {
        const grantee = await this.requireAccount(change.grantee);
        return this.post(this.rightRoute(change.right, true), this.accountParams(lower(change.owner)), { [RIGHT_BODY_FIELD[change.right]]: grantee.id }, change);
      }
      case 'externalContact': {
        const c = change.contact;
        return this.post(
          this.routes.addExternalContact,
          this.serviceParams,
          {
            externalEmailAddress: lower(c.address),
            displayName: c.displayName,
            ...(c.firstName !== undefined ? { firstName: c.firstName } : {}),
            ...(c.lastName !== undefined ? { lastName: c.lastName } : {}),
            ...(c.initials !== undefined ? { initials: c.initials } : {}),
            hiddenFromGAL: c.hiddenFromGAL,
          },
          change,
        );
      }
      case 'footer':
        return this.post(this.routes.addDisclaimer, { ...this.serviceParams, domainName: lower(change.footer.domain) }, { content: change.footer.content, outsideOnly: change.footer.outsideOnly }, change);
      default:
        return this.postPlatformFeature(change);
    }
  }

  /** Forwarding and groups: Exchange overrides this; the support table keeps other platforms from getting here. */
  protected async postPlatformFeature(change: FeatureChange): Promise<FeatureTask> {
    throw new OvhUnsupported(`${this.platform} cannot hold ${describeChange(change)}`, 'recreate it by hand');
  }

  async waitFeature(task: FeatureTask): Promise<void> {
    if (task.platform !== this.platform || task.service !== this.service) {
      throw new Error(`task of ${task.platform} ${task.service} given to ${this.platform} ${this.service}: wait for it on its own service`);
    }
    const what = `recreate ${describeChange(task.change)}`;
    if (task.queue === 'hosted' && task.id !== undefined) {
      const started: HostedTask = { id: Number(task.id), function: task.function ?? 'unknown', status: 'todo', todoDate: task.startedAt, finishDate: null };
      try {
        await waitForHostedTask(
          started,
          (id) => this.client.request(this.routes.task, { ...this.serviceParams, id }, { schema: hostedTaskSchema }),
          { service: this.service, what },
          this.options.taskWait,
        );
      } catch (error) {
        if (error instanceof OvhTaskFailed && !error.what) throw new OvhTaskFailed(error.taskId, error.taskFunction, error.status, error.service, what);
        throw error;
      }
      return;
    }
    // A PUT without a task: done once the change reads back.
    await this.waitUntilShown(task, what);
  }

  protected async waitUntilShown(task: FeatureTask, what: string): Promise<void> {
    try {
      await pollUntil(
        what,
        async () => {
          const check = await this.checkFeature(task.change);
          return check.status === 'exists' ? { done: true, value: undefined } : { done: false, seen: check.status };
        },
        this.options.stateWait,
      );
    } catch (error) {
      if (error instanceof OvhWaitTimeout) throw new OvhTaskFailed(task.id ?? 'none', task.function ?? 'update', 'not applied', this.service, what);
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
