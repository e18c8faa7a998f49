import type { CollaborativeKind } from '../domain/collaborative-report.js';
import type { EwsClient } from './client.js';
import { EwsRequestFailed } from './errors.js';
import { extendedKey } from './responses.js';
import type { DistinguishedFolder, EwsFolder, ExtendedProperty, PropertyPath } from './types.js';

/**
 * The folders of both mailboxes: which source folders hold collaborative data, where each goes at the
 * destination, and the destination folder for any source folder by its path (rules name folders by id).
 * A folder's path is its anchor (the nearest distinguished folder: Calendar, Contacts, Inbox... or the top of
 * the mailbox) and the display names below it, so localized default folders ("Calendrier") map onto each other
 * and sub-folders keep their names.
 */

const HIDDEN: ExtendedProperty = { tag: '0x10F4', type: 'Boolean' };
const HIDDEN_KEY = extendedKey(HIDDEN);

export const FOLDER_PROPERTIES: PropertyPath[] = [
  { field: 'folder:ParentFolderId' },
  { field: 'folder:FolderClass' },
  { field: 'folder:DisplayName' },
  { field: 'folder:TotalCount' },
  { extended: HIDDEN },
];

/** Distinguished folders that anchor paths (the mail ones too: rules move mail into them and their sub-folders). */
const ANCHORS: DistinguishedFolder[] = ['msgfolderroot', 'calendar', 'contacts', 'tasks', 'inbox', 'sentitems', 'deleteditems', 'drafts', 'junkemail', 'outbox', 'notes', 'journal'];

/** Folders Exchange fills by itself: copying them would duplicate what the destination builds on its own. */
const SYSTEM_CLASSES = new Set(['ipf.contact.recipientcache', 'ipf.contact.galcontacts', 'ipf.contact.organizationalcontacts', 'ipf.contact.moc.quickcontacts', 'ipf.contact.moc.imcontactlist', 'ipf.appointment.birthday']);

export function kindOfClass(folderClass: string | undefined): CollaborativeKind | undefined {
  const value = (folderClass ?? '').toLowerCase();
  if (SYSTEM_CLASSES.has(value)) return undefined;
  if (/^ipf\.appointment(\.|$)/.test(value)) return 'calendar';
  if (/^ipf\.contact(\.|$)/.test(value)) return 'contacts';
  if (/^ipf\.task(\.|$)/.test(value)) return 'tasks';
  return undefined;
}

export interface FolderPath {
  anchor: DistinguishedFolder;
  names: string[];
}

/** One mailbox's folder tree (the IPM subtree), with its distinguished folders. */
export class MailboxFolders {
  readonly byId = new Map<string, EwsFolder>();
  readonly anchors = new Map<string, DistinguishedFolder>();
  readonly anchorIds = new Map<DistinguishedFolder, string>();

  private constructor(private readonly client: EwsClient) {}

  static async read(client: EwsClient): Promise<MailboxFolders> {
    const tree = new MailboxFolders(client);
    const outcomes = await client.getFolders(
      ANCHORS.map((name) => ({ distinguished: name })),
      [{ field: 'folder:DisplayName' }, { field: 'folder:FolderClass' }],
    );
    outcomes.forEach((outcome, index) => {
      if (!outcome.ok) return; // a mailbox may lack some (journal, notes): nothing anchors there
      tree.anchors.set(outcome.folder.id, ANCHORS[index]);
      tree.anchorIds.set(ANCHORS[index], outcome.folder.id);
      tree.byId.set(outcome.folder.id, outcome.folder);
    });
    if (!tree.anchorIds.has('msgfolderroot')) throw new EwsRequestFailed('GetFolder', 'ErrorFolderNotFound', 'the mailbox has no top of information store (msgfolderroot)');
    for (const folder of await client.allFolders({ distinguished: 'msgfolderroot' }, { traversal: 'Deep', properties: FOLDER_PROPERTIES })) {
      const known = tree.byId.get(folder.id);
      tree.byId.set(folder.id, known ? { ...folder, displayName: folder.displayName ?? known.displayName } : folder);
    }
    return tree;
  }

  /** Hidden itself or below a hidden folder. */
  isHidden(id: string): boolean {
    for (let folder = this.byId.get(id); folder; folder = folder.parentId ? this.byId.get(folder.parentId) : undefined) {
      if (this.anchors.get(folder.id) === 'msgfolderroot') return false;
      if (folder.extended[HIDDEN_KEY] === 'true' || folder.extended[HIDDEN_KEY] === '1') return true;
    }
    return false;
  }

