/** Compresses UIDs into an IMAP sequence set ("1:5,7,9:12"), so one FETCH covers them all. */
export function toSequenceSet(uids: Iterable<number>): string {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const ranges: string[] = [];
  let start = sorted[0];
  let previous = start;
  for (let i = 1; i <= sorted.length; i++) {
    const uid = sorted[i];
    if (uid === previous + 1) {
      previous = uid;
      continue;
    }
    if (start !== undefined) ranges.push(start === previous ? `${start}` : `${start}:${previous}`);
    start = uid;
    previous = uid;
  }
  return ranges.join(',');
}

/** Splits a UID list into chunks so no single command line grows without bound on fragmented mailboxes. */
export function chunkUids(uids: number[], size: number): number[][] {
  const chunks: number[][] = [];
  for (let i = 0; i < uids.length; i += size) chunks.push(uids.slice(i, i + size));
  return chunks;
}
