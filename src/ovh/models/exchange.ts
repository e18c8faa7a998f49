import { z } from 'zod';
import { fullDiagnosticDomainFields, hostedAccountFields, hostedServiceFields, long, spamAndVirusSchema } from './common.js';

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
  spamAndVirusConfiguration: spamAndVirusSchema,
  litigation: z.boolean(),
  litigationPeriod: long.nullish(),
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

/** `email.exchange.mailingList` (a group). */
export const exchangeMailingListSchema = z.object({
  mailingListAddress: z.string(),
  displayName: z.string().nullish(),
  departRestriction: z.enum(['closed', 'open']),
  joinRestriction: z.enum(['approvalRequired', 'closed', 'open']),
  hiddenFromGAL: z.boolean(),
  maxReceiveSize: long.nullish(),
  maxSendSize: long.nullish(),
  senderAuthentification: z.boolean(),
  state: z.string(),
  taskPendingId: long,
});
export type ExchangeMailingList = z.infer<typeof exchangeMailingListSchema>;

/** `email.exchange.exchangeDistributionGroupMember`: an account or an external contact, with its address. */
export const exchangeGroupMemberSchema = z.object({
  memberAccountId: long.nullish(),
  memberContactId: long.nullish(),
  memberEmailAddress: z.string(),
  taskPendingId: long,
});

/** `email.exchange.exchangeDistributionGroupManager` */
export const exchangeGroupManagerSchema = z.object({
  managerAccountId: long,
  managerEmailAddress: z.string(),
  taskPendingId: long,
});

/** `email.exchange.exchangeAccountArchive` */
export const exchangeArchiveSchema = z.object({
  quota: long,
  state: z.string(),
});
