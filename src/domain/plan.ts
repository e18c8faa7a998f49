import type { Platform } from './platform.js';

/** One side of a migration: an account on a service. */
export interface MailboxRef {
  address: string;
  platform: Platform;
  /** The service as users type it (`ORG/SERVICE` for Exchange, the domain for legacy MX Plan). */
  service: string;
}

/** What no OVH API call recreates on a destination, by kind (the OVH layer's `UnmigratedFeature`). */
export type FeatureKind =
  | 'delegation'
  | 'group'
  | 'externalContact'
  | 'footer'
  | 'redirection'
  | 'collaborative'
  | 'litigation'
  | 'archive'
  | 'sharedAccount'
  | 'resourceAccount'
  | 'spamFilter';

/**
 * The decided shape of a migration, built by preflight and never changed afterwards: the job runs exactly this.
 */
export interface MigrationPlanCore {
  jobId: string;
  source: MailboxRef;
  destination: MailboxRef;
  /** The source's address once renamed. */
  temporaryAddress: string;
  /** Current usage of the source mailbox, bytes. */
  sizeBytes?: number;
  warnings: string[];
}

/**
 * The job id of a mailbox's migration: derived from the normalised source address, so that the same mailbox
 * can never have two migrations queued at once. BullMQ ids may not contain ':' (addresses never do).
 */
export function migrationJobId(normalisedSourceAddress: string): string {
  return `mig-${normalisedSourceAddress}`;
}

export function batchJobId(batchId: string): string {
  return `batch-${batchId}`;
}
