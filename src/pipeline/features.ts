import { isFreeSlot } from '../domain/address.js';
import { PLATFORM_LABEL, type Platform } from '../domain/platform.js';
import { needsDomainAttachment } from '../domain/rules.js';
import { describeChange, featureAddresses, featureChanges, featureKey } from '../ovh/features.js';
import { mapLimit } from '../domain/map-limit.js';
import type { FeatureChange, FeatureSnapshot, FeatureTask, MailPlatform, UnmigratedFeature } from '../ovh/mail-platform.js';
import { describeError, retryVerdict } from './errors.js';
import { serviceKey, type FeatureLinks, type LinkEntry, type MigratedMailbox, type ServiceRef } from './links.js';
import type { FeatureResult, MigrationPlan, PlannedFeature, ReportedFeature } from './migration-service.js';
import type { StepContext, StepOutcome } from './step-context.js';
import type { Checkpoint, FeatureRecord } from './job-data.js';

/**
 * Features of a mailbox on its destination (issue 11): the plan's verdict for each one at preflight, the features
 * step that recreates them in order with a journal in the checkpoint, the links left pending in Redis until the
 * other mailbox is on the same service (applied by any later migration to it, or a batch's end), and the report.
 */

/** Changes that link the mailbox to another account or to a group: what may wait for another migration. */
export const LINK_KINDS: ReadonlySet<FeatureChange['kind']> = new Set(['right', 'groupMember', 'groupManager', 'groupRight']);

const lower = (value: string) => value.trim().toLowerCase();
const now = () => new Date().toISOString();

/** The registry reads planning and classifying need (FeatureLinks, or nothing outside the pipeline's Redis). */
export type MigratedLookup = Pick<FeatureLinks, 'migrated' | 'originals'>;

/** The change with every account address it names passed through `map` (contacts and groups left alone). */
function withAccounts(change: FeatureChange, map: (address: string) => string): FeatureChange {
  switch (change.kind) {
    case 'settings':
    case 'forwarding':
    case 'spamFilter':
    case 'alias':
      return { ...change, address: map(change.address) };
    case 'right':
      return { ...change, owner: map(change.owner), grantee: map(change.grantee) };
    case 'group':
      return { ...change, owner: map(change.owner) };
    case 'groupMember':
      return change.memberType === 'account' ? { ...change, member: map(change.member) } : change;
    case 'groupManager':
      return { ...change, manager: map(change.manager) };
    case 'groupRight':
      return { ...change, grantee: map(change.grantee) };
    default:
      return change;
  }
}

/** The accounts a change needs on a destination where rights and memberships name accounts (not legacy MX Plan). */
function accountEnds(change: FeatureChange): string[] {
  switch (change.kind) {
    case 'settings':
    case 'forwarding':
    case 'spamFilter':
    case 'alias':
      return [lower(change.address)];
    case 'right':
      return [lower(change.owner), lower(change.grantee)];
    case 'groupMember':
      return change.memberType === 'account' ? [lower(change.member)] : [];
    case 'groupManager':
      return [lower(change.manager)];
    case 'groupRight':
      return [lower(change.grantee)];
    default:
      return [];
  }
}

/**
 * Everything a `waiting` change waits for: what the check named plus, where members and managers must be accounts
 * of the service (a check stops at the first thing missing, e.g. the group), the accounts it names that are not
 * there; minus what `willExist` (created by this run before it gets there).
 */
async function waitingFor(destination: MailPlatform, change: FeatureChange, missing: readonly string[], willExist: ReadonlySet<string>): Promise<string[]> {
  const waits = new Set(missing.map(lower));
  if (destination.platform !== 'mxplan-legacy') {
    for (const account of accountEnds(change)) {
      if (waits.has(account) || willExist.has(account)) continue;
      const found = await destination.getAccount(account);
      if (!found?.configured) waits.add(account);
    }
  }
  return [...waits].filter((w) => !willExist.has(w));
}

/** "waits for jane@x.fr and the domain y.fr on SERVICE" */
export function waitsText(waits: readonly string[], service: string): string {
  const parts = waits.map((w) => (w.includes('@') ? w : `the domain ${w} on ${service}`));
  return `waits for ${parts.join(', ')}${waits.some((w) => w.includes('@')) ? ` on ${service}` : ''}`;
}

export type Waiting = { verdict: 'go' } | { verdict: 'pending'; waitsFor: string[]; detail: string } | { verdict: 'byHand'; detail: string; instruction: string };

