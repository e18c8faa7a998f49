import type { ImapFlow } from 'imapflow';
import { IDENTITY_HEADERS, messageIdentity } from './message-identity.js';

/** What one cheap header FETCH tells about a message. */
export interface ScannedMessage {
  uid: number;
  /** '' until known: a scan without identities leaves it to the body stream to fill in. */
  identity: string;
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
 * derive what is left to copy, without reading any body. Read-only (EXAMINE) unless flags will be stored.
 * `identities: false` skips the header fields (when everything must be copied anyway, reading every header of a
 * cold mailbox is pure server work; the identities then come from the bodies as they stream).
 */
export async function scanFolder(client: ImapFlow, path: string, options: { readOnly: boolean; identities?: boolean }): Promise<FolderScan> {
  const identities = options.identities ?? true;
  const alreadySelected = client.mailbox && client.mailbox.path === path;
  const lock = await client.getMailboxLock(path, { readOnly: options.readOnly });
  try {
    // A mailbox selected earlier on this connection shows messages appended by other sessions only after a
    // command that lets the server send EXISTS; FETCH 1:* alone would scan the old view.
    if (alreadySelected) await client.noop();
    const mailbox = client.mailbox;
    const permanentFlags = mailbox && mailbox.permanentFlags ? [...mailbox.permanentFlags] : undefined;
    const messages: ScannedMessage[] = [];
    let bytes = 0;
    if (mailbox && mailbox.exists > 0) {
      const query = { uid: true, flags: true, size: true, ...(identities ? { headers: [...IDENTITY_HEADERS] } : {}) };
      for await (const message of client.fetch('1:*', query)) {
        const size = message.size ?? 0;
        bytes += size;
        messages.push({
          uid: message.uid,
          size,
          flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent'),
          identity: identities ? messageIdentity(message.headers ?? Buffer.alloc(0), size) : '',
        });
      }
    }
    return { messages, permanentFlags, bytes };
  } finally {
    lock.release();
  }
}
