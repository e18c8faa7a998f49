import type { FetchedMessage } from './fetch/fetch-response.js';
import type { FolderSession } from './fetch/folder-session.js';
import { IDENTITY_HEADERS, messageIdentity } from './message-identity.js';

/** What one cheap header FETCH tells about a message. */
export interface ScannedMessage {
  uid: number;
  /** '' until known: a scan without identities leaves it to the body stream to fill in. */
  identity: string;
  /** RFC822.SIZE as the server reports it: an estimate on some servers (Exchange), for plans and the quota only. */
  size: number;
  flags: string[];
}

export interface FolderScan {
  messages: ScannedMessage[];
  permanentFlags?: string[];
  bytes: number;
}

/** True when every message's identity is known (a scan with identities, or filled in while copying). */
export function isIdentified(scan: FolderScan): boolean {
  return scan.messages.every((message) => message.identity !== '');
}

/**
 * One streamed `UID FETCH 1:* (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (...)])` over a folder: enough to
 * derive what is left to copy, without reading any body. Read-only (EXAMINE) unless flags will be stored (the
 * folder's PERMANENTFLAGS are only announced to a read-write SELECT).
 * `identities: false` skips the header fields (when everything must be copied anyway, reading every header of a
 * cold mailbox is pure server work; the identities then come from the bodies as they stream).
 */
export async function scanFolder(session: FolderSession, path: string, options: { readOnly: boolean; identities?: boolean }): Promise<FolderScan> {
  const identities = options.identities ?? true;
  return session.inFolder(path, { readOnly: options.readOnly }, async (folder) => {
    const messages: ScannedMessage[] = [];
    let bytes = 0;
    if (folder.exists > 0) {
      const items = `UID FLAGS RFC822.SIZE${identities ? ` BODY.PEEK[HEADER.FIELDS (${IDENTITY_HEADERS.join(' ').toUpperCase()})]` : ''}`;
      const wanted = identities
        ? (message: FetchedMessage) => message.uid !== undefined && message.headerFields !== undefined
        : (message: FetchedMessage) => message.uid !== undefined && (message.size !== undefined || message.flags !== undefined);
      // An unsolicited FETCH (another session changing flags) may repeat a UID: each message counts once.
      const seen = new Set<number>();
      for await (const message of session.fetch('1:*', items, wanted)) {
        if (seen.has(message.uid!)) continue;
        seen.add(message.uid!);
        // Without RFC822.SIZE (NIL) the message still counts; only estimates (plans, quota) lose it.
        const size = message.size ?? 0;
        bytes += size;
        messages.push({
          uid: message.uid!,
          size,
          flags: message.flags ?? [],
          identity: identities ? messageIdentity(message.headerFields!) : '',
        });
      }
    }
    return { messages, permanentFlags: folder.permanentFlags, bytes };
  });
}
