import { parseInternalDate } from '../wire/imap-syntax.js';
import { CLOSE, ResponseCursor, SPACE } from '../wire/response-cursor.js';

/** The message data items of one `* n FETCH (...)` response that the copier asks for. */
export interface FetchedMessage {
  sequence: number;
  uid?: number;
  flags?: string[];
  /** RFC822.SIZE. */
  size?: number;
  internalDate?: Date;
  /** An INTERNALDATE the server sent in a form that does not parse (then `internalDate` is undefined). */
  internalDateText?: string;
  /** `BODY[]` (the whole message); a view into the response buffer, not a copy. */
  body?: Buffer;
  /** `BODY[HEADER.FIELDS (...)]`; a view into the response buffer. */
  headerFields?: Buffer;
}

const FETCH_PREFIX = /^\* (\d+) FETCH \(/i;

/**
 * Parses `* n FETCH (UID 7 FLAGS (\Seen) RFC822.SIZE 9 INTERNALDATE "..." BODY[] {9}\r\n...)` straight from the
 * received bytes: literals become views into `raw`, nothing is decoded that is not asked for. Data items the
 * copier does not use (ENVELOPE, MODSEQ...) are skipped whatever their shape. Returns undefined when `raw` is
 * not a FETCH response; throws ImapSyntaxError when it is one that does not parse.
 *
 * Liberal where real servers deviate: items in any order (Courier writes FLAGS after the body), NIL or a quoted
 * number where a number or a string belongs, extra spaces, a missing final parenthesis, and an INTERNALDATE that
 * does not parse (left undefined, `internalDateText` keeps it: the copier then falls back to the Date header).
 */
export function parseFetchResponse(raw: Buffer): FetchedMessage | undefined {
  const head = FETCH_PREFIX.exec(raw.toString('latin1', 0, Math.min(raw.length, 32)));
  if (!head) return undefined;
  const cursor = new ResponseCursor(raw, head[0].length);
  const message: FetchedMessage = { sequence: Number(head[1]) };
  cursor.skipSpaces();
  while (!cursor.atEnd && !cursor.at(CLOSE)) {
    const name = cursor.itemName();
    cursor.expect(SPACE);
    cursor.skipSpaces();
    switch (name) {
      case 'UID':
        message.uid = cursor.number();
        break;
      case 'RFC822.SIZE':
        message.size = cursor.numberOrNil();
        break;
      case 'FLAGS':
        message.flags = cursor.atomListOrNil().filter((flag) => flag.toLowerCase() !== '\\recent');
        break;
      case 'INTERNALDATE': {
        const text = cursor.nstring()?.toString('latin1');
        message.internalDate = text === undefined ? undefined : parseInternalDate(text);
        if (text !== undefined && !message.internalDate) message.internalDateText = text;
        break;
      }
      case 'BODY[]':
      case 'RFC822':
        message.body = cursor.nstring() ?? Buffer.alloc(0);
        break;
      default:
        if (name.startsWith('BODY[HEADER.FIELDS')) message.headerFields = cursor.nstring() ?? Buffer.alloc(0);
        else cursor.skipValue();
    }
    cursor.skipSpaces();
  }
  return message;
}

