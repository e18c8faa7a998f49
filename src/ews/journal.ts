import { createHash } from 'node:crypto';
import type { ExtendedProperty } from './types.js';

/**
 * Resume without duplicates. Each uploaded item is stamped with a marker: a named extended property (our own
 * property set) whose value is a hash of the source item's id. A run reads the destination's markers back and
 * uploads only source items whose marker is absent. The window between UploadItems and the stamp is covered by
 * a small journal the caller persists: the uploads whose outcome is not settled yet (`uploading` before the
 * call, `uploaded` with the new item's id after it). Stamped items leave the journal, so it never holds more than
 * the batches in flight; a run resuming from it stamps what was uploaded, and finds uploads whose answer was lost
 * among the destination's unmarked items by their fingerprint (item class, subject, start and end).
 */

export const MARKER_PROPERTY: Extract<ExtendedProperty, { propertySetId: string }> = { propertySetId: '6f1b4a8e-2c3d-4e5f-9a7b-8c9d0e1f2a3b', name: 'ovhMigSource', type: 'String' };

/** The marker of a source item: `v1:` and 32 hex digits of SHA-256 over its EWS id. */
export function markerOf(sourceItemId: string): string {
  return `v1:${createHash('sha256').update(sourceItemId).digest('hex').slice(0, 32)}`;
}

export type PendingUpload = { folder: string; state: 'uploading' } | { folder: string; state: 'uploaded'; item: string };

export interface CollaborativeJournal {
  version: 1;
  /** By marker: uploads not stamped yet. `folder` is the destination folder's id. */
  pending: Record<string, PendingUpload>;
}

export function emptyJournal(): CollaborativeJournal {
  return { version: 1, pending: {} };
}

/** Holds the journal and hands a copy to the caller's `save` after every change (awaited: the caller persists first). */
export class JournalKeeper {
  private readonly journal: CollaborativeJournal;

  constructor(
    initial: CollaborativeJournal | undefined,
    private readonly save: ((journal: CollaborativeJournal) => Promise<void> | void) | undefined,
  ) {
    this.journal = initial && initial.version === 1 ? { version: 1, pending: { ...initial.pending } } : emptyJournal();
  }

  get pending(): Readonly<Record<string, PendingUpload>> {
    return this.journal.pending;
  }

  snapshot(): CollaborativeJournal {
    return { version: 1, pending: { ...this.journal.pending } };
  }

  async update(change: (pending: Record<string, PendingUpload>) => void): Promise<void> {
    change(this.journal.pending);
    await this.save?.(this.snapshot());
  }

  /** Pending uploads into one destination folder. */
  forFolder(folder: string): Array<[string, PendingUpload]> {
    return Object.entries(this.journal.pending).filter(([, entry]) => entry.folder === folder);
  }
}
