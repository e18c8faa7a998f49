import type { SpecialUse } from '../folder-mapping.js';

/**
 * Names clients and servers commonly give special-use folders, lower-cased, for servers that report no
 * special-use attributes (neither SPECIAL-USE nor XLIST). The languages are those of OVHcloud's customers
 * first (French, English, German, Spanish, Italian, Dutch, Polish, Portuguese), with Outlook's and
 * Thunderbird's spellings. Only a folder at the top of the personal namespace (or right below INBOX) counts.
 */
const NAMES: Record<SpecialUse, readonly string[]> = {
  '\\Sent': [
    'sent', 'sent items', 'sent mail', 'sent messages', 'sent-mail',
    'éléments envoyés', 'elements envoyes', 'envoyés', 'envoyes', 'messages envoyés',
    'gesendet', 'gesendete elemente', 'gesendete objekte',
    'enviados', 'elementos enviados', 'mensajes enviados',
    'posta inviata', 'inviati', 'elementi inviati',
    'verzonden', 'verzonden items', 'verzonden berichten',
    'wysłane', 'elementy wysłane',
    'itens enviados', 'mensagens enviadas',
  ],
  '\\Drafts': [
    'drafts', 'draft',
    'brouillons',
    'entwürfe', 'entwurf',
    'borradores',
    'bozze',
    'concepten',
    'wersje robocze', 'kopie robocze',
    'rascunhos',
  ],
  '\\Trash': [
    'trash', 'deleted', 'deleted items', 'deleted messages', 'bin',
    'corbeille', 'éléments supprimés', 'elements supprimes', 'messages supprimés',
    'papierkorb', 'gelöschte elemente', 'gelöschte objekte',
    'papelera', 'elementos eliminados', 'elementos borrados',
    'cestino', 'posta eliminata', 'elementi eliminati',
    'prullenbak', 'verwijderde items', 'verwijderde berichten',
    'kosz', 'elementy usunięte',
    'lixeira', 'lixo', 'itens excluídos', 'itens eliminados',
  ],
  '\\Junk': [
    'junk', 'junk e-mail', 'junk email', 'junk mail', 'spam', 'bulk mail',
    'courrier indésirable', 'courrier indesirable', 'indésirables', 'pourriels',
    'junk-e-mail', 'spamverdacht',
    'correo no deseado', 'no deseado',
    'posta indesiderata', 'indesiderata',
    'ongewenste e-mail', 'ongewenst',
    'wiadomości-śmieci',
    'lixo eletrônico', 'e-mail de lixo',
  ],
  '\\Archive': ['archive', 'archives', 'archiv', 'archivo', 'archivio', 'archief', 'archiwum', 'arquivo'],
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
