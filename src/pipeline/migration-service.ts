import type { CopyProgress, CopyReport } from '../domain/copy-report.js';
import type { Platform, ServiceRef } from '../domain/platform.js';
import type { ClientSettings, DnsCheck, UnmigratedFeature } from '../ovh/mail-platform.js';

/**
 * The pipeline's public face: what the Slack app and the CLI call. The Slack layer and the worker talk only
 * through this (backed by the BullMQ queue and its events), so they can run in different processes.
 */
export interface MigrationService {
  /** Builds the plan and checks every refusal rule without changing anything. */
  preflight(request: MigrationRequest): Promise<PreflightResult>;
  /** Queues the migration; it waits at the approval gate unless `request.preapproved`. */
  submit(request: MigrationRequest): Promise<SubmitResult>;
  /** Idempotent: a second decision on the same job returns the first one with `changed: false`. */
  decide(jobId: string, decision: Decision): Promise<DecisionResult>;
  cancel(jobId: string, by: Actor): Promise<void>;
  /** After a failure past the rename: rename the source back. */
  undo(jobId: string, by: Actor): Promise<void>;
  retry(jobId: string, by: Actor): Promise<void>;
  /** Resets the temporary source account once the user confirmed the move. */
  resetSource(jobId: string, by: Actor): Promise<void>;
  /** The destination's initial password, to its requester only, and only once (undefined afterwards). */
  takeDestinationPassword(jobId: string, by: Actor): Promise<string | undefined>;
  status(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]>;

  /** Source accounts for a type-ahead (Exchange and E-mail Pro, configured, not slots). */
  searchSourceAccounts(query: string, limit: number): Promise<AccountChoice[]>;
  listDestinationServices(): Promise<ServiceChoice[]>;

  /** Validates every row first; starts nothing when any row is bad. */
  submitBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin }): Promise<BatchSubmitResult>;

  /**
   * Step, progress and outcome events of every job, from whichever worker runs it. With `options.group`, the
   * subscribers of that group split the events across processes (see SubscribeOptions).
   */
  subscribe(listener: (event: MigrationEvent) => void, options?: SubscribeOptions): () => void;

  /**
   * A batch as stored with its jobs: its mailboxes, requester, origin (where its summary lives) and the decision
   * taken on the whole batch. Optional: a single-process service may leave it out (callers then keep batches in memory).
   */
  batch?(batchId: string): Promise<BatchInfo | undefined>;
  /**
   * Stores, with the batch, where its summary was posted (`origin.threadTs` = the summary's ts, the thread of every
   * mailbox of the batch) and/or the decision taken on the whole batch (the first one stored wins).
   */
  updateBatch?(batchId: string, change: { origin?: RequestOrigin; decision?: DecisionResult }): Promise<void>;
}

export interface SubscribeOptions {
  /**
   * Subscribers sharing a group name (e.g. every Slack bot process on one Redis) split the events between them:
   * all events of one job, or of one batch, go to one live subscriber of the group, in order; another one takes
   * over when it unsubscribes or dies. Without a group, a subscriber sees every event.
   */
  group?: string;
}

export interface BatchInfo {
  batchId: string;
  jobIds: string[];
  requester: Actor;
  origin?: RequestOrigin;
  decision?: DecisionResult;
}

export interface Actor {
  kind: 'slack' | 'cli';
  /** Slack user id, or the local user name for the CLI. */
  id: string;
}

/** Where a request came from, so that any bot process can post into its thread. */
export interface RequestOrigin {
  channel: string;
  threadTs?: string;
  batchId?: string;
}

export interface MigrationRequest {
  sourceAddress: string;
  /** `SERVICE`, or `ORGANIZATION/SERVICE` for Exchange, or a legacy MX Plan domain. */
  destinationService: string;
  temporaryName?: string;
  /** Given by the requester; generated to the service's policy when absent. */
  destinationPassword?: string;
  dryRun?: boolean;
  resetSourceAfter?: boolean;
  requester: Actor;
  preapproved?: boolean;
  origin?: RequestOrigin;
}

export interface MigrationPlan {
  jobId: string;
  source: { address: string; platform: Platform; service: string };
  destination: { address: string; platform: Platform; service: string };
  temporaryAddress: string;
  sizeBytes?: number;
  warnings: string[];
  notMigrated: UnmigratedFeature[];
  /** Aliases found on the source, recreated on the destination. */
  aliases?: string[];
}

export interface PreflightProblem {
  /** Which input the problem is about, so the modal can show it inline. */
  field: 'source' | 'destination' | 'temporaryName' | 'password' | 'general';
  message: string;
}

export type PreflightResult = { ok: true; plan: MigrationPlan } | { ok: false; problems: PreflightProblem[] };

export type SubmitResult =
  | { ok: true; jobId: string; plan: MigrationPlan; duplicate: boolean }
  | { ok: false; problems: PreflightProblem[] };

export interface Decision {
  approve: boolean;
  by: Actor;
  reason?: string;
}

export interface DecisionResult {
  changed: boolean;
  state: 'approved' | 'rejected';
  by: Actor;
  at: string;
}

export type StepName =
  | 'preflight'
  | 'approval'
  | 'attach-domain'
  | 'rename-source'
  | 'create-destination'
  | 'copy'
  | 'delta'
  | 'aliases'
  | 'verify'
  | 'dns'
  | 'handover'
  | 'reset-source'
  | 'undo';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped';

export interface StepRecord {
  name: StepName;
  status: StepStatus;
  detail?: string;
  at?: string;
}

export interface MigrationStatus {
  jobId: string;
  plan: MigrationPlan;
  state: 'awaiting-approval' | 'rejected' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  steps: StepRecord[];
  progress?: CopyProgress;
  requester: Actor;
  origin?: RequestOrigin;
  /** The approval decision, once someone took it (absent while waiting, and when the request expired). */
  decision?: DecisionResult;
  undoAvailable: boolean;
}

export interface MigrationReport {
  copy?: CopyReport;
  foldersNotInSync: { folder: string; missing: number }[];
  dns: DnsCheck[];
  clientSettings?: ClientSettings;
  aliasesRecreated: string[];
  toRecreateByHand: UnmigratedFeature[];
}

export type MigrationEvent =
  | { type: 'submitted'; jobId: string; status: MigrationStatus }
  | { type: 'decided'; jobId: string; decision: DecisionResult }
  | { type: 'step'; jobId: string; step: StepRecord; origin?: RequestOrigin }
  | { type: 'progress'; jobId: string; progress: CopyProgress; origin?: RequestOrigin; /** The step copying (copy, delta). */ step?: StepName }
  | { type: 'finished'; jobId: string; report: MigrationReport; origin?: RequestOrigin; requester: Actor }
  | { type: 'failed'; jobId: string; error: string; step: StepName; undoAvailable: boolean; origin?: RequestOrigin }
  | { type: 'batch'; batchId: string; rows: { jobId: string; address: string; state: MigrationStatus['state'] }[]; origin?: RequestOrigin };

export interface AccountChoice {
  address: string;
  platform: Platform;
  service: string;
}

export interface ServiceChoice extends ServiceRef {
  label: string;
}

export type BatchSubmitResult =
  | { ok: true; batchId: string; jobIds: string[] }
  | { ok: false; errors: { row: number; message: string }[] };
