import { needsDomainAttachment } from '../domain/rules.js';
import type { StepName } from '../domain/steps.js';
import { PermanentError } from './errors.js';
import { putLinksBack, recreateFeatures } from './features.js';
import { collaborativeDelta, collaborativeStep } from './collaborative-step.js';
import { hideFromAddressBook, renameDestination, stage } from './staging.js';
import { copySummary, mailPass, recordMailPass, setMigrationPassword } from './mail-pass.js';
import {
  change,
  changeAttempted,
  currentAddresses,
  destinationPassword,
  isStaged,
  openPlatform,
  type OnRequestStep,
  type StepContext,
  type StepFunction,
} from './step-context.js';

function domainOf(address: string): string {
  return address.split('@')[1]!;
}

export const attachDomain: StepFunction = async (ctx) => {
  const { destination } = ctx.plan;
  if (!needsDomainAttachment(destination.platform)) return { status: 'skipped', detail: 'MX Plan services have a fixed domain' };
  const platform = await openPlatform(ctx, 'destination');
  const domain = domainOf(destination.address);
  let detail = '';
  await change(ctx, 'attach-domain', async () => {
    const existing = await platform.getDomain(domain);
    if (existing?.state === 'ok') {
      detail = `${domain} already attached to ${destination.service} (${existing.type})`;
      return;
    }
    const attached = await platform.attachDomainNonAuthoritative(domain, ctx.deps.mxRelay);
    detail = `${domain} attached to ${destination.service} as ${attached.type}, MX relay ${ctx.deps.mxRelay}`;
  });
  return { status: 'done', detail: detail || `${domain} attached to ${destination.service}` };
};

export const renameSource: StepFunction = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const platform = await openPlatform(ctx, 'source');
  const original = plan.source.address;
  const temporary = plan.temporaryAddress;
  await change(ctx, 'rename-source', async (resumed) => {
    const [atOriginal, atTemporary] = await Promise.all([platform.getAccount(original), platform.getAccount(temporary)]);
    if (atTemporary && !atOriginal) {
      // renamed by this job before it was interrupted; without a recorded intent, someone else did it
      if (resumed) return;
      throw new PermanentError(`${original} was renamed to ${temporary} by someone else meanwhile: check the source service, then submit again`);
    }
    if (atOriginal && !atTemporary) {
      // the cut-over window runs from here, in both orders: the person's mailbox is switching
      await platform.renameAccount(original, temporary, { urgent: true });
      return;
    }
    if (atOriginal && atTemporary) throw new PermanentError(`${temporary} appeared on ${plan.source.service} meanwhile: submit again to get another temporary name`);
    throw new PermanentError(`neither ${original} nor ${temporary} exists on ${plan.source.service} any more`);
  });
  // staged: the copy goes on with the password the owner gave (one OVH task less inside the cut-over window)
  if (isStaged(plan)) return { status: 'done', detail: `${original} renamed to ${temporary}` };
  await setMigrationPassword(ctx, platform);
  return { status: 'done', detail: `${original} renamed to ${temporary}; a migration password is set on it for the copy` };
};

export const createDestination: StepFunction = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const platform = await openPlatform(ctx, 'destination');
  // staged: created under the staged address, which takes the real one at the cut-over
  const address = currentAddresses(ctx).destination;
  const password = await destinationPassword(ctx, platform);
  await change(ctx, 'create-destination', async (resumed) => {
    const existing = await platform.getAccount(address);
    if (existing) {
      // ours, created before an interruption: its password may never have been set (see destination-password)
      if (resumed) return;
      throw new PermanentError(`${address} was created on ${plan.destination.service} by someone else meanwhile`);
    }
    // classic: inside the cut-over window (the source is renamed already); staged: long before it
    await platform.createAccount({
      address,
      password,
      neededBytes: plan.sizeBytes,
      urgent: !isStaged(plan),
      // the slot is journaled before it is configured: a resume while OVH still renames it waits for that rename
      ...(resumed && checkpoint.destinationSlot ? { earlierSlot: checkpoint.destinationSlot } : {}),
      onSlot: async (slot) => {
        checkpoint.destinationSlot = slot;
        await ctx.save();
      },
    });
    // createAccount sets the password as its last call: recorded with it, so it is not set a second time
    (checkpoint.changes ??= {})['destination-password'] = { intent: new Date().toISOString(), done: new Date().toISOString() };
  });
  // an account found after an interruption is never taken as ready: its password is set (again) here
  await change(ctx, 'destination-password', () => platform.changePassword(address, password, { urgent: !isStaged(plan) }));
  if (!isStaged(plan)) {
    await ctx.handOver(password);
    return { status: 'done', detail: `${address} created on ${plan.destination.service}` };
  }
  const hidden = await hideFromAddressBook(ctx, platform, address, true);
  return { status: 'done', detail: `${address} created on ${plan.destination.service} to stage the copy${hidden ? ', hidden from the address book' : ''}; its password is handed over at the cut-over` };
};

