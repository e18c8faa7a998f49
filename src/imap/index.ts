/** The IMAP copier's public surface, for the CLI and the pipeline. Importing it has no side effects. */
export { copyMailbox, planCopy, MAX_CONNECTIONS, type CopyMailboxOptions } from './copy-mailbox.js';
export type { CopyPlanSummary } from './copy-plan.js';
export { QuotaExceededError, ReconnectBudgetExhausted } from './copy-errors.js';
export { mapFolders, type FolderMapping, type AccountFolders, type ListedFolder, type SpecialUse } from './folder-mapping.js';
export { messageIdentity } from './message-identity.js';
export { parseImapUrl, describeEndpoint, isLoopback, type ImapEndpoint } from './endpoint.js';
export type { CopyOutcome, CopyReport, CopyProgress, CopyFailure, FolderMismatch } from '../domain/copy-report.js';
