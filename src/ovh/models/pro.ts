import { z } from 'zod';
import { fullDiagnosticDomainFields, hostedAccountFields, hostedServiceFields, long, spamAndVirusSchema } from './common.js';

/** `email.pro.ServiceNativeWithIAM` */
export const proServiceSchema = z.object({ ...hostedServiceFields });
export type ProService = z.infer<typeof proServiceSchema>;

/** `email.pro.AccountNative` */
export const proAccountSchema = z.object({ ...hostedAccountFields, spamAndVirusConfiguration: spamAndVirusSchema });
export type ProAccount = z.infer<typeof proAccountSchema>;

/** `email.pro.DomainNative` */
export const proDomainSchema = z.object({
  ...fullDiagnosticDomainFields,
  dkimDiagnostics: z
    .object({
      state: z.string().nullish(),
      errorCode: long.nullish(),
      message: z.string().nullish(),
    })
    .nullish(),
});
export type ProDomain = z.infer<typeof proDomainSchema>;
