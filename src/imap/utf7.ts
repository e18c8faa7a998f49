import iconv from 'iconv-lite';

/** Mailbox name (Unicode) -> IMAP modified UTF-7 (RFC 3501 section 5.1.3), as sent on the wire without UTF8=ACCEPT. */
export function encodeMailboxName(name: string): string {
  return iconv.encode(name, 'utf-7-imap').toString('latin1');
}

/** IMAP modified UTF-7 -> Unicode. */
export function decodeMailboxName(wire: string): string {
  return iconv.decode(Buffer.from(wire, 'latin1'), 'utf-7-imap');
}
