import { randomInt } from 'node:crypto';
import type { CopyOutcome, CopyReport } from '../domain/copy-report.js';
import { generatePassword } from '../domain/password.js';
import { ImapAuthenticationFailed } from '../imap/index.js';
import type { MailPlatform } from '../ovh/mail-platform.js';
import { PermanentError, TransientError, retryVerdict } from './errors.js';
import type { Checkpoint } from './job-data.js';
import {
  SECRET_AAD,
  change,
  changeAttempted,
  currentAddresses,
  destinationPassword,
  isStaged,
  openPlatform,
  sourcePassword,
  type StepContext,
} from './step-context.js';

/** A pass of the mail copy with the migration's credentials, between the accounts as they are named now. */

/**
 * One pass of the mail copy between the accounts as they are named now, with the migration's credentials.
 * `prune`: also remove from the destination what left the source (a staged copy before its cut-over only).
 */
export async function mailPass(ctx: StepContext, pass: 'copy' | 'delta' | 'staging', options: { prune?: boolean } = {}): Promise<CopyOutcome> {
  const { deps, checkpoint } = ctx;
  const [source, destination] = await Promise.all([openPlatform(ctx, 'source'), openPlatform(ctx, 'destination')]);
  const fromPassword = await sourcePassword(ctx);
  if (!fromPassword || !checkpoint.destinationPassword) {
    throw new PermanentError(`the ${pass} needs the migration passwords, which are no longer stored: the copy was already finished; run the copy by hand if mail is missing`);
  }
  await ensureImap(ctx, source, destination);
  const at = currentAddresses(ctx);
  const from = await deps.imapEndpoint(source, at.source, fromPassword);
  const to = await deps.imapEndpoint(destination, at.destination, await destinationPassword(ctx, destination));
  try {
    return await deps.copier({
      from,
      to,
      connections: deps.imapConnections,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
      ...(options.prune ? { prune: true } : {}),
      // each pass records the source folders it left complete; the next one skips those still identical
      recordStates: true,
      ...(checkpoint.sourceStates ? { previous: checkpoint.sourceStates } : {}),
      ...(deps.copyObserver ? { observer: deps.copyObserver } : {}),
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    if (error instanceof ImapAuthenticationFailed && isStaged(ctx.plan) && pass === 'delta' && !changeAttempted(checkpoint, 'source-password')) {
      // the owner changed their password since the request: the renamed source gets one of ours, as in the classic order
      ctx.deps.logger.warn({ jobId: ctx.jobId }, 'the source password given with the request is refused; setting a migration password');
      await setMigrationPassword(ctx, source);
      return mailPass(ctx, pass, options);
    }
    const message = `the ${pass} stopped: ${(error as Error)?.message ?? String(error)}`;
    // the copier's errors say by their type whether another try can help (a refused login, a full quota: no)
    if (retryVerdict(error) === false) throw new PermanentError(message);
    throw new TransientError(message, { cause: error });
  }
}

/** What the next steps read of a mail pass (verify, the reset's guard, the next pass's folder states). */
export function recordMailPass(checkpoint: Checkpoint, outcome: CopyOutcome): void {
  checkpoint.copyFailures = outcome.failures.length;
  checkpoint.mismatches = outcome.mismatches;
  checkpoint.sourceStates = outcome.sourceStates;
}

export function copySummary(report: CopyReport): string {
  const m = report.messages;
  return `${m.copied} copied, ${m.skipped} already there, ${m.failed} failed of ${m.total} in ${report.folders.length} folders (${(report.bytes / 1048576).toFixed(1)} MiB, ${report.seconds.toFixed(1)} s)`;
}

/** Switches IMAP on for the copy where a platform lets it be off (Exchange), remembering what to restore. */
async function ensureImap(ctx: StepContext, source: MailPlatform, destination: MailPlatform): Promise<void> {
  const { checkpoint } = ctx;
  const at = currentAddresses(ctx);
  if (!checkpoint.imapRestore) {
    const [sourceOn, destinationOn] = await Promise.all([source.getImapEnabled(at.source), destination.getImapEnabled(at.destination)]);
    checkpoint.imapRestore = { source: sourceOn, destination: destinationOn };
    await ctx.save();
  }
  if (checkpoint.imapRestore.source === false) await change(ctx, 'imap-on-source', () => source.setImapEnabled(at.source, true));
  if (checkpoint.imapRestore.destination === false) await change(ctx, 'imap-on-destination', () => destination.setImapEnabled(at.destination, true));
}

/**
 * Sets a password of our own on the renamed source, for the copy: in the classic order, and in the staged one
 * when the password the owner gave is refused (changed since the request).
 */
export async function setMigrationPassword(ctx: StepContext, platform: MailPlatform): Promise<void> {
  const { plan, checkpoint } = ctx;
  const temporary = plan.temporaryAddress;
  // staged: the checkpoint holds the owner's password until this replaces it, once
  const fresh = isStaged(plan) ? !changeAttempted(checkpoint, 'source-password') : !checkpoint.sourcePassword;
  if (fresh) {
    const info = await platform.describeService();
    checkpoint.sourcePassword = ctx.deps.secrets.seal(generatePassword(info.passwordPolicy, randomInt), SECRET_AAD.source(ctx.jobId));
    await ctx.save();
  }
  const sealed = checkpoint.sourcePassword!;
  // setting the same password again is harmless: a resume after an interrupted call just sets it again
  await change(ctx, 'source-password', () => platform.changePassword(temporary, ctx.deps.secrets.open(sealed, SECRET_AAD.source(ctx.jobId)), { urgent: true }));
}

