import type { Logger } from 'pino';
import type { CollaborativeKind } from '../domain/collaborative-report.js';
import type { EwsClient } from './client.js';
import { EwsOutcomeUnknown, isTransientCode } from './errors.js';
import { JournalKeeper, MARKER_PROPERTY, markerOf } from './journal.js';
import { extendedKey } from './responses.js';
import type { EwsItemSummary, ItemElement, PropertyPath } from './types.js';

/**
 * Copies the items of one folder: lists the source (ids, classes, sizes, fingerprints) and the destination
 * (markers), uploads what is missing as full-fidelity streams (ExportItems -> UploadItems CreateNew) in batches of
 * at most `batchItems` items and `batchBytes` bytes, stamps each new item with its marker, and verifies at the end
 * that every source item's marker is at the destination. One batch is exported while the previous one is being
 * uploaded, so at most two batches are held at once, whatever the folder's size.
 */

export interface BatchLimits {
  /** Items per ExportItems/UploadItems call (Microsoft: no more than 100). */
  items: number;
  /** Estimated bytes per call (item size x 1.37 for base64). */
  bytes: number;
}

export const DEFAULT_BATCH: BatchLimits = { items: 100, bytes: 20 * 1024 * 1024 };

/** Rounds for items refused with a transient code (busy, transient error) before they count as failed. */
const TRANSIENT_ROUNDS = 3;
/** In-run attempts at a batch whose UploadItems answer was lost. */
const UNKNOWN_OUTCOME_ROUNDS = 3;
const MARKER_KEY = extendedKey(MARKER_PROPERTY);

const SOURCE_PROPERTIES: PropertyPath[] = [{ field: 'item:ItemClass' }, { field: 'item:Subject' }, { field: 'item:Size' }, { field: 'calendar:Start' }, { field: 'calendar:End' }];
const DESTINATION_PROPERTIES: PropertyPath[] = [{ field: 'item:ItemClass' }, { field: 'item:Subject' }, { field: 'item:DateTimeCreated' }, { field: 'calendar:Start' }, { field: 'calendar:End' }, { extended: MARKER_PROPERTY }];
const MARKER_ONLY: PropertyPath[] = [{ extended: MARKER_PROPERTY }];

export interface ItemFailure {
  folder: string;
  kind: CollaborativeKind;
  subject: string;
  /** The marker of the source item (a hash of its id), to find it in logs. */
  marker: string;
  reason: string;
}

export interface FolderCopyResult {
  total: number;
  copied: number;
  skipped: number;
  failed: number;
  bytes: number;
  /** Source items whose marker is not at the destination after the copy (beyond those reported as failed). */
  missing: number;
}

export interface FolderCopyContext {
  source: EwsClient;
  destination: EwsClient;
  journal: JournalKeeper;
  limits: BatchLimits;
  logger?: Logger;
  signal?: AbortSignal;
  dryRun?: boolean;
  onItems: (items: number, bytes: number) => void;
  onFailure: (failure: ItemFailure) => void;
  onNote: (note: string) => void;
  /** Test hook: runs before each export batch (the benchmark samples memory there). */
  onBatch?: () => void;
}

interface SourceItem {
  id: string;
  changeKey?: string;
  marker: string;
  element: ItemElement;
  fingerprint: string;
  subject: string;
  size: number;
}

interface DestinationItem {
  id: string;
  changeKey?: string;
  element: ItemElement;
  fingerprint: string;
  created: string;
  marker?: string;
}

function fingerprint(item: EwsItemSummary): string {
  return [item.itemClass ?? '', (item.subject ?? '').trim(), item.start ?? '', item.end ?? ''].join('\u0000');
}

export class FolderCopy {
  private readonly result: FolderCopyResult = { total: 0, copied: 0, skipped: 0, failed: 0, bytes: 0, missing: 0 };
  private readonly failedMarkers = new Set<string>();
  private sourceMarkers = new Set<string>();
  /** The longest back-off a refused item asked for in this round. */
  private roundBackOffMs = 0;

  constructor(
    private readonly context: FolderCopyContext,
    private readonly folder: { name: string; kind: CollaborativeKind; sourceId: string; destinationId: string | undefined },
  ) {}