/** Puts back the IMAP switches found before the copy. */
export async function restoreImap(ctx: Pick<StepContext, 'checkpoint' | 'plan' | 'deps' | 'save'>, sourceAddress: string): Promise<void> {
  const { checkpoint, plan } = ctx;
  const restore = checkpoint.imapRestore;
  if (!restore) return;
  if (restore.source === false && changeAttempted(checkpoint, 'imap-on-source')) {
    const source = await openPlatform(ctx, 'source');
    await change(ctx, 'imap-restore-source', () => source.setImapEnabled(sourceAddress, false));
  }
  if (restore.destination === false && changeAttempted(checkpoint, 'imap-on-destination') && !checkpoint.undone) {
    const destination = await openPlatform(ctx, 'destination');
    await change(ctx, 'imap-restore-destination', () => destination.setImapEnabled(plan.destination.address, false));
  }
}

function copyStep(pass: 'copy' | 'delta'): StepFunction {
  return async (ctx) => {
    const { checkpoint } = ctx;
    const outcome = await mailPass(ctx, pass);
    checkpoint[pass] = outcome.report;
    recordMailPass(checkpoint, outcome);
    await ctx.save();
    const collaborative = pass === 'delta' ? await collaborativeDelta(ctx) : undefined;
    if (pass === 'delta') {
      // no step after the delta logs in over IMAP: the migration passwords are not kept longer than needed
      delete checkpoint.sourcePassword;
      delete checkpoint.destinationPassword;
    }
    await ctx.save();
    return { status: 'done', detail: copySummary(outcome.report) + (collaborative ? `; ${collaborative}` : '') };
  };
}

export const copy = copyStep('copy');
export const delta = copyStep('delta');

/**
 * Recreates the source's features on the destination (the plan's list, in order): settings, forwarding, aliases,
 * contacts, footer, groups, rights; links to mailboxes not there yet wait in Redis (see features.ts).
 */
export const recreateFeaturesStep: StepFunction = async (ctx) => {
  const destination = await openPlatform(ctx, 'destination');
  // staged: shown in the address book again, after the cut-over window rather than inside it
  if (isStaged(ctx.plan)) await hideFromAddressBook(ctx, destination, ctx.plan.destination.address, false);
  return recreateFeatures(ctx, destination);
};

export const verify: StepFunction = async (ctx) => {
  const { checkpoint } = ctx;
  const report = checkpoint.delta ?? checkpoint.copy;
  if (!report) throw new PermanentError('no copy report to verify: the copy steps did not record one');
  const missing = (checkpoint.mismatches ?? []).filter((m) => m.missing > 0);
  if (missing.length === 0 && (checkpoint.copyFailures ?? 0) === 0) {
    return { status: 'done', detail: `every message is on the destination (${report.messages.total} messages)` };
  }
  const parts = missing.map((m) => `${m.folder}: ${m.missing} missing`);
  if (checkpoint.copyFailures) parts.push(`${checkpoint.copyFailures} message(s) refused by the destination`);
  return { status: 'failed', detail: `not in sync: ${parts.join('; ')}` };
};

