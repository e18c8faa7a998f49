import { flagList, formatInternalDate } from '../wire/imap-syntax.js';
import type { AppendItem } from './append-session.js';
import { AWAIT_CONTINUATION, type CommandSegment } from '../wire/imap-wire-connection.js';

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