/**
 * What a change waiting for `waits` on `destination` comes to: nothing left to wait for (go), pending, or by hand
 * when it names a free slot (a reset account) or a mailbox migrated to another service (a link only joins accounts
 * of one service: the other end never comes here).
 */
export async function classifyWaiting(change: FeatureChange, waits: readonly string[], destination: ServiceRef, registry?: MigratedLookup): Promise<Waiting> {
  if (waits.length === 0) return { verdict: 'go' };
  const slots = waits.filter((w) => isFreeSlot(w));
  if (slots.length) {
    return {
      verdict: 'byHand',
      detail: `it names ${slots.join(', ')}, a free slot (an account that was reset)`,
      instruction: `recreate ${describeChange(change)} by hand if it is still wanted, naming the account that took that mailbox's place`,
    };
  }
  if (registry) {
    const migrated = await registry.migrated(waits.filter((w) => w.includes('@')));
    const elsewhere = [...migrated.values()].filter((m) => serviceKey(m) !== serviceKey(destination));
    if (elsewhere.length) return elsewhereVerdict(change, elsewhere, destination);
  }
  return { verdict: 'pending', waitsFor: [...waits], detail: waitsText(waits, destination.service) };
}

function elsewhereVerdict(change: FeatureChange, elsewhere: readonly MigratedMailbox[], destination: ServiceRef): Waiting & { verdict: 'byHand' } {
  const where = elsewhere.map((m) => `${m.address} was migrated to ${m.service} (${PLATFORM_LABEL[m.platform]})`).join('; ');
  return {
    verdict: 'byHand',
    detail: `${where}, not to ${destination.service}: rights and group memberships only link accounts of one service`,
    instruction: `if ${describeChange(change)} is still needed, recreate it by hand once both mailboxes are on one service (OVH control panel > the e-mail service > Accounts > the account > Delegations, or the group's members), or share access another way`,
  };
}

// ---- the plan ----------------------------------------------------------------------------------------------

export interface PlanFeaturesInput {
  snapshot: FeatureSnapshot;
  sourcePlatform: Platform;
  destination: MailPlatform;
  /** The migrated mailbox: the run creates it, and attaches its domain where the destination needs that. */
  address: string;
  registry?: MigratedLookup;
}

/**
 * The verdict of every feature of `snapshot` on the destination as it is now, nothing changed: each change is
 * checked there (natural key); what the run itself creates before reaching a change (the account, its domain, the
 * contacts and groups earlier in the order) counts as there. Rights read on the source that point at the temporary
 * name of a mailbox migrated earlier are about that mailbox.
 */
export async function planFeatures(input: PlanFeaturesInput): Promise<PlannedFeature[]> {
  const { destination, registry } = input;
  const dest: ServiceRef = { platform: destination.platform, service: destination.service };
  let changes = featureChanges(input.snapshot);
  if (registry) {
    const originals = await registry.originals(changes.flatMap(featureAddresses));
    if (originals.size) {
      const seen = new Set<string>();
      changes = changes
        .map((c) => withAccounts(c, (a) => originals.get(lower(a)) ?? a))
        .filter((c) => {
          const key = featureKey(c);
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        });
    }
  }
  const checks = await mapLimit(changes, 4, (change) => destination.checkFeature(change));
  const address = lower(input.address);
  const willExist = new Set<string>([address]);
  if (needsDomainAttachment(destination.platform)) willExist.add(address.split('@')[1]!);

  const planned: PlannedFeature[] = [];
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i]!;
    const check = checks[i]!;
    const base = { kind: change.kind, key: featureKey(change), target: describeChange(change), change };
    let feature: PlannedFeature;
    switch (check.status) {
      case 'missing':
        feature = { ...base, verdict: 'create' };
        break;
      case 'exists':
        feature = { ...base, verdict: 'exists' };
        break;
      case 'conflict':
        feature = { ...base, verdict: 'conflict', detail: check.detail, instruction: 'compare both and change the one on the destination by hand if the source is right: it is never overwritten' };
        break;
      case 'unsupported':
        feature = { ...base, verdict: 'byHand', detail: check.reason, instruction: check.instruction };
        break;
      case 'waiting': {
        const waits = await waitingFor(destination, change, check.missing, willExist);
        const outcome = await classifyWaiting(change, waits, dest, registry);
        feature =
          outcome.verdict === 'go'
            ? { ...base, verdict: 'create' }
            : outcome.verdict === 'pending'
              ? { ...base, verdict: 'pending', detail: outcome.detail, waitsFor: outcome.waitsFor }
              : { ...base, verdict: 'byHand', detail: outcome.detail, instruction: outcome.instruction };
      }
    }
    // contacts and groups the run creates (or finds) before the members that name them
    if (feature.verdict === 'create' || feature.verdict === 'exists' || feature.verdict === 'conflict') {
      if (change.kind === 'externalContact') willExist.add(lower(change.contact.address));
      if (change.kind === 'group') willExist.add(lower(change.group.address));
    }
    planned.push(feature);
  }

  const unmigrated: UnmigratedFeature[] = [...input.snapshot.unmigrated];
  if (input.sourcePlatform === 'exchange' && destination.platform !== 'exchange' && !unmigrated.some((f) => f.kind === 'collaborative')) {
    unmigrated.push({
      kind: 'collaborative',
      description: 'calendars, contacts and tasks (Exchange synchronisation)',
      instruction: `${PLATFORM_LABEL[destination.platform]} has no Exchange synchronisation: export them from Outlook or OWA and import them in the webmail or the mail client`,
    });
  }
  const perKind = new Map<string, number>();
  for (const f of unmigrated) {
    const n = perKind.get(f.kind) ?? 0;
    perKind.set(f.kind, n + 1);
    planned.push({
      kind: f.kind,
      key: `unmigrated:${f.kind}:${n}`,
      target: f.description,
      verdict: 'byHand',
      detail: 'no OVH API call recreates it',
      instruction: f.instruction ?? 'recreate it by hand in the OVH control panel or the webmail',
    });
  }
  return planned;
}

