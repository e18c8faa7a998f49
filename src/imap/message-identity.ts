import { createHash } from 'node:crypto';

/** Header fields fetched to identify a message (BODY.PEEK[HEADER.FIELDS (...)]). */
export const IDENTITY_HEADERS = ['message-id', 'date', 'from', 'to', 'cc', 'subject', 'in-reply-to'] as const;

/** Parses a raw header block into lower-cased field names -> first unfolded value. */
export function parseHeaderFields(raw: Buffer | string): Map<string, string> {
  const text = typeof raw === 'string' ? raw : raw.toString('latin1');
  const unfolded = text.replace(/\r?\n[ \t]+/g, ' ');
  const fields = new Map<string, string>();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!fields.has(name)) fields.set(name, line.slice(colon + 1).trim());
  }
  return fields;
}

/** `<Abc@Example.COM>` with any folding, comments or spacing -> `abc@example.com`; undefined when empty. */
export function normaliseMessageId(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bracketed = /<([^<>]*)>/.exec(value);
  const core = (bracketed ? bracketed[1] : value).replace(/\s+/g, '').toLowerCase();
  return core.length > 0 ? core : undefined;
}

/**
 * A message's identity across servers: its Message-ID when it has one, otherwise a hash of its stable header
 * fields (Date, From, To, Cc, Subject, In-Reply-To; drafts often have no Message-ID). Only bytes we read
 * ourselves go in, never a size the server reports: Exchange's RFC822.SIZE is an estimate that differs from the
 * copy's (and from one session to the next), so a hashed size made such messages never match their copy and be
 * appended again on every run. Identities are compared as multisets: two identical messages count twice.
 */
export function messageIdentity(headers: Buffer | string): string {
  const fields = parseHeaderFields(headers);
  const messageId = normaliseMessageId(fields.get('message-id'));
  if (messageId) return detached(`mid:${messageId}`);
  const hash = createHash('sha256');
  for (const name of IDENTITY_HEADERS) {
    if (name === 'message-id') continue;
    hash.update(`${name}:${(fields.get(name) ?? '').replace(/\s+/g, ' ')}\n`);
  }
  return `hash:${hash.digest('base64url').slice(0, 32)}`;
}

/**
 * A copy of `text` that shares no memory with the string it was cut from. A Message-ID sliced out of a header
 * block otherwise keeps the whole block alive (V8 sliced/cons strings) for as long as the scan holds the
 * identity: several KiB per message when the block is a full message header.
 */
function detached(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

/** The header block of a raw message (up to the blank line), so identities can be computed from full bodies. */
export function headerBlock(raw: Buffer): Buffer {
  const crlf = raw.indexOf('\r\n\r\n');
  if (crlf >= 0) return raw.subarray(0, crlf + 2);
  const lf = raw.indexOf('\n\n');
  return lf >= 0 ? raw.subarray(0, lf + 1) : raw;
}
