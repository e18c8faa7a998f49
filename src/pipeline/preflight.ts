import { isFreeSlot, tryParseAddress } from '../domain/address.js';
import { migrationJobId } from '../domain/plan.js';
import { passwordProblems } from '../domain/password.js';
import { PLATFORM_LABEL, type Platform, type ServiceRef } from '../domain/platform.js';
import { checkMailboxSize, checkPlatformPair, fitsFixedDomain, formatBytes, needsDomainAttachment, pickQuota } from '../domain/rules.js';
import { nextFreeStagedName, nextFreeTemporaryName, resolveTemporaryName } from '../domain/temporary-name.js';
import type { AccountInfo, MailPlatform } from '../ovh/mail-platform.js';
import { describeError } from './errors.js';
import { matchService } from './directory.js';
import type { EwsAccess } from './ews-access.js';
import { planFeatures, type MigratedLookup } from './features.js';
import type { CollaborativePlan, MigrationPlan, MigrationRequest, PlannedOrder, PreflightProblem, PreflightResult } from './migration-service.js';
import type { PlatformDirectory } from './dependencies.js';
import type { FeatureReading } from '../ovh/feature-reading.js';

/** The plan plus what the run needs and the Slack/CLI do not show. */
export interface PreflightContext {
  source: MailPlatform;
  destination: MailPlatform;
  sourceAccount: AccountInfo;
}

export interface PreflightOptions {
  /**
   * Read the source's features and give each its verdict (default true). The worker's second check at approval
   * skips it: the plan, features included, is fixed at submission.
   */
  features?: boolean;
  /** Mailboxes migrated earlier (where to, their temporary names): links to them are judged with it. */
  registry?: MigratedLookup;
  /** Where EWS is (calendars, contacts, tasks, rules, out-of-office); without it they are not copied. */
  ews?: EwsAccess;
  /** Shared by the rows of one batch: what is read for a whole service (its rights) is read once. */
  featureReading?: FeatureReading;
}

/** Domain states in which attaching is under way or done. */
const USABLE_DOMAIN_STATES = new Set(['ok', 'creating']);

/**
 * Builds the plan and checks every refusal rule without changing anything. Each problem names the field it is
 * about, so the Slack modal can show it inline. Refusals: source missing or not ok, an MX Plan source, unknown
 * destination, destination = source, destination address taken, no free slot, temporary name taken (with the
 * next free one proposed), over the size limit, no quota large enough, domain that cannot be attached, a given
 * password outside the destination's policy. Then the source's features, read by address, each with its verdict on
 * the destination (create, exists, pending, by hand, conflict: see planFeatures).
 */
