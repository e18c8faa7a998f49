import type { CollaborativeCounts } from '../domain/collaborative-report.js';
import { EwsClient } from './client.js';
import type { EwsEndpoint } from './endpoint.js';
import { collaborativeFolders, MailboxFolders } from './folders.js';

/**
 * What a mailbox holds in its calendar, contacts and tasks folders, read from the folders' TotalCount: for a
 * destination without them (MX Plan), the plan and the report say exactly what stays behind.
 */
export async function countCollaborative(endpoint: EwsEndpoint): Promise<CollaborativeCounts> {
  const client = new EwsClient(endpoint);
  try {
    const folders = await MailboxFolders.read(client);
    const counts: CollaborativeCounts = { calendar: 0, contacts: 0, tasks: 0 };
    for (const folder of collaborativeFolders(folders, ['calendar', 'contacts', 'tasks'])) counts[folder.kind] += folder.source.totalCount ?? 0;
    return counts;
  } finally {
    client.close();
  }
}
