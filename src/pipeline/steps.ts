import { randomInt } from 'node:crypto';
import type { CopyOutcome, CopyProgress, CopyReport } from '../domain/copy-report.js';
import { generatePassword } from '../domain/password.js';
import { needsDomainAttachment } from '../domain/rules.js';
import type { StepName } from '../domain/steps.js';
import type { MailPlatform } from '../ovh/mail-platform.js';
import type { Logger } from '../log/logger.js';
import { PermanentError, TransientError } from './errors.js';
import type { MigrationPlan } from './migration-service.js';
import type { SecretBox, Sealed } from './secret-box.js';
import type { Checkpoint, Copier, ImapEndpointResolver, PlatformDirectory, StoredRequest } from './types.js';

export interface StepDeps {
  directory: PlatformDirectory;
  copier: Copier;
  imapEndpoint: ImapEndpointResolver;
  secrets: SecretBox;
  /** OVH_MX_RELAY, used when attaching the domain as non-authoritative. */
  mxRelay: string;
  imapConnections: number;
  logger: Logger;
}

/** What a step works on: the fixed plan, the checkpoint it advances (and saves), the job's signal. */
export interface StepContext {
  jobId: string;
  plan: MigrationPlan;
  request: StoredRequest;
  checkpoint: Checkpoint;
  /** Persists the checkpoint in the job now (called before and after every change at OVH). */
  save(): Promise<void>;
  signal: AbortSignal;
  onProgress(progress: CopyProgress): void;
  deps: StepDeps;
}

export interface StepOutcome {
  status: 'done' | 'skipped' | 'failed';
  detail: string;
}

/** A step: idempotent over (plan, checkpoint), so re-running it after a crash redoes nothing already done. */
export type StepFunction = (ctx: StepContext) => Promise<StepOutcome>;

const AAD = {
  source: (jobId: string) => `${jobId}:source-password`,
  destination: (jobId: string) => `${jobId}:destination-password`,
  request: (jobId: string) => `${jobId}:request-password`,
};
export const SECRET_AAD = AAD;

function open(ctx: StepContext, side: 'source' | 'destination'): Promise<MailPlatform> {
  const ref = ctx.plan[side];
  return ctx.deps.directory.open({ platform: ref.platform, name: ref.service });
}

function domainOf(address: string): string {
  return address.split('@')[1]!;
}

export const attachDomain: StepFunction = async (ctx) => {
  const { destination } = ctx.plan;
  if (!needsDomainAttachment(destination.platform)) return { status: 'skipped', detail: 'MX Plan services have a fixed domain' };
  const platform = await open(ctx, 'destination');
  const domain = domainOf(destination.address);
  const existing = await platform.getDomain(domain);
  if (existing?.state === 'ok') return { status: 'done', detail: `${domain} already attached to ${destination.service} (${existing.type})` };
  const attached = await platform.attachDomainNonAuthoritative(domain, ctx.deps.mxRelay);
  return { status: 'done', detail: `${domain} attached to ${destination.service} as ${attached.type}, MX relay ${ctx.deps.mxRelay}` };
};

export const renameSource: StepFunction = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const platform = await open(ctx, 'source');
  const original = plan.source.address;
  const temporary = plan.temporaryAddress;
  let detail: string;
  if (!checkpoint.sourceRenamed) {
    const [atOriginal, atTemporary] = await Promise.all([platform.getAccount(original), platform.getAccount(temporary)]);
    if (atTemporary && !atOriginal) {
      detail = `${original} was already renamed to ${temporary}`;
    } else if (atOriginal && !atTemporary) {
      await platform.renameAccount(original, temporary);
      detail = `${original} renamed to ${temporary}`;
    } else if (atOriginal && atTemporary) {
      throw new PermanentError(`${temporary} appeared on ${plan.source.service} meanwhile: submit again to get another temporary name`);
    } else {
      throw new PermanentError(`neither ${original} nor ${temporary} exists on ${plan.source.service} any more`);
    }
    checkpoint.sourceRenamed = true;
    await ctx.save();
  } else detail = `${original} renamed to ${temporary}`;

  if (!checkpoint.sourcePassword) {
    const info = await platform.describeService();
    checkpoint.sourcePassword = ctx.deps.secrets.seal(generatePassword(info.passwordPolicy, randomInt), AAD.source(ctx.jobId));
    await ctx.save();
  }
  if (!checkpoint.sourcePasswordSet) {
    await platform.changePassword(temporary, ctx.deps.secrets.open(checkpoint.sourcePassword, AAD.source(ctx.jobId)));
    checkpoint.sourcePasswordSet = true;
    await ctx.save();
  }
  return { status: 'done', detail: `${detail}; a migration password is set on it for the copy` };
};

