import { encodeMailboxName } from '../utf7.js';
import { InvalidMailboxName } from './imap-errors.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `"dd-Mon-yyyy hh:mm:ss +0000"` in UTC: the instant is exact, the sender's zone is not known here. */
export function formatInternalDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `"${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${String(date.getUTCFullYear()).padStart(4, '0')} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`
  );
}

const DATE_TIME = /^\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s*([+-])(\d{2})(\d{2}))?\s*$/;

/**
 * An INTERNALDATE as the server sends it (`17-Jul-1996 02:44:25 -0700`, without quotes), or undefined. Liberal:
 * the day padded with a space (` 7-Jul-1996`, RFC 3501's own form) or not at all, extra spaces, a one-digit hour,
 * no zone (read as UTC).
 */
export function parseInternalDate(text: string): Date | undefined {
  const match = DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, day, monthName, year, hours, minutes, seconds, sign, zoneHours, zoneMinutes] = match;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === monthName!.toLowerCase());
  if (month < 0) return undefined;
  const local = Date.UTC(Number(year), month, Number(day), Number(hours), Number(minutes), Number(seconds));
  const offsetMinutes = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
  return new Date(local - offsetMinutes * 60_000);
}

/** The mailbox as an IMAP astring on the wire: modified UTF-7, quoted and escaped. */
export function mailboxArgument(name: string): string {
  if (/[\r\n\0]/.test(name)) throw new InvalidMailboxName(`mailbox name ${JSON.stringify(name)} contains a line break or NUL`);
  const wire = encodeMailboxName(name);
  return `"${wire.replace(/(["\\])/g, '\\$1')}"`;
}

const SYSTEM_FLAGS = new Map(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'].map((flag) => [flag.toLowerCase(), flag]));
/** atom-char: any CHAR except atom-specials ( ) { SP CTL % * " \ ] (RFC 3501 section 9). */
const KEYWORD = /^[\x21\x23\x24\x26-\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e]+$/;

/**
 * The flag list for one message, or a reason it cannot be sent. System flags are normalised; `\Recent` is
 * dropped (a client cannot set it); a keyword that is not an IMAP atom would make the server reject the command.
 */
export function flagList(flags: readonly string[]): { list: string } | { invalid: string } {
  const out: string[] = [];
  for (const flag of flags) {
    if (flag.toLowerCase() === '\\recent') continue;
    const system = SYSTEM_FLAGS.get(flag.toLowerCase());
    if (system) out.push(system);
    else if (flag.startsWith('\\') ? KEYWORD.test(flag.slice(1)) : KEYWORD.test(flag)) out.push(flag);
    else return { invalid: flag };
  }
  return { list: `(${[...new Set(out)].join(' ')})` };
}
