import { z } from 'zod';
import { hostedAccountFields, hostedDomainFields, hostedServiceFields, spamAndVirusSchema, stringList } from './common.js';

/** `email.mxplan.ServiceWithIAM` */
export const mxplanServiceSchema = z.object({
  ...hostedServiceFields,
  isZimbra: z.boolean(),
});
export type MxplanService = z.infer<typeof mxplanServiceSchema>;

/** `email.mxplan.Account` (`quota` is a double here). */
export const mxplanAccountSchema = z.object({ ...hostedAccountFields, spamAndVirusConfiguration: spamAndVirusSchema });
export type MxplanAccount = z.infer<typeof mxplanAccountSchema>;

/** `email.mxplan.Domain`: no SPF, DKIM or expected SRV fields. */
export const mxplanDomainSchema = z.object({
  ...hostedDomainFields,
  mxRecord: stringList,
  srvRecord: stringList,
});
export type MxplanDomain = z.infer<typeof mxplanDomainSchema>;

/** `email.mxplan.accountCapabilities`: allowed quotas in GB, null = no constraint. */
export const mxplanCapabilitiesSchema = z.object({
  quotas: z.array(z.number()).nullish(),
});
