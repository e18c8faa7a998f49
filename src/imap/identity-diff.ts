/** What the diff needs of a scanned message. */
export interface IdentifiedMessage {
  uid: number;
  identity: string;
}

export interface IdentityDiff<S extends IdentifiedMessage, D extends IdentifiedMessage> {
  /** Source messages with no counterpart at the destination (multiset difference). */
  missing: S[];
  /** Source messages paired with a destination copy (for flag re-sync). */
  matched: Array<{ source: S; destination: D }>;
}

/**
 * Compares source and destination as multisets of identities: a source identity present n times and present m
 * times at the destination leaves max(0, n - m) messages to copy. Pairs are made in UID order on both sides.
 */
export function diffByIdentity<S extends IdentifiedMessage, D extends IdentifiedMessage>(
  source: readonly S[],
  destination: readonly D[],
): IdentityDiff<S, D> {
  const available = new Map<string, D[]>();
  for (const message of [...destination].sort((a, b) => a.uid - b.uid)) {
    const list = available.get(message.identity);
    if (list) list.push(message);
    else available.set(message.identity, [message]);
  }
  const missing: S[] = [];
  const matched: Array<{ source: S; destination: D }> = [];
  for (const message of [...source].sort((a, b) => a.uid - b.uid)) {
    const copy = available.get(message.identity)?.shift();
    if (copy) matched.push({ source: message, destination: copy });
    else missing.push(message);
  }
  return { missing, matched };
}
