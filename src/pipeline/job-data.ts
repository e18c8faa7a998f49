import type { CollaborativeCounts, CollaborativeReport } from '../domain/collaborative-report.js';
import type { CopyReport, FolderMismatch, FolderState } from '../domain/copy-report.js';
import type { CollaborativeJournal } from '../ews/index.js';
import type { MigrationState, StepName, StepStates } from '../domain/steps.js';
import type { ClientSettings, DnsCheck, FeatureTask } from '../ovh/mail-platform.js';
import type { Actor, FeatureResult, MigrationPlan, RequestOrigin } from './migration-service.js';
import type { Sealed } from './secret-box.js';

/**
 * What a BullMQ job stores: a migration's request, plan and checkpoint (saved after every step, so any worker
 * resumes it), or a batch's mailboxes; and what a finished migration job returns.
 */

/** The request as kept in the job: the destination password sealed, never in clear. */
export interface StoredRequest {
  sourceAddress: string;
  destinationService: string;
  temporaryName?: string;
  destinationPassword?: Sealed;
  dryRun: boolean;
  resetSourceAfter: boolean;
  requester: Actor;
  origin?: RequestOrigin;
  /** Random, per request: buttons carry it and the signed decision binds it. */
  nonce: string;
  /** The requester typed the destination password (they know it); kept after the sealed copy is deleted. */
  passwordTyped: boolean;
  /** HANDOVER_TO when the request was made: who gets the destination password. */
  handoverTo: 'requester' | 'approver';
  /** Staged order: the source's current password (sealed), moved into the checkpoint when the first copy starts. */
  sourcePassword?: Sealed;
  /** Staged order: seconds between delta passes until the cut-over. */
  syncEverySeconds?: number;
  /** Staged order: when to cut over by itself (ISO); absent: when an approver (or the CLI) asks. */
  cutoverAt?: string;
}

/**
 * The changes the pipeline makes at OVH, one journal entry each (see `change()` in steps.ts). Features recreated
 * on the destination have their own journal (`Checkpoint.features`).
 */
export type ChangeName =
  | 'attach-domain'
  | 'rename-source'
  | 'source-password'
  | 'create-destination'
  | 'destination-password'
  | 'imap-on-source'
  | 'imap-on-destination'
  | 'imap-restore-source'
  | 'imap-restore-destination'
  | 'reset-source'
  | 'undo-destination'
  | 'undo-rename'
  | 'hide-staged'
  | 'show-staged'
  | 'rename-destination'
  | 'undo-rename-destination';

/**
 * The journal of one feature change on the destination, by natural key: `intent` saved before the first OVH call,
 * `started` with the OVH task saved as soon as `startFeature` returns it (before waiting for it), then what came of
 * it. A resumed step waits for a recorded task instead of starting again; final statuses are never redone.
 */
export interface FeatureRecord {
  status: 'intent' | 'started' | FeatureResult;
  /** ISO time of the last change. */
  at: string;
  task?: FeatureTask;
  detail?: string;
  instruction?: string;
  /** pending: the addresses (or domains) it waits for. */
  waitsFor?: string[];
}

/** Everything a run has done so far; saved in the job after every step, so a new worker resumes from it. */
export interface Checkpoint {
  steps: StepStates;
  /** Each change at OVH: intent saved before the call, `done` after it returned (see `change()` in steps.ts). */
  changes?: Partial<Record<ChangeName, { intent: string; done?: string }>>;
  /** Password set on the renamed source for the copy; deleted once no step needs it (after the delta pass). */
  sourcePassword?: Sealed;
  /** Destination password (given or generated), sealed before the account is created; deleted after the delta pass. */
  destinationPassword?: Sealed;
  /** The free slot the create step configured (journaled before the call), for a resume while OVH renames it. */
  destinationSlot?: string;
  /** IMAP switches found before the copy, restored at handover (Exchange's per-mailbox protocol setting). */
  imapRestore?: { source?: boolean; destination?: boolean };
  copy?: CopyReport;
  delta?: CopyReport;
  /** Calendars, contacts, tasks, rules, out-of-office over EWS: each pass's report, the EWS layer's resume journal. */
  collaborative?: CollaborativeReport;
  collaborativeDelta?: CollaborativeReport;
  collaborativeJournal?: CollaborativeJournal;
  /** Items, rules, folders the EWS copy could not take, with why. */
  collaborativeIssues?: string[];
  /** What stays on the source when the destination has no calendars (MX Plan), as counted. */
  collaborativeLeft?: CollaborativeCounts;
  copyFailures?: number;
  mismatches?: FolderMismatch[];
  /** The source folders the last mail pass left complete, as it found them: the next pass skips those unchanged. */
  sourceStates?: FolderState[];
  /** The features step's journal, by featureKey (see FeatureRecord). */
  features?: Record<string, FeatureRecord>;
  dns?: DnsCheck[];
  clientSettings?: ClientSettings;
  undone?: boolean;
  /** Steps that reported a failure without stopping the run (verify found missing mail, a feature failed). */
  softFailures?: StepName[];
  /** Transient failures in a row (OVH 5xx, network): since when, for the retry budget; cleared by a step that ends. */
  retrying?: { since: string; attempts: number };
  /** 1 for the first run, one more per retry after a failure or a cancel. */
  run?: number;
  /** Staged order: the delta passes made while waiting for the cut-over. */
  staging?: StagingRecord;
  /** How the run ended when it did not complete. */
  outcome?: { state: 'cancelled'; by: string } | { state: 'failed'; error: string; step: StepName };
}

/** What the staged copy has done while it waits for its cut-over. */
export interface StagingRecord {
  /** Delta passes since the first copy. */
  passes: number;
  lastSyncAt?: string;
  /** Of the last pass: messages copied, and removed because they left the source (deleted or moved). */
  lastCopied?: number;
  lastRemoved?: number;
  /** Over all passes. */
  copied: number;
  removed: number;
  nextSyncAt?: string;
  /** Who asked for the cut-over and when (copied from Redis when the stage step ends). */
  cutover?: { by: string; at: string };
}

export interface MigrationJobData {
  kind: 'migration';
  request: StoredRequest;
  plan: MigrationPlan;
  checkpoint: Checkpoint;
  batchId?: string;
  createdAt: string;
}

export interface BatchJobData {
  kind: 'batch';
  batchId: string;
  requester: Actor;
  origin?: RequestOrigin;
  jobIds: string[];
  concurrency: number;
}

export type JobData = MigrationJobData | BatchJobData;

/** What a finished migration job returns. */
export interface MigrationResult {
  state: Extract<MigrationState, 'done' | 'rejected'>;
  detail?: string;
}
