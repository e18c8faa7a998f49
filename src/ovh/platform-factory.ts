import { z } from 'zod';
import type { Config } from '../config/config.js';
import type { Platform, ServiceRef } from '../domain/platform.js';
import type { Logger } from '../log/logger.js';
import { parseImapHosts } from './client-settings.js';
import { OvhBadRequest, OvhForbidden, OvhNotFound } from './errors.js';
import { ExchangePlatform, type ExchangeLicense } from './exchange-platform.js';
import { EmailProPlatform } from './emailpro-platform.js';
import { isSlotAddress, type PlatformOptions } from './hosted-platform.js';
import type { AccountInfo, MailPlatform, MailPlatformFactory } from './mail-platform.js';
import { stringList } from './models/common.js';
import { MxPlanLegacyPlatform } from './mxplan-legacy-platform.js';
import { MxPlanPlatform } from './mxplan-platform.js';
import { OvhClient, type OvhClientOptions } from './ovh-client.js';
import { EMAIL_PRO, EXCHANGE, MXPLAN, MXPLAN_LEGACY } from './routes.js';
import { mapLimit } from '../domain/map-limit.js';

export interface FoundAccount {
  service: ServiceRef;
  /** The adapter of that service, ready to use. */
  platform: MailPlatform;
  account: AccountInfo;
}

export interface FactoryOptions extends PlatformOptions {
  /** Licence for accounts created on dedicated Exchange offers (default `standard`). */
  exchangeLicense?: ExchangeLicense;
  /** How long discovered services and account lists are reused (default 60 s). */
  cacheMs?: number;
}

/** The MailPlatformFactory, plus what the Slack type-ahead and `migrate ADDRESS` need. */
export type OvhPlatformFactory = MailPlatformFactory & {
  readonly client: OvhClient;
  /** Every Exchange, E-mail Pro, new MX Plan and legacy MX Plan service these keys can see. */
  discoverServices(options?: { refresh?: boolean }): Promise<ServiceRef[]>;
  /** The account with exactly this primary address, on whichever service holds it. */
  findAccount(address: string): Promise<FoundAccount | undefined>;
  /** Every service holding this exact address (more than one only mid-migration or on a misconfiguration). */
  findAccounts(address: string): Promise<FoundAccount[]>;
  /** Configured addresses (free slots excluded) containing `query`, for a type-ahead. */
  searchAccounts(query: string, options?: { limit?: number; platforms?: readonly Platform[] }): Promise<Array<{ service: ServiceRef; address: string }>>;
};

/**
 * Tells E-mail Pro and new MX Plan apart the way OVH's control panel does: `GET /email/pro/{svc}/billingMigrated`
 * answers for an E-mail Pro service and fails for an MX Plan one.
 */
async function detectProOrMxPlan(client: OvhClient, service: string): Promise<'emailpro' | 'mxplan'> {
  try {
    await client.request(EMAIL_PRO.billingMigrated, { service }, { schema: z.boolean().nullable() });
    return 'emailpro';
  } catch (error) {
    // A business error (not found, bad request, forbidden by class) means "not an E-mail Pro service";
    // an authentication error (errorCode such as NOT_GRANTED_CALL) is ours to report.
    if (error instanceof OvhNotFound || error instanceof OvhBadRequest || (error instanceof OvhForbidden && !error.errorCode)) return 'mxplan';
    throw error;
  }
}