  async run(): Promise<FolderCopyResult> {
    const source = await this.listSource();
    this.result.total = source.length;
    const destinationId = this.folder.destinationId;
    if (!destinationId) {
      // Dry run into a folder that does not exist yet: everything is to copy.
      return this.result;
    }
    const pending = this.context.journal.forFolder(destinationId);
    const { present, candidates } = await this.listDestination(destinationId, pending.length > 0);
    const sourceMarkers = new Set(source.map((item) => item.marker));
    this.sourceMarkers = sourceMarkers;
    const missing: SourceItem[] = [];
    const toStamp: Array<{ item: SourceItem; destination: DestinationItem }> = [];
    const claimed = new Set<string>();
    for (const item of source) {
      if (present.has(item.marker)) {
        this.result.skipped++;
        continue;
      }
      const entry = this.context.journal.pending[item.marker];
      if (entry && entry.folder === destinationId) {
        // Uploaded by an earlier run that stopped before stamping: find that copy instead of uploading again.
        const found = entry.state === 'uploaded' ? candidates.find((c) => c.id === entry.item) : this.claim(candidates, item, claimed, sourceMarkers);
        if (found) {
          claimed.add(found.id);
          toStamp.push({ item, destination: found });
          this.result.skipped++;
          continue;
        }
      }
      missing.push(item);
    }
    if (this.context.dryRun) return this.result;
    if (toStamp.length > 0) await this.stamp(toStamp.map(({ item, destination }) => ({ item, id: destination.id, changeKey: destination.changeKey, element: destination.element })));
    // Journal entries of this folder that matched nothing are settled: their items are missing and copied again.
    const stale = pending.filter(([marker]) => !toStamp.some(({ item }) => item.marker === marker)).map(([marker]) => marker);
    if (stale.length > 0) await this.context.journal.update((entries) => stale.forEach((marker) => delete entries[marker]));
    this.context.onItems(this.result.skipped, 0);

    let round = 0;
    let queue = missing;
    while (queue.length > 0) {
      const retry: SourceItem[] = [];
      this.roundBackOffMs = 0;
      await this.copyItems(queue, destinationId, retry, round);
      queue = retry;
      round++;
      if (queue.length > 0) await sleep(Math.min(60_000, this.roundBackOffMs || 500 * round), this.context.signal);
    }
    await this.verify(destinationId, sourceMarkers);
    return this.result;
  }

  private claim(candidates: DestinationItem[], item: SourceItem, claimed: Set<string>, sourceMarkers: Set<string>): DestinationItem | undefined {
    let best: DestinationItem | undefined;
    for (const candidate of candidates) {
      if (claimed.has(candidate.id) || candidate.fingerprint !== item.fingerprint) continue;
      // A marker of one of this folder's source items means that copy belongs to that item.
      if (candidate.marker && sourceMarkers.has(candidate.marker)) continue;
      if (!best || candidate.created > best.created) best = candidate;
    }
    return best;
  }

  private async listSource(): Promise<SourceItem[]> {
    const items: SourceItem[] = [];
    for await (const page of this.context.source.itemPages({ id: this.folder.sourceId }, { properties: SOURCE_PROPERTIES, pageSize: 500 })) {
      this.context.signal?.throwIfAborted();
      for (const item of page.items) {
        items.push({ id: item.id, changeKey: item.changeKey, marker: markerOf(item.id), element: item.element, fingerprint: fingerprint(item), subject: item.subject ?? '', size: item.size ?? 0 });
      }
    }
    return items;
  }

  /** Markers at the destination; unmarked (or foreign-marked) items too when journal entries must be matched. */
  private async listDestination(folderId: string, withCandidates: boolean): Promise<{ present: Set<string>; candidates: DestinationItem[] }> {
    const present = new Set<string>();
    const candidates: DestinationItem[] = [];
    for await (const page of this.context.destination.itemPages({ id: folderId }, { properties: withCandidates ? DESTINATION_PROPERTIES : MARKER_ONLY, pageSize: 500 })) {
      this.context.signal?.throwIfAborted();
      for (const item of page.items) {
        const marker = item.extended[MARKER_KEY];
        if (marker) present.add(marker);
        if (withCandidates) candidates.push({ id: item.id, changeKey: item.changeKey, element: item.element, fingerprint: fingerprint(item), created: item.created ?? '', marker });
      }
    }
    return { present, candidates };
  }

