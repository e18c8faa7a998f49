import type { CopyOutcome, CopyProgress, CopyReport, FolderMismatch } from '../domain/copy-report.js';
import type { Platform, ServiceRef } from '../domain/platform.js';
import type { MigrationState, StepName, StepStates } from '../domain/steps.js';
import type { ImapEndpoint } from '../imap/endpoint.js';
import type { AccountInfo, ClientSettings, DnsCheck, MailPlatform } from '../ovh/mail-platform.js';
import type { Actor, Decision, MigrationPlan, RequestOrigin } from './migration-service.js';
import type { Sealed } from './secret-box.js';

/** The copier's entry point (`copyMailbox` in src/imap): idempotent, a re-run copies only what is missing. */
export type Copier = (options: CopierOptions) => Promise<CopyOutcome>;

export interface CopierOptions {
  from: ImapEndpoint;
  to: ImapEndpoint;
  connections?: number;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
}

/** Finds services and accounts across every OVH platform kind. */
export interface PlatformDirectory {
  listServices(): Promise<ServiceRef[]>;
  open(service: ServiceRef): Promise<MailPlatform>;
  /** The account with this primary address, on whichever service holds it. */
  findAccount(address: string): Promise<{ platform: MailPlatform; account: AccountInfo } | undefined>;
}

/** The IMAP endpoint to log in to `address` on `platform` (host lookup kept in one place, see imap-endpoints.ts). */
export type ImapEndpointResolver = (platform: MailPlatform, address: string, password: string) => Promise<ImapEndpoint>;

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
}

/** Everything a run has done so far; saved in the job after every step, so a new worker resumes from it. */
export interface Checkpoint {
  steps: StepStates;
  /** The source now carries the temporary name. */
  sourceRenamed?: boolean;
  /** Password set on the renamed source for the copy. */
  sourcePassword?: Sealed;
  sourcePasswordSet?: boolean;
  /** Destination password (given or generated), sealed before the account is created. */
  destinationPassword?: Sealed;
  /** About to create the destination: an account found afterwards under the address is ours. */
  destinationCreating?: boolean;
  destinationCreated?: boolean;
  /** IMAP switches found before the copy, restored at handover (Exchange's per-mailbox protocol setting). */
  imapRestore?: { source?: boolean; destination?: boolean };
  copy?: CopyReport;
  delta?: CopyReport;
  copyFailures?: number;
  mismatches?: FolderMismatch[];
  aliasesRecreated?: string[];
  aliasesFailed?: { alias: string; error: string }[];
  dns?: DnsCheck[];
  clientSettings?: ClientSettings;
  undone?: boolean;
  sourceReset?: boolean;
  /** Steps that reported a failure without stopping the run (verify found missing mail, an alias refused). */
  softFailures?: StepName[];
  /** How the run ended when it did not complete. */
  outcome?: { state: 'cancelled'; by: string } | { state: 'failed'; error: string; step: StepName };
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

/** A recorded approval decision (kept in its own Redis key; first one wins). */
export interface StoredDecision extends Decision {
  at: string;
}

export type { Platform, MigrationPlan };
