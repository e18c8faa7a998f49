import type { ImapFlow } from 'imapflow';
import { QuotaExceededError } from './copy-errors.js';

export interface QuotaState {
  usage: number;
  limit: number;
}

/** The destination's storage quota (GETQUOTAROOT INBOX), in bytes, or undefined when the server has none. */
export async function readStorageQuota(client: ImapFlow): Promise<QuotaState | undefined> {
  if (!client.capabilities.has('QUOTA')) return undefined;
  const quota = await client.getQuota('INBOX').catch(() => false as const);
  const storage = quota ? quota.storage : undefined;
  if (!storage || storage.limit === undefined) return undefined;
  return { usage: storage.usage ?? 0, limit: storage.limit };
}

/** Throws QuotaExceededError when the bytes still to copy do not fit in the free space. */
export function assertFits(quota: QuotaState | undefined, bytesNeeded: number): void {
  if (!quota || bytesNeeded === 0) return;
  const free = Math.max(0, quota.limit - quota.usage);
  if (bytesNeeded > free) throw new QuotaExceededError(bytesNeeded, free, quota.limit);
}
