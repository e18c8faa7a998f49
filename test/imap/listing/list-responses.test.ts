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
    expect(parseStatusResponse(raw('* STATUS "INBOX.Sent" (MESSAGES 12 UIDNEXT 40)'))).toEqual({ wireName: 'INBOX.Sent', messages: 12, uidNext: 40 });
    expect(parseStatusResponse(raw('* STATUS INBOX (UIDNEXT 40)'))).toEqual({ wireName: 'INBOX', uidNext: 40 });
    expect(parseStatusResponse(raw('* STATUS INBOX (MESSAGES NIL)'))).toEqual({ wireName: 'INBOX' });
    expect(parseNamespaceResponse(raw('* NAMESPACE (("INBOX." ".")) NIL NIL'))).toEqual({ prefix: 'INBOX.', delimiter: '.' });
    expect(parseNamespaceResponse(raw('* NAMESPACE (("" "/")("#mh/" "/")) (("~" "/")) NIL'))).toEqual({ prefix: '', delimiter: '/' });
    expect(parseNamespaceResponse(raw('* NAMESPACE NIL NIL (("#shared." "."))'))).toBeUndefined();
    expect(parseQuotaResponse(raw('* QUOTA "User quota" (STORAGE 10 512 MESSAGE 3 1000)'))).toEqual({ usage: 10 * 1024, limit: 512 * 1024 });
    expect(parseQuotaResponse(raw('* QUOTA "" (MESSAGE 3 1000)'))).toBeUndefined();
    expect(parseQuotaResponse(raw('* QUOTAROOT INBOX "User quota"'))).toBeUndefined();
  });

  it('reads "no limit" in every form servers use for it, and NIL where a prefix string belongs', () => {
    // Courier for an account without a quota: no resource list at all.
    expect(parseQuotaResponse(raw('* QUOTA "ROOT"'))).toBeUndefined();
    expect(parseQuotaResponse(raw('* QUOTA "ROOT" ()'))).toBeUndefined();
    // Cyrus for a user without a quota.
    expect(parseQuotaResponse(raw('* QUOTA INBOX ()'))).toBeUndefined();
    expect(parseQuotaResponse(raw('* QUOTA NIL (STORAGE 1 2)'))).toEqual({ usage: 1024, limit: 2048 });
    expect(parseQuotaResponse(raw('* QUOTA "" (STORAGE 434 15728640)'))).toEqual({ usage: 434 * 1024, limit: 15728640 * 1024 });
    expect(parseNamespaceResponse(raw('* NAMESPACE ((NIL "/")) NIL NIL'))).toEqual({ prefix: '', delimiter: '/' });
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

  it("covers Exchange's own names in French, English, German, Spanish, Italian, Dutch, Polish and Portuguese, outbox included", () => {
    // What Exchange (Outlook Web App) names the folders of a mailbox in each language.
    const exchange: Record<string, [string, string, string, string, string]> = {
      fr: ['Éléments envoyés', 'Éléments supprimés', 'Courrier indésirable', 'Brouillons', "Boîte d'envoi"],
      en: ['Sent Items', 'Deleted Items', 'Junk E-mail', 'Drafts', 'Outbox'],
      de: ['Gesendete Elemente', 'Gelöschte Elemente', 'Junk-E-Mail', 'Entwürfe', 'Postausgang'],
      es: ['Elementos enviados', 'Elementos eliminados', 'Correo no deseado', 'Borradores', 'Bandeja de salida'],
      it: ['Posta inviata', 'Posta eliminata', 'Posta indesiderata', 'Bozze', 'Posta in uscita'],
      nl: ['Verzonden items', 'Verwijderde items', 'Ongewenste e-mail', 'Concepten', 'Postvak UIT'],
      pl: ['Elementy wysłane', 'Elementy usunięte', 'Wiadomości-śmieci', 'Wersje robocze', 'Skrzynka nadawcza'],
      pt: ['Itens Enviados', 'Itens Excluídos', 'Lixo Eletrônico', 'Rascunhos', 'Caixa de Saída'],
      'pt-PT': ['Itens Enviados', 'Itens Eliminados', 'Email de Lixo', 'Rascunhos', 'A Enviar'],
    };
    for (const [language, [sent, trash, junk, drafts, outbox]] of Object.entries(exchange)) {
      const uses = [sent, trash, junk, drafts, outbox].map((name) => specialUseFromName(name, '', '/'));
      expect({ language, uses }).toEqual({ language, uses: ['\\Sent', '\\Trash', '\\Junk', '\\Drafts', '\\Outbox'] });
    }
    // Modified UTF-7 decodes to decomposed accents on some servers: the same name.
    expect(specialUseFromName('E\u0301le\u0301ments envoye\u0301s', '', '/')).toBe('\\Sent');
    // The outbox is never taken for the sent folder.
    expect(specialUseFromName("Boîte d'envoi", '', '/')).not.toBe('\\Sent');
  });

  it('leaves nested folders and other names alone', () => {
    expect(specialUseFromName('Projets/Sent', '', '/')).toBeUndefined();
    expect(specialUseFromName('INBOX.Clients.Trash', 'INBOX.', '.')).toBeUndefined();
    expect(specialUseFromName('Sent by Bob', '', '/')).toBeUndefined();
  });
});
