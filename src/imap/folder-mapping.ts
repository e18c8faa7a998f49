import type { FolderState } from '../domain/copy-report.js';
/**
 * Special folders the copier maps between accounts: RFC 6154's special-use attributes, and the outbox, which
 * RFC 6154 does not define but Exchange has in every mailbox under a localised name ("Boîte d'envoi", "Outbox",
 * "Postausgang"): it maps onto the destination's outbox when that has one, and is never created with a USE.
 */
export const SPECIAL_USES = ['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive', '\\Outbox'] as const;
export type SpecialUse = (typeof SPECIAL_USES)[number];

/** The attributes CREATE-SPECIAL-USE can give a folder (RFC 6154). */
const CREATABLE_USES: ReadonlySet<SpecialUse> = new Set(['\\Sent', '\\Drafts', '\\Trash', '\\Junk', '\\Archive']);

export function asSpecialUse(value: string | undefined): SpecialUse | undefined {
  return SPECIAL_USES.find((use) => use.toLowerCase() === value?.toLowerCase());
}

/** One folder as listed by an account (Unicode path, decoded from modified UTF-7). */
export interface ListedFolder {
  path: string;
  flags: readonly string[];
  specialUse?: SpecialUse;
  subscribed: boolean;
  /** Message count, when the server reported it with the listing (LIST-STATUS). */
  messages?: number;
  /** UIDVALIDITY, UIDNEXT, MESSAGES and HIGHESTMODSEQ, when asked for and offered (LIST-STATUS and CONDSTORE). */
  state?: FolderState;
}

/** An account's personal namespace and folders. */
export interface AccountFolders {
  prefix: string;
  delimiter: string;
  folders: readonly ListedFolder[];
  /** CREATE-SPECIAL-USE (RFC 6154): a created folder can carry its attribute. */
  canCreateSpecialUse: boolean;
}

/** Where one source folder goes. */
export interface FolderMapping {
  from: string;
  to: string;
  specialUse?: SpecialUse;
  /** False for \Noselect / \NonExistent source folders: nothing to copy, only the hierarchy. */
  selectable: boolean;
  /** The destination folder does not exist (or is only a \Noselect placeholder) and must be created. */
  create: boolean;
  /** Attribute to give the created folder (destination supports CREATE-SPECIAL-USE). */
  createSpecialUse?: SpecialUse;
  /** Subscribed at the source and not yet at the destination. */
  subscribe: boolean;
}

/** Replaces a destination separator inside a name, so a source name never splits into a new hierarchy level. */
const SEPARATOR_SUBSTITUTE = '_';

function isInbox(path: string): boolean {
  return path.toUpperCase() === 'INBOX';
}

function isSelectable(folder: ListedFolder): boolean {
  return !folder.flags.some((flag) => /^\\(noselect|nonexistent)$/i.test(flag));
}

function samePath(a: string, b: string): boolean {
  return a === b || (isInbox(a) && isInbox(b));
}

/** A source path split into its levels below the namespace prefix. */
function levelsOf(path: string, account: AccountFolders): string[] {
  const relative = account.prefix && path.startsWith(account.prefix) ? path.slice(account.prefix.length) : path;
  return account.delimiter ? relative.split(account.delimiter) : [relative];
}

/**
 * Maps every source folder to a destination folder: separators and prefixes translated, special-use folders
 * mapped onto the destination's folder with the same attribute whatever its name (children follow their parent),
 * INBOX kept as INBOX. Two source folders never land in the same destination folder: a later one gets a " (2)"
 * suffix, INBOX and special-use folders having priority.
 */
export function mapFolders(source: AccountFolders, destination: AccountFolders, options: { exclude?: RegExp } = {}): FolderMapping[] {
  const included = source.folders.filter((folder) => !options.exclude?.test(folder.path));
  const destinationSpecial = new Map<SpecialUse, string>();
  for (const folder of destination.folders) {
    if (folder.specialUse && !destinationSpecial.has(folder.specialUse) && isSelectable(folder)) destinationSpecial.set(folder.specialUse, folder.path);
  }
  // Only the first source folder with an attribute is treated as that special folder.
  const sourceSpecial = new Map<string, SpecialUse>();
  const seenUses = new Set<SpecialUse>();
  for (const folder of source.folders) {
    if (folder.specialUse && !seenUses.has(folder.specialUse)) {
      seenUses.add(folder.specialUse);
      sourceSpecial.set(folder.path, folder.specialUse);
    }
  }

  const mapped = new Map<string, string>();
  const claimed: string[] = [];
  const claim = (wanted: string): string => {
    let candidate = wanted;
    for (let n = 2; claimed.some((path) => samePath(path, candidate)); n++) candidate = `${wanted} (${n})`;
    claimed.push(candidate);
    return candidate;
  };
  const sanitise = (name: string): string =>
    destination.delimiter ? name.split(destination.delimiter).join(SEPARATOR_SUBSTITUTE) : name;

  const naturalPath = (levels: string[]): string => {
    const path = source.prefix + levels.join(source.delimiter);
    const known = mapped.get(path);
    if (known) return known;
    if (isInbox(path)) return 'INBOX';
    const use = sourceSpecial.get(path);
    const special = use ? destinationSpecial.get(use) : undefined;
    if (special) return special;
    const name = sanitise(levels[levels.length - 1]);
    if (levels.length === 1) return destination.prefix + name;
    return naturalPath(levels.slice(0, -1)) + destination.delimiter + name;
  };

  const depth = (folder: ListedFolder) => levelsOf(folder.path, source).length;
  const rank = (folder: ListedFolder) => (isInbox(folder.path) ? 0 : sourceSpecial.has(folder.path) ? 1 : 2);
  const ordered = [...included].sort((a, b) => rank(a) - rank(b) || depth(a) - depth(b) || a.path.localeCompare(b.path));

  const results = new Map<string, FolderMapping>();
  for (const folder of ordered) {
    const to = isInbox(folder.path) ? claim('INBOX') : claim(naturalPath(levelsOf(folder.path, source)));
    mapped.set(folder.path, to);
    const existing = destination.folders.find((candidate) => samePath(candidate.path, to));
    const selectable = isSelectable(folder);
    const create = selectable && (!existing || !isSelectable(existing));
    const use = sourceSpecial.get(folder.path);
    results.set(folder.path, {
      from: folder.path,
      to,
      ...(use ? { specialUse: use } : {}),
      selectable,
      create,
      ...(create && use && CREATABLE_USES.has(use) && destination.canCreateSpecialUse && !destinationSpecial.has(use) ? { createSpecialUse: use } : {}),
      subscribe: selectable && folder.subscribed && !existing?.subscribed,
    });
  }
  // Report in source order, parents before children as listed.
  return included.map((folder) => results.get(folder.path)!);
}
