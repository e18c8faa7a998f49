import { notImplemented } from '../errors.js';
import type { SchemaOperation } from '../schema.js';
import { registerAccounts } from './accounts.js';
import { registerAliases } from './aliases.js';
import { registerAuth } from './auth.js';
import { registerDisclaimers } from './disclaimers.js';
import { registerDnsDiagnostics } from './dns.js';
import { registerExchangeGroups } from './exchange-groups.js';
import { registerExternalContacts } from './external-contacts.js';
import { registerLegacy } from './legacy.js';
import { registerRights } from './rights.js';
import { registerServices } from './services.js';
import { registerTasks } from './tasks.js';
import { RouteTable, type Handler } from './registry.js';

export { RouteTable, type HandlerContext } from './registry.js';

/** Every behaviourally implemented route. Each must exist in the schemas (checked at start and by a test). */
export function implementedRoutes(): RouteTable {
  const table = new RouteTable();
  registerAuth(table);
  // Hosted Exchange, E-mail Pro and new MX Plan (`families.ts`), one module per resource.
  registerServices(table);
  registerDisclaimers(table);
  registerAccounts(table);
  registerAliases(table);
  registerRights(table);
  registerTasks(table);
  registerExternalContacts(table);
  registerDnsDiagnostics(table);
  registerExchangeGroups(table);
  // Legacy MX Plan (`/email/domain`).
  registerLegacy(table);
  return table;
}

/**
 * Schema routes without a behaviour: list calls answer an empty list, everything else a 501 OVH-style error
 * (parameters are still validated before this is reached).
 */
export function fallbackHandler(operation: SchemaOperation): Handler {
  return () => {
    if (operation.httpMethod === 'GET' && operation.responseType.endsWith('[]')) return [];
    throw notImplemented(`The sandbox simulator does not implement ${operation.httpMethod} on this route yet`);
  };
}
