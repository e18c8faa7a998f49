import type { ImapFlow } from 'imapflow';
import { asSpecialUse, type AccountFolders } from './folder-mapping.js';

/**
 * Lists an account's personal namespace. Special-use attributes are trusted when the server reports them
 * (SPECIAL-USE/XLIST); imapflow's guess from well-known names is used only for servers without either.
 */
export async function listAccountFolders(client: ImapFlow, options: { counts?: boolean } = {}): Promise<AccountFolders> {
  // Counts only in the same round trip (LIST-STATUS): without it imapflow would send one STATUS per folder.
  const counts = options.counts === true && client.capabilities.has('LIST-STATUS');
  const listed = await client.list(counts ? { statusQuery: { messages: true } } : undefined);
  const serverReportsUse = client.capabilities.has('SPECIAL-USE') || client.capabilities.has('XLIST');
  const prefix = client.namespace?.prefix ?? '';
  const delimiter = client.namespace?.delimiter ?? listed.find((folder) => folder.delimiter)?.delimiter ?? '/';
  return {
    prefix,
    delimiter,
    canCreateSpecialUse: client.capabilities.has('CREATE-SPECIAL-USE'),
    folders: listed
      .filter((folder) => folder.path.toUpperCase() === 'INBOX' || !prefix || folder.path.startsWith(prefix))
      .map((folder) => ({
        path: folder.path,
        flags: [...folder.flags],
        specialUse: serverReportsUse && folder.specialUseSource === 'name' ? undefined : asSpecialUse(folder.specialUse),
        subscribed: folder.subscribed,
        ...(typeof folder.status?.messages === 'number' ? { messages: folder.status.messages } : {}),
      })),
  };
}