/** The destination's initial password, in clear (given by the requester, or generated once and kept sealed). */
export async function destinationPassword(ctx: StepContext, platform: MailPlatform): Promise<string> {
  const { checkpoint, request, deps } = ctx;
  if (!checkpoint.destinationPassword) {
    const clear = request.destinationPassword
      ? deps.secrets.open(request.destinationPassword, AAD.request(ctx.jobId))
      : generatePassword((await platform.describeService()).passwordPolicy, randomInt);
    checkpoint.destinationPassword = deps.secrets.seal(clear, AAD.destination(ctx.jobId));
    await ctx.save();
  }
  return deps.secrets.open(checkpoint.destinationPassword, AAD.destination(ctx.jobId));
}

export const createDestination: StepFunction = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const platform = await open(ctx, 'destination');
  const address = plan.destination.address;
  const existing = await platform.getAccount(address);
  if (existing && (checkpoint.destinationCreated || checkpoint.destinationCreating)) {
    checkpoint.destinationCreated = true;
    await ctx.save();
    return { status: 'done', detail: `${address} exists on ${plan.destination.service}` };
  }
  if (existing) throw new PermanentError(`${address} was created on ${plan.destination.service} by someone else meanwhile`);
  const password = await destinationPassword(ctx, platform);
  checkpoint.destinationCreating = true;
  await ctx.save();
  await platform.createAccount({ address, password, neededBytes: plan.sizeBytes });
  checkpoint.destinationCreated = true;
  await ctx.save();
  return { status: 'done', detail: `${address} created on ${plan.destination.service}` };
};

/** Switches IMAP on for the copy where a platform lets it be off (Exchange), remembering what to restore. */
async function ensureImap(ctx: StepContext, source: MailPlatform, destination: MailPlatform): Promise<void> {
  const { checkpoint, plan } = ctx;
  if (!checkpoint.imapRestore) {
    const [sourceOn, destinationOn] = await Promise.all([
      source.getImapEnabled(plan.temporaryAddress),
      destination.getImapEnabled(plan.destination.address),
    ]);
    checkpoint.imapRestore = { source: sourceOn, destination: destinationOn };
    await ctx.save();
  }
  if (checkpoint.imapRestore.source === false) await source.setImapEnabled(plan.temporaryAddress, true);
  if (checkpoint.imapRestore.destination === false) await destination.setImapEnabled(plan.destination.address, true);
}

/** Puts back the IMAP switches found before the copy. */
export async function restoreImap(ctx: Pick<StepContext, 'checkpoint' | 'plan' | 'deps'>, sourceAddress: string): Promise<void> {
  const restore = ctx.checkpoint.imapRestore;
  if (!restore) return;
  const { plan, deps } = ctx;
  if (restore.source === false) {
    const source = await deps.directory.open({ platform: plan.source.platform, name: plan.source.service });
    await source.setImapEnabled(sourceAddress, false);
  }
  if (restore.destination === false && ctx.checkpoint.destinationCreated && !ctx.checkpoint.undone) {
    const destination = await deps.directory.open({ platform: plan.destination.platform, name: plan.destination.service });
    await destination.setImapEnabled(plan.destination.address, false);
  }
}

