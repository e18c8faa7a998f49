import { PLATFORM_LABEL, SOURCE_PLATFORMS, type Platform } from './platform.js';
import { parseAddress } from './address.js';

/**
 * One gigabyte as OVH means it in its quotas and in the migration guide's limits. OVH sells binary sizes
 * (quota fields are GB and map to GiB on the servers), so the conversion is 1024^3 and lives only here.
 */
export const GB = 1024 ** 3;

/** Largest mailbox each destination accepts in a migration, per the OVH guide; undefined: no guide limit. */
export const DESTINATION_LIMIT_BYTES: Readonly<Record<Platform, number | undefined>> = {
  exchange: undefined,
  emailpro: 10 * GB,
  mxplan: 5 * GB,
  'mxplan-legacy': 5 * GB,
};

/** The control panel's own migration route for MX Plan sources (legacy `/email/domain` API). */
export function mxPlanMigrationRoute(address: string): string {
  const { local, domain } = parseAddress(address);
  return `/email/domain/${domain}/account/${local}/migrate`;
}

export type PairCheck = { ok: true; warnings: string[] } | { ok: false; reason: string };

/**
 * Which platform pairs this procedure handles. Sources are Exchange and E-mail Pro only; an MX Plan source
 * must use OVH's built-in migration (control panel, `/email/domain/{domain}/account/{account}/migrate`).
 */
export function checkPlatformPair(source: Platform, destination: Platform, sourceAddress?: string): PairCheck {
  if (!SOURCE_PLATFORMS.includes(source)) {
    const route = sourceAddress ? mxPlanMigrationRoute(sourceAddress) : '/email/domain/{domain}/account/{account}/migrate';
    return {
      ok: false,
      reason:
        `${PLATFORM_LABEL[source]} accounts are migrated with OVHcloud's built-in migration, not this procedure: ` +
        `use the control panel (E-mails > the account > "Migrate") or the API route ${route}`,
    };
  }
  const warnings: string[] = [];
  // E-mail Pro may have EWS or not: preflight probes it (see the plan's `collaborative`); MX Plan has no calendars at all
  if (destination === 'mxplan' || destination === 'mxplan-legacy') {
    warnings.push(`${PLATFORM_LABEL[destination]} has no calendars, contacts or tasks: those of ${PLATFORM_LABEL[source]} stay on the source account`);
  }
  return { ok: true, warnings };
}

/** The migration size limit of a destination: the guide's limit, lowered by the service's own when it says. */
export function destinationLimitBytes(destination: Platform, serviceMaxBytes?: number): number | undefined {
  const guide = DESTINATION_LIMIT_BYTES[destination];
  if (guide === undefined) return serviceMaxBytes;
  if (serviceMaxBytes === undefined) return guide;
  return Math.min(guide, serviceMaxBytes);
}

export type SizeCheck = { ok: true; limitBytes?: number } | { ok: false; reason: string; limitBytes: number };

/** Refuses a mailbox whose current usage is over the destination's limit. */
export function checkMailboxSize(usedBytes: number | undefined, destination: Platform, serviceMaxBytes?: number): SizeCheck {
  const limit = destinationLimitBytes(destination, serviceMaxBytes);
  if (limit === undefined || usedBytes === undefined) return { ok: true, limitBytes: limit };
  if (usedBytes > limit) {
    return {
      ok: false,
      limitBytes: limit,
      reason: `the mailbox holds ${formatBytes(usedBytes)}, over the ${formatBytes(limit)} a ${PLATFORM_LABEL[destination]} mailbox accepts: clean it up first or choose another destination`,
    };
  }
  return { ok: true, limitBytes: limit };
}

/**
 * The smallest quota among `allowed` (bytes) that holds `neededBytes` plus headroom (10 %, at least 100 MiB),
 * or undefined when none does.
 */
export function pickQuota(allowed: readonly number[], neededBytes: number): number | undefined {
  const wanted = neededBytes + Math.max(neededBytes * 0.1, 100 * 1024 * 1024);
  return [...allowed].sort((a, b) => a - b).find((quota) => quota >= wanted);
}

/** 1536 -> "1.5 KiB"; binary units, one decimal. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** True when the address's domain is the service's fixed domain (MX Plan destinations). */
export function fitsFixedDomain(address: string, fixedDomain: string | undefined): boolean {
  if (!fixedDomain) return true;
  return parseAddress(address).domain === fixedDomain.toLowerCase().replace(/\.$/, '');
}

/** Platforms whose domain is attached per service (Exchange, E-mail Pro); MX Plan domains are fixed. */
export function needsDomainAttachment(destination: Platform): boolean {
  return destination === 'exchange' || destination === 'emailpro';
}

/** Platforms on which an account can be renamed (legacy MX Plan cannot). */
export function canRename(platform: Platform): boolean {
  return platform !== 'mxplan-legacy';
}
