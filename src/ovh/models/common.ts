import { z } from 'zod';

/**
 * Pieces shared by the zod models of the OVH e-mail APIs. Each model lists only the fields this project reads;
 * a field is `.nullish()` exactly when the schema says `canBeNull` (checked by test/ovh/models.test.ts).
 */

export const stringList = z.array(z.string());
export const idList = z.array(z.number().int());
/** `long` ids the API serialises as numbers. */
export const long = z.number().int();

const taskStatusSchema = z.enum(['cancelled', 'doing', 'done', 'error', 'todo']);

/** `email.exchange.Task` and `email.pro.Task` (also used by `/email/mxplan`): same shape. */
export const hostedTaskSchema = z.object({
  id: long,
  function: z.string(),
  status: taskStatusSchema,
  todoDate: z.string(),
  finishDate: z.string().nullish(),
});
export type HostedTask = z.infer<typeof hostedTaskSchema>;

/** Fields common to `email.exchange.Account`, `email.pro.AccountNative` and `email.mxplan.Account`. */
export const hostedAccountFields = {
  primaryEmailAddress: z.string(),
  login: z.string(),
  domain: z.string(),
  id: long,
  configured: z.boolean(),
  state: z.string(),
  /** GB (see units.ts). */
  quota: z.number(),
  /** Unit unconfirmed (see units.ts). */
  currentUsage: z.number().nullish(),
  displayName: z.string().nullish(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  /** Initials (`initial` on accounts, `initials` on external contacts and in POST bodies). */
  initial: z.string().nullish(),
  hiddenFromGAL: z.boolean(),
  taskPendingId: z.number().nullish(),
};

/** `spamAndVirusConfiguration` of an account: writable on Exchange, read-only on E-mail Pro and MX Plan. */
export const spamAndVirusSchema = z.object({
  checkDKIM: z.boolean(),
  checkSPF: z.boolean(),
  deleteSpam: z.boolean(),
  deleteVirus: z.boolean(),
  putInJunk: z.boolean(),
  tagSpam: z.boolean(),
  tagVirus: z.boolean(),
});

/** Fields common to the Exchange, E-mail Pro and new MX Plan service objects. */
export const hostedServiceFields = {
  domain: z.string(),
  displayName: z.string().nullish(),
  hostname: z.string().nullish(),
  webUrl: z.string().nullish(),
  state: z.string(),
  offer: z.string(),
  complexityEnabled: z.boolean(),
  minPasswordLength: z.number().int().nullish(),
  taskPendingId: long,
};

/** Fields common to the hosted domain objects (the DNS diagnostic). */
export const hostedDomainFields = {
  name: z.string(),
  state: z.string(),
  type: z.enum(['authoritative', 'nonAuthoritative']),
  mxRelay: z.string().nullish(),
  domainValidated: z.boolean(),
  cnameToCheck: z.string().nullish(),
  mxIsValid: z.boolean(),
  expectedMX: stringList,
  srvIsValid: z.boolean(),
  taskPendingId: long,
};

/** The full DNS diagnostic of Exchange and E-mail Pro domains (new MX Plan has no SPF or expected SRV). */
export const fullDiagnosticDomainFields = {
  ...hostedDomainFields,
  mxRecord: stringList.nullish(),
  srvRecord: stringList.nullish(),
  expectedAutodiscoverSRV: z.string(),
  spfIsValid: z.boolean(),
  spfRecord: stringList.nullish(),
  expectedSPF: z.string(),
};

/** `email.exchange.exchangeExternalContact`, `email.pro.ExternalContactNative`, `email.mxplan.ExternalContact`. */
export const externalContactSchema = z.object({
  id: long,
  externalEmailAddress: z.string(),
  displayName: z.string(),
  firstName: z.string().nullish(),
  lastName: z.string().nullish(),
  initials: z.string().nullish(),
  hiddenFromGAL: z.boolean(),
  state: z.string(),
  taskPendingId: long,
});
export type ExternalContactObject = z.infer<typeof externalContactSchema>;

export const disclaimerSchema = z.object({
  name: z.string(),
  content: z.string(),
  outsideOnly: z.boolean(),
});
