import { z } from 'zod';

export const messageCountsSchema = z.object({
  total: z.number().int().nonnegative(),
  copied: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
});
export type MessageCounts = z.infer<typeof messageCountsSchema>;

export const folderReportSchema = messageCountsSchema.extend({ from: z.string(), to: z.string() });
export type FolderReport = z.infer<typeof folderReportSchema>;

/** The `copy --json` contract (DESIGN.md): exactly these keys, printed once at the end. */
export const copyReportSchema = z.object({
  ok: z.boolean(),
  messages: messageCountsSchema,
  bytes: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  folders: z.array(folderReportSchema),
});
export type CopyReport = z.infer<typeof copyReportSchema>;

/** A message the destination refused or that could not be read, named by folder and source UID. */
export interface CopyFailure {
  folder: string;
  uid: number;
  reason: string;
}

/** A folder whose destination does not hold every source message after the copy. */
export interface FolderMismatch {
  folder: string;
  missing: number;
  /** Source UIDs (bounded list) of messages absent from the destination. */
  missingUids: number[];
}

/**
 * A source folder as a copy pass found it (STATUS with CONDSTORE's HIGHESTMODSEQ), recorded when that pass left
 * it complete on the destination: a later pass that finds it identical has nothing new to copy there (no message
 * added, removed, or with a flag changed), and skips scanning it.
 */
export interface FolderState {
  path: string;
  uidValidity: number;
  uidNext: number;
  messages: number;
  highestModseq: string;
}

export function sameFolderState(a: FolderState, b: FolderState): boolean {
  return a.path === b.path && a.uidValidity === b.uidValidity && a.uidNext === b.uidNext && a.messages === b.messages && a.highestModseq === b.highestModseq;
}

/** Everything the copier knows at the end; `report` is the public JSON contract. */
export interface CopyOutcome {
  report: CopyReport;
  failures: CopyFailure[];
  mismatches: FolderMismatch[];
  /** With `prune`: destination messages removed because the source no longer holds them (deleted or moved). */
  removed?: number;
  /** With `recordStates`: the source folders this pass left complete, as it found them (see FolderState). */
  sourceStates?: FolderState[];
}

/** Emitted while copying, at a bounded rate, for progress bars, the queue and Slack. */
export interface CopyProgress {
  phase: 'scanning' | 'copying' | 'syncing-flags' | 'verifying' | 'done';
  folder?: string;
  messagesDone: number;
  messagesTotal: number;
  bytesDone: number;
  bytesTotal: number;
  /** Bytes per second over the recent past. */
  rate: number;
  /** Seconds left at the current rate, or undefined when unknown. */
  etaSeconds?: number;
  /** What `messages*` count: mail messages (default), or calendar, contact and task items (the EWS copy). */
  unit?: 'messages' | 'items';
}
