/** The EWS test double (test support and sandbox): see server.ts. */
export { EwsDouble, type EwsDoubleOptions, type EwsAccount, type EwsDirectory, type EwsRequestLog } from './server.js';
export { EwsFaults, type BusyFault, type HttpFault, type ItemFault, type CrashFault } from './faults.js';
export { MailboxStore, readBlob, BLOB_MAGIC, type StoredFolder, type StoredItem, type MailboxLanguage } from './store.js';
export { seedMailbox, ensureFolder, sampleCollaborativeData, bulkCollaborativeData, type MailboxSeed, type SeedFolder, type SeedItem, type SeedRule } from './seed.js';
export { validateEnvelopes, BatchedValidator, type SchemaViolation, type EnvelopeToCheck } from './schema.js';
