import type { CopyProgress, CopyReport } from '../domain/copy-report.js';
import type { Platform, ServiceRef } from '../domain/platform.js';
import type { MigrationOrder, MigrationState, StepName, StepState, StepStatus } from '../domain/steps.js';
import type { CollaborativeCounts, CollaborativeReport } from '../domain/collaborative-report.js';
import type { FeatureKind } from '../domain/plan.js';
import type { ClientSettings, DnsCheck, FeatureChange, FeatureChangeKind } from '../ovh/mail-platform.js';

/**
 * The pipeline's public face: what the Slack app and the CLI call. The Slack layer and the worker talk only
 * through this (backed by the BullMQ queue and its events), so they can run in different processes.
 */
export interface MigrationService {
  /** Builds the plan and checks every refusal rule without changing anything. */
  preflight(request: MigrationRequest): Promise<PreflightResult>;
  /** Queues the migration; it waits at the approval gate unless `request.preapproved`. */
  submit(request: MigrationRequest): Promise<SubmitResult>;
  /**
   * Idempotent: a second decision on the same job returns the first one with `changed: false`. Refused (throws a
   * PermanentError) when the nonce is not the request's (a button of an earlier request for the same address),
   * and for a self-approval unless the deployment allows it. The decision is stored signed (SECRETS_KEY).
   */
  decide(jobId: string, decision: Decision): Promise<DecisionResult>;
  /**
   * A decision on every mailbox of a batch, from its summary: applied only to jobs that still belong to that batch,
   * refused for those whose requester is the decider (unless self-approval is allowed), each with its reason.
   */
  decideBatch(batchId: string, decision: Decision): Promise<BatchDecisionResult>;
  /**
   * Follow-up actions. One at a time per migration: while one runs, the others throw a FollowUpBusyError naming
   * it (`MigrationStatus.busy` shows it meanwhile).
   */
  cancel(jobId: string, by: Actor, options?: FollowUpOptions): Promise<void>;
  /**
   * Staged order: cut over now (a last delta from the live source, the renames, the final delta). Refused for a
   * classic migration and once the cut-over has begun; asked during the first copy, it happens right after it.
   */
  cutover(jobId: string, by: Actor, options?: FollowUpOptions): Promise<void>;
  /** After a failure or a cancel past the rename: free the destination, rename the source back. */
  undo(jobId: string, by: Actor, options?: FollowUpOptions): Promise<void>;
  retry(jobId: string, by: Actor, options?: FollowUpOptions): Promise<void>;
  /**
   * Resets the temporary source account of a completed migration. Refused while any folder is out of sync (the
   * error names the missing messages) unless `force`.
   */
  resetSource(jobId: string, by: Actor, options?: FollowUpOptions & { force?: boolean }): Promise<void>;
  /**
   * The destination's initial password, to the person it is handed over to (see PasswordHandover), as soon as the
   * account exists and as often as they ask, until they acknowledge it.
   */
  revealDestinationPassword(jobId: string, by: Actor): Promise<PasswordReveal>;
  /** The recipient has stored the password: its sealed copy is deleted; it cannot be shown again. */
  acknowledgeDestinationPassword(jobId: string, by: Actor): Promise<PasswordAcknowledgement>;
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

  /** What was posted in each migration's Slack thread, kept with the migration (see ThreadLedger). */
  readonly threads: ThreadLedger;
}

/**
 * The record of what a migration's Slack thread shows, so that any bot process, restarted or not, renders the thread
 * from stored state and posts each message once. Keys are the notifier's (e.g. `step:copy#1`, `progress`,
 * `report#1`, `handover`); values are Slack message ts, or a claim (`claim:OWNER:MS`) while a post is under way.
 */
export interface ThreadLedger {
  read(jobId: string): Promise<Record<string, string>>;
  /** Claims `key` for `owner` unless it is posted or claimed already (atomic); true when the claim is ours. */
  claim(jobId: string, key: string, owner: string): Promise<boolean>;
  /** Replaces a claim (ours, or a dead owner's) with what is now known. */
  record(jobId: string, key: string, value: string): Promise<void>;
  /** `owner` is alive for the next `ttlMs` (a bot refreshes it while it runs). */
  beat(owner: string, ttlMs: number): Promise<void>;
  /** Did `owner` beat recently? A claim of an owner that stopped beating is abandoned. */
  alive(owner: string): Promise<boolean>;
  /** Claims `key` for `owner` if it still holds `previous` (an abandoned claim): of two bots, one wins. */
  takeOver(jobId: string, key: string, previous: string, owner: string): Promise<boolean>;
  /** Migrations that changed since their thread was last brought up to date, oldest first, with a change mark. */
  changed(limit: number): Promise<{ jobId: string; mark: string }[]>;
  /** The thread of `jobId` is up to date with the change `mark`: forget it, unless it changed again since. */
  settle(jobId: string, mark: string): Promise<void>;
}

