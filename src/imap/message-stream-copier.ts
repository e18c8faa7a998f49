import type { FolderSession } from './fetch/folder-session.js';
import type { AppendItem, AppendOutcome, AppendSession } from './append/append-session.js';
import { ownCopy, type ArenaSlot, type BodyArena } from './body-arena.js';
import type { FlagPolicy } from './flag-policy.js';
import type { FetchedMessage } from './fetch/fetch-response.js';
import type { ScannedMessage } from './folder-scan.js';
import { headerBlock, messageIdentity, parseHeaderFields } from './message-identity.js';
import { chunkUids, toSequenceSet } from './uid-set.js';

export interface StreamLimits {
  /** Messages per append() call. */
  batchMessages: number;
  /** Bytes per append() call (a bigger single message still goes alone). */
  batchBytes: number;
  /** Bytes fetched but not yet acknowledged by the destination; the fetch waits above it. */
  inFlightBytes: number;
  /** append() calls awaiting their answer. */
  inFlightBatches: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  batchMessages: 100,
  batchBytes: 4 * 1024 * 1024,
  inFlightBytes: 24 * 1024 * 1024,
  inFlightBatches: 4,
};

/** UIDs per FETCH command: keeps a fragmented UID set from making one enormous command line. */
const UIDS_PER_FETCH = 5000;

export interface StreamCopyRequest {
  source: FolderSession;
  sourcePath: string;
  session: AppendSession;
  destinationPath: string;
  /** The source messages to copy, from the folder scan; identities still unknown are filled in from the bodies. */
  messages: ScannedMessage[];
  policy: FlagPolicy;
  limits: StreamLimits;
  /**
   * Where bodies wait for the destination's answer (see BodyArena): reused from one call to the next, so only
   * one streamCopy may use an arena at a time. Without it, each body gets a Buffer of its own.
   */
  arena?: BodyArena;
  signal?: AbortSignal;
  /** Called as the destination acknowledges each batch. */
  onAppended(messages: number, bytes: number): void;
  /** A message the destination refused for good (too big, bad syntax...). */
  onRefused(uid: number, reason: string): void;
  /** A message refused for a reason that may pass on a later try. */
  onDeferred(uid: number, reason: string): void;
}

export interface StreamCopyResult {
  appended: number;
  /** Messages refused for a reason that may pass next time (retry after re-deriving the state). */
  transient: number;
}

interface PendingBatch {
  uids: number[];
  items: AppendItem[];
  slots: ArenaSlot[];
  bytes: number;
}

/**
 * Streams the bodies of the given UIDs with one `UID FETCH set (UID FLAGS INTERNALDATE BODY.PEEK[])` and feeds
 * them to the append session in bounded batches, several in flight, so neither side waits a round trip per
 * message and memory stays bounded by `inFlightBytes`. Backpressure reaches the source socket: the folder
 * session stops reading it while this loop waits for room.
 */
export async function streamCopy(request: StreamCopyRequest): Promise<StreamCopyResult> {
  const { limits } = request;
  const inFlight = new Set<Promise<void>>();
  let inFlightBytes = 0;
  let appended = 0;
  let transient = 0;
  let appendError: unknown;
  let batch: PendingBatch = { uids: [], items: [], slots: [], bytes: 0 };
  // Every slot of an earlier call was released (its appends settled) or never sent.
  request.arena?.reset();

  const settle = (sent: PendingBatch, outcomes: AppendOutcome[]) => {
    let bytes = 0;
    let count = 0;
    sent.items.forEach((item, index) => {
      const outcome = outcomes[index];
      if (outcome?.ok) {
        count++;
        bytes += item.raw.length;
      } else if (outcome && outcome.permanent) request.onRefused(sent.uids[index], outcome.reason);
      else {
        transient++;
        request.onDeferred(sent.uids[index], outcome?.reason ?? 'no answer from the destination for this message');
      }
    });
    appended += count;
    if (count > 0) request.onAppended(count, bytes);
  };

  const dispatch = () => {
    if (batch.items.length === 0) return;
    const sent = batch;
    batch = { uids: [], items: [], slots: [], bytes: 0 };
    inFlightBytes += sent.bytes;
    const done: Promise<void> = request.session
      .append(request.destinationPath, sent.items)
      .then(
        (outcomes) => settle(sent, outcomes),
        (error: unknown) => {
          appendError ??= error;
        },
      )
      .finally(() => {
        // The command is answered (or its connection gone): nothing reads these bytes any more.
        for (const slot of sent.slots) slot.release();
        inFlightBytes -= sent.bytes;
        inFlight.delete(done);
      });
    inFlight.add(done);
  };

  const waitForRoom = async () => {
    while (inFlight.size > 0 && (inFlight.size >= limits.inFlightBatches || inFlightBytes >= limits.inFlightBytes)) {
      await Promise.race(inFlight);
    }
  };

  const scanned = new Map(request.messages.map((message) => [message.uid, message]));
  const wanted = (message: FetchedMessage) => message.uid !== undefined && scanned.has(message.uid) && message.body !== undefined;
  const arena = request.arena;
  const keepBody = arena ? (view: Buffer) => arena.copy(view) : ownCopy;
  await request.source.inFolder(request.sourcePath, { readOnly: true }, async () => {
    try {
      for (const uids of chunkUids([...scanned.keys()].sort((a, b) => a - b), UIDS_PER_FETCH)) {
        for await (const message of request.source.fetch(toSequenceSet(uids), 'UID FLAGS INTERNALDATE BODY.PEEK[]', wanted, keepBody)) {
          const slot = message.body!;
          if (appendError) {
            slot.release();
            throw appendError;
          }
          request.signal?.throwIfAborted();
          const uid = message.uid!;
          const known = scanned.get(uid)!;
          if (slot.bytes.length === 0 && known.size > 0) {
            request.onRefused(uid, 'the source server returned no body for this message');
            continue;
          }
          if (known.identity === '') known.identity = messageIdentity(headerBlock(slot.bytes));
          const item: AppendItem = {
            raw: slot.bytes,
            flags: request.policy.filter(message.flags ?? known.flags),
            internalDate: message.internalDate ?? dateHeader(slot.bytes) ?? new Date(),
          };
          if (batch.items.length > 0 && batch.bytes + item.raw.length > limits.batchBytes) dispatch();
          batch.uids.push(uid);
          batch.items.push(item);
          batch.slots.push(slot);
          batch.bytes += item.raw.length;
          if (batch.items.length >= limits.batchMessages) dispatch();
          await waitForRoom();
        }
      }
      dispatch();
    } finally {
      // Let batches already written settle, so the counts are right and no rejection goes unobserved.
      await Promise.allSettled([...inFlight]);
    }
  });
  if (appendError) throw appendError;
  return { appended, transient };
}

/**
 * The Date header of a message, for a server that sent no INTERNALDATE or one that does not parse: the closest
 * to the arrival time the message itself knows. Undefined when it has none that parses either.
 */
function dateHeader(raw: Buffer): Date | undefined {
  const value = parseHeaderFields(headerBlock(raw)).get('date');
  if (!value) return undefined;
  const time = Date.parse(value.replace(/\s*\([^)]*\)\s*$/, ''));
  return Number.isNaN(time) ? undefined : new Date(time);
}
