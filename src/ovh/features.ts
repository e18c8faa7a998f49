import type { Platform } from '../domain/platform.js';
import type {
  AccountSettings,
  FeatureChange,
  FeatureChangeKind,
  FeatureCheck,
  FeatureOutcome,
  FeatureSnapshot,
  FeatureSupport,
  FeatureSupportTable,
  GroupSnapshot,
  MailPlatform,
  RightKind,
  SpamAndVirusSettings,
} from './mail-platform.js';

/**
 * Platform-independent helpers around FeatureSnapshot and FeatureChange: the ordered list of changes a snapshot
 * asks for, their natural keys and descriptions, the support table of each destination kind, and applying a
 * list of changes one by one with each failure kept to its own change.
 */

export const RIGHT_LABEL: Record<RightKind, string> = {
  fullAccess: 'full access',
  sendAs: 'send as',
  sendOnBehalfTo: 'send on behalf',
};

const lower = (value: string) => value.trim().toLowerCase();
const unique = (values: readonly string[]) => [...new Set(values.map(lower))];

/**
 * The changes that recreate `snapshot` on a destination, in an order that works: the account's own settings,
 * forwarding, spam settings and aliases; then the service-wide external contacts and footer (contacts before
 * groups: a group member can be a contact); then each group before its aliases, members, managers and send
 * rights; then the mailbox rights in both directions. Duplicates (the same natural key) appear once.
 */
