import { isFreeSlot } from '../domain/address.js';
import { PLATFORM_LABEL, SOURCE_PLATFORMS, type ServiceRef } from '../domain/platform.js';
import type { MailPlatform, MailPlatformFactory } from '../ovh/mail-platform.js';
import type { PlatformDirectory } from './dependencies.js';
import type { AccountChoice, ServiceChoice } from './migration-service.js';

/**
 * A directory over the OVH layer: `listServices` enumerates every service of every kind; accounts are found
 * by asking each service (adapters are cached). Used when the OVH layer offers no faster `findAccount`.
 */
export function createPlatformDirectory(factory: MailPlatformFactory, listServices: () => Promise<ServiceRef[]>): PlatformDirectory {
  const cache = new Map<string, Promise<MailPlatform>>();
  const open = (service: ServiceRef): Promise<MailPlatform> => {
    const key = `${service.platform}:${service.name}`;
    let adapter = cache.get(key);
    if (!adapter) {
      adapter = factory(service);
      adapter.catch(() => cache.delete(key));
      cache.set(key, adapter);
    }
    return adapter;
  };
  return {
    listServices,
    open,
    async findAccount(address) {
      const wanted = address.toLowerCase();
      const domain = wanted.split('@')[1];
      const services = await listServices();
      // Services that carry the domain first: most lookups end at the first one asked.
      const ranked = await Promise.all(
        services.map(async (service) => {
          const platform = await open(service);
          const domains = await platform.listDomains().catch(() => [] as string[]);
          return { platform, score: domains.map((d) => d.toLowerCase()).includes(domain ?? '') ? 0 : 1 };
        }),
      );
      ranked.sort((a, b) => a.score - b.score);
      for (const { platform } of ranked) {
        const account = await platform.getAccount(wanted);
        if (account) return { platform, account };
      }
      return undefined;
    },
  };
}

/** Resolves what a user typed as the destination service (`SERVICE`, `ORG/SERVICE`, a legacy domain), case-insensitively. */
export function matchService(services: ServiceRef[], typed: string): ServiceRef | undefined {
  const wanted = typed.trim().toLowerCase();
  return (
    services.find((service) => service.name.toLowerCase() === wanted) ??
    // Exchange by service name alone, when unambiguous.
    (() => {
      const byTail = services.filter((service) => service.platform === 'exchange' && service.name.toLowerCase().split('/')[1] === wanted);
      return byTail.length === 1 ? byTail[0] : undefined;
    })()
  );
}

/** Source accounts for a type-ahead: Exchange and E-mail Pro, free slots left out, at most `limit`. */
export async function sourceAccountChoices(directory: PlatformDirectory, query: string, limit: number): Promise<AccountChoice[]> {
  const wanted = query.trim().toLowerCase();
  const services = (await directory.listServices()).filter((s) => SOURCE_PLATFORMS.includes(s.platform));
  const choices: AccountChoice[] = [];
  for (const service of services) {
    const platform = await directory.open(service);
    for (const address of await platform.listAccounts()) {
      if (isFreeSlot(address) || !address.toLowerCase().includes(wanted)) continue;
      choices.push({ address, platform: service.platform, service: platform.service });
      if (choices.length >= limit) return choices;
    }
  }
  return choices;
}

export async function destinationServiceChoices(directory: PlatformDirectory): Promise<ServiceChoice[]> {
  const services = await directory.listServices();
  return services.map((service) => ({ ...service, label: `${service.name} (${PLATFORM_LABEL[service.platform]})` }));
}
