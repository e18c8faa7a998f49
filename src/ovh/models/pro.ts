import { z } from 'zod';
import { hostedAccountFields, hostedDomainFields, hostedServiceFields, long, stringList } from './common.js';

/** `email.pro.ServiceNativeWithIAM` */
export const proServiceSchema = z.object({ ...hostedServiceFields });
export type ProService = z.infer<typeof proServiceSchema>;

/** `email.pro.AccountNative` */
export const proAccountSchema = z.object({ ...hostedAccountFields });
export type ProAccount = z.infer<typeof proAccountSchema>;

/** `email.pro.DomainNative` */
export const proDomainSchema = z.object({
  ...hostedDomainFields,
  mxRecord: stringList.nullish(),
  srvRecord: stringList.nullish(),
  expectedAutodiscoverSRV: z.string(),
  spfIsValid: z.boolean(),
  spfRecord: stringList.nullish(),
  expectedSPF: z.string(),
  dkimDiagnostics: z
    .object({
      state: z.string().nullish(),
      errorCode: long.nullish(),
      message: z.string().nullish(),
    })
    .nullish(),
});
export type ProDomain = z.infer<typeof proDomainSchema>;
