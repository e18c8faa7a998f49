import { z } from 'zod';
import { messageCountsSchema } from './copy-report.js';

/**
 * What a copy of contacts, calendars, tasks, inbox rules and out-of-office settings over EWS reports: per kind the
 * same counters as the mail copy (`total`, `copied`, `skipped` = already at the destination, `failed`). This is
 * the `copy-collaborative --json` contract and the `"collaborative"` section of `migrate --json`.
 */

export const COLLABORATIVE_KINDS = ['calendar', 'contacts', 'tasks'] as const;
export type CollaborativeKind = (typeof COLLABORATIVE_KINDS)[number];

export const oofReportSchema = z.object({
  /** `copied`; `skipped` (the destination already had the same settings); `failed`; `not requested`. */
  status: z.enum(['copied', 'skipped', 'failed', 'not requested']),
  /** The source's state, when it could be read. */
  state: z.enum(['Disabled', 'Enabled', 'Scheduled']).nullable(),
});
export type OofReport = z.infer<typeof oofReportSchema>;

export const collaborativeFolderReportSchema = messageCountsSchema.extend({
  from: z.string(),
  to: z.string(),
  kind: z.enum(COLLABORATIVE_KINDS),
});
export type CollaborativeFolderReport = z.infer<typeof collaborativeFolderReportSchema>;

export const collaborativeReportSchema = z.object({
  ok: z.boolean(),
  calendar: messageCountsSchema,
  contacts: messageCountsSchema,
  tasks: messageCountsSchema,
  /** Inbox rules: `failed` counts the rules the destination refused or this tool cannot recreate (each named in the outcome). */
  rules: messageCountsSchema,
  oof: oofReportSchema,
  /** Bytes of the item streams uploaded. */
  bytes: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
  folders: z.array(collaborativeFolderReportSchema),
});
export type CollaborativeReport = z.infer<typeof collaborativeReportSchema>;

/** Items per kind in a mailbox's calendar, contacts and tasks folders. */
export type CollaborativeCounts = Record<CollaborativeKind, number>;

/** Emitted while copying, at a bounded rate. */
export interface CollaborativeProgress {
  phase: 'scanning' | 'copying' | 'rules' | 'oof' | 'verifying' | 'done';
  folder?: string;
  itemsDone: number;
  itemsTotal: number;
  bytesDone: number;
  /** Bytes per second over the recent past. */
  rate: number;
}