  pathOf(id: string): FolderPath | undefined {
    const names: string[] = [];
    for (let folder = this.byId.get(id); folder; folder = folder.parentId ? this.byId.get(folder.parentId) : undefined) {
      const anchor = this.anchors.get(folder.id);
      if (anchor) return { anchor, names: names.reverse() };
      names.push(folder.displayName ?? '');
    }
    return undefined; // not below msgfolderroot
  }

  /** `Calendar/Projets`: the anchor's own display name, then the names below it. */
  describe(path: FolderPath): string {
    const anchorName = this.anchorIds.has(path.anchor) ? this.byId.get(this.anchorIds.get(path.anchor)!)?.displayName ?? path.anchor : path.anchor;
    return [...(path.anchor === 'msgfolderroot' ? [] : [anchorName]), ...path.names].join('/') || anchorName;
  }

  childNamed(parentId: string, name: string): EwsFolder | undefined {
    const wanted = name.toLowerCase();
    for (const folder of this.byId.values()) if (folder.parentId === parentId && (folder.displayName ?? '').toLowerCase() === wanted) return folder;
    return undefined;
  }

  /**
   * The folder at `path`, created with its missing parents when `create` is given (with that folder class for
   * the last level, and `classes[i]` for the levels above it); undefined when absent and not created.
   */
  async resolve(path: FolderPath, create?: { folderClass: string; classes: string[] }): Promise<{ id: string | undefined; created: boolean }> {
    let parentId = this.anchorIds.get(path.anchor);
    if (!parentId) return { id: undefined, created: false };
    let created = false;
    for (let level = 0; level < path.names.length; level++) {
      const name = path.names[level];
      const existing = this.childNamed(parentId, name);
      if (existing) {
        parentId = existing.id;
        continue;
      }
      if (!create) return { id: undefined, created: false };
      const folderClass = level === path.names.length - 1 ? create.folderClass : create.classes[level] ?? 'IPF.Note';
      const [outcome] = await this.client.createFolders({ id: parentId }, [{ displayName: name, folderClass }]);
      let id: string | undefined;
      if (outcome.ok) {
        id = outcome.folder.id;
        created = true;
      } else if (outcome.code === 'ErrorFolderExists') {
        // Created meanwhile (by the mail copy, or a run whose answer was lost): look again.
        const again: EwsFolder | undefined = (await this.client.allFolders({ id: parentId }, { traversal: 'Shallow', properties: FOLDER_PROPERTIES })).find((f) => (f.displayName ?? '').toLowerCase() === name.toLowerCase());
        id = again?.id;
        if (again) this.byId.set(again.id, again);
      }
      if (!id) throw new EwsRequestFailed('CreateFolder', outcome.ok ? 'ErrorFolderNotFound' : outcome.code, `could not create ${name}: ${outcome.ok ? 'not found after creation' : outcome.message}`);
      if (!this.byId.has(id)) this.byId.set(id, { element: 'Folder', id, parentId, folderClass, displayName: name, extended: {} });
      parentId = id;
    }
    return { id: parentId, created };
  }

  /** Folder classes of the levels of `path` in this mailbox (for creating the same levels elsewhere). */
  classesAlong(id: string): string[] {
    const classes: string[] = [];
    for (let folder = this.byId.get(id); folder && !this.anchors.has(folder.id); folder = folder.parentId ? this.byId.get(folder.parentId) : undefined) classes.push(folder.folderClass ?? 'IPF.Note');
    return classes.reverse();
  }
}

export interface CollaborativeFolder {
  source: EwsFolder;
  kind: CollaborativeKind;
  path: FolderPath;
  /** `Calendar/Projets`, as the source names it. */
  name: string;
}

/** The source folders to copy: calendar, contacts and tasks folders with their sub-folders, minus hidden and system ones. */
export function collaborativeFolders(source: MailboxFolders, kinds: readonly CollaborativeKind[]): CollaborativeFolder[] {
  const folders: CollaborativeFolder[] = [];
  for (const folder of source.byId.values()) {
    const kind = kindOfClass(folder.folderClass);
    if (!kind || !kinds.includes(kind) || source.isHidden(folder.id)) continue;
    const path = source.pathOf(folder.id);
    if (!path) continue;
    folders.push({ source: folder, kind, path, name: source.describe(path) });
  }
  // Parents before children, then by name: a stable order for reports.
  return folders.sort((a, b) => a.path.names.length - b.path.names.length || a.name.localeCompare(b.name));
}