  /** Exports and uploads `items` in bounded batches, one export overlapping one upload. */
  private async copyItems(items: SourceItem[], destinationId: string, retry: SourceItem[], round: number): Promise<void> {
    let uploading: Promise<void> | undefined;
    let index = 0;
    try {
      while (index < items.length) {
        this.context.signal?.throwIfAborted();
        const batch: SourceItem[] = [];
        let bytes = 0;
        while (index < items.length && batch.length < this.context.limits.items) {
          const estimate = Math.ceil(items[index].size * 1.37) + 512;
          if (batch.length > 0 && bytes + estimate > this.context.limits.bytes) break;
          batch.push(items[index++]);
          bytes += estimate;
        }
        this.context.onBatch?.();
        const exported = await this.export(batch, retry, round);
        // The previous batch must be uploaded before this one goes (at most two batches held).
        if (uploading) await uploading;
        uploading = undefined;
        if (exported.length > 0) {
          uploading = this.upload(exported, destinationId, retry, round);
          // Awaited before the next upload or at the end; until then its failure must not count as unhandled.
          uploading.catch(() => undefined);
        }
      }
      if (uploading) await uploading;
    } catch (error) {
      // Let the upload in progress end (its journal writes included) before the error goes up.
      if (uploading) await uploading.catch(() => undefined);
      throw error;
    }
  }

  private async export(batch: SourceItem[], retry: SourceItem[], round: number): Promise<Array<{ item: SourceItem; data: string }>> {
    const results = await this.context.source.exportItems(batch.map((item) => ({ id: item.id })));
    const exported: Array<{ item: SourceItem; data: string }> = [];
    results.forEach((result, i) => {
      const item = batch[i];
      if (result.ok) exported.push({ item, data: result.data });
      else this.refused(item, result.code, `export refused: ${result.code}${result.message ? ` (${result.message})` : ''}`, retry, round, result.backOffMs);
    });
    return exported;
  }

  private refused(item: SourceItem, code: string, reason: string, retry: SourceItem[], round: number, backOffMs?: number): void {
    if (isTransientCode(code) && round < TRANSIENT_ROUNDS - 1) {
      this.roundBackOffMs = Math.max(this.roundBackOffMs, backOffMs ?? 0);
      retry.push(item);
      return;
    }
    this.fail(item, reason);
  }

  private fail(item: SourceItem, reason: string): void {
    if (this.failedMarkers.has(item.marker)) return;
    this.failedMarkers.add(item.marker);
    this.result.failed++;
    this.context.onFailure({ folder: this.folder.name, kind: this.folder.kind, subject: item.subject, marker: item.marker, reason });
  }

  /** Splits by the real stream sizes (the estimate may be off), then uploads each part. */
  private async upload(exported: Array<{ item: SourceItem; data: string }>, destinationId: string, retry: SourceItem[], round: number): Promise<void> {
    let part: Array<{ item: SourceItem; data: string }> = [];
    let bytes = 0;
    for (const entry of exported) {
      if (part.length > 0 && bytes + entry.data.length > this.context.limits.bytes) {
        await this.uploadPart(part, destinationId, retry, round);
        part = [];
        bytes = 0;
      }
      part.push(entry);
      bytes += entry.data.length;
    }
    if (part.length > 0) await this.uploadPart(part, destinationId, retry, round);
  }

