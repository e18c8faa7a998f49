import { flagList } from './wire/imap-syntax.js';
import type { FolderSession } from './fetch/folder-session.js';
import type { ScannedMessage } from './folder-scan.js';
import { normaliseFlags, sameFlags, type FlagPolicy } from './flag-policy.js';
import { chunkUids, toSequenceSet } from './uid-set.js';

/** UIDs per STORE command, so a fragmented set never makes an enormous command line. */
const UIDS_PER_STORE = 5000;

/**
 * Re-syncs flags of messages copied earlier: one `UID STORE uidset FLAGS (...)` per distinct flag set, on the
 * destination, for pairs whose destination flags differ from the (accepted) source flags. Returns how many
 * messages changed.
 */
export async function syncFlags(
  destination: FolderSession,
  path: string,
  pairs: Array<{ source: ScannedMessage; destination: ScannedMessage }>,
  policy: FlagPolicy,
): Promise<number> {
  const byFlags = new Map<string, { flags: string[]; uids: number[] }>();
  for (const pair of pairs) {
    const wanted = policy.filter(pair.source.flags);
    const current = normaliseFlags(pair.destination.flags).filter((flag) => policy.accepts(flag));
    if (sameFlags(wanted, current)) continue;
    const key = wanted.join(' ');
    const group = byFlags.get(key) ?? { flags: wanted, uids: [] };
    group.uids.push(pair.destination.uid);
    byFlags.set(key, group);
  }
  if (byFlags.size === 0) return 0;
  return destination.inFolder(path, { readOnly: false }, async () => {
    let changed = 0;
    for (const { flags, uids } of byFlags.values()) {
      const list = flagList(flags);
      // The policy let through only what the folder accepts; a flag that is not an atom cannot be stored anyway.
      if ('invalid' in list) continue;
      for (const chunk of chunkUids(uids.sort((a, b) => a - b), UIDS_PER_STORE)) {
        await destination.replaceFlags(toSequenceSet(chunk), list.list);
      }
      changed += uids.length;
    }
    return changed;
  });
}
