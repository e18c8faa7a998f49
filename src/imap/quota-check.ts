import { QuotaExceededError } from './copy-errors.js';
import type { FolderSession } from './fetch/folder-session.js';
import { parseQuotaResponse, type StorageQuota } from './listing/list-responses.js';

export type QuotaState = StorageQuota;

/** The destination's storage quota (GETQUOTAROOT INBOX), in bytes, or undefined when the server has none. */
export async function readStorageQuota(session: FolderSession): Promise<QuotaState | undefined> {
  if (!session.capabilities.has('QUOTA')) return undefined;
  let quota: QuotaState | undefined;
  try {
    await session.command('GETQUOTAROOT "INBOX"', (_, raw) => {
      quota ??= parseQuotaResponse(raw);
    });
  } catch {
    // A server that advertises QUOTA but refuses the command has no quota to respect.
    return undefined;
  }
  return quota;
}

/** Throws QuotaExceededError when the bytes still to copy do not fit in the free space. */
export function assertFits(quota: QuotaState | undefined, bytesNeeded: number): void {
  if (!quota || bytesNeeded === 0) return;
  const free = Math.max(0, quota.limit - quota.usage);
  if (bytesNeeded > free) throw new QuotaExceededError(bytesNeeded, free, quota.limit);
}
