import { isFreeSlot } from '../domain/address.js';
import { PLATFORM_LABEL, SOURCE_PLATFORMS, type ServiceRef } from '../domain/platform.js';
import type { PlatformDirectory } from './dependencies.js';
import type { AccountChoice, ServiceChoice } from './migration-service.js';

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
