import { z } from 'zod';
import { fullDiagnosticDomainFields, hostedAccountFields, hostedServiceFields, long } from './common.js';

/** `email.exchange.ExchangeServiceWithIAM` */
export const exchangeServiceSchema = z.object({
  ...hostedServiceFields,
  offer: z.enum(['dedicated', 'dedicatedCluster', 'hosted', 'provider']),
});
export type ExchangeService = z.infer<typeof exchangeServiceSchema>;

/** `email.exchange.Account` */
export const exchangeAccountSchema = z.object({
  ...hostedAccountFields,
  forwardingEmail: z.string().nullish(),
  storeCopyOfEmail: z.boolean(),
});
export type ExchangeAccount = z.infer<typeof exchangeAccountSchema>;

/** `email.exchange.Domain` */
export const exchangeDomainSchema = z.object({
  ...fullDiagnosticDomainFields,
  dkimDiagnostics: z.object({
    state: z.string(),
    errorCode: long.nullish(),
    message: z.string().nullish(),
  }),
});
export type ExchangeDomain = z.infer<typeof exchangeDomainSchema>;

/** `email.exchange.exchangeAccountProtocol` */
export const exchangeProtocolSchema = z.object({
  IMAP: z.boolean(),
  POP: z.boolean(),
  activeSync: z.boolean(),
  webMail: z.boolean(),
  taskPendingId: long,
});
export type ExchangeProtocol = z.infer<typeof exchangeProtocolSchema>;
