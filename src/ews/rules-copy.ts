import type { Logger } from 'pino';
import type { EwsClient } from './client.js';
import { EwsOutcomeUnknown } from './errors.js';
import type { MailboxFolders } from './folders.js';
import type { ParsedRule } from './responses.js';
import type { EmailAddress, InboxRule, RuleActions, RuleFolder } from './types.js';

/**
 * Inbox rules: read on both sides (GetInboxRules), the source's recreated at the destination with
 * CreateRuleOperation (UpdateInboxRules), folder ids of MoveToFolder/CopyToFolder mapped to the destination's
 * folder at the same path (created when missing: the mail copy creates the same folders). A rule already at the
 * destination (same name, conditions, exceptions and actions) is left alone, so a second run creates nothing.
 * What cannot be recreated is reported with the reason, never dropped silently: client-only rules
 * (`IsNotSupported`), rules in error, reply-with-template rules, predicates this tool does not know, and what the
 * destination refuses (UpdateInboxRules is all or nothing: refused operations are taken out and the rest sent again).
 */

export type RuleStatus = 'copied' | 'skipped' | 'refused' | 'failed';

export interface RuleResult {
  name: string;
  status: RuleStatus;
  reason?: string;
}

export interface RulesOutcome {
  results: RuleResult[];
  notes: string[];
}

function normalizeAddresses(list: EmailAddress[] | undefined): string[] | undefined {
  return list?.map((a) => (a.address ?? a.name ?? '').toLowerCase()).sort();
}

function normalizeFolder(folder: RuleFolder | undefined): string | undefined {
  if (!folder) return undefined;
  return 'distinguished' in folder ? `d:${folder.distinguished}` : `id:${folder.id}`;
}

/** A canonical text of what a rule does (not its id or priority), to compare source and destination rules. */
export function ruleSignature(rule: InboxRule): string {
  const predicates = (values: object | undefined) => {
    if (!values) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
      if (value === undefined) continue;
      out[key] = key.endsWith('Addresses') ? normalizeAddresses(value as EmailAddress[]) : value;
    }
    return out;
  };
  const actions = (values: RuleActions | undefined) => {
    if (!values) return undefined;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(values).sort(([a], [b]) => a.localeCompare(b))) {
      if (value === undefined) continue;
      if (key === 'MoveToFolder' || key === 'CopyToFolder') out[key] = normalizeFolder(value as RuleFolder);
      else if (key.endsWith('Recipients')) out[key] = normalizeAddresses(value as EmailAddress[]);
      else out[key] = value;
    }
    return out;
  };
  return JSON.stringify([rule.displayName.trim().toLowerCase(), rule.isEnabled, predicates(rule.conditions), predicates(rule.exceptions), actions(rule.actions)]);
}

/** Why a source rule cannot be recreated as it is, or undefined. */
function unsupportedReason(rule: ParsedRule): string | undefined {
  if (rule.isNotSupported) return 'a client-only rule (Outlook): Exchange does not expose its conditions and actions; recreate it in Outlook';
  if (rule.isInError) return 'the rule is in error on the source mailbox; fix or recreate it by hand';
  if (rule.unknownFields.length > 0) return `it uses ${rule.unknownFields.join(', ')}, which this tool cannot copy; recreate it by hand`;
  if (rule.actions?.ServerReplyWithMessage) return 'it replies with a template message stored in the mailbox, which cannot be copied; recreate it in Outlook or OWA';
  return undefined;
}