export function createMailPlatformFactory(client: OvhClient, options: FactoryOptions = {}): OvhPlatformFactory {
  const cacheMs = options.cacheMs ?? 60_000;
  const kinds = new Map<string, Promise<'emailpro' | 'mxplan'>>();
  let discovered: { at: number; services: Promise<ServiceRef[]> } | undefined;
  const accountLists = new Map<string, { at: number; addresses: Promise<string[]> }>();
  const logger: Logger | undefined = options.logger;

  const kindOf = (service: string) => {
    let kind = kinds.get(service);
    if (!kind) {
      kind = detectProOrMxPlan(client, service);
      kind.catch(() => kinds.delete(service));
      kinds.set(service, kind);
    }
    return kind;
  };

  const build = async (ref: ServiceRef): Promise<MailPlatform> => {
    switch (ref.platform) {
      case 'exchange':
        return new ExchangePlatform(client, ref.name, { ...options, license: options.exchangeLicense });
      case 'mxplan-legacy':
        return new MxPlanLegacyPlatform(client, ref.name, options);
      case 'emailpro':
      case 'mxplan': {
        const kind = await kindOf(ref.name);
        if (kind !== ref.platform) logger?.warn({ service: ref.name, asked: ref.platform, actual: kind }, 'OVH service kind differs from the one asked for');
        return kind === 'emailpro' ? new EmailProPlatform(client, ref.name, options) : new MxPlanPlatform(client, ref.name, options);
      }
    }
  };

  const discover = async (): Promise<ServiceRef[]> => {
    const [organizations, pro, mxplan, legacy] = await Promise.all([
      client.request(EXCHANGE.listOrganizations, {}, { schema: stringList }),
      client.request(EMAIL_PRO.listServices, {}, { schema: stringList }),
      client.request(MXPLAN.listServices, {}, { schema: stringList }),
      client.request(MXPLAN_LEGACY.listServices, {}, { schema: stringList }),
    ]);
    const exchange = (
      await mapLimit(organizations, 4, async (organizationName) =>
        (await client.request(EXCHANGE.listServices, { organizationName }, { schema: stringList })).map((svc) => `${organizationName}/${svc}`),
      )
    ).flat();
    const proKinds = await mapLimit(pro, 4, kindOf);
    const refs: ServiceRef[] = exchange.map((name) => ({ platform: 'exchange', name }));
    const seen = new Set<string>();
    pro.forEach((name, i) => {
      refs.push({ platform: proKinds[i]!, name });
      seen.add(name);
    });
    for (const name of mxplan) if (!seen.has(name)) refs.push({ platform: 'mxplan', name });
    for (const name of legacy) refs.push({ platform: 'mxplan-legacy', name });
    return refs;
  };

  const discoverServices = (opts: { refresh?: boolean } = {}): Promise<ServiceRef[]> => {
    if (opts.refresh || !discovered || Date.now() - discovered.at > cacheMs) {
      const services = discover();
      services.catch(() => (discovered = undefined));
      discovered = { at: Date.now(), services };
    }
    return discovered.services;
  };

  const accountsOf = (ref: ServiceRef): Promise<string[]> => {
    const key = `${ref.platform}:${ref.name}`;
    const cached = accountLists.get(key);
    if (cached && Date.now() - cached.at <= cacheMs) return cached.addresses;
    const addresses = build(ref).then((platform) => platform.listAccounts());
    addresses.catch(() => accountLists.delete(key));
    accountLists.set(key, { at: Date.now(), addresses });
    return addresses;
  };

  const findAccounts = async (address: string): Promise<FoundAccount[]> => {
    const wanted = address.trim().toLowerCase();
    const domain = wanted.slice(wanted.lastIndexOf('@') + 1);
    const services = (await discoverServices()).filter((ref) => ref.platform !== 'mxplan-legacy' || ref.name.toLowerCase() === domain);
    const found = await mapLimit(services, 4, async (ref): Promise<FoundAccount | undefined> => {
      const platform = await build(ref);
      const account = await platform.getAccount(wanted);
      return account && account.address.toLowerCase() === wanted ? { service: ref, platform, account } : undefined;
    });
    return found.filter((f): f is FoundAccount => f !== undefined);
  };

  const factory = (async (ref: ServiceRef) => build(ref)) as OvhPlatformFactory;
  return Object.assign(factory, {
    client,
    discoverServices,
    findAccounts,
    findAccount: async (address: string) => (await findAccounts(address))[0],
    searchAccounts: async (query: string, opts: { limit?: number; platforms?: readonly Platform[] } = {}) => {
      const needle = query.trim().toLowerCase();
      const limit = opts.limit ?? 25;
      const services = (await discoverServices()).filter((ref) => !opts.platforms || opts.platforms.includes(ref.platform));
      const lists = await mapLimit(services, 4, async (ref) => ({ ref, addresses: await accountsOf(ref) }));
      const matches: Array<{ service: ServiceRef; address: string }> = [];
      for (const { ref, addresses } of lists) {
        for (const address of addresses) {
          if (!isSlotAddress(address) && address.toLowerCase().includes(needle)) matches.push({ service: ref, address });
        }
      }
      matches.sort((a, b) => Number(!a.address.toLowerCase().startsWith(needle)) - Number(!b.address.toLowerCase().startsWith(needle)) || a.address.localeCompare(b.address));
      return matches.slice(0, limit);
    },
  });
}

/** The factory from the OVH_* and IMAP_HOSTS settings. */
export function createMailPlatformFactoryFromConfig(
  config: Config,
  options: FactoryOptions & { client?: Partial<OvhClientOptions> } = {},
): OvhPlatformFactory {
  const client = OvhClient.fromConfig(config, { logger: options.logger, ...options.client });
  return createMailPlatformFactory(client, { imapHosts: parseImapHosts(config.IMAP_HOSTS), ...options });
}