// ---- applying one change, with a journal ------------------------------------------------------------------

/** What applying a change came to (`waiting`: something it names is not on the destination). */
export type Applied = { status: Exclude<FeatureResult, 'pending'>; detail?: string; instruction?: string } | { status: 'waiting'; missing: string[] };

/** An error's message with what to do about it, once (OVH errors' `describe()` already ends with it). */
export function errorDetail(error: unknown): string {
  const described = describeError(error);
  const next = (error as { nextStep?: unknown } | null)?.nextStep;
  return typeof next === 'string' && !described.includes(next) ? `${described}. ${next}` : described;
}

/**
 * Applies one change on `platform`, resumable: a recorded task (`previous.status === 'started'`) is waited for,
 * never posted again; otherwise `startFeature` reads first and posts only what is missing, and `journal` records
 * the task it returns before it is waited for (and, for a change never tried, an intent before any call). A refusal
 * or a task that ends in error is `failed` for this change alone; a transient error is thrown, for the step to be
 * retried from the journal.
 */
export async function applyChange(
  platform: MailPlatform,
  change: FeatureChange,
  previous: { status: string; task?: FeatureTask } | undefined,
  journal: (state: { status: 'intent' } | { status: 'started'; task: FeatureTask }) => Promise<void>,
): Promise<Applied> {
  try {
    if (previous?.status === 'started' && previous.task) {
      await platform.waitFeature(previous.task);
      return { status: 'created' };
    }
    if (!previous) await journal({ status: 'intent' });
    const started = await platform.startFeature(change);
    switch (started.status) {
      case 'started':
        await journal({ status: 'started', task: started.task });
        await platform.waitFeature(started.task);
        return { status: 'created' };
      case 'exists':
        return { status: 'exists' };
      case 'conflict':
        return { status: 'conflict', detail: started.detail, instruction: 'compare both and change the one on the destination by hand if the source is right: it is never overwritten' };
      case 'unsupported':
        return { status: 'byHand', detail: started.reason, instruction: started.instruction };
      case 'waiting':
        return { status: 'waiting', missing: started.missing };
    }
  } catch (error) {
    if (retryVerdict(error) !== false) throw error;
    return { status: 'failed', detail: errorDetail(error) };
  }
}

// ---- the features step ------------------------------------------------------------------------------------

const FINAL: ReadonlySet<FeatureRecord['status']> = new Set(['created', 'exists', 'pending', 'byHand', 'conflict', 'failed']);

/**
 * The `features` step: every planned change in order on the destination, each journaled in the checkpoint; a
 * change waiting for another mailbox is left pending in Redis for this service. Then, still holding the service's
 * lock, every pending link of the service whose ends all exist now is applied (this migration's and earlier ones'),
 * and links waiting for this mailbox on other services become by hand (it went elsewhere). A re-run posts nothing
 * already done; a task recorded before a crash is waited for.
 */
