import { describe, expect, it } from 'vitest';
import { parseListResponse, parseNamespaceResponse, parseQuotaResponse, parseStatusResponse } from '../../../src/imap/listing/list-responses.js';
import { specialUseFromName } from '../../../src/imap/listing/special-use-names.js';

const raw = (text: string) => Buffer.from(text, 'latin1');

describe('LIST, STATUS, NAMESPACE and QUOTA responses', () => {
  it('reads attributes, delimiter and a modified UTF-7 name, quoted, atom or literal', () => {
    expect(parseListResponse(raw('* LIST (\\HasNoChildren \\Sent) "." "INBOX.&AMk-l&AOk-ments envoy&AOk-s"'))).toEqual({
      path: 'INBOX.Éléments envoyés',
      wireName: 'INBOX.&AMk-l&AOk-ments envoy&AOk-s',
      attributes: ['\\HasNoChildren', '\\Sent'],
      delimiter: '.',
    });
    expect(parseListResponse(raw('* LIST () "/" inbox'))).toMatchObject({ path: 'INBOX', delimiter: '/' });
    expect(parseListResponse(raw('* LSUB (\\Noselect) NIL {9}\r\nA "b" \\ c'))).toMatchObject({ path: 'A "b" \\ c', attributes: ['\\Noselect'] });
    expect(parseListResponse(raw('* XLIST (\\Spam) "/" "[Gmail]/Spam"'))).toMatchObject({ path: '[Gmail]/Spam', attributes: ['\\Spam'] });
    expect(parseListResponse(raw('* LIST (\\Subscribed) "/" "Projets" ("CHILDINFO" ("SUBSCRIBED"))'))).toMatchObject({ path: 'Projets' });
    expect(parseListResponse(raw('* 3 EXISTS'))).toBeUndefined();
  });

  it('reads STATUS counts, the personal namespace and the storage quota in bytes', () => {
    expect(parseStatusResponse(raw('* STATUS "INBOX.Sent" (MESSAGES 12 UIDNEXT 40)'))).toEqual({ wireName: 'INBOX.Sent', messages: 12 });
    expect(parseStatusResponse(raw('* STATUS INBOX (UIDNEXT 40)'))).toEqual({ wireName: 'INBOX' });
    expect(parseNamespaceResponse(raw('* NAMESPACE (("INBOX." ".")) NIL NIL'))).toEqual({ prefix: 'INBOX.', delimiter: '.' });
    expect(parseNamespaceResponse(raw('* NAMESPACE (("" "/")("#mh/" "/")) (("~" "/")) NIL'))).toEqual({ prefix: '', delimiter: '/' });
    expect(parseNamespaceResponse(raw('* NAMESPACE NIL NIL (("#shared." "."))'))).toBeUndefined();
    expect(parseQuotaResponse(raw('* QUOTA "User quota" (STORAGE 10 512 MESSAGE 3 1000)'))).toEqual({ usage: 10 * 1024, limit: 512 * 1024 });
    expect(parseQuotaResponse(raw('* QUOTA "" (MESSAGE 3 1000)'))).toBeUndefined();
    expect(parseQuotaResponse(raw('* QUOTAROOT INBOX "User quota"'))).toBeUndefined();
  });
});

describe('special use from a folder name (servers without SPECIAL-USE)', () => {
  it('knows the names of the platforms our users come from, at the top level or right below INBOX', () => {
    expect(specialUseFromName('Éléments envoyés', '', '/')).toBe('\\Sent');
    expect(specialUseFromName('INBOX.Courrier indésirable', 'INBOX.', '.')).toBe('\\Junk');
    expect(specialUseFromName('INBOX/Deleted Items', '', '/')).toBe('\\Trash');
    expect(specialUseFromName('Gelöschte Elemente', '', '/')).toBe('\\Trash');
    expect(specialUseFromName('Brouillons', '', '/')).toBe('\\Drafts');
    expect(specialUseFromName('ARCHIVES', '', '/')).toBe('\\Archive');
  });

  it('leaves nested folders and other names alone', () => {
    expect(specialUseFromName('Projets/Sent', '', '/')).toBeUndefined();
    expect(specialUseFromName('INBOX.Clients.Trash', 'INBOX.', '.')).toBeUndefined();
    expect(specialUseFromName('Sent by Bob', '', '/')).toBeUndefined();
  });
});
