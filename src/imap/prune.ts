import type { FolderSession } from './fetch/folder-session.js';
import type { ScannedMessage } from './folder-scan.js';
import { chunkUids, toSequenceSet } from './uid-set.js';

const UIDS_PER_EXPUNGE = 5000;

/**
 * The destination messages of a folder that no source message accounts for (multiset difference by identity,
 * `matched` being the pairs the diff made): what left the source since it was copied.
 */
export function extraMessages(destination: readonly ScannedMessage[], matched: ReadonlyArray<{ destination: ScannedMessage }>): ScannedMessage[] {
  const kept = new Set(matched.map((pair) => pair.destination.uid));
  return destination.filter((message) => !kept.has(message.uid));
}

/**
 * Removes `extras` from the destination folder `path`; returns how many. Only for a destination nobody else
 * writes to yet (a staged copy before its cut-over): there, a message the source no longer holds was deleted or
 * moved by its owner. Needs UIDPLUS, so that only these messages are expunged; without it nothing is removed
 * (returns 0) and the caller says so.
 */
export async function pruneFolder(destination: FolderSession, path: string, extras: readonly ScannedMessage[]): Promise<number | 'unsupported'> {
  if (extras.length === 0) return 0;
  if (!destination.capabilities.has('UIDPLUS')) return 'unsupported';
  return destination.inFolder(path, { readOnly: false }, async () => {
    const uids = extras.map((message) => message.uid).sort((a, b) => a - b);
    for (const chunk of chunkUids(uids, UIDS_PER_EXPUNGE)) await destination.removeMessages(toSequenceSet(chunk));
    return uids.length;
  });
}
