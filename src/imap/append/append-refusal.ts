import { codeName, type ImapResponse } from '../wire/imap-response.js';

/** What a refused APPEND means for the messages it carried. */
export interface AppendRefusal {
  /** `OVERQUOTA`, `TOOBIG`, `TRYCREATE`, ... or `BAD` / `NO` when the server gave no code. */
  code: string;
  /** For reports: starts with "over quota:" / "too big:" / ... then the server's own text. */
  reason: string;
  /** Retrying the same message will not help. */
  permanent: boolean;
  /**
   * `message`: something in the messages (size, syntax, quota): a refused batch is split to find which.
   * `command`: the whole command fails the same way whatever it carries (missing mailbox, no permission,
   * server trouble): every message gets this refusal, no splitting.
   */
  scope: 'message' | 'command';
}

const COMMAND_WIDE: Record<string, { label: string; permanent: boolean }> = {
  TRYCREATE: { label: 'mailbox does not exist', permanent: false },
  NONEXISTENT: { label: 'mailbox does not exist', permanent: false },
  NOPERM: { label: 'no permission to append to this mailbox', permanent: true },
  UNAVAILABLE: { label: 'temporarily unavailable', permanent: false },
  INUSE: { label: 'mailbox in use', permanent: false },
  SERVERBUG: { label: 'server error', permanent: false },
  CONTACTADMIN: { label: 'refused by the server', permanent: true },
};

export function classifyRefusal(response: ImapResponse): AppendRefusal {
  const name = codeName(response.code);
  const text = `${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}`.trim();
  const commandWide = name ? COMMAND_WIDE[name] : undefined;
  if (commandWide) return { code: name!, reason: `${commandWide.label}: ${text}`, permanent: commandWide.permanent, scope: 'command' };
  // Dovecot says "Quota exceeded" with [OVERQUOTA]; others only in the text.
  if (name === 'OVERQUOTA' || /quota/i.test(response.text)) {
    return { code: 'OVERQUOTA', reason: `over quota: ${text}`, permanent: true, scope: 'message' };
  }
  if (name === 'TOOBIG' || name === 'LIMIT' || /too (big|large)|larger than|maximum (mail |message )?size|size limit/i.test(response.text)) {
    return { code: 'TOOBIG', reason: `too big: ${text}`, permanent: true, scope: 'message' };
  }
  if (/try again|temporar/i.test(response.text)) {
    return { code: name ?? response.status ?? 'NO', reason: `temporarily refused: ${text}`, permanent: false, scope: 'command' };
  }
  return { code: name ?? response.status ?? 'NO', reason: `refused: ${text}`, permanent: true, scope: 'message' };
}