export async function copyRules(options: {
  source: EwsClient;
  destination: EwsClient;
  sourceFolders: MailboxFolders;
  destinationFolders: MailboxFolders;
  dryRun?: boolean;
  logger?: Logger;
}): Promise<RulesOutcome> {
  const { source, destination } = options;
  const notes: string[] = [];
  const sourceRules = (await source.getInboxRules()).rules.sort((a, b) => a.priority - b.priority);
  const results = new Map<ParsedRule, RuleResult>();
  const candidates: Array<{ rule: ParsedRule; mapped: InboxRule }> = [];
  for (const rule of sourceRules) {
    const reason = unsupportedReason(rule);
    if (reason) {
      results.set(rule, { name: rule.displayName, status: 'refused', reason });
      continue;
    }
    try {
      const mapped = await mapFolders(rule, options);
      if (typeof mapped === 'string') results.set(rule, { name: rule.displayName, status: 'refused', reason: mapped });
      else candidates.push({ rule, mapped });
    } catch (error) {
      results.set(rule, { name: rule.displayName, status: 'failed', reason: `could not prepare its folder at the destination: ${(error as Error).message}` });
    }
  }

  // Rules sent in a call whose answer was lost: found at the destination afterwards, they count as copied.
  const attempted = new Set<ParsedRule>();
  for (let round = 1; candidates.length > 0; round++) {
    const existing = await destination.getInboxRules();
    if (existing.outlookRuleBlobExists && round === 1) notes.push("the destination had Outlook client-only rules: Exchange removes them when rules are written over EWS");
    const signatures = new Set(existing.rules.map((rule) => ruleSignature(rule)));
    const names = new Map(existing.rules.map((rule) => [rule.displayName.trim().toLowerCase(), rule]));
    let priority = existing.rules.reduce((max, rule) => Math.max(max, rule.priority), 0);
    const toCreate: Array<{ rule: ParsedRule; mapped: InboxRule }> = [];
    for (const candidate of candidates.splice(0)) {
      if (signatures.has(ruleSignature(candidate.mapped))) {
        results.set(candidate.rule, { name: candidate.rule.displayName, status: attempted.has(candidate.rule) ? 'copied' : 'skipped' });
        continue;
      }
      if (names.has(candidate.mapped.displayName.trim().toLowerCase())) {
        results.set(candidate.rule, { name: candidate.rule.displayName, status: 'skipped', reason: 'a different rule of this name is at the destination: left as it is' });
        continue;
      }
      toCreate.push(candidate);
    }
    if (toCreate.length === 0 || options.dryRun) {
      for (const { rule } of toCreate) results.set(rule, { name: rule.displayName, status: 'copied' });
      break;
    }
    const operations = toCreate.map(({ mapped }) => ({ create: { ...mapped, id: undefined, priority: ++priority } }));
    let outcome;
    try {
      outcome = await destination.updateInboxRules(operations);
    } catch (error) {
      if (!(error instanceof EwsOutcomeUnknown) || round >= 3) throw error;
      // Whether the rules were created is unknown: read them again and compare.
      for (const { rule } of toCreate) attempted.add(rule);
      candidates.push(...toCreate);
      continue;
    }
    if (outcome.ok) {
      for (const { rule } of toCreate) results.set(rule, { name: rule.displayName, status: 'copied' });
      break;
    }
    if (outcome.errors.length === 0) {
      for (const { rule } of toCreate) results.set(rule, { name: rule.displayName, status: 'failed', reason: `${outcome.code}${outcome.message ? `: ${outcome.message}` : ''}` });
      break;
    }
    const refused = new Set<number>();
    for (const error of outcome.errors) {
      const entry = toCreate[error.operationIndex];
      if (!entry) continue;
      refused.add(error.operationIndex);
      const reason = error.errors.map((e) => `${e.fieldUri}: ${e.code}${e.message ? ` (${e.message})` : ''}`).join('; ');
      results.set(entry.rule, { name: entry.rule.displayName, status: 'refused', reason: `the destination refused it: ${reason}` });
    }
    if (refused.size === 0) {
      for (const { rule } of toCreate) results.set(rule, { name: rule.displayName, status: 'failed', reason: outcome.code });
      break;
    }
    candidates.push(...toCreate.filter((_, index) => !refused.has(index)));
  }
  return { results: sourceRules.map((rule) => results.get(rule) ?? { name: rule.displayName, status: 'failed' as const, reason: 'not processed' }), notes };
}

/** The rule with its folders replaced by the destination's, or why that is impossible. */
async function mapFolders(
  rule: ParsedRule,
  options: { sourceFolders: MailboxFolders; destinationFolders: MailboxFolders; dryRun?: boolean },
): Promise<InboxRule | string> {
  const { unknownFields: _unknown, ...plain } = rule;
  const actions: RuleActions = { ...(rule.actions ?? {}) };
  for (const key of ['MoveToFolder', 'CopyToFolder'] as const) {
    const target = actions[key];
    if (!target || 'distinguished' in target) continue;
    const path = options.sourceFolders.pathOf(target.id);
    if (!path) return `it ${key === 'MoveToFolder' ? 'moves' : 'copies'} mail to a folder that no longer exists in the source mailbox`;
    const classes = options.sourceFolders.classesAlong(target.id);
    const resolved = await options.destinationFolders.resolve(path, options.dryRun ? undefined : { folderClass: classes[classes.length - 1] ?? 'IPF.Note', classes });
    // Dry run: a folder the run would create gets a placeholder id, enough to compare and count.
    actions[key] = resolved.id ? { id: resolved.id } : { id: `(new folder ${options.sourceFolders.describe(path)})` };
  }
  return { ...plain, id: undefined, actions: rule.actions ? actions : undefined };
}
