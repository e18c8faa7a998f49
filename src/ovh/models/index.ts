import type { z } from 'zod';
import { disclaimerSchema, externalContactSchema, hostedTaskSchema, spamAndVirusSchema } from './common.js';
import { legacyAccountSchema, legacyDelegationSchema, legacyMailingListOptionsSchema, legacyMailingListSchema, legacyTaskMlSchema, legacyRedirectionSchema, legacyServiceSchema, legacyTaskPopSchema, legacyTaskSpecialSchema, legacyUsageSchema, zoneRecordSchema } from './domain.js';
import { exchangeAccountSchema, exchangeArchiveSchema, exchangeDomainSchema, exchangeGroupManagerSchema, exchangeGroupMemberSchema, exchangeMailingListSchema, exchangeProtocolSchema, exchangeServiceSchema } from './exchange.js';
import { mxplanAccountSchema, mxplanCapabilitiesSchema, mxplanDomainSchema, mxplanServiceSchema } from './mxplan.js';
import { proAccountSchema, proDomainSchema, proServiceSchema } from './pro.js';

/** Which published model each zod schema was written from; test/ovh/models.test.ts checks them field by field. */
export const MODEL_SOURCES: ReadonlyArray<{ file: 'exchange' | 'pro' | 'mxplan' | 'domain'; model: string; schema: z.ZodObject }> = [
  { file: 'exchange', model: 'email.exchange.ExchangeServiceWithIAM', schema: exchangeServiceSchema },
  { file: 'exchange', model: 'email.exchange.Account', schema: exchangeAccountSchema },
  { file: 'exchange', model: 'email.exchange.Domain', schema: exchangeDomainSchema },
  { file: 'exchange', model: 'email.exchange.exchangeAccountProtocol', schema: exchangeProtocolSchema },
  { file: 'exchange', model: 'email.exchange.Task', schema: hostedTaskSchema },
  { file: 'exchange', model: 'email.exchange.disclaimer', schema: disclaimerSchema },
  { file: 'exchange', model: 'email.exchange.spamAndVirusConfiguration', schema: spamAndVirusSchema },
  { file: 'exchange', model: 'email.exchange.exchangeExternalContact', schema: externalContactSchema },
  { file: 'exchange', model: 'email.exchange.mailingList', schema: exchangeMailingListSchema },
  { file: 'exchange', model: 'email.exchange.exchangeDistributionGroupMember', schema: exchangeGroupMemberSchema },
  { file: 'exchange', model: 'email.exchange.exchangeDistributionGroupManager', schema: exchangeGroupManagerSchema },
  { file: 'exchange', model: 'email.exchange.exchangeAccountArchive', schema: exchangeArchiveSchema },
  { file: 'pro', model: 'email.pro.ServiceNativeWithIAM', schema: proServiceSchema },
  { file: 'pro', model: 'email.pro.AccountNative', schema: proAccountSchema },
  { file: 'pro', model: 'email.pro.DomainNative', schema: proDomainSchema },
  { file: 'pro', model: 'email.pro.Task', schema: hostedTaskSchema },
  { file: 'pro', model: 'email.pro.disclaimerNative', schema: disclaimerSchema },
  { file: 'pro', model: 'email.pro.spamAndVirusConfiguration', schema: spamAndVirusSchema },
  { file: 'pro', model: 'email.pro.ExternalContactNative', schema: externalContactSchema },
  { file: 'mxplan', model: 'email.mxplan.ServiceWithIAM', schema: mxplanServiceSchema },
  { file: 'mxplan', model: 'email.mxplan.Account', schema: mxplanAccountSchema },
  { file: 'mxplan', model: 'email.mxplan.Domain', schema: mxplanDomainSchema },
  { file: 'mxplan', model: 'email.mxplan.accountCapabilities', schema: mxplanCapabilitiesSchema },
  { file: 'mxplan', model: 'email.pro.Task', schema: hostedTaskSchema },
  { file: 'mxplan', model: 'email.pro.disclaimer', schema: disclaimerSchema },
  { file: 'mxplan', model: 'email.mxplan.ExternalContact', schema: externalContactSchema },
  { file: 'domain', model: 'email.domain.DomainServiceWithIAM', schema: legacyServiceSchema },
  { file: 'domain', model: 'email.domain.Account', schema: legacyAccountSchema },
  { file: 'domain', model: 'domain.DomainUsageAccountStruct', schema: legacyUsageSchema },
  { file: 'domain', model: 'email.domain.TaskPop', schema: legacyTaskPopSchema },
  { file: 'domain', model: 'email.domain.TaskSpecialAccount', schema: legacyTaskSpecialSchema },
  { file: 'domain', model: 'domain.zone.Record', schema: zoneRecordSchema },
  { file: 'domain', model: 'email.domain.RedirectionGlobal', schema: legacyRedirectionSchema },
  { file: 'domain', model: 'email.domain.Delegation', schema: legacyDelegationSchema },
  { file: 'domain', model: 'email.domain.MailingList', schema: legacyMailingListSchema },
  { file: 'domain', model: 'domain.DomainMlOptionsStruct', schema: legacyMailingListOptionsSchema },
  { file: 'domain', model: 'email.domain.TaskMl', schema: legacyTaskMlSchema },
];