  private async uploadPart(part: Array<{ item: SourceItem; data: string }>, destinationId: string, retry: SourceItem[], round: number): Promise<void> {
    let remaining = part;
    for (let attempt = 1; remaining.length > 0; attempt++) {
      await this.context.journal.update((entries) => {
        for (const { item } of remaining) entries[item.marker] = { folder: destinationId, state: 'uploading' };
      });
      let results;
      try {
        results = await this.context.destination.uploadItems(remaining.map(({ data }) => ({ parentFolderId: destinationId, data })));
      } catch (error) {
        if (!(error instanceof EwsOutcomeUnknown) || attempt >= UNKNOWN_OUTCOME_ROUNDS) throw error;
        this.context.logger?.warn({ folder: this.folder.name, items: remaining.length }, 'UploadItems answer lost: looking at the destination before going on');
        remaining = await this.reconcile(remaining, destinationId);
        continue;
      }
      const uploaded: Array<{ item: SourceItem; id: string; changeKey?: string; element: ItemElement; bytes: number }> = [];
      const settled: string[] = [];
      results.forEach((result, i) => {
        const { item, data } = remaining[i];
        if (result.ok) uploaded.push({ item, id: result.id, changeKey: result.changeKey, element: item.element, bytes: data.length });
        else {
          settled.push(item.marker);
          this.refused(item, result.code, `upload refused: ${result.code}${result.message ? ` (${result.message})` : ''}`, retry, round, result.backOffMs);
        }
      });
      await this.context.journal.update((entries) => {
        for (const marker of settled) delete entries[marker];
        for (const { item, id } of uploaded) entries[item.marker] = { folder: destinationId, state: 'uploaded', item: id };
      });
      for (const { bytes } of uploaded) this.result.bytes += bytes;
      this.result.copied += uploaded.length;
      this.context.onItems(uploaded.length, uploaded.reduce((sum, u) => sum + u.bytes, 0));
      if (uploaded.length > 0) await this.stamp(uploaded);
      return;
    }
  }

  /**
   * After an UploadItems whose answer was lost: the destination's unmarked items that match the batch's
   * fingerprints are that upload's copies (stamped now); the rest did not arrive and is returned to upload again.
   */
  private async reconcile(part: Array<{ item: SourceItem; data: string }>, destinationId: string): Promise<Array<{ item: SourceItem; data: string }>> {
    const { candidates } = await this.listDestination(destinationId, true);
    const claimed = new Set<string>();
    const found: Array<{ item: SourceItem; id: string; changeKey?: string; element: ItemElement; bytes: number }> = [];
    const again: Array<{ item: SourceItem; data: string }> = [];
    for (const entry of part) {
      const match = this.claim(candidates, entry.item, claimed, this.sourceMarkers);
      if (match) {
        claimed.add(match.id);
        found.push({ item: entry.item, id: match.id, changeKey: match.changeKey, element: match.element, bytes: entry.data.length });
      } else again.push(entry);
    }
    if (found.length > 0) {
      await this.context.journal.update((entries) => {
        for (const { item, id } of found) entries[item.marker] = { folder: destinationId, state: 'uploaded', item: id };
      });
      for (const { bytes } of found) this.result.bytes += bytes;
      this.result.copied += found.length;
      this.context.onItems(found.length, found.reduce((sum, f) => sum + f.bytes, 0));
      await this.stamp(found);
    }
    return again;
  }

  /** Sets the marker on new copies (batches of 100), then drops them from the journal. */
  private async stamp(items: Array<{ item: SourceItem; id: string; changeKey?: string; element: ItemElement }>): Promise<void> {
    for (let start = 0; start < items.length; start += 100) {
      const slice = items.slice(start, start + 100);
      const outcomes = await this.context.destination.setExtendedProperty(
        MARKER_PROPERTY,
        slice.map(({ id, element, item }) => ({ ref: { id }, element, value: item.marker })),
      );
      const done: string[] = [];
      outcomes.forEach((outcome, i) => {
        if (outcome.ok) done.push(slice[i].item.marker);
        else this.context.onNote(`${this.folder.name}: "${slice[i].item.subject}" was copied but could not be marked (${outcome.code}); the journal keeps it so that a later run does not copy it again`);
      });
      await this.context.journal.update((entries) => done.forEach((marker) => delete entries[marker]));
    }
  }

  /** Every source marker must now be at the destination; what is not, and was not reported, is missing. */
  private async verify(destinationId: string, sourceMarkers: Set<string>): Promise<void> {
    const present = new Set<string>();
    for await (const page of this.context.destination.itemPages({ id: destinationId }, { properties: MARKER_ONLY, pageSize: 1000, restriction: { exists: { extended: MARKER_PROPERTY } } })) {
      for (const item of page.items) {
        const marker = item.extended[MARKER_KEY];
        if (marker) present.add(marker);
      }
    }
    let missing = 0;
    for (const marker of sourceMarkers) if (!present.has(marker) && !this.failedMarkers.has(marker) && !this.context.journal.pending[marker]) missing++;
    this.result.missing = missing;
    this.result.failed += missing;
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