export type FollowUpAction = 'cancel' | 'undo' | 'retry' | 'reset-source' | 'cutover';

export interface FollowUpOptions {
  /**
   * The nonce of the request the button belongs to: checked under the follow-up's lock, so that a newer request
   * for the same address (same job id) is never the one changed.
   */
  nonce?: string;
}

export type PasswordReveal = { ok: true; address: string; password: string } | { ok: false; reason: string };
export type PasswordAcknowledgement = { ok: true; changed: boolean } | { ok: false; reason: string };

/** Who gets the destination's initial password, and where its hand-over stands. */
export interface PasswordHandover {
  /** HANDOVER_TO when the request was made. */
  to: 'requester' | 'approver';
  /** The person it goes to, once known (for `approver`: once someone approved). */
  recipient?: Actor;
  /** The requester typed the password in the request (they know it, whoever it is handed to). */
  typedByRequester: boolean;
  /** pending: no account with that password yet; ready: can be shown; acknowledged: deleted, cannot be shown. */
  state: 'pending' | 'ready' | 'acknowledged';
  readyAt?: string;
  acknowledgedAt?: string;
}

export interface BatchDecisionResult {
  /** What was stored on the batch (the first decision wins), undefined when nothing could be decided. */
  decision?: DecisionResult;
  jobs: { jobId: string; result?: DecisionResult; refused?: string }[];
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
  /** Carried by the summary's buttons (see Decision.nonce). */
  nonce: string;
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
  /** The order asked for (default staged, where it is possible: see StagedOrder in the plan). */
  order?: MigrationOrder;
  /**
   * The source mailbox's current password: the staged order reads the live mailbox before anything is renamed,
   * which only its owner's credentials allow. Sealed at once; deleted after the final delta.
   */
  sourcePassword?: string;
  /** Staged order: seconds between delta passes while the staged copy waits for its cut-over (default 3600). */
  syncEverySeconds?: number;
  /** Staged order: when to cut over (ISO time; the submission time for "now"); absent: when someone asks. */
  cutoverAt?: string;
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
  /**
   * Every feature of the source mailbox (read by address at preflight, before anything changes) with what will
   * happen to it on the destination, in the order the features step applies them: settings, forwarding, aliases,
   * contacts and footer, groups and what is in them, rights; then what no API recreates.
   */
  features: PlannedFeature[];
  /** ISO time the source's features were read. */
  featuresReadAt?: string;
  /** Calendars, contacts, tasks, inbox rules and out-of-office: copied over EWS, counted as staying behind, or neither. */
  collaborative?: CollaborativePlan;
  /** Staged or classic, and why (absent in plans made before the staged order existed: classic). */
  order?: PlannedOrder;
}

export interface PlannedOrder {
  kind: MigrationOrder;
  /** Why this order: asked for, or why the staged one is not possible. */
  reason: string;
  /** Staged: where the destination account is created and filled before it takes the real address. */
  stagedAddress?: string;
}

/**
 * `copy`: both ends answer EWS, the collaborative step copies everything; `count`: the destination has none (MX
 * Plan), the step counts what stays on the source; `none`: EWS is not reachable at one end, or not configured
 * (`detail` says which, and a by-hand feature says what to do).
 */
export interface CollaborativePlan {
  mode: 'copy' | 'count' | 'none';
  detail: string;
}

/** A feature's kind: a change the OVH API can make (`alias`, `right`, `group`...) or what it cannot (`collaborative`...). */
export type PlannedFeatureKind = FeatureChangeKind | FeatureKind;

/**
 * What preflight expects for a feature on the destination: `create` it; it `exists` already; `pending` until the
 * other mailbox it links to is on the destination too; `byHand` (the destination cannot hold it, or nothing
 * recreates it: `instruction` says what to do); `conflict` (something with the same name but other values is
 * there and is left alone).
 */
export type FeatureVerdict = 'create' | 'exists' | 'pending' | 'byHand' | 'conflict';