export async function recreateFeatures(ctx: StepContext, destination: MailPlatform): Promise<StepOutcome> {
  const { plan, checkpoint, links } = ctx;
  const features = plan.features ?? [];
  const records = (checkpoint.features ??= {});
  const dest: ServiceRef = { platform: destination.platform, service: destination.service };
  const address = lower(plan.destination.address);
  await links.recordMigrated({ address, platform: dest.platform, service: dest.service, temporaryAddress: lower(plan.temporaryAddress), jobId: ctx.jobId, at: now() });

  await links.withServiceLock(dest, ctx.signal, async () => {
    for (const feature of features) {
      const previous = records[feature.key];
      if (previous && FINAL.has(previous.status)) continue;
      if (!feature.change || feature.verdict === 'byHand') {
        // the destination cannot hold it, no API recreates it, or it names a mailbox that went elsewhere
        records[feature.key] = { status: 'byHand', at: now(), ...(feature.detail ? { detail: feature.detail } : {}), ...(feature.instruction ? { instruction: feature.instruction } : {}) };
        continue;
      }
      const change = feature.change;
      const applied = await applyChange(destination, change, previous, async (state) => {
        records[feature.key] = { ...state, at: now() };
        await ctx.save();
      });
      if (ctx.signal.aborted) return;
      records[feature.key] = await settle(applied, change, destination, links, { jobId: ctx.jobId, address });
      await ctx.save();
    }
    await ctx.save();
    await applyPendingLinks(destination, links, ctx.jobId);
    // this migration's own pending links that the pass above (or another migration meanwhile) resolved
    const pendingKeys = Object.keys(records).filter((key) => records[key]!.status === 'pending');
    const stored = await links.get(dest, pendingKeys);
    for (const key of pendingKeys) {
      const entry = stored[key];
      if (entry && entry.status !== 'pending' && entry.status !== 'started') records[key] = recordOf(entry);
    }
    await ctx.save();
  });
  if (ctx.signal.aborted) return { status: 'failed', detail: 'cancelled' };
  await markGoneElsewhere(links, address, dest);
  return summary(features, records);
}

/** A record from what applying came to; a waiting change becomes pending here and in the service's links. */
async function settle(applied: Applied, change: FeatureChange, destination: MailPlatform, links: FeatureLinks, owner: { jobId: string; address: string }): Promise<FeatureRecord> {
  const at = now();
  if (applied.status !== 'waiting') {
    return { status: applied.status, at, ...(applied.detail ? { detail: applied.detail } : {}), ...(applied.instruction ? { instruction: applied.instruction } : {}) };
  }
  const dest: ServiceRef = { platform: destination.platform, service: destination.service };
  const waits = await waitingFor(destination, change, applied.missing, new Set());
  const outcome = await classifyWaiting(change, waits, dest, links);
  if (outcome.verdict === 'byHand') return { status: 'byHand', at, detail: outcome.detail, instruction: outcome.instruction };
  const waitsFor = outcome.verdict === 'pending' ? outcome.waitsFor : applied.missing;
  const detail = waitsText(waitsFor, dest.service);
  const key = featureKey(change);
  // in the service's links first: a resumed step finds the checkpoint's "pending" backed by an entry
  await links.update(dest, key, (current) => ({
    key,
    change,
    platform: dest.platform,
    service: dest.service,
    status: 'pending',
    waitsFor,
    owners: mergeOwners(current?.owners, owner),
    detail,
    updatedAt: now(),
  }));
  return { status: 'pending', at: now(), waitsFor, detail };
}

function mergeOwners(current: LinkEntry['owners'] | undefined, owner: { jobId: string; address: string }): LinkEntry['owners'] {
  const owners = [...(current ?? [])];
  if (!owners.some((o) => o.jobId === owner.jobId)) owners.push(owner);
  return owners;
}

function recordOf(entry: LinkEntry): FeatureRecord {
  const status: FeatureRecord['status'] = entry.status === 'started' ? 'pending' : entry.status;
  return {
    status,
    at: entry.updatedAt,
    ...(entry.detail ? { detail: entry.detail } : {}),
    ...(entry.instruction ? { instruction: entry.instruction } : {}),
    ...(status === 'pending' ? { waitsFor: entry.waitsFor } : {}),
  };
}