export function featureChanges(snapshot: FeatureSnapshot): FeatureChange[] {
  const address = lower(snapshot.address);
  const changes: FeatureChange[] = [];
  if (Object.values(snapshot.settings).some((v) => v !== undefined)) changes.push({ kind: 'settings', address, settings: snapshot.settings });
  if (snapshot.forwarding) changes.push({ kind: 'forwarding', address, forwarding: snapshot.forwarding });
  if (snapshot.spamAndVirus) changes.push({ kind: 'spamFilter', address, spamAndVirus: snapshot.spamAndVirus });
  for (const alias of unique(snapshot.aliases)) changes.push({ kind: 'alias', address, alias });
  for (const contact of snapshot.externalContacts) changes.push({ kind: 'externalContact', contact: { ...contact, address: lower(contact.address) } });
  if (snapshot.footer) changes.push({ kind: 'footer', footer: { ...snapshot.footer, domain: lower(snapshot.footer.domain) } });
  for (const group of snapshot.groups) changes.push(...groupChanges(group, address));
  for (const d of snapshot.delegations) changes.push({ kind: 'right', right: d.right, owner: lower(d.owner), grantee: lower(d.grantee) });
  const seen = new Set<string>();
  return changes.filter((change) => {
    const key = featureKey(change);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function groupChanges(group: GroupSnapshot, mailbox: string): FeatureChange[] {
  const address = lower(group.address);
  const { roles: _roles, memberAccounts, memberContacts, managers, aliases, sendAs, sendOnBehalfTo, ...settings } = group;
  const changes: FeatureChange[] = [
    // A list needs an owner where the platform asks for one: its first manager, else the migrated mailbox.
    { kind: 'group', group: { ...settings, address }, owner: lower(managers[0] ?? mailbox) },
  ];
  for (const alias of unique(aliases)) changes.push({ kind: 'groupAlias', group: address, alias });
  for (const member of unique(memberContacts)) changes.push({ kind: 'groupMember', group: address, member, memberType: 'contact' });
  for (const member of unique(memberAccounts)) changes.push({ kind: 'groupMember', group: address, member, memberType: 'account' });
  for (const manager of unique(managers)) changes.push({ kind: 'groupManager', group: address, manager });
  for (const grantee of unique(sendAs)) changes.push({ kind: 'groupRight', group: address, right: 'sendAs', grantee });
  for (const grantee of unique(sendOnBehalfTo)) changes.push({ kind: 'groupRight', group: address, right: 'sendOnBehalfTo', grantee });
  return changes;
}

/** The natural key of a change: two changes with the same key are the same feature. Stable across runs. */
export function featureKey(change: FeatureChange): string {
  switch (change.kind) {
    case 'settings':
    case 'forwarding':
    case 'spamFilter':
      return `${change.kind}:${lower(change.address)}`;
    case 'alias':
      return `alias:${lower(change.address)}:${lower(change.alias)}`;
    case 'right':
      return `right:${change.right}:${lower(change.owner)}:${lower(change.grantee)}`;
    case 'externalContact':
      return `externalContact:${lower(change.contact.address)}`;
    case 'footer':
      return `footer:${lower(change.footer.domain)}`;
    case 'group':
      return `group:${lower(change.group.address)}`;
    case 'groupMember':
      return `groupMember:${lower(change.group)}:${change.memberType}:${lower(change.member)}`;
    case 'groupManager':
      return `groupManager:${lower(change.group)}:${lower(change.manager)}`;
    case 'groupAlias':
      return `groupAlias:${lower(change.group)}:${lower(change.alias)}`;
    case 'groupRight':
      return `groupRight:${change.right}:${lower(change.group)}:${lower(change.grantee)}`;
  }
}

/** The accounts, contacts and groups a change names besides the mailbox it is applied for. */
export function featureAddresses(change: FeatureChange): string[] {
  switch (change.kind) {
    case 'settings':
    case 'forwarding':
    case 'spamFilter':
      return [lower(change.address)];
    case 'alias':
      return [lower(change.address)];
    case 'right':
      return [lower(change.owner), lower(change.grantee)];
    case 'externalContact':
      return [lower(change.contact.address)];
    case 'footer':
      return [];
    case 'group':
      return [lower(change.group.address)];
    case 'groupMember':
      return [lower(change.group), lower(change.member)];
    case 'groupManager':
      return [lower(change.group), lower(change.manager)];
    case 'groupAlias':
      return [lower(change.group)];
    case 'groupRight':
      return [lower(change.group), lower(change.grantee)];
  }
}

/** One line for humans, e.g. "full access on jane.doe@mydomain.ovh for john.smith@mydomain.ovh". */
export function describeChange(change: FeatureChange): string {
  switch (change.kind) {
    case 'settings':
      return `account settings of ${change.address} (${describeSettings(change.settings)})`;
    case 'forwarding':
      return `forwarding of ${change.address} to ${change.forwarding.forwardingEmail}${change.forwarding.storeCopyOfEmail ? ' (keeping a copy)' : ''}`;
    case 'spamFilter':
      return `spam and virus settings of ${change.address} (${describeSpam(change.spamAndVirus)})`;
    case 'alias':
      return `alias ${change.alias} of ${change.address}`;
    case 'right':
      return `${RIGHT_LABEL[change.right]} on ${change.owner} for ${change.grantee}`;
    case 'externalContact':
      return `external contact ${change.contact.address} (${change.contact.displayName})`;
    case 'footer':
      return `footer of @${change.footer.domain}${change.footer.outsideOnly ? ' (external recipients only)' : ''}`;
    case 'group':
      return `group ${change.group.address}${change.group.displayName ? ` (${change.group.displayName})` : ''}`;
    case 'groupMember':
      return `${change.memberType === 'contact' ? 'external contact' : 'account'} ${change.member} as a member of the group ${change.group}`;
    case 'groupManager':
      return `${change.manager} as a manager of the group ${change.group}`;
    case 'groupAlias':
      return `alias ${change.alias} of the group ${change.group}`;
    case 'groupRight':
      return `${RIGHT_LABEL[change.right]} on the group ${change.group} for ${change.grantee}`;
  }
}

export function describeSettings(settings: AccountSettings): string {
  const parts: string[] = [];
  if (settings.displayName !== undefined) parts.push(`display name "${settings.displayName}"`);
  if (settings.firstName !== undefined) parts.push(`first name "${settings.firstName}"`);
  if (settings.lastName !== undefined) parts.push(`last name "${settings.lastName}"`);
  if (settings.initials !== undefined) parts.push(`initials "${settings.initials}"`);
  if (settings.hiddenFromGAL !== undefined) parts.push(settings.hiddenFromGAL ? 'hidden from the address book' : 'shown in the address book');
  return parts.join(', ') || 'none';
}

function describeSpam(spam: SpamAndVirusSettings): string {
  return Object.entries(spam)
    .map(([k, v]) => `${k} ${v ? 'on' : 'off'}`)
    .join(', ');
}

/** True when every field `wanted` sets has the same value in `current`. */
export function settingsMatch(wanted: AccountSettings, current: AccountSettings): boolean {
  return (Object.keys(wanted) as (keyof AccountSettings)[]).every((key) => wanted[key] === undefined || (current[key] ?? undefined) === wanted[key]);
}

export function spamMatches(a: SpamAndVirusSettings, b: SpamAndVirusSettings): boolean {
  return (Object.keys(a) as (keyof SpamAndVirusSettings)[]).every((key) => a[key] === b[key]);
}

// ---- what each destination kind can hold ------------------------------------------------------------------

const SUPPORTED: FeatureSupport = { supported: true };

const PLATFORM_NAME: Record<Platform, string> = {
  exchange: 'Hosted Exchange',
  emailpro: 'E-mail Pro',
  mxplan: 'MX Plan',
  'mxplan-legacy': 'legacy MX Plan',
};

function no(reason: string, instruction: string): FeatureSupport {
  return { supported: false, reason, instruction };
}

/**
 * Per destination kind, what the OVH API lets us recreate (`../shared/reference/feature-recreation.md`).
 * Exchange: everything. E-mail Pro and new MX Plan: settings, aliases, rights, contacts, footers; no groups, no
 * forwarding, spam settings read-only. Legacy MX Plan: aliases and forwarding as redirections, the display name
 * as the account description, groups as mailing lists (members as subscribers, managers as moderators, aliases
 * as redirections); no rights, contacts, footers, group send rights or spam settings.
 */
export function featureSupportFor(platform: Platform): FeatureSupportTable {
  const name = PLATFORM_NAME[platform];
  const noGroups = no(
    `${name} has no groups (distribution lists)`,
    'keep the group on an Exchange service, or create it as a mailing list on an MX Plan domain (control panel > Web Cloud > E-mails > the domain > Mailing lists) and subscribe its members',
  );
  const table: FeatureSupportTable = {
    settings: SUPPORTED,
    forwarding: SUPPORTED,
    spamFilter: SUPPORTED,
    alias: SUPPORTED,
    right: SUPPORTED,
    externalContact: SUPPORTED,
    footer: SUPPORTED,
    group: SUPPORTED,
    groupMember: SUPPORTED,
    groupManager: SUPPORTED,
    groupAlias: SUPPORTED,
    groupRight: SUPPORTED,
  };
  if (platform === 'exchange') return table;
  if (platform === 'emailpro' || platform === 'mxplan') {
    return {
      ...table,
      forwarding: no(`${name} accounts have no forwarding setting`, 'create an inbox rule "redirect to" in the webmail (Settings > Mail > Rules) of the new mailbox'),
      spamFilter: no(`${name}'s spam and virus settings are read-only through the API`, 'check the spam settings of the new mailbox in the OVH control panel (E-mails > the account) and ask OVH support to change them if needed'),
      group: noGroups,
      groupMember: noGroups,
      groupManager: noGroups,
      groupAlias: noGroups,
      groupRight: noGroups,
    };
  }
  const nothing = (what: string, instruction: string) => no(`legacy MX Plan has no ${what}`, instruction);
  return {
    ...table,
    spamFilter: nothing('per-account spam settings', 'legacy MX Plan filters spam for the whole domain (control panel > E-mails > the domain > "MX filter")'),
    right: nothing('mailbox delegation (full access, send as, send on behalf)', 'share the mailbox password with the person who needs access, or keep both mailboxes on E-mail Pro or Exchange'),
    externalContact: nothing('shared address book', "add the contact to each user's webmail address book (Roundcube > Contacts)"),
    footer: nothing('server-side footer', "add the footer to each user's signature in the webmail (Settings > Identities)"),
    groupRight: nothing('send-as rights on mailing lists', 'let the people who wrote as the group send from their own address, or keep the group on Exchange'),
  };
}

/** Per-change instruction for an unsupported change, from the support table, naming what the change holds. */
export function unsupportedCheck(table: FeatureSupportTable, change: FeatureChange): FeatureCheck | undefined {
  const support = table[change.kind];
  if (support.supported) return undefined;
  return { status: 'unsupported', reason: `${support.reason}: ${describeChange(change)}`, instruction: support.instruction };
}

// ---- applying a list ----------------------------------------------------------------------------------------

export interface AppliedFeature {
  change: FeatureChange;
  key: string;
  /** `failed` when OVH refused the change or its task ended in error; `error` tells why. */
  outcome: FeatureOutcome | { status: 'failed'; error: Error; detail: string };
}

/**
 * Applies `changes` in order on `platform`, one at a time; a change that fails (its OVH task ended in error, a
 * refusal) is reported with the error for that change alone and the others go on. Rights and members whose
 * other end is missing come back `waiting`.
 */
export async function applyFeatures(platform: MailPlatform, changes: readonly FeatureChange[]): Promise<AppliedFeature[]> {
  const results: AppliedFeature[] = [];
  for (const change of changes) {
    try {
      results.push({ change, key: featureKey(change), outcome: await platform.applyFeature(change) });
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      const nextStep = (err as { nextStep?: unknown }).nextStep;
      results.push({
        change,
        key: featureKey(change),
        outcome: { status: 'failed', error: err, detail: `${describeChange(change)}: ${err.message}${typeof nextStep === 'string' ? `. ${nextStep}` : ''}` },
      });
    }
  }
  return results;
}

export type { FeatureChangeKind };