export interface PlannedFeature {
  kind: PlannedFeatureKind;
  /** Natural key (`featureKey` of the change; `unmigrated:KIND:N` for what no API recreates). Stable across runs. */
  key: string;
  /** What it is, for people, e.g. "full access on jane@mydomain.ovh for john@mydomain.ovh". */
  target: string;
  verdict: FeatureVerdict;
  /** pending: what it waits for; byHand: why; conflict: how it differs. */
  detail?: string;
  /** byHand: what a person has to do, and where (control panel, webmail). */
  instruction?: string;
  /** pending: the addresses (or domains) it waits for. */
  waitsFor?: string[];
  /** The change the features step applies (absent for what no API recreates). */
  change?: FeatureChange;
}

/** What became of a feature: in the report and in `migrate --json` (`features[].status`). */
export type FeatureResult = 'created' | 'exists' | 'pending' | 'byHand' | 'conflict' | 'failed';

export interface ReportedFeature {
  kind: PlannedFeatureKind;
  key: string;
  target: string;
  status: FeatureResult;
  /** pending: what it waits for; byHand, conflict, failed: why. */
  detail?: string;
  /** byHand, conflict, failed: what to do. */
  instruction?: string;
  waitsFor?: string[];
}

export interface PreflightProblem {
  /** Which input the problem is about, so the modal can show it inline. */
  field: 'source' | 'destination' | 'temporaryName' | 'password' | 'general';
  message: string;
}

export type PreflightResult = { ok: true; plan: MigrationPlan } | { ok: false; problems: PreflightProblem[] };

export type SubmitResult =
  | { ok: true; jobId: string; plan: MigrationPlan; duplicate: boolean; /** The request's nonce (the job's, for a duplicate). */ nonce: string }
  | { ok: false; problems: PreflightProblem[] };

export interface Decision {
  approve: boolean;
  by: Actor;
  reason?: string;
  /** The request's (or batch's) nonce, as carried by the button that was clicked. */
  nonce: string;
}

export interface DecisionResult {
  changed: boolean;
  state: 'approved' | 'rejected';
  by: Actor;
  at: string;
}

export type { StepName, StepStatus };

export interface StepRecord extends StepState {
  name: StepName;
}

export interface MigrationStatus {
  jobId: string;
  plan: MigrationPlan;
  state: MigrationState;
  steps: StepRecord[];
  progress?: CopyProgress;
  requester: Actor;
  origin?: RequestOrigin;
  /** The approval decision, once someone took it (absent while waiting, and when the request expired). */
  decision?: DecisionResult;
  undoAvailable: boolean;
  /** Per request: buttons carry it, so that a button of an earlier request for the same address decides nothing. */
  nonce: string;
  handover: PasswordHandover;
  /** How the run ended when it did not complete. */
  outcome?: { state: 'failed'; step: StepName; error: string } | { state: 'cancelled'; by: string };
  /** The final report, once the run completed. */
  report?: MigrationReport;
  /** 1 for the first run, one more for each retry after a failure or a cancel. */
  run: number;
  /** A follow-up action (undo, retry, reset, cancel) under way. */
  busy?: { action: FollowUpAction; by: Actor };
  dryRun: boolean;
  /** Staged order: what the staged copy has done and when it cuts over. */
  staging?: StagingSummary;
}

export interface MigrationReport {
  copy?: CopyReport;
  foldersNotInSync: { folder: string; missing: number }[];
  dns: DnsCheck[];
  clientSettings?: ClientSettings;
  /**
   * Every planned feature with what became of it; `featureSections()` (report.ts) splits them into recreated
   * (created or already there), pending (waiting for another mailbox) and by hand (unsupported, conflicts, failures).
   */
  features: ReportedFeature[];
  /** The copy of calendars, contacts, tasks, rules and out-of-office (both passes), when it ran. */
  collaborative?: CollaborativeReport;
  /** What that copy could not take (items, folders, rules, out-of-office), each with why. */
  collaborativeIssues?: string[];
  /** Items left on the source account (MX Plan destinations), when they were counted. */
  collaborativeLeft?: CollaborativeCounts;
  /**
   * The cut-over window: from the start of the source's rename to the end of the final delta, the time during
   * which the mailbox is being switched (in the classic order it holds the whole copy).
   */
  cutoverWindow?: { startedAt: string; endedAt: string; seconds: number };
  /** Staged order: the delta passes made while the staged copy waited. */
  staging?: StagingSummary;
}

export interface StagingSummary {
  stagedAddress: string;
  passes: number;
  copied: number;
  removed: number;
  lastSyncAt?: string;
  nextSyncAt?: string;
  cutoverAt?: string;
  cutover?: { by: string; at: string };
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
  | { ok: true; batchId: string; jobIds: string[]; /** Carried by the summary's buttons. */ nonce: string }
  | { ok: false; errors: { row: number; message: string }[] };