/**
 * Applies every pending link of `platform`'s service whose ends all exist there now (a task recorded before a
 * crash is waited for); one that waits for a mailbox migrated to another service becomes by hand. Call it holding
 * the service's lock. `by` is who resolves them (a migration's or a batch's job id).
 */
export async function applyPendingLinks(platform: MailPlatform, links: FeatureLinks, by: string): Promise<LinkEntry[]> {
  const dest: ServiceRef = { platform: platform.platform, service: platform.service };
  const changed: LinkEntry[] = [];
  for (const entry of await links.entries(dest)) {
    if (entry.status !== 'pending' && entry.status !== 'started') continue;
    const applied = await applyChange(platform, entry.change, entry.status === 'started' ? { status: 'started', task: entry.task } : { status: 'pending' }, async (state) => {
      if (state.status !== 'started') return;
      await links.update(dest, entry.key, (current) => (current && current.status === 'pending' ? { ...current, status: 'started', task: state.task, updatedAt: now() } : undefined));
    });
    let next: Partial<LinkEntry>;
    if (applied.status === 'waiting') {
      const waits = await waitingFor(platform, entry.change, applied.missing, new Set());
      const outcome = await classifyWaiting(entry.change, waits, dest, links);
      if (outcome.verdict === 'pending') {
        if (sameList(outcome.waitsFor, entry.waitsFor) && entry.status === 'pending') continue;
        next = { status: 'pending', waitsFor: outcome.waitsFor, detail: outcome.detail };
      } else if (outcome.verdict === 'byHand') next = { status: 'byHand', detail: outcome.detail, instruction: outcome.instruction, resolvedBy: by };
      else continue;
    } else {
      next = {
        status: applied.status,
        detail: applied.detail ?? (applied.status === 'created' ? `recreated once both ends were on ${dest.service}` : undefined),
        instruction: applied.instruction,
        resolvedBy: by,
      };
    }
    const written = await links.update(dest, entry.key, (current) =>
      current && (current.status === 'pending' || current.status === 'started') ? withoutUndefined({ ...current, ...next, task: undefined, updatedAt: now() }) : undefined,
    );
    if (written) changed.push(written);
  }
  return changed;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Links on other services that wait for `address`: it was migrated to `dest`, so they become by hand. */
async function markGoneElsewhere(links: FeatureLinks, address: string, dest: ServiceRef): Promise<void> {
  const here = serviceKey(dest);
  const gone: MigratedMailbox = { address, platform: dest.platform, service: dest.service, temporaryAddress: '', jobId: '', at: now() };
  for (const other of await links.services()) {
    if (serviceKey(other) === here) continue;
    for (const entry of await links.entries(other)) {
      if (entry.status !== 'pending' || !entry.waitsFor.includes(address)) continue;
      const verdict = elsewhereVerdict(entry.change, [gone], other);
      await links.update(other, entry.key, (current) =>
        current && current.status === 'pending' ? { ...current, status: 'byHand', detail: verdict.detail, instruction: verdict.instruction, updatedAt: now(), resolvedBy: `mig-${address}` } : undefined,
      );
    }
  }
}

/**
 * Undo of a migration: the links it recreated that involve another mailbox or a group, and links of other
 * migrations on the same service that involve this mailbox, are pending again (waiting for it: its account was
 * removed from the destination); the registry forgets that it was migrated.
 */
export async function putLinksBack(links: FeatureLinks, plan: MigrationPlan, checkpoint: Checkpoint, jobId: string): Promise<number> {
  const address = lower(plan.destination.address);
  const dest: ServiceRef = { platform: plan.destination.platform, service: plan.destination.service };
  const detail = `${waitsText([address], dest.service)} (its migration was undone)`;
  let count = 0;
  const back = (current: LinkEntry | undefined, change: FeatureChange, owner?: { jobId: string; address: string }): LinkEntry => ({
    key: featureKey(change),
    change,
    platform: dest.platform,
    service: dest.service,
    status: 'pending',
    waitsFor: [address],
    owners: owner ? mergeOwners(current?.owners, owner) : (current?.owners ?? []),
    detail,
    updatedAt: now(),
  });
  for (const feature of plan.features ?? []) {
    const record = checkpoint.features?.[feature.key];
    const change = feature.change;
    if (!change || !LINK_KINDS.has(change.kind) || (record?.status !== 'created' && record?.status !== 'exists')) continue;
    if (!featureAddresses(change).some((a) => a !== address)) continue;
    await links.update(dest, feature.key, (current) => back(current, change, { jobId, address }));
    count++;
  }
  for (const entry of await links.entries(dest)) {
    if (entry.status !== 'created' && entry.status !== 'exists') continue;
    if (!featureAddresses(entry.change).includes(address)) continue;
    const written = await links.update(dest, entry.key, (current) => (current && (current.status === 'created' || current.status === 'exists') ? back(current, current.change) : undefined));
    if (written?.status === 'pending') count++;
  }
  await links.forgetMigrated(address, jobId);
  return count;
}

function summary(features: readonly PlannedFeature[], records: Record<string, FeatureRecord>): StepOutcome {
  if (features.length === 0) return { status: 'skipped', detail: 'nothing to recreate: the source mailbox has no aliases, settings, delegations, groups, contacts or footer' };
  const of = (status: FeatureRecord['status']) => features.filter((f) => records[f.key]?.status === status);
  const created = of('created').length;
  const exists = of('exists').length;
  const pending = of('pending');
  const byHand = of('byHand').length;
  const conflicts = of('conflict').length;
  const failed = of('failed');
  const parts = [`recreated ${created + exists} (${created} created, ${exists} already there)`];
  if (pending.length) {
    const waits = [...new Set(pending.flatMap((f) => records[f.key]!.waitsFor ?? []))];
    parts.push(`pending ${pending.length} (waiting for ${waits.slice(0, 5).join(', ')}${waits.length > 5 ? ` and ${waits.length - 5} more` : ''})`);
  }
  if (byHand) parts.push(`by hand ${byHand}`);
  if (conflicts) parts.push(`conflicts ${conflicts}`);
  if (failed.length) {
    // one line per distinct error, naming the features it hit
    const byError = new Map<string, string[]>();
    for (const f of failed) byError.set(records[f.key]!.detail ?? 'failed', [...(byError.get(records[f.key]!.detail ?? 'failed') ?? []), f.target]);
    const lines = [...byError].slice(0, 3).map(([error, targets]) => `${targets.slice(0, 3).join('; ')}${targets.length > 3 ? ` and ${targets.length - 3} more` : ''}: ${error}`);
    parts.push(`failed ${failed.length}: ${lines.join(' | ')}${byError.size > 3 ? ` | and ${byError.size - 3} other errors` : ''}`);
    return { status: 'failed', detail: parts.join('; ') };
  }
  return { status: 'done', detail: parts.join('; ') };
}

// ---- the report -------------------------------------------------------------------------------------------

/**
 * What became of every planned feature, from the checkpoint's journal and, for links, from the service's link
 * store (`links`, read by the caller): a link resolved by a later migration, or put back to pending by an undo,
 * shows as it is now.
 */
export function reportedFeatures(plan: MigrationPlan, checkpoint: Checkpoint, links?: Record<string, LinkEntry>): ReportedFeature[] {
  return (plan.features ?? []).map((feature) => {
    const base = { kind: feature.kind, key: feature.key, target: feature.target };
    const record = checkpoint.features?.[feature.key];
    const entry = links?.[feature.key];
    const newer = entry && record && entry.updatedAt > record.at && (entry.status === 'pending' || entry.owners.some((o) => o.jobId === plan.jobId));
    if (entry && record && (record.status === 'pending' || newer)) return reported(base, recordOf(entry));
    if (!record || record.status === 'intent' || record.status === 'started') {
      if (feature.verdict === 'byHand' || feature.verdict === 'conflict') {
        return withoutUndefined({ ...base, status: feature.verdict, detail: feature.detail, instruction: feature.instruction });
      }
      return { ...base, status: 'pending' as const, detail: 'not recreated: the features step did not finish' };
    }
    return reported(base, record);
  });
}

function reported(base: Pick<ReportedFeature, 'kind' | 'key' | 'target'>, record: FeatureRecord): ReportedFeature {
  const status = record.status === 'intent' || record.status === 'started' ? 'pending' : record.status;
  return withoutUndefined({ ...base, status, detail: record.detail, instruction: record.instruction, waitsFor: record.waitsFor });
}

/** The keys of a plan's features that may have an entry in the service's links (any change may have waited). */
export function linkKeys(plan: MigrationPlan): string[] {
  return (plan.features ?? []).filter((f) => f.change).map((f) => f.key);
}
