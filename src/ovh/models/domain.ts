import { z } from 'zod';
import { long } from './common.js';

/** `email.domain.DomainServiceWithIAM` (legacy MX Plan). */
export const legacyServiceSchema = z.object({
  domain: z.string(),
  status: z.string(),
  offer: z.string().nullish(),
  /** Bytes. */
  allowedAccountSize: z.array(z.number()).nullish(),
  isMXValid: z.string(),
  isSPFValid: z.string(),
  migratedMXPlanServiceName: z.string().nullish(),
});
export type LegacyService = z.infer<typeof legacyServiceSchema>;

/** `email.domain.Account` */
export const legacyAccountSchema = z.object({
  accountName: z.string(),
  domain: z.string(),
  email: z.string(),
  description: z.string(),
  /** Bytes. */
  size: z.number(),
  isBlocked: z.boolean(),
});
export type LegacyAccount = z.infer<typeof legacyAccountSchema>;

/** `domain.DomainUsageAccountStruct`: `quota` is the used size in bytes. */
export const legacyUsageSchema = z.object({
  date: z.string().nullish(),
  emailCount: z.number().nullish(),
  quota: z.number().nullish(),
});

/** `email.domain.TaskPop`: no status field; a task that is gone is finished. */
export const legacyTaskPopSchema = z.object({
  id: long,
  action: z.string(),
  date: z.string(),
  domain: z.string(),
  name: z.string(),
});

/** `email.domain.TaskSpecialAccount` (redirections): `id` is a string. */
export const legacyTaskSpecialSchema = z.object({
  id: z.string(),
  action: z.string(),
  account: z.string(),
  domain: z.string(),
  date: z.string(),
  type: z.string(),
});

/** `domain.zone.Record` */
export const zoneRecordSchema = z.object({
  fieldType: z.string(),
  subDomain: z.string().nullish(),
  target: z.string(),
  ttl: z.number().nullish(),
  zone: z.string(),
});
export type ZoneRecord = z.infer<typeof zoneRecordSchema>;

/** `email.domain.RedirectionGlobal` */
export const legacyRedirectionSchema = z.object({
  id: z.string(),
  from: z.string(),
  to: z.string(),
});

/** `email.domain.Delegation` */
export const legacyDelegationSchema = z.object({ accountId: z.string() });

/** `domain.DomainMXFilterEnum` (`GET .../dnsMXFilter`); kept open to values OVH may add. */
export const legacyMxFilterSchema = z.string();

/** `domain.DomainMlOptionsStruct` */
export const legacyMailingListOptionsSchema = z.object({
  moderatorMessage: z.boolean(),
  subscribeByModerator: z.boolean(),
  usersPostOnly: z.boolean(),
});

/** `email.domain.MailingList` (the fields this project reads). */
export const legacyMailingListSchema = z.object({
  name: z.string(),
  ownerEmail: z.string(),
  nbSubscribers: z.number().nullish(),
  language: z.string().nullish(),
  options: legacyMailingListOptionsSchema,
});

/** `email.domain.TaskMl`: no status field either; pending while readable under `task/mailinglist`. */
export const legacyTaskMlSchema = z.object({
  id: long,
  account: z.string(),
  action: z.string(),
  date: z.string(),
  domain: z.string(),
});
