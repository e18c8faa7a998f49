/** The IMAP copier's public surface, for the CLI and the pipeline. Importing it has no side effects. */
export { copyMailbox, planCopy, MAX_CONNECTIONS, type CopyMailboxOptions, type ImapCopyOutcome, type FolderFailure, type DroppedFlag } from './copy-mailbox.js';
export type { CopyPlanSummary } from './copy-plan.js';
export { QuotaExceededError, ReconnectBudgetExhausted } from './copy-errors.js';
/** Every error copyMailbox throws (other than the caller's abort reason) says in `retryable` whether a later run may succeed. */
export {
  isRetryable,
  ImapError,
  ImapTimeout,
  ImapAuthenticationFailed,
  PlaintextLoginRefused,
  StartTlsDowngradeRefused,
  ImapProtocolError,
  ImapResponseUnreadable,
  ImapConnectFailed,
  ImapConnectionLost,
  ImapCommandFailed,
  InvalidMailboxName,
} from './wire/imap-errors.js';
export { mapFolders, type FolderMapping, type AccountFolders, type ListedFolder, type SpecialUse } from './folder-mapping.js';
export { messageIdentity } from './message-identity.js';
export { parseImapUrl, describeEndpoint, isLoopback, type ImapEndpoint } from './endpoint.js';
export type { CopyOutcome, CopyReport, CopyProgress, CopyFailure, FolderMismatch } from '../domain/copy-report.js';
