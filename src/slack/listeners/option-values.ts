import type { MigrationService } from '../../pipeline/migration-service.js';
import { matchesKey, parseOptionKey } from '../blocks/option-keys.js';

/**
 * Option values as the request modal sent them back, resolved to what they stand for. A value over Slack's limit
 * was sent as a key (blocks/option-keys.ts); it is looked up in the service's own lists, so any bot process resolves
 * it, restarted or not. Undefined: a key that matches nothing (any more).
 */

/** How many accounts sharing a key's hint are searched for the one it names. */
const SEARCH_LIMIT = 1000;

export async function resolveSource(service: MigrationService, value: string): Promise<string | undefined> {
  const key = parseOptionKey(value);
  if (!key) return value;
  const found = await service.searchSourceAccounts(key.hint, SEARCH_LIMIT);
  return found.find((account) => matchesKey(key, account.address))?.address;
}

export async function resolveDestination(service: MigrationService, value: string): Promise<string | undefined> {
  const key = parseOptionKey(value);
  if (!key) return value;
  const services = await service.listDestinationServices();
  return services.find((s) => matchesKey(key, s.name))?.name;
}
