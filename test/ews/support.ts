import { EwsDouble, sampleCollaborativeData, seedMailbox, type EwsDoubleOptions, type MailboxStore } from '../../src/sandbox/ews/index.js';
import type { EwsEndpoint } from '../../src/ews/index.js';

export const SOURCE = 'john.smith@mydomain.ovh';
export const SOURCE_PASSWORD = 'Exchange-Pass-01';
export const PASSWORD = 'Dest-Pass-01';

/** A double with the sample source mailbox (seeded) and any number of empty destinations (French folder names). */
export async function startDouble(options: EwsDoubleOptions = {}): Promise<EwsDouble> {
  const double = await EwsDouble.start(options);
  seedMailbox(double.addMailbox(SOURCE, SOURCE_PASSWORD), sampleCollaborativeData(SOURCE));
  return double;
}

let serial = 0;
/** A new empty destination mailbox in the double, and its endpoint. */
export function newDestination(double: EwsDouble, language: 'en' | 'fr' = 'fr'): { address: string; endpoint: EwsEndpoint; store: MailboxStore } {
  const address = `dest${++serial}.${process.pid}@newdomain.ovh`;
  const store = double.addMailbox(address, PASSWORD, { language });
  return { address, store, endpoint: endpoint(double, address, PASSWORD) };
}

export function endpoint(double: EwsDouble, address: string, password: string): EwsEndpoint {
  return { url: double.url, username: address, password, mailbox: address, ca: double.caCertificate };
}

export function sourceEndpoint(double: EwsDouble): EwsEndpoint {
  return endpoint(double, SOURCE, SOURCE_PASSWORD);
}

/** Subjects per folder path of a mailbox's collaborative folders (sorted), e.g. {'calendar': [...], 'calendar/Projets': [...]}. */
export function contentByFolder(store: MailboxStore): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const anchors = new Map([...store.distinguished].map(([name, id]) => [id, name]));
  for (const folder of store.folders.values()) {
    const items = store.itemsIn(folder.id);
    if (items.length === 0) continue;
    const names: string[] = [];
    let current: typeof folder | undefined = folder;
    while (current && !anchors.has(current.id)) {
      names.unshift(current.displayName);
      current = current.parentId ? store.folders.get(current.parentId) : undefined;
    }
    const key = [current ? anchors.get(current.id) : '?', ...names].join('/');
    out[key] = items.map((item) => item.subject).sort();
  }
  return out;
}

/** The collaborative content of the sample source, as `contentByFolder` shows a faithful copy (hidden folders excluded). */
export function expectedCopy(source: MailboxStore): Record<string, string[]> {
  const all = contentByFolder(source);
  delete all['contacts/Recipient Cache'];
  return all;
}

export function uploads(double: EwsDouble, mailbox: string): number {
  return double.requests.filter((r) => r.operation === 'UploadItems' && r.mailbox === mailbox.toLowerCase()).reduce((sum, r) => sum + r.items, 0);
}
