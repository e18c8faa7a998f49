import { ImapFlow } from 'imapflow';
import type { DovecotServer } from '../../../src/sandbox/dovecot.js';
import type { ImapEndpoint } from '../../../src/imap/endpoint.js';
import type { AppendItem } from '../../../src/imap/append/append-session.js';

export function endpointOf(server: DovecotServer, user: string, password: string, extra: Partial<ImapEndpoint> = {}): ImapEndpoint {
  return { host: server.host, port: server.port, security: 'plain', user, password, ...extra };
}

export interface Landed {
  uid: number;
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

/** Everything in a mailbox, fetched back with imapflow (independent of the code under test). */
export async function fetchAll(server: DovecotServer, user: string, password: string, mailbox: string): Promise<Landed[]> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
  await client.connect();
  try {
    const lock = await client.getMailboxLock(mailbox);
    try {
      const out: Landed[] = [];
      if ((client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0) === 0) return out;
      for await (const message of client.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
        out.push({
          uid: message.uid,
          raw: message.source!,
          flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
          internalDate: new Date(message.internalDate as Date),
        });
      }
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await client.logout().catch(() => undefined);
  }
}

/** A small RFC 5322 message whose body names it, so landed copies can be matched back. */
export function message(id: string, bodyBytes = 200, extraHeaders = ''): Buffer {
  const head = `From: a@example.org\r\nTo: b@example.org\r\nSubject: message ${id}\r\nMessage-ID: <${id}@test>\r\n${extraHeaders}\r\n`;
  const line = `body of ${id} `;
  let body = '';
  while (body.length < bodyBytes) body += line.repeat(5).trimEnd() + '\r\n';
  return Buffer.from(head + body.slice(0, Math.max(bodyBytes, 2) - 2) + '\r\n', 'utf8');
}

export function item(id: string, options: Partial<AppendItem> & { bodyBytes?: number } = {}): AppendItem {
  return {
    raw: options.raw ?? message(id, options.bodyBytes),
    flags: options.flags ?? [],
    internalDate: options.internalDate ?? new Date('2021-03-04T05:06:07Z'),
  };
}
