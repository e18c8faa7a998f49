import { sameFolderState, type FolderState } from '../domain/copy-report.js';
import { mapFolders, type FolderMapping, type SpecialUse } from './folder-mapping.js';
import { listAccountFolders } from './folder-listing.js';
import { isIdentified, scanFolder, type FolderScan, type ScannedMessage } from './folder-scan.js';
import { diffByIdentity } from './identity-diff.js';
import { readStorageQuota, type QuotaState } from './quota-check.js';
import type { CopyLane } from './copy-lane.js';
import { runOnWorkers } from './task-pool.js';
import { mailboxArgument } from './wire/imap-syntax.js';
import { ImapCommandFailed } from './wire/imap-errors.js';
import { isRefusal } from './copy-errors.js';
import type { FolderSession } from './fetch/folder-session.js';

/** One source folder with its scans on both sides and what is left to copy. */
export interface FolderPlan {
  mapping: FolderMapping;
  source: FolderScan;
  /** Undefined when the destination folder does not exist yet. */
  destination?: FolderScan;
  missing: ScannedMessage[];
  matched: Array<{ source: ScannedMessage; destination: ScannedMessage }>;
  /** Set when a side refused to let the folder be read (EXAMINE/SELECT/FETCH answered NO or BAD): the reason. Nothing else is known. */
  refused?: string;
  /** The source folder as listed (when states were asked for and the server gives them). */
  state?: FolderState;
  /** Identical to what an earlier pass left complete: not scanned, nothing to do; its message count. */
  unchanged?: number;
}

export interface DerivedPlan {
  mappings: FolderMapping[];
  /** The destination's hierarchy separator. */
  delimiter: string;
  folders: FolderPlan[];
  quota?: QuotaState;
}

/** Diffs a folder's source scan against a destination scan. */
export function planFolder(mapping: FolderMapping, source: FolderScan, destination: FolderScan | undefined): FolderPlan {
  const { missing, matched } = diffByIdentity(source.messages, destination?.messages ?? []);
  return { mapping, source, destination, missing, matched };
}

/**
 * Lists both accounts (over the first lane's connections; the destination's also reads the quota), maps
 * folders, and scans every selectable folder on both sides, spread over the lanes. Reads only; writes nothing.
 */
export async function derivePlan(
  lanes: CopyLane[],
  options: { exclude?: RegExp; onFolder?: (folder: string) => void; states?: boolean; previous?: readonly FolderState[] },
): Promise<DerivedPlan> {
  for (const lane of lanes) lane.source.warmUp();
  const first = lanes[0]!;
  const [sourceFolders, destinationFolders, quota] = await Promise.all([
    first.source.get().then((session) => listAccountFolders(session, { states: options.states === true || (options.previous?.length ?? 0) > 0 })),
    first.destination.get().then((session) => listAccountFolders(session, { counts: true })),
    first.destination.get().then((session) => readStorageQuota(session)),
  ]);
  const destinationCount = (path: string) => destinationFolders.folders.find((folder) => folder.path === path || (folder.path.toUpperCase() === 'INBOX' && path.toUpperCase() === 'INBOX'))?.messages;
  const mappings = mapFolders(sourceFolders, destinationFolders, { exclude: options.exclude });
  const selectable = mappings.filter((mapping) => mapping.selectable);
  const stateOf = new Map(sourceFolders.folders.flatMap((folder) => (folder.state ? [[folder.path, folder.state] as const] : [])));
  const previous = new Map((options.previous ?? []).map((state) => [state.path, state]));
  const folders = new Map<string, FolderPlan>();
  await runOnWorkers(selectable, lanes, async (mapping, lane) => {
    const state = stateOf.get(mapping.from);
    const before = previous.get(mapping.from);
    if (state && before && !mapping.create && sameFolderState(state, before)) {
      folders.set(mapping.from, { mapping, source: { messages: [], bytes: 0 }, missing: [], matched: [], state, unchanged: state.messages });
      return;
    }
    options.onFolder?.(mapping.from);
    try {
      folders.set(mapping.from, { ...(await scanBothSides(mapping, lane, mapping.create ? 0 : destinationCount(mapping.to))), ...(state ? { state } : {}) });
    } catch (error) {
      // A folder a server will not let us read is reported on its own; the others are copied.
      if (!isRefusal(error)) throw error;
      folders.set(mapping.from, { mapping, source: { messages: [], bytes: 0 }, missing: [], matched: [], refused: (error as Error).message });
    }
  });
  return { mappings, delimiter: destinationFolders.delimiter, folders: selectable.map((mapping) => folders.get(mapping.from)!), quota };
}