export async function preflight(directory: PlatformDirectory, request: MigrationRequest, options: PreflightOptions = {}): Promise<PreflightResult & { context?: PreflightContext }> {
  const problems: PreflightProblem[] = [];
  const fail = (field: PreflightProblem['field'], message: string) => ({ ok: false as const, problems: [...problems, { field, message }] });

  const parsed = tryParseAddress(request.sourceAddress);
  if (!parsed.ok) return fail('source', parsed.error);
  const address = parsed.value.address;
  const domain = parsed.value.domain;

  let services: ServiceRef[];
  try {
    services = await directory.listServices();
  } catch (error) {
    return fail('general', `cannot list the OVH e-mail services: ${describeError(error)}`);
  }
  const destinationRef = matchService(services, request.destinationService);
  if (!destinationRef) {
    const known = services.map((s) => `${s.name} (${PLATFORM_LABEL[s.platform]})`);
    problems.push({ field: 'destination', message: `no e-mail service named ${JSON.stringify(request.destinationService)}; known: ${known.join(', ') || 'none'}` });
  }

  const found = await directory.findAccount(address);
  if (!found) return fail('source', `${address} does not exist on any OVH e-mail service of this account`);
  const { platform: source, account: sourceAccount } = found;
  if (!destinationRef) return { ok: false, problems };

  const pair = checkPlatformPair(source.platform, destinationRef.platform, address);
  if (!pair.ok) return fail('source', pair.reason);
  if (sourceAccount.state !== 'ok') return fail('source', `${address} is in state "${sourceAccount.state}", not "ok": wait for its pending operation to finish`);
  if (!sourceAccount.configured) return fail('source', `${address} is an unconfigured slot, not a mailbox`);
  if (destinationRef.platform === source.platform && destinationRef.name.toLowerCase() === source.service.toLowerCase()) {
    return fail('destination', `${address} is already on ${destinationRef.name}: the destination is the source`);
  }

  const destination = await directory.open(destinationRef);
  const [info, destinationAccounts, sourceAccounts] = await Promise.all([
    destination.describeService(),
    destination.listAccounts(),
    source.listAccounts(),
  ]);
  if (info.state !== 'ok') problems.push({ field: 'destination', message: `${destinationRef.name} is in state "${info.state}", not "ok"` });
  if (!fitsFixedDomain(address, info.fixedDomain)) {
    problems.push({ field: 'destination', message: `${destinationRef.name} only holds addresses on ${info.fixedDomain}; ${address} cannot move there` });
  }
  const taken = new Set([...destinationAccounts, ...sourceAccounts].map((a) => a.toLowerCase()));
  if (destinationAccounts.some((a) => a.toLowerCase() === address)) {
    problems.push({ field: 'destination', message: `${address} already exists on ${destinationRef.name}` });
  }
  if (destinationRef.platform !== 'mxplan-legacy') {
    const slot = await destination.findFreeSlot();
    if (!slot) problems.push({ field: 'destination', message: `${destinationRef.name} has no free account left: order one (or free one) first` });
  }

  const size = checkMailboxSize(sourceAccount.usedBytes, destinationRef.platform, info.maxMailboxBytes);
  if (!size.ok) problems.push({ field: 'source', message: size.reason });
  else if (info.allowedQuotas?.length && sourceAccount.usedBytes !== undefined && pickQuota(info.allowedQuotas, sourceAccount.usedBytes) === undefined) {
    problems.push({ field: 'source', message: `no account size on ${destinationRef.name} holds ${formatBytes(sourceAccount.usedBytes)} with headroom` });
  }

  let temporaryAddress: string | undefined;
  if (request.temporaryName) {
    const resolved = resolveTemporaryName(address, request.temporaryName);
    if (!resolved.ok) problems.push({ field: 'temporaryName', message: resolved.error });
    else if (taken.has(resolved.address) || isFreeSlot(resolved.address)) {
      const proposal = nextFreeTemporaryName(address, taken);
      problems.push({ field: 'temporaryName', message: `${resolved.address} is taken${proposal ? `; ${proposal} is free` : ''}` });
    } else temporaryAddress = resolved.address;
  } else {
    temporaryAddress = nextFreeTemporaryName(address, taken);
    if (!temporaryAddress) problems.push({ field: 'temporaryName', message: `every temporary name from 01 to 99 is taken for ${address}: give one` });
  }

  if (needsDomainAttachment(destinationRef.platform)) {
    const attached = await destination.getDomain(domain);
    if (attached && !USABLE_DOMAIN_STATES.has(attached.state)) {
      problems.push({ field: 'destination', message: `${domain} is attached to ${destinationRef.name} but in state "${attached.state}": it cannot be used until OVH fixes it` });
    }
  }

  if (request.destinationPassword !== undefined) {
    const bad = passwordProblems(request.destinationPassword, info.passwordPolicy);
    if (bad.length) problems.push({ field: 'password', message: `the password does not meet ${destinationRef.name}'s policy: ${bad.join('; ')}` });
  }

  if (problems.length) return { ok: false, problems };

  const warnings = [...pair.warnings];
  const [imapOn, snapshot] = await Promise.all([
    source.getImapEnabled(address),
    // by address, before anything changes: after the rename, the source's rights point at the temporary name
    options.features === false ? undefined : source.readFeatures(address, options.featureReading),
  ]);
  const planned = snapshot
    ? await planFeatures({ snapshot, sourcePlatform: source.platform, destination, address, registry: options.registry })
    : [];
  const collaborative = options.features === false ? undefined : await planCollaborative(source, destination, options.ews);
  // copied over EWS: not a thing to do by hand any more; not copied: say why, whatever the platforms
  const features =
    collaborative?.mode === 'copy'
      ? planned.filter((f) => f.kind !== 'collaborative')
      : collaborative?.mode === 'none' && EWS_KINDS.has(source.platform) && !planned.some((f) => f.kind === 'collaborative')
        ? [...planned, { kind: 'collaborative' as const, key: 'unmigrated:collaborative:0', target: 'calendars, contacts, tasks, inbox rules and out-of-office', verdict: 'byHand' as const, detail: collaborative.detail, instruction: 'export them from the source webmail (OWA) or Outlook and import them on the destination' }]
        : planned;
  if (!imapOn) warnings.push(`IMAP is switched off for ${address}: it is switched on for the copy and back off afterwards`);
  if (destinationRef.platform === 'mxplan-legacy') warnings.push('legacy MX Plan accounts cannot be renamed later');
  const order = plannedOrder(request, address, destinationRef.platform, taken);

  const plan: MigrationPlan = {
    jobId: migrationJobId(address),
    source: { address, platform: source.platform, service: source.service },
    destination: { address, platform: destinationRef.platform, service: destination.service },
    temporaryAddress: temporaryAddress!,
    sizeBytes: sourceAccount.usedBytes,
    warnings,
    features,
    ...(snapshot ? { featuresReadAt: snapshot.readAt } : {}),
    ...(collaborative ? { collaborative } : {}),
    order,
  };
  return { ok: true, plan, context: { source, destination, sourceAccount } };
}

