import { collaborativeDelta } from './collaborative-step.js';
import { PermanentError } from './errors.js';
import type { StagingRecord } from './job-data.js';
import { mergeReports } from './report.js';
import { change, destinationPassword, openPlatform, type StepContext, type StepFunction } from './step-context.js';
import { copySummary, mailPass, recordMailPass } from './mail-pass.js';
import type { MailPlatform } from '../ovh/mail-platform.js';

/** Seconds between delta passes while a staged copy waits for its cut-over (one hour), unless the request says otherwise. */
export const DEFAULT_SYNC_EVERY_SECONDS = 3600;

/**
 * The staged copy waits for its cut-over: a delta pass from the live source every `syncEverySeconds` (new mail
 * copied, flags re-synced, what was deleted or moved at the source removed: nobody else writes to the staged
 * account), the job sleeping in the queue in between. When the cut-over is due (asked for in Slack or the CLI, or
 * its scheduled time), a last delta from the live source, and the step ends: the renames come next.
 */
export const stage: StepFunction = async (ctx) => {
  const { checkpoint, request } = ctx;
  const staging: StagingRecord = (checkpoint.staging ??= { passes: 0, copied: 0, removed: 0 });
  const now = Date.now();
  const asked = await ctx.cutoverRequest();
  const scheduled = request.cutoverAt !== undefined && Date.parse(request.cutoverAt) <= now ? { by: 'the schedule', at: request.cutoverAt } : undefined;
  const cutover = asked ?? scheduled;
  const every = (request.syncEverySeconds ?? DEFAULT_SYNC_EVERY_SECONDS) * 1000;
  const syncDue = staging.nextSyncAt !== undefined && Date.parse(staging.nextSyncAt) <= now;

  if (cutover || syncDue) await syncPass(ctx, staging);
  if (cutover) {
    staging.cutover = cutover;
    delete staging.nextSyncAt;
    await ctx.save();
    return { status: 'done', detail: `cut-over asked by ${cutover.by} at ${cutover.at}; last delta from the live source: ${lastPass(staging)}` };
  }
  if (syncDue || staging.nextSyncAt === undefined) staging.nextSyncAt = new Date(now + every).toISOString();
  await ctx.save();
  const wakeAt = Math.min(Date.parse(staging.nextSyncAt!), request.cutoverAt !== undefined ? Date.parse(request.cutoverAt) : Infinity);
  return { status: 'waiting', until: wakeAt, detail: stagingDetail(ctx, staging) };
};

async function syncPass(ctx: StepContext, staging: StagingRecord): Promise<void> {
  const { checkpoint } = ctx;
  const outcome = await mailPass(ctx, 'staging', { prune: true });
  checkpoint.copy = checkpoint.copy ? mergeReports(checkpoint.copy, outcome.report) : outcome.report;
  recordMailPass(checkpoint, outcome);
  staging.passes += 1;
  staging.lastSyncAt = new Date().toISOString();
  staging.lastCopied = outcome.report.messages.copied;
  staging.lastRemoved = outcome.removed ?? 0;
  staging.copied += staging.lastCopied;
  staging.removed += staging.lastRemoved;
  await ctx.save();
  await collaborativeDelta(ctx);
}

function lastPass(staging: StagingRecord): string {
  return `${staging.lastCopied ?? 0} new message(s) copied, ${staging.lastRemoved ?? 0} removed (deleted or moved at the source)`;
}

/** What the thread and the CLI show while the staged copy waits. */
export function stagingDetail(ctx: Pick<StepContext, 'checkpoint' | 'request' | 'plan'>, staging: StagingRecord): string {
  const copied = ctx.checkpoint.copy ? copySummary(ctx.checkpoint.copy) : 'nothing copied yet';
  const parts = [`ready to cut over: ${ctx.plan.order?.stagedAddress} holds the mail (${copied})`];
  if (staging.lastSyncAt) parts.push(`last delta ${staging.lastSyncAt}: ${lastPass(staging)}`);
  if (staging.nextSyncAt) parts.push(`next delta ${staging.nextSyncAt}`);
  parts.push(ctx.request.cutoverAt ? `cut-over scheduled at ${ctx.request.cutoverAt}` : 'cut-over when an approver asks for it ("Cut over now", or migrate ADDRESS --cutover now)');
  return parts.join('; ');
}

/**
 * The staged account takes the real address, once the source no longer has it (rename-source runs first, so no
 * two accounts ever claim it); its password is handed over now. It is shown in the address book again by the
 * features step, after the final delta: outside the cut-over window.
 */
export const renameDestination: StepFunction = async (ctx) => {
  const { plan } = ctx;
  const staged = plan.order!.stagedAddress!;
  const real = plan.destination.address;
  const platform = await openPlatform(ctx, 'destination');
  await change(ctx, 'rename-destination', async (resumed) => {
    const [atReal, atStaged] = await Promise.all([platform.getAccount(real), platform.getAccount(staged)]);
    if (atStaged && !atReal) {
      await platform.renameAccount(staged, real, { urgent: true });
      return;
    }
    if (atReal && !atStaged) {
      // renamed by this job before it was interrupted; without a recorded intent, someone else did it
      if (resumed) return;
      throw new PermanentError(`${staged} was renamed to ${real} on ${plan.destination.service} by someone else meanwhile: check the service, then undo`);
    }
    if (atReal && atStaged) throw new PermanentError(`${real} was created on ${plan.destination.service} meanwhile while the staged copy is ${staged}: remove one of them, then retry`);
    throw new PermanentError(`the staged account ${staged} is no longer on ${plan.destination.service}: undo, then submit again`);
  });
  await ctx.handOver(await destinationPassword(ctx, platform));
  return { status: 'done', detail: `${staged} renamed to ${real} on ${plan.destination.service}` };
};

/** Exchange and E-mail Pro list accounts in the address book: the staged one is hidden until it takes the real address. */
export async function hideFromAddressBook(ctx: StepContext, platform: MailPlatform, address: string, hidden: boolean): Promise<boolean> {
  if (platform.platform !== 'exchange' && platform.platform !== 'emailpro') return false;
  await change(ctx, hidden ? 'hide-staged' : 'show-staged', async () => {
    await platform.applyFeature({ kind: 'settings', address, settings: { hiddenFromGAL: hidden } });
  });
  return true;
}

