import { decodeMailboxName } from '../utf7.js';
import { ResponseCursor, SPACE } from '../wire/response-cursor.js';

/** One `* LIST` (or `* XLIST`, `* LSUB`) response. */
export interface ListedMailbox {
  /** Unicode name (decoded from modified UTF-7); `INBOX` in any case becomes `INBOX`. */
  path: string;
  /** As the server sent it, to match STATUS and LSUB responses. */
  wireName: string;
  attributes: string[];
  delimiter?: string;
}

export interface Namespace {
  prefix: string;
  delimiter?: string;
}

export interface StorageQuota {
  /** Bytes. */
  usage: number;
  limit: number;
}

function cursorAfter(raw: Buffer, pattern: RegExp): ResponseCursor | undefined {
  const head = pattern.exec(raw.toString('latin1', 0, Math.min(raw.length, 24)));
  return head ? new ResponseCursor(raw, head[0].length) : undefined;
}

/** `* LIST (\HasNoChildren \Sent) "." "INBOX.Sent"`; also XLIST and LSUB. Undefined for other responses. */
export function parseListResponse(raw: Buffer): ListedMailbox | undefined {
  const cursor = cursorAfter(raw, /^\* (?:X?LIST|LSUB) /i);
  if (!cursor) return undefined;
  const attributes = cursor.atomList();
  cursor.expect(SPACE);
  const delimiter = cursor.nstring()?.toString('latin1');
  cursor.expect(SPACE);
  const wireName = cursor.astring().toString('utf8');
  const decoded = decodeMailboxName(wireName);
  return { path: decoded.toUpperCase() === 'INBOX' ? 'INBOX' : decoded, wireName, attributes, ...(delimiter ? { delimiter } : {}) };
}

/** `* STATUS "INBOX.Sent" (MESSAGES 3 UIDNEXT 9 ...)`: the wire name and the numbers it gives. */
export function parseStatusResponse(raw: Buffer): { wireName: string; messages?: number; uidNext?: number; uidValidity?: number; highestModseq?: string } | undefined {
  const cursor = cursorAfter(raw, /^\* STATUS /i);
  if (!cursor) return undefined;
  const wireName = cursor.astring().toString('utf8');
  cursor.skipSpaces();
  const items = cursor.atomList();
  const value = (name: string) => {
    const at = items.findIndex((item) => item.toUpperCase() === name);
    return at >= 0 && /^\d+$/.test(items[at + 1] ?? '') ? items[at + 1]! : undefined;
  };
  const number = (name: string) => {
    const text = value(name);
    return text !== undefined ? Number(text) : undefined;
  };
  const [messages, uidNext, uidValidity, highestModseq] = [number('MESSAGES'), number('UIDNEXT'), number('UIDVALIDITY'), value('HIGHESTMODSEQ')];
  return {
    wireName,
    ...(messages !== undefined ? { messages } : {}),
    ...(uidNext !== undefined ? { uidNext } : {}),
    ...(uidValidity !== undefined ? { uidValidity } : {}),
    ...(highestModseq !== undefined ? { highestModseq } : {}),
  };
}

/** The first personal namespace of `* NAMESPACE (("INBOX." ".")) NIL NIL`, or undefined when there is none. */
export function parseNamespaceResponse(raw: Buffer): Namespace | undefined {
  const cursor = cursorAfter(raw, /^\* NAMESPACE /i);
  if (!cursor || !cursor.at(0x28 /* ( */)) return undefined;
  cursor.expect(0x28);
  cursor.skipSpaces();
  cursor.expect(0x28);
  // NIL where the prefix string belongs: no prefix.
  const prefix = decodeMailboxName((cursor.nstringOrAtom() ?? Buffer.alloc(0)).toString('utf8'));
  cursor.expect(SPACE);
  const delimiter = cursor.nstring()?.toString('latin1');
  return { prefix, ...(delimiter ? { delimiter } : {}) };
}

/**
 * `* QUOTA "User quota" (STORAGE 10 512 MESSAGE 3 1000)`: STORAGE in bytes (the server counts KiB). Undefined
 * when there is no storage limit: no STORAGE resource, an empty list (`* QUOTA "ROOT" ()`, Cyrus), or no list at
 * all (`* QUOTA "ROOT"`, Courier for an account without a quota).
 */
export function parseQuotaResponse(raw: Buffer): StorageQuota | undefined {
  const cursor = cursorAfter(raw, /^\* QUOTA /i);
  if (!cursor) return undefined;
  cursor.nstringOrAtom();
  cursor.skipSpaces();
  if (cursor.atEnd || !cursor.at(0x28 /* ( */)) return undefined;
  const items = cursor.atomList();
  const at = items.findIndex((item) => item.toUpperCase() === 'STORAGE');
  if (at < 0) return undefined;
  const usage = Number(items[at + 1]);
  const limit = Number(items[at + 2]);
  if (!Number.isFinite(usage) || !Number.isFinite(limit)) return undefined;
  return { usage: usage * 1024, limit: limit * 1024 };
}
