import { z } from 'zod';

/** The OVHcloud e-mail platforms. `mxplan` is the new `/email/mxplan` API, `mxplan-legacy` the `/email/domain` one. */
export const platformSchema = z.enum(['exchange', 'emailpro', 'mxplan', 'mxplan-legacy']);
export type Platform = z.infer<typeof platformSchema>;

export const PLATFORM_LABEL: Record<Platform, string> = {
  exchange: 'Hosted Exchange',
  emailpro: 'E-mail Pro',
  mxplan: 'MX Plan',
  'mxplan-legacy': 'MX Plan (legacy)',
};

/**
 * One OVH e-mail service. `name` is what users type: the service name, `ORGANIZATION/SERVICE` for Exchange,
 * the domain for legacy MX Plan.
 */
export interface ServiceRef {
  platform: Platform;
  name: string;
}

/** Sources this procedure accepts; an MX Plan source follows OVH's built-in migration instead. */
export const SOURCE_PLATFORMS: readonly Platform[] = ['exchange', 'emailpro'];
