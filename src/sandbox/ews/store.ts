import { createHash, randomBytes } from 'node:crypto';
import type { InboxRule, OofSettings } from '../../ews/types.js';

/**
 * The EWS double's in-memory mailboxes: a folder tree like Exchange's (root, the IPM subtree with its
 * distinguished folders, hidden system folders), items with what FindItem reports and an opaque rest carried
 * whole by ExportItems/UploadItems, inbox rules and out-of-office settings. Ids look like Exchange's (long
 * base64), never repeat, and uploads get new ids and new creation/modification times, as on Exchange.
 */

export interface StoredFolder {
  id: string;
  changeKey: string;
  parentId?: string;
  displayName: string;
  folderClass?: string;
  distinguished?: string;
  /** PR_ATTR_HIDDEN (0x10F4). */
  hidden: boolean;
}

export interface StoredItem {
  id: string;
  changeKey: string;
  parentId: string;
  itemClass: string;
  subject: string;
  created: string;
  modified: string;
  /** Calendar items: start and end (UTC). */
  start?: string;
  end?: string;
  /** Everything else (recurrence, exceptions, attendees, addresses, members, attachments...): opaque to EWS. */
  content: Record<string, unknown>;
  /** Extended properties set on the item, by key (`set:<guid>:<name>` / `tag:0x...`). */
  extended: Record<string, string>;
  size: number;
}

export interface StoredRule {
  id: string;
  rule: InboxRule;
}

/** The blob ExportItems hands out: base64 of this prefix and the item's JSON. Opaque to clients, like Exchange's. */
export const BLOB_MAGIC = 'EWS-DOUBLE-ITEM-1\n';

export interface BlobContent {
  itemClass: string;
  subject: string;
  start?: string;
  end?: string;
  content: Record<string, unknown>;
  extended: Record<string, string>;
}

const DEFAULT_NAMES = {
  en: { msgfolderroot: 'Top of Information Store', inbox: 'Inbox', sentitems: 'Sent Items', deleteditems: 'Deleted Items', drafts: 'Drafts', junkemail: 'Junk Email', outbox: 'Outbox', calendar: 'Calendar', contacts: 'Contacts', tasks: 'Tasks', notes: 'Notes', journal: 'Journal' },
  fr: { msgfolderroot: 'Haut de la banque d’informations', inbox: 'Boîte de réception', sentitems: 'Éléments envoyés', deleteditems: 'Éléments supprimés', drafts: 'Brouillons', junkemail: 'Courrier indésirable', outbox: "Boîte d'envoi", calendar: 'Calendrier', contacts: 'Contacts', tasks: 'Tâches', notes: 'Notes', journal: 'Journal' },
} as const;

const DISTINGUISHED_CLASSES: Record<string, string> = {
  inbox: 'IPF.Note',
  sentitems: 'IPF.Note',
  deleteditems: 'IPF.Note',
  drafts: 'IPF.Note',
  junkemail: 'IPF.Note',
  outbox: 'IPF.Note',
  calendar: 'IPF.Appointment',
  contacts: 'IPF.Contact',
  tasks: 'IPF.Task',
  notes: 'IPF.StickyNote',
  journal: 'IPF.Journal',
};

export type MailboxLanguage = keyof typeof DEFAULT_NAMES;

let serial = 0;

/** An Exchange-looking id (`AAMkA...`, ~150 characters of base64), unique in this process. */
function exchangeId(kind: 'folder' | 'item', mailboxTag: string): string {
  const payload = Buffer.concat([Buffer.from(kind === 'folder' ? 'AQMk' : 'AAMk'), createHash('sha256').update(mailboxTag).digest().subarray(0, 24), Buffer.from(`${process.pid}.${++serial}.`), randomBytes(70)]);
  return payload.toString('base64');
}

function changeKey(): string {
  return `CQAAABYAAA${randomBytes(12).toString('base64')}`;
}

export class MailboxStore {
  readonly folders = new Map<string, StoredFolder>();
  readonly items = new Map<string, StoredItem>();
  /** Items per folder, in creation order (FindItem's order). */
  private readonly byFolder = new Map<string, string[]>();
  readonly distinguished = new Map<string, string>();
  rules: StoredRule[] = [];
  /** Outlook's client-side rule blob exists (UpdateInboxRules then needs RemoveOutlookRuleBlob). */
  outlookRuleBlobExists = false;
  oof: OofSettings = { state: 'Disabled', externalAudience: 'All' };
  private ruleSerial = 0;
  /** Clock for creation and modification times; tests may move it. */
  now: () => Date = () => new Date();

  constructor(
    public address: string,
    language: MailboxLanguage = 'en',
  ) {
    const names = DEFAULT_NAMES[language];
    const root = this.addFolder({ displayName: 'root', distinguished: 'root' });
    // System folders outside the IPM subtree (FindFolder from msgfolderroot never shows them).
    this.addFolder({ parentId: root.id, displayName: 'Common Views', hidden: true });
    this.addFolder({ parentId: root.id, displayName: 'Finder', hidden: true });
    const top = this.addFolder({ parentId: root.id, displayName: names.msgfolderroot, distinguished: 'msgfolderroot' });
    for (const name of ['inbox', 'sentitems', 'deleteditems', 'drafts', 'junkemail', 'outbox', 'calendar', 'contacts', 'tasks', 'notes', 'journal'] as const) {
      this.addFolder({ parentId: top.id, displayName: names[name], folderClass: DISTINGUISHED_CLASSES[name], distinguished: name });
    }
    // What Exchange 2016 keeps below Contacts and Calendar for itself: never to be copied.
    const contacts = this.distinguished.get('contacts')!;
    this.addFolder({ parentId: contacts, displayName: 'Recipient Cache', folderClass: 'IPF.Contact.RecipientCache', hidden: true });
    this.addFolder({ parentId: contacts, displayName: 'GAL Contacts', folderClass: 'IPF.Contact.GalContacts', hidden: true });
    this.addFolder({ parentId: contacts, displayName: 'Organizational Contacts', folderClass: 'IPF.Contact.OrganizationalContacts', hidden: true });
    this.addFolder({ parentId: this.distinguished.get('calendar')!, displayName: language === 'fr' ? 'Anniversaires' : 'Birthdays', folderClass: 'IPF.Appointment.Birthday' });
  }

