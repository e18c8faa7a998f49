import { DESTINATION_LIMIT_BYTES, GB } from '../domain/rules.js';

/**
 * Every conversion between OVH's size units and bytes lives here, and nowhere else.
 *
 * - `quota` of Exchange, E-mail Pro and new MX Plan accounts (and MX Plan `capabilities.quotas`) is in GB.
 *   OVH's control panel does its percentage arithmetic in powers of 1024 (see CURRENT_USAGE_UNIT_BYTES), so a
 *   "GB" is taken as 1024^3 bytes: the servers behind (Exchange, Zimbra/Dovecot) count binary units.
 * - legacy MX Plan (`/email/domain`) `size`, `allowedAccountSize` and usage `quota` are bytes.
 * - `currentUsage` (Exchange, E-mail Pro, new MX Plan) is UNDOCUMENTED. The control panel computes
 *   `currentUsage / 1024^2 * 100 / quota` for a percentage, which only makes sense in KiB when quota is GB;
 *   `SharedAccountQuota.quotaUsed` is documented "in KB". We take KiB, and test/ovh/units.test.ts asserts it
 *   against the simulator's fixtures (usage never above quota, and equal to the Dovecot mailbox size).
 */

/** Bytes in one quota "GB" (the domain's GB: OVH's guide limits and quotas use the same unit). */
export const QUOTA_GB_BYTES = GB;
/** Bytes in one unit of `currentUsage` (KiB, unconfirmed by OVH: see above). */
export const CURRENT_USAGE_UNIT_BYTES = 1024;

export function quotaGbToBytes(quotaGb: number): number {
  return Math.round(quotaGb * QUOTA_GB_BYTES);
}

export function bytesToQuotaGb(bytes: number): number {
  return bytes / QUOTA_GB_BYTES;
}

export function currentUsageToBytes(currentUsage: number | null | undefined): number | undefined {
  return currentUsage === null || currentUsage === undefined ? undefined : Math.round(currentUsage * CURRENT_USAGE_UNIT_BYTES);
}

/** Legacy MX Plan sizes are already bytes: named so the call sites say which unit they read. */
export function legacyBytes(size: number | null | undefined): number | undefined {
  return size === null || size === undefined ? undefined : size;
}

/** Largest mailbox each platform accepts as a migration destination (OVH guide "Migrer vos adresses e-mail"). */
export const MAX_DESTINATION_BYTES = {
  emailpro: DESTINATION_LIMIT_BYTES.emailpro!,
  mxplan: DESTINATION_LIMIT_BYTES.mxplan!,
  /** Legacy sizes are decimal bytes: its largest `allowedAccountSize` is 5 000 000 000. */
  'mxplan-legacy': 5_000_000_000,
} as const;

/** Quota choice and byte formatting are domain rules: preflight and the adapters must agree on them. */
export { formatBytes, pickQuota } from '../domain/rules.js';