const EWS_KINDS = new Set(['exchange', 'emailpro']);

/**
 * Staged (the default) where it can be: the destination must let an account be renamed (not legacy MX Plan), and
 * reading the live source needs its owner's current password. Otherwise classic, saying why.
 */
function plannedOrder(request: MigrationRequest, address: string, destination: Platform, taken: ReadonlySet<string>): PlannedOrder {
  if (request.order === 'classic') return { kind: 'classic', reason: 'the classic order was asked for: the mailbox is empty on the destination until the copy ends' };
  if (destination === 'mxplan-legacy') return { kind: 'classic', reason: 'legacy MX Plan accounts cannot be renamed, so nothing can be staged: classic order' };
  if (request.sourcePassword === undefined) {
    return { kind: 'classic', reason: "the staged order reads the live mailbox, which needs its current password (not given): classic order, the new mailbox fills while its owner waits" };
  }
  const stagedAddress = nextFreeStagedName(address, taken);
  if (!stagedAddress) return { kind: 'classic', reason: 'every staged name is taken: classic order' };
  return { kind: 'staged', reason: `the mail is copied into ${stagedAddress} while the source stays in use, then the cut-over takes minutes`, stagedAddress };
}

/**
 * Whether calendars, contacts, tasks, rules and out-of-office can be copied: both ends must answer EWS (Exchange,
 * and E-mail Pro where OVH serves it). Towards MX Plan (no calendars) the run counts what stays behind.
 */
async function planCollaborative(source: MailPlatform, destination: MailPlatform, ews: EwsAccess | undefined): Promise<CollaborativePlan> {
  if (!EWS_KINDS.has(source.platform)) return { mode: 'none', detail: `${PLATFORM_LABEL[source.platform]} has no calendars, contacts or tasks to copy` };
  if (!ews) return { mode: 'none', detail: 'EWS is not configured here: calendars, contacts, tasks, rules and out-of-office are not copied' };
  const from = await ews.probe(source);
  if (!EWS_KINDS.has(destination.platform)) {
    return from.ok
      ? { mode: 'count', detail: `${PLATFORM_LABEL[destination.platform]} has no calendars, contacts or tasks: the run counts what stays on the source account` }
      : { mode: 'none', detail: `${PLATFORM_LABEL[destination.platform]} has no calendars, contacts or tasks, and ${from.reason}` };
  }
  const to = await ews.probe(destination);
  if (from.ok && to.ok) return { mode: 'copy', detail: `calendars, contacts, tasks, inbox rules and out-of-office are copied over EWS (${from.url} -> ${to.url})` };
  const reasons = [from, to].flatMap((p) => (p.ok ? [] : [p.reason]));
  return { mode: 'none', detail: `calendars, contacts, tasks, rules and out-of-office stay on the source: ${reasons.join('; ')}` };
}
