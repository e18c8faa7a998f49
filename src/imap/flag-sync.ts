import type { ImapFlow } from 'imapflow';
import type { ScannedMessage } from './folder-scan.js';
import { normaliseFlags, sameFlags, type FlagPolicy } from './flag-policy.js';
import { toSequenceSet } from './uid-set.js';

/**
 * Re-syncs flags of messages copied earlier: one `UID STORE uidset FLAGS (...)` per distinct flag set, on the
 * destination, for pairs whose destination flags differ from the (accepted) source flags. Returns how many
 * messages changed.
 */
export async function syncFlags(
  destination: ImapFlow,
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
  const lock = await destination.getMailboxLock(path);
  let changed = 0;
  try {
    for (const { flags, uids } of byFlags.values()) {
      await destination.messageFlagsSet(toSequenceSet(uids), flags, { uid: true });
      changed += uids.length;
    }
  } finally {
    lock.release();
  }
  return changed;
}
