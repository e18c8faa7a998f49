import type { FolderSession } from './fetch/folder-session.js';
import { asSpecialUse, type AccountFolders, type ListedFolder } from './folder-mapping.js';
import { parseListResponse, parseNamespaceResponse, parseStatusResponse, type ListedMailbox, type Namespace } from './listing/list-responses.js';
import { specialUseFromName } from './listing/special-use-names.js';

/** XLIST (pre-RFC 6154) names for what SPECIAL-USE calls \Junk. */
const XLIST_ALIASES: Record<string, string> = { '\\spam': '\\Junk' };

/**
 * Lists an account's personal namespace: NAMESPACE for the prefix and separator, one LIST (with the
 * special-use attributes and, when asked and offered, the message counts in the same round trip: LIST-STATUS)
 * and one LSUB for the subscriptions. Special-use attributes are trusted when the server reports them
 * (SPECIAL-USE, or XLIST on old servers); otherwise they are guessed from well-known names in several languages.
 */
export async function listAccountFolders(session: FolderSession, options: { counts?: boolean; states?: boolean } = {}): Promise<AccountFolders> {
  const has = (capability: string) => session.capabilities.has(capability);
  const namespace = has('NAMESPACE') ? await readNamespace(session) : undefined;
  const listStatus = has('LIST-STATUS') && has('LIST-EXTENDED');
  // folder states need HIGHESTMODSEQ (CONDSTORE): without it a flag change would go unnoticed
  const states = options.states === true && listStatus && has('CONDSTORE');
  const counts = (options.counts === true || states) && listStatus;
  const reportsUse = has('SPECIAL-USE') || has('XLIST');
  const verb = !has('SPECIAL-USE') && has('XLIST') ? 'XLIST' : 'LIST';
  // RETURN options are LIST-EXTENDED syntax: XLIST takes none.
  const returns = verb === 'XLIST' ? [] : [has('SPECIAL-USE') && has('LIST-EXTENDED') ? 'SPECIAL-USE' : '', counts ? `STATUS (MESSAGES${states ? ' UIDNEXT UIDVALIDITY HIGHESTMODSEQ' : ''})` : ''].filter(Boolean);

  const listed: ListedMailbox[] = [];
  const messages = new Map<string, number>();
  const statuses = new Map<string, NonNullable<ReturnType<typeof parseStatusResponse>>>();
  await session.command(`${verb} "" "*"${returns.length > 0 ? ` RETURN (${returns.join(' ')})` : ''}`, (_, raw) => {
    const mailbox = parseListResponse(raw);
    if (mailbox && mailbox.path !== '') listed.push(mailbox);
    const status = parseStatusResponse(raw);
    if (status?.messages !== undefined) messages.set(status.wireName, status.messages);
    if (status) statuses.set(status.wireName, status);
  });
  const subscribed = new Set<string>();
  await session.command('LSUB "" "*"', (_, raw) => {
    const mailbox = parseListResponse(raw);
    if (mailbox) subscribed.add(mailbox.wireName);
  });

  const prefix = namespace?.prefix ?? '';
  const delimiter = namespace?.delimiter ?? listed.find((mailbox) => mailbox.delimiter)?.delimiter ?? '/';
  const folders: ListedFolder[] = listed
    .filter((mailbox) => mailbox.path === 'INBOX' || !prefix || mailbox.path.startsWith(prefix))
    .map((mailbox) => {
      const specialUse = reportsUse ? reportedUse(mailbox.attributes) : specialUseFromName(mailbox.path, prefix, delimiter);
      const count = messages.get(mailbox.wireName);
      const status = states ? statuses.get(mailbox.wireName) : undefined;
      const state =
        status && status.messages !== undefined && status.uidNext !== undefined && status.uidValidity !== undefined && status.highestModseq !== undefined
          ? { path: mailbox.path, messages: status.messages, uidNext: status.uidNext, uidValidity: status.uidValidity, highestModseq: status.highestModseq }
          : undefined;
      return {
        path: mailbox.path,
        flags: mailbox.attributes,
        ...(specialUse ? { specialUse } : {}),
        subscribed: subscribed.has(mailbox.wireName) || mailbox.attributes.some((attribute) => attribute.toLowerCase() === '\\subscribed'),
        ...(count !== undefined ? { messages: count } : {}),
        ...(state ? { state } : {}),
      };
    });
  return { prefix, delimiter, canCreateSpecialUse: has('CREATE-SPECIAL-USE'), folders };
}

async function readNamespace(session: FolderSession): Promise<Namespace | undefined> {
  let personal: Namespace | undefined;
  await session.command('NAMESPACE', (_, raw) => {
    personal ??= parseNamespaceResponse(raw);
  });
  return personal;
}

function reportedUse(attributes: readonly string[]) {
  for (const attribute of attributes) {
    const use = asSpecialUse(XLIST_ALIASES[attribute.toLowerCase()] ?? attribute);
    if (use) return use;
  }
  return undefined;
}
