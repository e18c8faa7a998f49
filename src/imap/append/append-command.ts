import { encodeMailboxName } from '../utf7.js';
import type { AppendItem } from './append-session.js';
import { AWAIT_CONTINUATION, type CommandSegment } from './imap-wire-connection.js';

/** Whether a literal of this many bytes may be sent without waiting for the server's `+` (RFC 7888). */
export type LiteralPolicy = (size: number) => boolean;

export const LITERAL_POLICIES = {
  /** LITERAL+: every literal non-synchronising. */
  plus: (() => true) as LiteralPolicy,
  /** LITERAL-: non-synchronising up to 4096 bytes. */
  minus: ((size: number) => size <= 4096) as LiteralPolicy,
  /** Neither: wait for `+` before every literal. */
  synchronising: (() => false) as LiteralPolicy,
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const SYSTEM_FLAGS = new Map(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'].map((flag) => [flag.toLowerCase(), flag]));
/** atom-char: any CHAR except atom-specials ( ) { SP CTL % * " \ ] (RFC 3501 section 9). */
const KEYWORD = /^[\x21\x23\x24\x26-\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e]+$/;

/** `"dd-Mon-yyyy hh:mm:ss +0000"` in UTC: the instant is exact, the sender's zone is not known here. */
export function formatInternalDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `"${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${String(date.getUTCFullYear()).padStart(4, '0')} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000"`
  );
}

/** The mailbox as an IMAP astring on the wire: modified UTF-7, quoted and escaped. */
export function mailboxArgument(name: string): string {
  if (/[\r\n\0]/.test(name)) throw new TypeError(`mailbox name ${JSON.stringify(name)} contains a line break or NUL`);
  const wire = encodeMailboxName(name);
  return `"${wire.replace(/(["\\])/g, '\\$1')}"`;
}

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

/** Why an item cannot go on the wire at all, or undefined when it can. */
export function itemProblem(item: AppendItem): string | undefined {
  const flags = flagList(item.flags);
  if ('invalid' in flags) return `flag ${JSON.stringify(flags.invalid)} is not a valid IMAP keyword`;
  if (!(item.internalDate instanceof Date) || Number.isNaN(item.internalDate.getTime())) return 'invalid INTERNALDATE';
  return undefined;
}

/**
 * `APPEND mailbox (flags) "date" {n}` followed by the message, repeated for each item (MULTIAPPEND, RFC 3502,
 * when there is more than one), each literal synchronising or not as the policy says. Items must have passed
 * itemProblem().
 */
export function appendCommand(mailbox: string, items: readonly AppendItem[], nonSynchronising: LiteralPolicy): CommandSegment[] {
  const segments: CommandSegment[] = [];
  let prefix = `APPEND ${mailbox}`;
  for (const item of items) {
    const flags = flagList(item.flags) as { list: string };
    const size = item.raw.length;
    const plus = nonSynchronising(size);
    segments.push(Buffer.from(`${prefix} ${flags.list} ${formatInternalDate(item.internalDate)} {${size}${plus ? '+' : ''}}\r\n`, 'latin1'));
    if (!plus) segments.push(AWAIT_CONTINUATION);
    segments.push(item.raw);
    prefix = '';
  }
  segments.push(Buffer.from('\r\n', 'latin1'));
  return segments;
}
