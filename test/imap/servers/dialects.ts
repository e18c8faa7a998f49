import { imapDate, type Dialect } from './memory-imap-server.js';

/**
 * How real servers answer, for MemoryImapServer. The lines (greetings, capability lists, NAMESPACE, LIST
 * attributes, SELECT data, quota answers, tagged texts) are modelled on the transcripts these servers publish
 * in their documentation and that users post with bug reports; they were not captured from a live server here
 * (this machine has no network). Each dialect keeps the deviations the copier has to live with.
 */

/**
 * Microsoft Exchange 2016 IMAP4 (the IMAP of Hosted Exchange and E-mail Pro): no MULTIAPPEND, no CONDSTORE, no
 * SPECIAL-USE, LITERAL+; folders named in the mailbox's language; PERMANENTFLAGS without `\*` (only $MDNSent
 * among keywords), so other keywords cannot be kept; RFC822.SIZE is an estimate unless the administrator sets
 * EnableExactRFC822Size.
 */
export function exchange2016(options: { language?: 'fr' | 'en' | 'de'; estimatedSizes?: boolean; maxMessageBytes?: number } = {}): Dialect {
  const names = {
    fr: ['Éléments envoyés', 'Éléments supprimés', 'Courrier indésirable', 'Brouillons', "Boîte d'envoi", 'Calendrier', 'Contacts', 'Archive'],
    en: ['Sent Items', 'Deleted Items', 'Junk E-mail', 'Drafts', 'Outbox', 'Calendar', 'Contacts', 'Archive'],
    de: ['Gesendete Elemente', 'Gelöschte Elemente', 'Junk-E-Mail', 'Entwürfe', 'Postausgang', 'Kalender', 'Kontakte', 'Archiv'],
  }[options.language ?? 'fr'];
  const capabilities = 'IMAP4 IMAP4rev1 AUTH=NTLM AUTH=GSSAPI AUTH=PLAIN UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+';
  return {
    greeting: '* OK The Microsoft Exchange IMAP4 service is ready. [RABCADAAMQA2AFAAUgAwADEAMAAxAE0AQgA0ADIAMQAzAC4AZQB1AHIAcAByAGQAMAAxADAALgBwAHIAbwBkAC4AZQB4AGMAaABhAG4AZwBlAGwAYQBiAHMALgBjAG8AbQA=]',
    capabilities,
    loginOk: 'AUTHENTICATE completed.',
    delimiter: '/',
    namespace: '* NAMESPACE (("" "/")) NIL NIL',
    folders: [{ path: 'INBOX', attributes: ['\\Marked'] }, ...names.map((path) => ({ path }))],
    flags: '\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent',
    permanentFlags: '\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent',
    selectLines: [
      '* {exists} EXISTS',
      '* 0 RECENT',
      '* FLAGS ({flags})',
      '* OK [PERMANENTFLAGS ({permanent})] Permanent flags',
      '* OK [UIDVALIDITY {uidvalidity}] UIDVALIDITY value',
      '* OK [UIDNEXT {uidnext}] The next unique identifier value',
    ],
    // Exchange computes RFC822.SIZE from its store: close to the real size, rarely equal, and not the same
    // number from one session to the next.
    reportedSize: options.estimatedSizes === false ? undefined : (message, fetchCount) => Math.round(message.raw.length * 1.07) + 137 + (fetchCount % 5) * 11,
    listsSpecialUse: false,
    keywordRefusal: 'BAD Command Argument Error. 11',
    maxMessageBytes: options.maxMessageBytes,
    sizeRefusal: 'NO [ALERT] The message exceeds the maximum message size allowed. APPEND failed.',
    fetchOk: 'FETCH completed.',
    appendOk: (uidValidity, uids) => `[APPENDUID ${uidValidity} ${uids.join(',')}] APPEND completed.`,
    unknownCommand: 'BAD Command Error. 10',
  };
}

/**
 * Courier-IMAP 5.0: namespace `INBOX.` with `.`, GETQUOTAROOT answered for an account without a quota with
 * `* QUOTA "ROOT"` and no resource list, FLAGS written after the body in a FETCH response, INTERNALDATE with
 * the day padded by a space.
 */
