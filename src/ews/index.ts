/** The EWS layer's public surface (contacts, calendars, tasks, inbox rules, out-of-office), for the CLI and the pipeline. Importing it has no side effects. */
export { copyCollaborative, planCollaborative, type CopyCollaborativeOptions, type CollaborativeOutcome, type CollaborativeFolderFailure } from './copy-collaborative.js';
export { type CollaborativeJournal, type PendingUpload, emptyJournal, markerOf, MARKER_PROPERTY } from './journal.js';
export type { ItemFailure } from './folder-copy.js';
export type { RuleResult, RuleStatus } from './rules-copy.js';
export { countCollaborative } from './count-collaborative.js';
export { parseEwsUrl, describeEwsEndpoint, isLoopbackHost, EWS_PATH, type EwsEndpoint } from './endpoint.js';
export { EwsClient } from './client.js';
export { DEFAULT_RETRY, type RetryPolicy } from './transport.js';
/** Every error the layer throws (other than the caller's abort reason) says in `retryable` whether a later run may succeed. */
export {
  isRetryable,
  EwsError,
  EwsRequestFailed,
  EwsHttpError,
  EwsAuthenticationFailed,
  EwsConnectionLost,
  EwsOutcomeUnknown,
  EwsResponseUnreadable,
  EwsConfigurationError,
  EwsRetriesExhausted,
} from './errors.js';
export type { CollaborativeReport, CollaborativeProgress, CollaborativeKind, CollaborativeCounts, OofReport, CollaborativeFolderReport } from '../domain/collaborative-report.js';
