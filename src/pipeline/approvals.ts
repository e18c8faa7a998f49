import type { Job } from 'bullmq';
import { sameActor } from './actors.js';
import type { Batches } from './batches.js';
import { decisionResult, signDecision } from './decisions.js';
import { PermanentError } from './errors.js';
import type { MigrationJobData } from './job-data.js';
import type { BatchDecisionResult, Decision, DecisionResult } from './migration-service.js';
import type { QueueHandles } from './queue-handles.js';
import type { SecretBox } from './secret-box.js';
import { validDecision } from './status.js';
import { markChanged } from './thread-ledger.js';

/** Approve or reject: a request at its approval gate, or every mailbox of a batch at once. */
export class Approvals {
  /** `allowSelfApproval`: ALLOW_SELF_APPROVAL, may a requester approve their own request? */
  constructor(private readonly handles: QueueHandles, private readonly secrets: SecretBox, private readonly batches: Pick<Batches, 'update'>, private readonly allowSelfApproval: boolean) {}

  async decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    const { queue, redis, keys, bus } = this.handles;
    const job = await queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') throw new PermanentError(`no migration ${jobId}`);
    const data = job.data;
    if (decision.nonce !== data.request.nonce) {
      throw new PermanentError(`this button belongs to an earlier request for ${data.plan.source.address}: decide on the current request (job ${jobId}) instead`);
    }
    if (decision.approve && sameActor(decision.by, data.request.requester) && !this.allowSelfApproval) {
      throw new PermanentError('you cannot approve your own request: another approver has to');
    }
    const state = await job.getState();
    const stored = signDecision(this.secrets, { approve: decision.approve, by: decision.by, ...(decision.reason ? { reason: decision.reason } : {}), at: new Date().toISOString(), jobId, nonce: data.request.nonce });
    const first = state === 'delayed' || state === 'waiting' ? await redis.set(keys.decision(jobId), JSON.stringify(stored), 'NX') : null;
    if (first !== 'OK') {
      const earlier = validDecision(job as Job<MigrationJobData>, await redis.get(keys.decision(jobId)), this.secrets);
      if (!earlier) throw new PermanentError(`${jobId} is no longer waiting for a decision (it is ${state})`);
      return decisionResult(earlier, false);
    }
    if (state === 'delayed') await job.promote().catch(() => undefined);
    const result = decisionResult(stored, true);
    await markChanged(redis, keys, jobId);
    await bus.publish({ type: 'decided', jobId, decision: result });
    return result;
  }

  async decideBatch(batchId: string, decision: Decision): Promise<BatchDecisionResult> {
    const { queue, redis, keys } = this.handles;
    const fields = await redis.hgetall(keys.batch(batchId));
    if (!fields.jobIds) throw new PermanentError(`no batch ${batchId}`);
    if (decision.nonce !== fields.nonce) throw new PermanentError(`this button does not belong to batch ${batchId}`);
    const jobs: BatchDecisionResult['jobs'] = [];
    for (const jobId of JSON.parse(fields.jobIds) as string[]) {
      const job = await queue.getJob(jobId);
      // job ids are per address: the job under this id may now be a later request, outside this batch
      if (!job || job.data.kind !== 'migration' || job.data.batchId !== batchId || job.data.request.origin?.batchId !== batchId) {
        jobs.push({ jobId, refused: 'no longer part of this batch' });
        continue;
      }
      if (decision.approve && sameActor(decision.by, job.data.request.requester) && !this.allowSelfApproval) {
        jobs.push({ jobId, refused: 'requested by you: another approver has to approve it' });
        continue;
      }
      try {
        jobs.push({ jobId, result: await this.decide(jobId, { ...decision, nonce: job.data.request.nonce }) });
      } catch (error) {
        jobs.push({ jobId, refused: error instanceof Error ? error.message : String(error) });
      }
    }
    const first = jobs.find((j) => j.result?.changed)?.result ?? jobs.find((j) => j.result)?.result;
    if (first?.changed) await this.batches.update(batchId, { decision: first });
    return { ...(first ? { decision: first } : {}), jobs };
  }
}