/** One folder's scans: both sides at once when the destination's count is known, else the destination first. */
async function scanBothSides(mapping: FolderMapping, lane: CopyLane, known: number | undefined): Promise<FolderPlan> {
  let target: FolderScan | undefined;
  let source: FolderScan;
  if (known !== undefined) {
    // Both sides at once; header fields from the source only if the destination holds something to match.
    [target, source] = await Promise.all([
      mapping.create ? undefined : lane.destination.get().then((session) => scanFolder(session, mapping.to, { readOnly: false })),
      lane.source.get().then((session) => scanFolder(session, mapping.from, { readOnly: true, identities: known > 0 })),
    ]);
  } else {
    target = await scanFolder(await lane.destination.get(), mapping.to, { readOnly: false });
    source = await scanFolder(await lane.source.get(), mapping.from, { readOnly: true, identities: target.messages.length > 0 });
  }
  // Mail arrived at the destination since the listing: identities are needed after all.
  if ((target?.messages.length ?? 0) > 0 && !isIdentified(source)) source = await scanFolder(await lane.source.get(), mapping.from, { readOnly: true });
  return planFolder(mapping, source, target);
}

export function bytesOf(messages: readonly ScannedMessage[]): number {
  return messages.reduce((sum, message) => sum + message.size, 0);
}

/** What `--dry-run` shows: the folder map and sizes. */
export interface CopyPlanSummary {
  folders: Array<{
    from: string;
    to: string;
    specialUse?: SpecialUse;
    create: boolean;
    subscribe: boolean;
    messages: number;
    bytes: number;
    toCopy: number;
    bytesToCopy: number;
  }>;
  /** Source folders that hold no messages themselves (\Noselect), kept for the hierarchy. */
  placeholders: Array<{ from: string; to: string }>;
  messages: number;
  bytes: number;
  toCopy: number;
  bytesToCopy: number;
  quota?: QuotaState;
  /** False when the destination quota cannot take what is left to copy. */
  fits: boolean;
}

export function summarisePlan(plan: DerivedPlan): CopyPlanSummary {
  const folders = plan.folders.map((folder) => ({
    from: folder.mapping.from,
    to: folder.mapping.to,
    ...(folder.mapping.specialUse ? { specialUse: folder.mapping.specialUse } : {}),
    create: folder.mapping.create,
    subscribe: folder.mapping.subscribe,
    messages: folder.unchanged ?? folder.source.messages.length,
    bytes: folder.source.bytes,
    toCopy: folder.missing.length,
    bytesToCopy: bytesOf(folder.missing),
  }));
  const sum = (key: 'messages' | 'bytes' | 'toCopy' | 'bytesToCopy') => folders.reduce((total, folder) => total + folder[key], 0);
  const bytesToCopy = sum('bytesToCopy');
  return {
    folders,
    placeholders: plan.mappings.filter((mapping) => !mapping.selectable).map(({ from, to }) => ({ from, to })),
    messages: sum('messages'),
    bytes: sum('bytes'),
    toCopy: sum('toCopy'),
    bytesToCopy,
    ...(plan.quota ? { quota: plan.quota } : {}),
    fits: !plan.quota || bytesToCopy <= Math.max(0, plan.quota.limit - plan.quota.usage),
  };
}

/**
 * Creates the destination folders the plan needs (parents first) and copies subscriptions. Returns the folders
 * the server refused to create (destination path -> reason), children of a refused folder included: those
 * folders are reported, the others copied.
 */
export async function prepareDestination(session: FolderSession, mappings: FolderMapping[], delimiter: string): Promise<Map<string, string>> {
  const refused = new Map<string, string>();
  const toCreate = mappings.filter((mapping) => mapping.create).sort((a, b) => a.to.length - b.to.length);
  for (const mapping of toCreate) {
    const parent = [...refused.keys()].find((path) => mapping.to.startsWith(path + delimiter));
    if (parent) {
      refused.set(mapping.to, `its parent folder ${JSON.stringify(parent)} could not be created`);
      continue;
    }
    const name = mailboxArgument(mapping.to);
    // CREATE-SPECIAL-USE (RFC 6154) gives the folder its attribute; a server refusing it still gets a plain CREATE.
    if (mapping.createSpecialUse) {
      const created = await session.command(`CREATE ${name} (USE (${mapping.createSpecialUse}))`).then(
        () => true,
        (error: unknown) => {
          if (isRefusal(error)) return false;
          throw error;
        },
      );
      if (created) continue;
    }
    await session.command(`CREATE ${name}`).catch((error: unknown) => {
      // Anything else (a dropped connection) goes up as it is, so the copier can tell and reconnect.
      if (!(error instanceof ImapCommandFailed)) throw error;
      if (error.code?.toUpperCase() === 'ALREADYEXISTS' || /exists/i.test(error.serverText)) return;
      refused.set(mapping.to, `cannot create the destination folder ${JSON.stringify(mapping.to)}: ${error.status}${error.code ? ` [${error.code}]` : ''} ${error.serverText}`);
    });
  }
  for (const mapping of mappings.filter((candidate) => candidate.subscribe && !refused.has(candidate.to))) {
    await session.command(`SUBSCRIBE ${mailboxArgument(mapping.to)}`).catch((error: unknown) => {
      // A subscription refused is cosmetic; a lost connection is not.
      if (!isRefusal(error)) throw error;
    });
  }
  return refused;
}
