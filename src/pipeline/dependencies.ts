import type { CopyOutcome, CopyProgress, FolderState } from '../domain/copy-report.js';
import type { ServiceRef } from '../domain/platform.js';
import type { CopyObserver } from '../imap/copy-observer.js';
import type { ImapEndpoint } from '../imap/endpoint.js';
import type { Logger } from '../log/logger.js';
import type { AccountInfo, MailPlatform } from '../ovh/mail-platform.js';
import type { EwsAccess } from './ews-access.js';
import type { PipelineObserver } from './pipeline-observer.js';
import type { SecretBox } from './secret-box.js';

/** What the pipeline is given from outside (runtime.ts wires the real ones; tests give their own). */

/** The copier's entry point (`copyMailbox` in src/imap): idempotent, a re-run copies only what is missing. */
export type Copier = (options: CopierOptions) => Promise<CopyOutcome>;

export interface CopierOptions {
  from: ImapEndpoint;
  to: ImapEndpoint;
  connections?: number;
  signal?: AbortSignal;
  onProgress?: (progress: CopyProgress) => void;
  /** Remove what left the source since it was copied (a staged copy before its cut-over only). */
  prune?: boolean;
  /** Return the source folders' states, and skip those identical to `previous` (an earlier pass's). */
  recordStates?: boolean;
  previous?: readonly FolderState[];
  /** Watches the copy (messages and bytes as they land, reconnections, errors by kind). */
  observer?: CopyObserver;
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

/** What every step is given. */
export interface StepDeps {
  directory: PlatformDirectory;
  copier: Copier;
  imapEndpoint: ImapEndpointResolver;
  secrets: SecretBox;
  /** OVH_MX_RELAY, used when attaching the domain as non-authoritative. */
  mxRelay: string;
  imapConnections: number;
  logger: Logger;
  /** Where EWS is, for calendars, contacts, tasks, rules and out-of-office; without it they are not copied. */
  ews?: EwsAccess;
  /** Watches every IMAP copy the steps run (metrics); nothing by default. */
  copyObserver?: CopyObserver;
  /** Watches the worker's steps (metrics); nothing by default. */
  observer?: PipelineObserver;
}
