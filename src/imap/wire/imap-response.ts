/** The parts of an IMAP response this module acts on: who it is for, its status, its response code, its text. */
export interface ImapResponse {
  kind: 'tagged' | 'untagged' | 'continuation';
  /** For tagged responses. */
  tag?: string;
  /** OK, NO, BAD, BYE, PREAUTH for status responses; otherwise the first word (e.g. CAPABILITY, EXISTS's number). */
  status?: string;
  /** The response code inside `[...]`, e.g. `APPENDUID 1700000000 4:8`, `OVERQUOTA`, `ALERT`. */
  code?: string;
  /** Human-readable text after the status and code (or the whole first line for other responses). */
  text: string;
}

const STATUS_WORDS = new Set(['OK', 'NO', 'BAD', 'BYE', 'PREAUTH']);

export function parseResponse(raw: Buffer): ImapResponse {
  // Only the first line is text: what follows a literal announcement (a message body) is not decoded.
  const firstLineEnd = raw.indexOf('\r\n', 0, 'latin1');
  const line = raw.toString('utf8', 0, firstLineEnd < 0 ? raw.length : firstLineEnd);
  if (line.startsWith('+')) return { kind: 'continuation', text: line.slice(1).trimStart() };
  const firstSpace = line.indexOf(' ');
  const head = firstSpace < 0 ? line : line.slice(0, firstSpace);
  const rest = firstSpace < 0 ? '' : line.slice(firstSpace + 1);
  const kind = head === '*' ? 'untagged' : 'tagged';
  const secondSpace = rest.indexOf(' ');
  const word = (secondSpace < 0 ? rest : rest.slice(0, secondSpace)).toUpperCase();
  const response: ImapResponse = { kind, text: rest };
  if (kind === 'tagged') response.tag = head;
  if (!STATUS_WORDS.has(word)) {
    response.status = word;
    return response;
  }
  response.status = word;
  let text = secondSpace < 0 ? '' : rest.slice(secondSpace + 1);
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close > 0) {
      response.code = text.slice(1, close);
      text = text.slice(close + 1).trimStart();
    }
  }
  response.text = text;
  return response;
}

/** The first word of a response code, upper-cased: `APPENDUID`, `OVERQUOTA`, `CAPABILITY`... */
export function codeName(code: string | undefined): string | undefined {
  if (!code) return undefined;
  const space = code.indexOf(' ');
  return (space < 0 ? code : code.slice(0, space)).toUpperCase();
}

/** Capabilities from a `[CAPABILITY ...]` code or a `* CAPABILITY ...` line, upper-cased. */
export function parseCapabilities(list: string): Set<string> {
  return new Set(
    list
      .trim()
      .split(/\s+/)
      .filter((word) => word && word.toUpperCase() !== 'CAPABILITY')
      .map((word) => word.toUpperCase()),
  );
}

/**
 * UIDs from `APPENDUID uidvalidity uid-set` (RFC 4315), in the order of the appended messages; undefined when
 * the code is absent or does not account for exactly `count` messages.
 */
export function parseAppendUids(code: string | undefined, count: number): number[] | undefined {
  if (codeName(code) !== 'APPENDUID') return undefined;
  const parts = code!.trim().split(/\s+/);
  const set = parts[2];
  if (!set) return undefined;
  const uids: number[] = [];
  for (const element of set.split(',')) {
    const match = /^(\d+)(?::(\d+))?$/.exec(element);
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    const step = to >= from ? 1 : -1;
    for (let uid = from; ; uid += step) {
      uids.push(uid);
      if (uids.length > count) return undefined;
      if (uid === to) break;
    }
  }
  return uids.length === count ? uids : undefined;
}

/** `SELECT`, `UID FETCH`, `LOGIN`: a command's verb, without arguments (UIDs by the thousand, credentials). */
export function commandVerb(line: string): string {
  const [first = '', second] = line.trimStart().split(/[ \r\n]/, 2);
  return first.toUpperCase() === 'UID' && second ? `UID ${second.toUpperCase()}` : first.toUpperCase();
}
