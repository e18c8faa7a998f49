import type { FlowProducer } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { mapLimit } from '../domain/map-limit.js';
import { FeatureReading } from '../ovh/feature-reading.js';
import { batchJobId, migrationJobId } from '../domain/plan.js';
import { parseBatchCsv } from './batch-csv.js';
import { PermanentError } from './errors.js';
import type { BatchJobData } from './job-data.js';
import type { Actor, BatchInfo, BatchSubmitResult, DecisionResult, MigrationPlan, MigrationRequest, MigrationStatus, RequestOrigin } from './migration-service.js';
import type { QueueHandles } from './queue-handles.js';
import { LIVE_STATES, type Statuses } from './status.js';
import { newNonce, type Submissions } from './submissions.js';

/** Rows of a batch pre-checked at once (each row's preflight makes its own OVH reads, up to 4 at a time). */
const PREFLIGHT_WIDTH = 4;

export interface BatchSettings {
  queueName: string;
  /** Mailboxes of one batch running at once (BATCH_CONCURRENCY), stored with the batch. */
  concurrency: number;
  /** BATCH_MAX_ROWS. */
  maxRows?: number;
}

/**
 * Batches from a CSV: every row checked before anything starts, then one BullMQ flow (a parent job that runs
 * once every mailbox has finished), and the batch kept in a Redis hash beside the jobs.
 */
export class Batches {
  constructor(
    private readonly handles: QueueHandles,
    private readonly flows: FlowProducer,
    private readonly statuses: Statuses,
    private readonly submissions: Submissions,
    private readonly settings: BatchSettings,
  ) {}