  addFolder(spec: { parentId?: string; displayName: string; folderClass?: string; distinguished?: string; hidden?: boolean }): StoredFolder {
    const folder: StoredFolder = { id: exchangeId('folder', this.address), changeKey: changeKey(), parentId: spec.parentId, displayName: spec.displayName, folderClass: spec.folderClass, distinguished: spec.distinguished, hidden: spec.hidden ?? false };
    this.folders.set(folder.id, folder);
    this.byFolder.set(folder.id, []);
    if (spec.distinguished) this.distinguished.set(spec.distinguished, folder.id);
    return folder;
  }

  folderByPath(path: string): StoredFolder | undefined {
    let current = this.folders.get(this.distinguished.get('msgfolderroot')!);
    for (const name of path.split('/').filter(Boolean)) {
      if (!current) return undefined;
      const parentId: string = current.id;
      current = this.childFolders(parentId).find((folder) => folder.displayName.toLowerCase() === name.toLowerCase());
    }
    return current;
  }

  childFolders(parentId: string): StoredFolder[] {
    return [...this.folders.values()].filter((folder) => folder.parentId === parentId);
  }

  /** Every folder below `parentId`, depth first. */
  descendants(parentId: string): StoredFolder[] {
    const out: StoredFolder[] = [];
    for (const child of this.childFolders(parentId)) out.push(child, ...this.descendants(child.id));
    return out;
  }

  itemsIn(folderId: string): StoredItem[] {
    return (this.byFolder.get(folderId) ?? []).map((id) => this.items.get(id)!);
  }

  /** Creates an item (seeding or UploadItems): new id, new change key, created = modified = now. */
  addItem(folderId: string, value: BlobContent): StoredItem {
    const now = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const item: StoredItem = {
      id: exchangeId('item', this.address),
      changeKey: changeKey(),
      parentId: folderId,
      itemClass: value.itemClass,
      subject: value.subject,
      start: value.start,
      end: value.end,
      content: structuredClone(value.content),
      extended: { ...value.extended },
      created: now,
      modified: now,
      size: 0,
    };
    item.size = sizeOf(item);
    this.items.set(item.id, item);
    this.byFolder.get(folderId)!.push(item.id);
    return item;
  }

  touch(item: StoredItem): void {
    item.changeKey = changeKey();
    item.modified = this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
    item.size = sizeOf(item);
  }

  exportBlob(item: StoredItem): string {
    const content: BlobContent = { itemClass: item.itemClass, subject: item.subject, start: item.start, end: item.end, content: item.content, extended: item.extended };
    return Buffer.from(BLOB_MAGIC + JSON.stringify(content), 'utf8').toString('base64');
  }

  nextRuleId(): string {
    return `AQAAAJ${(++this.ruleSerial).toString().padStart(6, '0')}${randomBytes(3).toString('hex')}=`;
  }
}

/** Reads a blob ExportItems produced; undefined when it is not one (UploadItems then answers ErrorCorruptData). */
export function readBlob(data: string): BlobContent | undefined {
  let text: string;
  try {
    text = Buffer.from(data, 'base64').toString('utf8');
  } catch {
    return undefined;
  }
  if (!text.startsWith(BLOB_MAGIC)) return undefined;
  try {
    const value = JSON.parse(text.slice(BLOB_MAGIC.length)) as BlobContent;
    if (typeof value.itemClass !== 'string' || typeof value.subject !== 'string' || typeof value.content !== 'object') return undefined;
    return value;
  } catch {
    return undefined;
  }
}

function sizeOf(item: StoredItem): number {
  let attachments = 0;
  for (const attachment of (item.content.attachments as Array<{ content?: string }> | undefined) ?? []) attachments += Buffer.byteLength(attachment.content ?? '', 'base64');
  return Buffer.byteLength(JSON.stringify({ c: item.itemClass, s: item.subject, b: item.content, e: item.extended })) + attachments + 256;
}

/** The FindItem element of an item class. */
export function itemElementOf(itemClass: string): 'CalendarItem' | 'Contact' | 'DistributionList' | 'Task' | 'Message' | 'Item' {
  if (/^IPM\.Appointment(\.|$)/i.test(itemClass)) return 'CalendarItem';
  if (/^IPM\.Contact(\.|$)/i.test(itemClass)) return 'Contact';
  if (/^IPM\.DistList(\.|$)/i.test(itemClass)) return 'DistributionList';
  if (/^IPM\.Task(\.|$)/i.test(itemClass)) return 'Task';
  if (/^IPM\.Note(\.|$)/i.test(itemClass)) return 'Message';
  return 'Item';
}

/** The folder element of a folder class. */
export function folderElementOf(folderClass: string | undefined): 'CalendarFolder' | 'ContactsFolder' | 'TasksFolder' | 'Folder' {
  if (/^IPF\.Appointment(\.|$)/i.test(folderClass ?? '')) return 'CalendarFolder';
  if (/^IPF\.Contact(\.|$)/i.test(folderClass ?? '')) return 'ContactsFolder';
  if (/^IPF\.Task(\.|$)/i.test(folderClass ?? '')) return 'TasksFolder';
  return 'Folder';
}