function copySummary(report: CopyReport): string {
  const m = report.messages;
  return `${m.copied} copied, ${m.skipped} already there, ${m.failed} failed of ${m.total} in ${report.folders.length} folders (${(report.bytes / 1048576).toFixed(1)} MiB, ${report.seconds.toFixed(1)} s)`;
}

function copyStep(pass: 'copy' | 'delta'): StepFunction {
  return async (ctx) => {
    const { plan, checkpoint, deps } = ctx;
    const [source, destination] = await Promise.all([open(ctx, 'source'), open(ctx, 'destination')]);
    await ensureImap(ctx, source, destination);
    const sourcePassword = deps.secrets.open(checkpoint.sourcePassword!, AAD.source(ctx.jobId));
    const from = await deps.imapEndpoint(source, plan.temporaryAddress, sourcePassword);
    const to = await deps.imapEndpoint(destination, plan.destination.address, await destinationPassword(ctx, destination));
    let outcome: CopyOutcome;
    try {
      outcome = await deps.copier({ from, to, connections: deps.imapConnections, signal: ctx.signal, onProgress: ctx.onProgress });
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      const e = error as { code?: string; permanent?: boolean; message?: string };
      // Quota too small or a login refused will not fix itself; anything else (connection trouble) may.
      if (e.permanent || /quota|authenticat|login/i.test(String(e.code ?? '') + ' ' + String(e.message ?? ''))) {
        throw new PermanentError(`the ${pass} stopped: ${e.message ?? String(error)}`);
      }
      throw new TransientError(`the ${pass} stopped: ${e.message ?? String(error)}`, { cause: error });
    }
    checkpoint[pass] = outcome.report;
    checkpoint.copyFailures = outcome.failures.length;
    checkpoint.mismatches = outcome.mismatches;
    await ctx.save();
    return { status: 'done', detail: copySummary(outcome.report) };
  };
}

export const copy = copyStep('copy');
export const delta = copyStep('delta');

export const recreateAliases: StepFunction = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const wanted = plan.aliases ?? [];
  if (wanted.length === 0) return { status: 'skipped', detail: 'the source has no alias' };
  const destination = await open(ctx, 'destination');
  const present = new Set((await destination.listAliases(plan.destination.address)).map((a) => a.toLowerCase()));
  const recreated = new Set(checkpoint.aliasesRecreated ?? []);
  const failed: { alias: string; error: string }[] = [];
  for (const alias of wanted) {
    if (present.has(alias.toLowerCase())) {
      recreated.add(alias);
      continue;
    }
    try {
      await destination.addAlias(plan.destination.address, alias);
      recreated.add(alias);
    } catch (error) {
      const e = error as { retryable?: boolean; status?: number; message?: string };
      if (e.retryable || (e.status ?? 0) >= 500 || e.status === 429) throw error;
      failed.push({ alias, error: e.message ?? String(error) });
    }
    checkpoint.aliasesRecreated = [...recreated];
    await ctx.save();
  }
  checkpoint.aliasesRecreated = [...recreated];
  checkpoint.aliasesFailed = failed;
  await ctx.save();
  if (failed.length) {
    return { status: 'failed', detail: `recreated ${[...recreated].join(', ') || 'none'}; to recreate by hand: ${failed.map((f) => `${f.alias} (${f.error})`).join(', ')}` };
  }
  return { status: 'done', detail: `recreated ${[...recreated].join(', ')}` };
};

export const verify: StepFunction = async (ctx) => {
  const { checkpoint } = ctx;
  const report = checkpoint.delta ?? checkpoint.copy;
  const missing = (checkpoint.mismatches ?? []).filter((m) => m.missing > 0);
  if (missing.length === 0 && (checkpoint.copyFailures ?? 0) === 0) {
    return { status: 'done', detail: `every message is on the destination (${report?.messages.total ?? 0} messages)` };
  }
  const parts = missing.map((m) => `${m.folder}: ${m.missing} missing`);
  if (checkpoint.copyFailures) parts.push(`${checkpoint.copyFailures} message(s) refused by the destination`);
  return { status: 'failed', detail: `not in sync: ${parts.join('; ')}` };
};