export function courier(options: { quotaLine?: string } = {}): Dialect {
  const capabilities = 'IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE ACL ACL2=UNION ENABLE UTF8=ACCEPT AUTH=PLAIN';
  return {
    greeting: `* OK [CAPABILITY ${capabilities}] Courier-IMAP ready. Copyright 1998-2018 Double Precision, Inc.  See COPYING for distribution information.`,
    capabilities,
    loginOk: 'LOGIN Ok.',
    delimiter: '.',
    namespace: '* NAMESPACE (("INBOX." ".")) NIL (("#shared." ".")("shared." "."))',
    folders: [{ path: 'INBOX' }, { path: 'INBOX.Sent' }, { path: 'INBOX.Drafts' }, { path: 'INBOX.Trash' }],
    flags: '\\Draft \\Answered \\Flagged \\Deleted \\Seen \\Recent',
    permanentFlags: '\\* \\Draft \\Answered \\Flagged \\Deleted \\Seen',
    selectLines: [
      '* FLAGS ({flags})',
      '* OK [PERMANENTFLAGS ({permanent})] Limited',
      '* {exists} EXISTS',
      '* 0 RECENT',
      '* OK [UIDVALIDITY {uidvalidity}] Ok',
      '* OK [MYRIGHTS "acdilrsw"] ACL',
    ],
    internalDate: (date) => imapDate(date, ' '),
    // FLAGS go last, after the body literal.
    order: (items) => [...items.filter((item) => item.toUpperCase() !== 'FLAGS'), ...items.filter((item) => item.toUpperCase() === 'FLAGS')],
    quota: ['* QUOTAROOT "INBOX" "ROOT"', options.quotaLine ?? '* QUOTA "ROOT"'],
    listsSpecialUse: false,
    fetchOk: 'FETCH completed.',
    appendOk: (uidValidity, uids) => `[APPENDUID ${uidValidity} ${uids.join(',')}] APPEND Ok.`,
  };
}

/**
 * Gmail: XLIST and SPECIAL-USE, LITERAL- (non-synchronising literals up to 4096 bytes only), no MULTIAPPEND,
 * the `[Gmail]` \Noselect parent, and virtual folders: \All (every message of the account, again) and
 * \Flagged (starred ones), \Important, which are views of mail held in other folders.
 */
export function gmail(options: { appendLimit?: number } = {}): Dialect {
  const appendLimit = options.appendLimit ?? 35651584;
  const capabilities = `IMAP4rev1 UNSELECT IDLE NAMESPACE QUOTA ID XLIST CHILDREN X-GM-EXT-1 UIDPLUS COMPRESS=DEFLATE ENABLE MOVE CONDSTORE ESEARCH UTF8=ACCEPT LIST-EXTENDED LIST-STATUS LITERAL- SPECIAL-USE APPENDLIMIT=${appendLimit}`;
  return {
    greeting: '* OK Gimap ready for requests from 192.0.2.7 a1mb123456789abc',
    capabilities,
    loginOk: `[CAPABILITY ${capabilities}] user@gmail.example authenticated (Success)`,
    delimiter: '/',
    namespace: '* NAMESPACE (("" "/")) NIL NIL',
    folders: [
      { path: 'INBOX' },
      { path: '[Gmail]', attributes: ['\\Noselect'] },
      { path: '[Gmail]/All Mail', attributes: ['\\All'] },
      { path: '[Gmail]/Drafts', attributes: ['\\Drafts'] },
      { path: '[Gmail]/Important', attributes: ['\\Important'] },
      { path: '[Gmail]/Sent Mail', attributes: ['\\Sent'] },
      { path: '[Gmail]/Spam', attributes: ['\\Junk'] },
      { path: '[Gmail]/Starred', attributes: ['\\Flagged'] },
      { path: '[Gmail]/Trash', attributes: ['\\Trash'] },
    ],
    flags: '\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing',
    permanentFlags: '\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing \\*',
    selectLines: [
      '* FLAGS ({flags})',
      '* OK [PERMANENTFLAGS ({permanent})] Flags permitted.',
      '* OK [UIDVALIDITY {uidvalidity}] UIDs valid.',
      '* {exists} EXISTS',
      '* 0 RECENT',
      '* OK [UIDNEXT {uidnext}] Predicted next UID.',
      '* OK [HIGHESTMODSEQ 1234567] ',
    ],
    quota: ['* QUOTAROOT "INBOX" ""', '* QUOTA "" (STORAGE 434 15728640)'],
    listsSpecialUse: true,
    maxMessageBytes: appendLimit,
    sizeRefusal: 'NO [TOOBIG] Message too large. https://support.google.com/mail/answer/6584#limit (Failure)',
    fetchOk: 'Success',
    appendOk: (uidValidity, uids) => `[APPENDUID ${uidValidity} ${uids.join(',')}] (Success)`,
    unknownCommand: 'BAD Unknown command',
  };
}

/** A plain RFC 3501 server (no extension but LITERAL+, UIDPLUS and NAMESPACE), for tests about the copier itself. */
export function plain(): Dialect {
  const capabilities = 'IMAP4rev1 LITERAL+ UIDPLUS NAMESPACE AUTH=PLAIN';
  return {
    capabilities,
    delimiter: '/',
    namespace: '* NAMESPACE (("" "/")) NIL NIL',
    folders: [{ path: 'INBOX' }],
    flags: '\\Seen \\Answered \\Flagged \\Deleted \\Draft',
    permanentFlags: '\\Seen \\Answered \\Flagged \\Deleted \\Draft \\*',
    listsSpecialUse: true,
  };
}