  /** Parses and checks a batch CSV (every row, every rule) without starting anything. */
  async check(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin } = {}): Promise<
    { ok: true; planned: { row: number; request: MigrationRequest; plan: MigrationPlan }[] } | { ok: false; errors: { row: number; message: string }[] }
  > {
    const { queue } = this.handles;
    const parsed = parseBatchCsv(csv, { maxRows: this.settings.maxRows });
    // Rows that parsed are pre-checked even when others did not: every problem is reported at once.
    const errors: { row: number; message: string }[] = parsed.ok ? [] : [...parsed.errors];
    if (!parsed.rows) return { ok: false, errors };
    const planned: { row: number; request: MigrationRequest; plan: MigrationPlan }[] = [];
    // A few rows at a time: each preflight is a series of OVH reads, and a 300-row batch checked one row after the
    // other kept its submitter (and a Slack modal) waiting minutes. Results are kept in row order.
    const reading = new FeatureReading();
    const outcomes = await mapLimit(parsed.rows, PREFLIGHT_WIDTH, async (row) => {
      const request: MigrationRequest = {
        sourceAddress: row.source,
        destinationService: row.destinationService,
        temporaryName: row.temporaryName,
        destinationPassword: row.password,
        ...(row.sourcePassword ? { sourcePassword: row.sourcePassword } : {}),
        // "now": as soon as this mailbox's staged copy is ready (the time it is checked is always past by then)
        ...(row.cutoverAt ? { cutoverAt: row.cutoverAt === 'now' ? new Date().toISOString() : row.cutoverAt } : {}),
        resetSourceAfter: row.resetSource,
        requester,
        preapproved: options.preapproved,
        origin: options.origin,
      };
      const jobId = migrationJobId(row.source);
      const existing = await queue.getJob(jobId);
      if (existing && LIVE_STATES.has(await existing.getState())) {
        return { error: { row: row.row, message: `${row.source} is already being migrated (job ${jobId})` } };
      }
      const checked = await this.submissions.preflight(request, reading);
      if (!checked.ok) return { error: { row: row.row, message: checked.problems.map((p) => `${p.field}: ${p.message}`).join('; ') } };
      return { planned: { row: row.row, request, plan: checked.plan } };
    });
    for (const outcome of outcomes) {
      if (outcome.error) errors.push(outcome.error);
      else planned.push(outcome.planned);
    }
    // Temporary names proposed independently must not collide within the batch.
    const temporary = new Map<string, number>();
    for (const p of planned) {
      const other = temporary.get(p.plan.temporaryAddress);
      if (other !== undefined) errors.push({ row: p.row, message: `temporaryName: ${p.plan.temporaryAddress} is also the temporary name of row ${other}` });
      temporary.set(p.plan.temporaryAddress, p.row);
    }
    if (errors.length) return { ok: false, errors: errors.sort((a, b) => a.row - b.row) };
    return { ok: true, planned };
  }

  async submit(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: RequestOrigin }): Promise<BatchSubmitResult> {
    const { redis, keys, bus } = this.handles;
    const checked = await this.check(csv, requester, options);
    if (!checked.ok) return checked;
    const { planned } = checked;
    const batchId = randomUUID().slice(0, 8);
    const nonce = newNonce();
    const jobIds = planned.map((p) => p.plan.jobId);
    for (const jobId of jobIds) {
      try {
        await this.submissions.liveJob(jobId);
      } catch (error) {
        return { ok: false, errors: [{ row: planned.find((p) => p.plan.jobId === jobId)!.row, message: (error as Error).message }] };
      }
    }
    await redis.hset(keys.batch(batchId), {
      jobIds: JSON.stringify(jobIds),
      origin: JSON.stringify(options.origin ?? null),
      concurrency: String(this.settings.concurrency),
      requester: JSON.stringify(requester),
      nonce,
    });
    const children = [];
    for (const p of planned) {
      const { data, opts } = await this.submissions.newJob({ ...p.request, origin: { channel: '', ...options.origin, batchId } }, p.plan, batchId);
      children.push({ name: 'migration', queueName: this.settings.queueName, data, opts: { ...opts, ignoreDependencyOnFailure: true } });
    }
    const parent: BatchJobData = { kind: 'batch', batchId, requester, origin: options.origin, jobIds, concurrency: this.settings.concurrency };
    await this.flows.add({
      name: 'batch',
      queueName: this.settings.queueName,
      data: parent,
      opts: { jobId: batchJobId(batchId), removeOnComplete: false, removeOnFail: false },
      children,
    });
    await bus.publish({ type: 'batch', batchId, rows: planned.map((p) => ({ jobId: p.plan.jobId, address: p.plan.source.address, state: options.preapproved ? 'queued' : 'awaiting-approval' })), origin: options.origin });
    return { ok: true, batchId, jobIds, nonce };
  }

  async get(batchId: string): Promise<BatchInfo | undefined> {
    const { redis, keys } = this.handles;
    const fields = await redis.hgetall(keys.batch(batchId));
    if (!fields.jobIds) return undefined;
    const parse = <T>(raw: string | undefined): T | undefined => (raw ? (JSON.parse(raw) as T | null) ?? undefined : undefined);
    const origin = parse<BatchInfo['origin']>(fields.origin);
    const decision = parse<BatchInfo['decision']>(fields.decision);
    return {
      batchId,
      jobIds: JSON.parse(fields.jobIds) as string[],
      requester: parse<Actor>(fields.requester) ?? { kind: 'cli', id: 'unknown' },
      nonce: fields.nonce ?? '',
      ...(origin ? { origin } : {}),
      ...(decision ? { decision } : {}),
    };
  }

  /**
   * The origin is merged into the stored one, which the worker puts on every batch event: a bot that never saw
   * the batch (restarted, or another replica) finds the summary from the event or from here.
   */
  async update(batchId: string, change: { origin?: RequestOrigin; decision?: DecisionResult }): Promise<void> {
    const { redis, keys } = this.handles;
    const key = keys.batch(batchId);
    if (!(await redis.hexists(key, 'jobIds'))) throw new PermanentError(`no batch ${batchId}`);
    if (change.origin) {
      const stored = JSON.parse((await redis.hget(key, 'origin')) ?? 'null') as RequestOrigin | null;
      await redis.hset(key, 'origin', JSON.stringify({ ...stored, ...change.origin }));
    }
    if (change.decision) await redis.hsetnx(key, 'decision', JSON.stringify({ ...change.decision, changed: false }));
  }

  /** The batch summary: one row per mailbox with its state. */
  async status(batchId: string): Promise<MigrationStatus[]> {
    const { redis, keys } = this.handles;
    const raw = await redis.hget(keys.batch(batchId), 'jobIds');
    if (!raw) return [];
    const all = await Promise.all((JSON.parse(raw) as string[]).map((jobId) => this.statuses.read(jobId)));
    return all.filter((s): s is MigrationStatus => s !== undefined);
  }
}