export const dnsDiagnostic: StepFunction = async (ctx) => {
  const destination = await open(ctx, 'destination');
  const domain = domainOf(ctx.plan.destination.address);
  const diagnostic = await destination.dnsDiagnostic(domain);
  ctx.checkpoint.dns = diagnostic.checks;
  await ctx.save();
  const bad = diagnostic.checks.filter((c) => !c.ok);
  if (bad.length === 0) return { status: 'done', detail: `${domain}: MX, SRV, SPF, DKIM and ownership all as expected` };
  return {
    status: 'done',
    detail: `${domain}: to change when you switch: ${bad.map((c) => `${c.record}${c.expected.length ? ` -> ${c.expected.join(' ')}` : ''}`).join('; ')}`,
  };
};

export const handover: StepFunction = async (ctx) => {
  const destination = await open(ctx, 'destination');
  await restoreImap(ctx, ctx.plan.temporaryAddress);
  const settings = await destination.clientSettings();
  ctx.checkpoint.clientSettings = settings;
  await ctx.save();
  return {
    status: 'done',
    detail: `webmail ${settings.webmailUrl}; IMAP ${settings.imap.host}:${settings.imap.port} (${settings.imap.security}); SMTP ${settings.smtp.host}:${settings.smtp.port} (${settings.smtp.security}); the password goes to the requester only`,
  };
};

/** Resets (deletes) the temporary source account; only after a complete run and on request. */
export const resetSource: StepFunction = async (ctx) => {
  const source = await open(ctx, 'source');
  if (!ctx.checkpoint.sourceReset) {
    const account = await source.getAccount(ctx.plan.temporaryAddress);
    if (account) await source.resetAccount(ctx.plan.temporaryAddress);
    ctx.checkpoint.sourceReset = true;
    await ctx.save();
  }
  return { status: 'done', detail: `${ctx.plan.temporaryAddress} reset on ${ctx.plan.source.service}` };
};

/** Rename back after a failure: frees the address on the destination (only an account this run created), then renames. */
export const undo: StepFunction = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const done: string[] = [];
  if (checkpoint.destinationCreated || checkpoint.destinationCreating) {
    const destination = await open(ctx, 'destination');
    if (await destination.getAccount(plan.destination.address)) {
      await destination.resetAccount(plan.destination.address);
      done.push(`${plan.destination.address} removed from ${plan.destination.service}`);
    }
    checkpoint.destinationCreated = false;
    checkpoint.destinationCreating = false;
    await ctx.save();
  }
  const source = await open(ctx, 'source');
  const [atOriginal, atTemporary] = await Promise.all([source.getAccount(plan.source.address), source.getAccount(plan.temporaryAddress)]);
  if (atTemporary && !atOriginal) {
    await source.renameAccount(plan.temporaryAddress, plan.source.address);
    done.push(`${plan.temporaryAddress} renamed back to ${plan.source.address}`);
  } else if (!atOriginal) {
    throw new PermanentError(`cannot undo: neither ${plan.temporaryAddress} nor ${plan.source.address} exists on ${plan.source.service}`);
  }
  await restoreImap(ctx, plan.source.address).catch(() => undefined);
  checkpoint.undone = true;
  checkpoint.sourceRenamed = false;
  await ctx.save();
  const note = checkpoint.sourcePasswordSet ? '; its password was changed for the copy: set a new one for the user' : '';
  return { status: 'done', detail: `${done.join('; ') || 'nothing to undo'}${note}` };
};

export const RUN_STEP_FUNCTIONS: Partial<Record<StepName, StepFunction>> = {
  'attach-domain': attachDomain,
  'rename-source': renameSource,
  'create-destination': createDestination,
  copy,
  delta,
  aliases: recreateAliases,
  verify,
  dns: dnsDiagnostic,
  handover,
};

export type { Sealed };
