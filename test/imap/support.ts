import { createHash } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { DovecotServer, type DovecotOptions, type SeedMessage } from '../../src/sandbox/dovecot.js';
import type { ImapEndpoint } from '../../src/imap/endpoint.js';

export const PASSWORD = 'pw-secret-1';

export async function startServer(options: DovecotOptions, users: Array<{ name: string; quotaBytes?: number }>): Promise<DovecotServer> {
  const server = await DovecotServer.start(options);
  for (const user of users) await server.addUser(user.name, { password: PASSWORD, quotaBytes: user.quotaBytes });
  // Dovecot 2.3 creates its auto=subscribe special folders on first access, and two sessions opening one at the
  // same moment can make it panic on the index lock (seen in this suite: "file_dotlock_open_group ... killed with
  // signal 6"). Create them up front, so a copy's parallel scans never race on that.
  const special = (['sent', 'drafts', 'trash', 'junk', 'archive'] as const).map((use) => server.specialFolder(use));
  for (const user of users) await server.doveadm(['mailbox', 'create', '-s', '-u', user.name, ...special]).catch(() => undefined);
  return server;
}

export function endpointOf(server: DovecotServer, user: string): ImapEndpoint {
  return { host: server.host, port: server.port, security: 'starttls', user, password: PASSWORD };
}

export interface StoredMessage {
  uid: number;
  raw: Buffer;
  flags: string[];
  internalDate: string;
}

/** Any IMAP server the tests start on loopback (Dovecot, Cyrus): imapflow logs in with PASSWORD. */
export interface LoopbackServer {
  host: string;
  port: number;
}

/** Every message of a folder with its exact bytes, flags (no \Recent) and INTERNALDATE. */
export async function readFolder(server: LoopbackServer, user: string, folder: string): Promise<StoredMessage[]> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      if (!client.mailbox || client.mailbox.exists === 0) return [];
      const out: StoredMessage[] = [];
      for await (const message of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
        out.push({
          uid: message.uid,
          raw: message.source!,
          flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
          internalDate: new Date(message.internalDate!).toISOString(),
        });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Folder paths with subscription state and special-use attribute. */
export async function listFolders(server: LoopbackServer, user: string): Promise<Array<{ path: string; subscribed: boolean; specialUse?: string }>> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user, pass: PASSWORD }, logger: false });
  await client.connect();
  try {
    const folders = await client.list();
    return folders.map((folder) => ({ path: folder.path, subscribed: folder.subscribed, specialUse: folder.specialUse }));
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Comparable view of a folder: sorted raw bodies with flags and dates. */
export function fingerprint(messages: StoredMessage[]): string[] {
  return messages.map((message) => `${message.internalDate} ${message.flags.join(',')} ${createHash('sha256').update(message.raw).digest('hex').slice(0, 16)}`).sort();
}

let counter = 0;
/** A plain text message; `id: false` gives one without Message-ID. */
export function textMessage(options: { subject: string; id?: string | false; bodyBytes?: number; date?: string }): string {
  const id = options.id === false ? '' : `Message-ID: <${options.id ?? `m${++counter}.${Date.now()}`}@test.example>\r\n`;
  const body = 'x'.repeat(Math.max(0, (options.bodyBytes ?? 40) - 2)) + '\r\n';
  return `${id}From: Alice <alice@test.example>\r\nTo: Bob <bob@test.example>\r\nSubject: ${options.subject}\r\nDate: ${options.date ?? 'Mon, 01 Jan 2024 10:00:00 +0000'}\r\n\r\n${body}`;
}

export function seedMessages(count: number, prefix: string, extra: Partial<SeedMessage> = {}, bodyBytes = 200): SeedMessage[] {
  return Array.from({ length: count }, (_, index) => ({
    raw: textMessage({ subject: `${prefix} ${index}`, bodyBytes }),
    flags: index % 3 === 0 ? ['\\Seen'] : index % 3 === 1 ? ['\\Seen', '\\Flagged', 'Work'] : [],
    internalDate: new Date(Date.UTC(2023, 0, 1 + (index % 300), 12, 0, index % 60)),
    ...extra,
  }));
}
