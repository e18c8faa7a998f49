import type { SpecialUse } from '../folder-mapping.js';

/**
 * Names clients and servers commonly give special-use folders, lower-cased, for servers that report no
 * special-use attributes (neither SPECIAL-USE nor XLIST). The languages are those of OVHcloud's customers
 * first (French, English, German, Spanish, Italian, Dutch, Polish, Portuguese), with Exchange's own names in
 * each (what Outlook Web App creates for a mailbox of that language), then Outlook's, Thunderbird's and the
 * usual webmails' spellings. Only a folder at the top of the personal namespace (or right below INBOX) counts.
 */
const NAMES: Record<SpecialUse, readonly string[]> = {
  '\\Sent': [
    // en, with Exchange's "Sent Items"
    'sent', 'sent items', 'sent mail', 'sent messages', 'sent-mail',
    // fr: Exchange "Éléments envoyés"
    'éléments envoyés', 'elements envoyes', 'envoyés', 'envoyes', 'messages envoyés', 'messages envoyes',
    // de: Exchange "Gesendete Elemente"
    'gesendet', 'gesendete elemente', 'gesendete objekte', 'gesendete nachrichten',
    // es: Exchange "Elementos enviados"
    'enviados', 'elementos enviados', 'mensajes enviados', 'correo enviado',
    // it: Exchange "Posta inviata"
    'posta inviata', 'inviati', 'elementi inviati', 'messaggi inviati',
    // nl: Exchange "Verzonden items"
    'verzonden', 'verzonden items', 'verzonden berichten',
    // pl: Exchange "Elementy wysłane"
    'wysłane', 'wyslane', 'elementy wysłane', 'elementy wyslane',
    // pt: Exchange "Itens Enviados"
    'itens enviados', 'mensagens enviadas', 'enviadas',
  ],
  '\\Drafts': [
    'drafts', 'draft',
    'brouillons',
    'entwürfe', 'entwurf', 'entwuerfe',
    'borradores',
    'bozze',
    'concepten',
    'wersje robocze', 'kopie robocze',
    'rascunhos',
  ],
  '\\Trash': [
    // en: Exchange "Deleted Items"
    'trash', 'deleted', 'deleted items', 'deleted messages', 'bin',
    // fr: Exchange "Éléments supprimés"
    'corbeille', 'éléments supprimés', 'elements supprimes', 'messages supprimés', 'messages supprimes',
    // de: Exchange "Gelöschte Elemente"
    'papierkorb', 'gelöschte elemente', 'geloschte elemente', 'geloeschte elemente', 'gelöschte objekte',
    // es: Exchange "Elementos eliminados"
    'papelera', 'elementos eliminados', 'elementos borrados',
    // it: Exchange "Posta eliminata"
    'cestino', 'posta eliminata', 'elementi eliminati',
    // nl: Exchange "Verwijderde items"
    'prullenbak', 'verwijderde items', 'verwijderde berichten',
    // pl: Exchange "Elementy usunięte"
    'kosz', 'elementy usunięte', 'elementy usuniete',
    // pt: Exchange "Itens Excluídos" (Brazil), "Itens Eliminados" (Portugal)
    'lixeira', 'lixo', 'itens excluídos', 'itens excluidos', 'itens eliminados',
  ],
  '\\Junk': [
    // en: Exchange "Junk E-mail"
    'junk', 'junk e-mail', 'junk email', 'junk mail', 'spam', 'bulk mail',
    // fr: Exchange "Courrier indésirable"
    'courrier indésirable', 'courrier indesirable', 'indésirables', 'indesirables', 'pourriels', 'pourriel',
    // de: Exchange "Junk-E-Mail"
    'junk-e-mail', 'spamverdacht',
    // es: Exchange "Correo no deseado"
    'correo no deseado', 'no deseado',
    // it: Exchange "Posta indesiderata"
    'posta indesiderata', 'indesiderata',
    // nl: Exchange "Ongewenste e-mail"
    'ongewenste e-mail', 'ongewenst',
    // pl: Exchange "Wiadomości-śmieci"
    'wiadomości-śmieci', 'wiadomosci-smieci', 'śmieci',
    // pt: Exchange "Lixo Eletrônico" (Brazil), "Email de Lixo" / "Correio Eletrónico Não Solicitado" (Portugal)
    'lixo eletrônico', 'lixo eletronico', 'e-mail de lixo', 'email de lixo', 'correio eletrónico não solicitado', 'correio eletronico nao solicitado',
  ],
  '\\Archive': ['archive', 'archives', 'archiv', 'archivo', 'archivio', 'archief', 'archiwum', 'arquivo', 'arquivo morto'],
  // Exchange's outbox, whatever the language: "Boîte d'envoi", "Postausgang", "Bandeja de salida"...
  '\\Outbox': [
    'outbox',
    "boîte d'envoi", "boite d'envoi", 'boîte d’envoi',
    'postausgang',
    'bandeja de salida',
    'posta in uscita',
    'postvak uit',
    'skrzynka nadawcza',
    'caixa de saída', 'caixa de saida', 'a enviar',
  ],
};

const BY_NAME = new Map<string, SpecialUse>(
  (Object.entries(NAMES) as Array<[SpecialUse, readonly string[]]>).flatMap(([use, names]) => names.map((name) => [name, use] as const)),
);

/**
 * The special use a folder's name suggests, when it sits at the top of the namespace or right below INBOX
 * (`Sent`, `INBOX.Sent`, `INBOX/Éléments envoyés`), else undefined.
 */
export function specialUseFromName(path: string, prefix: string, delimiter: string | undefined): SpecialUse | undefined {
  let relative = prefix && path.startsWith(prefix) ? path.slice(prefix.length) : path;
  if (delimiter && relative.toUpperCase().startsWith(`INBOX${delimiter}`)) relative = relative.slice(5 + delimiter.length);
  if (delimiter && relative.includes(delimiter)) return undefined;
  return BY_NAME.get(relative.normalize('NFC').toLowerCase());
}
