/**
 * The simulator's units, in one place (the tests assert them).
 *
 * - `quota` on Exchange / E-mail Pro / new MX Plan accounts is in GB, and the simulator takes 1 GB = 1024³
 *   bytes (the control panel's usage percentage `currentUsage / 1024² * 100 / quota` only adds up this way).
 * - `currentUsage` on those accounts is in KB = 1024 bytes (the public schema does not say; the control panel's
 *   arithmetic and the documented `SharedAccountQuota.quotaUsed` "in KB" point to KB). Rounded up.
 * - Legacy MX Plan (`/email/domain`) uses bytes everywhere: account `size`, `allowedAccountSize`, and the
 *   `quota` (used bytes) of `GET .../account/{a}/usage`.
 * - `diskSize` / `currentDiskUsage` of `GET .../server` are in MB (1024² bytes).
 */
export const QUOTA_UNIT_BYTES = 1024 ** 3;
export const USAGE_UNIT_BYTES = 1024;
export const SERVER_DISK_UNIT_BYTES = 1024 ** 2;

export function quotaGbToBytes(quotaGb: number): number {
  return Math.round(quotaGb * QUOTA_UNIT_BYTES);
}

export function bytesToUsageKb(bytes: number): number {
  return Math.ceil(bytes / USAGE_UNIT_BYTES);
}