export const dnsDiagnostic: StepFunction = async (ctx) => {
  const destination = await openPlatform(ctx, 'destination');
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
  const destination = await openPlatform(ctx, 'destination');
  await restoreImap(ctx, ctx.plan.temporaryAddress);
  const settings = await destination.clientSettings();
  ctx.checkpoint.clientSettings = settings;
  await ctx.save();
  return {
    status: 'done',
    detail: `webmail ${settings.webmailUrl}; IMAP ${settings.imap.host}:${settings.imap.port} (${settings.imap.security}); SMTP ${settings.smtp.host}:${settings.smtp.port} (${settings.smtp.security})`,
  };
};

/** Resets (deletes) the temporary source account; only after a complete run and on request. */
export const resetSource: OnRequestStep = async (ctx) => {
  const source = await openPlatform(ctx, 'source');
  await change(ctx, 'reset-source', async () => {
    if (await source.getAccount(ctx.plan.temporaryAddress)) await source.resetAccount(ctx.plan.temporaryAddress);
  });
  return { status: 'done', detail: `${ctx.plan.temporaryAddress} reset on ${ctx.plan.source.service}` };
};

/**
 * Rename back after a failure: frees the address on the destination (only an account this run created; in the
 * staged order the staged account, after giving the real address back if it had taken it), then renames the
 * source back if it was renamed.
 */
export const undo: OnRequestStep = async (ctx) => {
  const { plan, checkpoint } = ctx;
  const done: string[] = [];
  if (changeAttempted(checkpoint, 'create-destination')) {
    const destination = await openPlatform(ctx, 'destination');
    const staged = isStaged(plan) ? plan.order!.stagedAddress! : undefined;
    if (staged && changeAttempted(checkpoint, 'rename-destination')) {
      await change(ctx, 'undo-rename-destination', async () => {
        const [atReal, atStaged] = await Promise.all([destination.getAccount(plan.destination.address), destination.getAccount(staged)]);
        if (atReal && !atStaged) {
          await destination.renameAccount(plan.destination.address, staged);
          done.push(`${plan.destination.address} renamed back to ${staged} on ${plan.destination.service}`);
        }
      });
    }
    const created = staged ?? plan.destination.address;
    await change(ctx, 'undo-destination', async () => {
      if (!(await destination.getAccount(created))) return;
      await destination.resetAccount(created);
      done.push(`${created} removed from ${plan.destination.service}`);
    });
    // the account is gone from the destination: links to it wait for it again (idempotent, Redis only)
    const back = await putLinksBack(ctx.links, plan, checkpoint, ctx.jobId);
    if (back) done.push(`${back} right(s) and membership(s) linking it to other mailboxes or groups are pending again, until it is migrated there again`);
  }
  if (changeAttempted(checkpoint, 'rename-source')) {
    const source = await openPlatform(ctx, 'source');
    await change(ctx, 'undo-rename', async () => {
      const [atOriginal, atTemporary] = await Promise.all([source.getAccount(plan.source.address), source.getAccount(plan.temporaryAddress)]);
      if (atTemporary && !atOriginal) {
        await source.renameAccount(plan.temporaryAddress, plan.source.address);
        done.push(`${plan.temporaryAddress} renamed back to ${plan.source.address}`);
      } else if (!atOriginal) {
        throw new PermanentError(`cannot undo: neither ${plan.temporaryAddress} nor ${plan.source.address} exists on ${plan.source.service}`);
      }
    });
  } else if (isStaged(plan)) {
    done.push(`${plan.source.address} was never renamed: it is as it was`);
  }
  await restoreImap(ctx, plan.source.address).catch(() => undefined);
  checkpoint.undone = true;
  delete checkpoint.sourcePassword;
  delete checkpoint.destinationPassword;
  await ctx.save();
  const note = changeAttempted(checkpoint, 'source-password') ? '; its password was changed for the copy: set a new one for the user' : '';
  return { status: 'done', detail: `${done.join('; ') || 'nothing left to undo'}${note}` };
};

export const RUN_STEP_FUNCTIONS: Partial<Record<StepName, StepFunction>> = {
  'attach-domain': attachDomain,
  stage,
  'rename-destination': renameDestination,
  'rename-source': renameSource,
  'create-destination': createDestination,
  copy,
  collaborative: collaborativeStep,
  delta,
  features: recreateFeaturesStep,
  verify,
  dns: dnsDiagnostic,
  handover,
};

