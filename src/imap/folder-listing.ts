import type { ImapFlow } from 'imapflow';
import { asSpecialUse, type AccountFolders } from './folder-mapping.js';

/**
 * Lists an account's personal namespace. Special-use attributes are trusted when the server reports them
 * (SPECIAL-USE/XLIST); imapflow's guess from well-known names is used only for servers without either.
 */
export async function listAccountFolders(client: ImapFlow): Promise<AccountFolders> {
  const listed = await client.list();
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
      })),
  };
}
