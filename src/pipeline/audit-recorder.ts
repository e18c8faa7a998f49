import type { Queue } from 'bullmq';
import type { Logger } from '../log/logger.js';
import type { AuditAction, AuditLog, AuditRecord } from './audit-log.js';
import { PermanentError } from './errors.js';
import type { JobData } from './job-data.js';
import type { Actor } from './migration-service.js';

/** What an entry says about the migration it is about. */
export type AuditSubject = Pick<AuditRecord, 'jobId' | 'address' | 'destination' | 'batchId'>;
/** How an action that returned (rather than threw) ended. */
export type Verdict = Pick<AuditRecord, 'outcome' | 'reason' | 'detail'>;

/**
 * The MigrationService's side of the audit trail: what to record for an action and its outcome.
 *
 * An audit write that fails never undoes nor blocks the action: the action has already happened (or was
 * refused) when it is recorded, and failing it would only make the user retry something done. The failure is
 * logged as an error with the whole entry (it holds no secret), so the log keeps what the trail missed.
 */
export class AuditRecorder {
  constructor(private readonly log: AuditLog, private readonly logger: Logger, private readonly queue: Queue<JobData>) {}

  async record(record: AuditRecord): Promise<void> {
    try {
      await this.log.append(record);
    } catch (error) {
      this.logger.error({ err: error, audit: record }, 'audit trail: could not record an action; it went ahead');
    }
  }

  /** The migration a job id names, as far as it is known (nothing more than the id for an unknown job). */
  async subject(jobId: string): Promise<AuditSubject> {
    const job = await this.queue.getJob(jobId).catch(() => undefined);
    if (!job || job.data.kind !== 'migration') return { jobId };
    const { plan, batchId } = job.data;
    return { jobId, address: plan.source.address, destination: plan.destination.service, ...(batchId ? { batchId } : {}) };
  }

  /**
   * Runs an action on a job and records it: ok (or what `judge` makes of the result), refused (a PermanentError:
   * a rule said no) or error; the action's result or error is passed on unchanged.
   */
  async around<T>(action: AuditAction, by: Actor, jobId: string, run: () => Promise<T>, judge?: (result: T) => Verdict): Promise<T> {
    const subject = await this.subject(jobId);
    try {
      const result = await run();
      await this.record({ action, ...actor(by), ...subject, ...(judge ? judge(result) : { outcome: 'ok' }) });
      return result;
    } catch (error) {
      await this.record({ action, ...actor(by), ...subject, ...failure(error) });
      throw error;
    }
  }
}

export function actor(by: Actor): Pick<AuditRecord, 'actorKind' | 'actorId'> {
  return { actorKind: by.kind, actorId: by.id };
}

/** refused for a PermanentError (a rule), error for anything else; the message as the reason. */
export function failure(error: unknown): Pick<AuditRecord, 'outcome' | 'reason'> {
  const reason = error instanceof Error ? error.message : String(error);
  return { outcome: error instanceof PermanentError ? 'refused' : 'error', reason };
}
