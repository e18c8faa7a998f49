import type {
  AccountChoice,
  Actor,
  BatchDecisionResult,
  BatchSubmitResult,
  Decision,
  DecisionResult,
  MigrationEvent,
  MigrationPlan,
  MigrationRequest,
  MigrationService,
  MigrationStatus,
  PasswordAcknowledgement,
  PasswordReveal,
  PreflightProblem,
  PreflightResult,
  ServiceChoice,
  SubmitResult,
  ThreadLedger,
  BatchInfo,
  RequestOrigin,
} from '../../src/pipeline/migration-service.js';
import { parseBatchCsv } from '../../src/pipeline/batch-csv.js';
import { FollowUpBusyError, PermanentError } from '../../src/pipeline/errors.js';
import type { FollowUpAction } from '../../src/pipeline/migration-service.js';

/** The ThreadLedger's contract in memory (the Redis one is tested against Redis). */
export class MemoryThreadLedger implements ThreadLedger {
  readonly entries = new Map<string, Map<string, string>>();
  private readonly marks = new Map<string, number>();
  private seq = 0;

  private of(jobId: string): Map<string, string> {
    let entry = this.entries.get(jobId);
    if (!entry) this.entries.set(jobId, (entry = new Map()));
    return entry;
  }
  async read(jobId: string): Promise<Record<string, string>> {
    return Object.fromEntries(this.of(jobId));
  }
  async claim(jobId: string, key: string, owner: string): Promise<boolean> {
    const entry = this.of(jobId);
    if (entry.has(key)) return false;
    entry.set(key, `claim:${owner}:${Date.now()}`);
    return true;
  }
  async record(jobId: string, key: string, value: string): Promise<void> {
    this.of(jobId).set(key, value);
  }
  private readonly beats = new Map<string, number>();
  async beat(owner: string, ttlMs: number): Promise<void> {
    this.beats.set(owner, Date.now() + ttlMs);
  }
  async alive(owner: string): Promise<boolean> {
    return (this.beats.get(owner) ?? 0) > Date.now();
  }
  async takeOver(jobId: string, key: string, previous: string, owner: string): Promise<boolean> {
    const entry = this.of(jobId);
    if (entry.get(key) !== previous) return false;
    entry.set(key, `claim:${owner}:${Date.now()}`);
    return true;
  }
  mark(jobId: string): void {
    this.marks.set(jobId, ++this.seq);
  }
  async changed(limit: number): Promise<{ jobId: string; mark: string }[]> {
    return [...this.marks].sort((a, b) => a[1] - b[1]).slice(0, limit).map(([jobId, mark]) => ({ jobId, mark: String(mark) }));
  }
  async settle(jobId: string, mark: string): Promise<void> {
    if (String(this.marks.get(jobId)) === mark) this.marks.delete(jobId);
  }
}

/**
 * An in-memory MigrationService for the Slack tests: the documented contract, no queue behind it. It records
 * every call, keeps jobs, decides idempotently (as the real service must), and lets the test emit pipeline
 * events (steps, progress, report) as a worker would.
 */
export class MemoryMigrationService implements MigrationService {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly jobs = new Map<string, { status: MigrationStatus; decision?: DecisionResult; request: MigrationRequest; password?: string; batchId?: string }>();
  readonly batches = new Map<string, { jobIds: string[]; requester: Actor; nonce: string; origin?: RequestOrigin; decision?: DecisionResult }>();
  readonly threads = new MemoryThreadLedger();
  /** ALLOW_SELF_APPROVAL, as the real service gets it. */
  allowSelfApproval = false;
  /** HANDOVER_TO, as the real service gets it. */
  handoverTo: 'requester' | 'approver' = 'requester';
  /** Job ids per address (`mig-ADDRESS`, as the real queue has them) instead of `job-N`: a new request for an address reuses its id. */
  jobIdsPerAddress = false;
  /** While set, follow-up actions (undo, retry, reset, cancel) wait for it: a test holds one in progress. */
  followUpGate: Promise<void> | undefined;
  /** An error a follow-up action throws (after taking its lock), as the pipeline would. */
  followUpError: ((action: FollowUpAction, jobId: string) => Error | undefined) | undefined;
  /** Problems preflight reports for a request (default: none). */
  problemsFor: (request: MigrationRequest) => PreflightProblem[] = () => [];
  /** Delay added to preflight, to test Slack's 3-second window. */
  preflightDelayMs = 0;
  accounts: AccountChoice[] = [
    { address: 'john.smith@mydomain.ovh', platform: 'exchange', service: 'org-1/hosted-1' },
    { address: 'jane.doe@mydomain.ovh', platform: 'emailpro', service: 'emailpro-1' },
  ];
  services: ServiceChoice[] = [
    { platform: 'emailpro', name: 'emailpro-ab12345-1', label: 'E-mail Pro mydomain.ovh' },
    { platform: 'mxplan', name: 'mxplan-ab12345-2', label: 'MX Plan mydomain.ovh' },
  ];
  private listeners = new Set<(event: MigrationEvent) => void>();
  private seq = 0;

  private record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  callsOf(method: string): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  emit(event: MigrationEvent): void {
    if ('jobId' in event) this.threads.mark(event.jobId);
    for (const listener of this.listeners) listener(event);
  }

  /** Changes a job's stored status as a worker would, marks it changed, and wakes subscribers with a step event. */
  update(jobId: string, change: (status: MigrationStatus) => void): void {
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    change(job.status);
    const last = job.status.steps.at(-1);
    this.emit({ type: 'step', jobId, step: last ?? { name: 'preflight', status: 'done' }, ...(job.status.origin ? { origin: job.status.origin } : {}) });
  }

  planFor(request: MigrationRequest, jobId = 'preview'): MigrationPlan {
    const [local, domain] = request.sourceAddress.split('@');
    const source = this.accounts.find((a) => a.address === request.sourceAddress);
    const destination = this.services.find((s) => s.name === request.destinationService);
    return {
      jobId,
      source: { address: request.sourceAddress, platform: source?.platform ?? 'exchange', service: source?.service ?? 'unknown' },
      destination: { address: request.sourceAddress, platform: destination?.platform ?? 'emailpro', service: request.destinationService },
      temporaryAddress: request.temporaryName ?? `${local}01@${domain}`,
      sizeBytes: 1_234_567_890,
      warnings: source?.platform === 'exchange' ? ['Calendars and contacts do not exist on E-mail Pro: they are not migrated.'] : [],
      features: [
        { kind: 'alias', key: `alias:${request.sourceAddress}:j.smith@mydomain.ovh`, target: `alias j.smith@mydomain.ovh of ${request.sourceAddress}`, verdict: 'create' },
        { kind: 'right', key: `right:fullAccess:${request.sourceAddress}:jane@mydomain.ovh`, target: `full access on ${request.sourceAddress} for jane@mydomain.ovh`, verdict: 'pending', detail: 'waits for jane@mydomain.ovh', waitsFor: ['jane@mydomain.ovh'] },
      ],
    };
  }

  async preflight(request: MigrationRequest): Promise<PreflightResult> {
    this.record('preflight', request);
    if (this.preflightDelayMs > 0) await new Promise((r) => setTimeout(r, this.preflightDelayMs));
    const problems = this.problemsFor(request);
    return problems.length > 0 ? { ok: false, problems } : { ok: true, plan: this.planFor(request) };
  }

  async submit(request: MigrationRequest): Promise<SubmitResult> {
    this.record('submit', request);
    const problems = this.problemsFor(request);
    if (problems.length > 0) return { ok: false, problems };
    const seq = ++this.seq;
    const jobId = this.jobIdsPerAddress ? `mig-${request.sourceAddress}` : `job-${seq}`;
    const existing = this.jobs.get(jobId);
    if (existing && ['awaiting-approval', 'queued', 'running'].includes(existing.status.state)) {
      return { ok: true, jobId, plan: existing.status.plan, duplicate: true, nonce: existing.status.nonce };
    }
    const plan = this.planFor(request, jobId);
    const status: MigrationStatus = {
      jobId,
      plan,
      state: request.preapproved ? 'queued' : 'awaiting-approval',
      steps: [],
      requester: request.requester,
      ...(request.origin ? { origin: request.origin } : {}),
      undoAvailable: false,
      nonce: `nonce${String(seq).padStart(8, '0')}`,
      handover: {
        to: this.handoverTo,
        ...(this.handoverTo === 'requester' ? { recipient: request.requester } : {}),
        typedByRequester: Boolean(request.destinationPassword),
        state: 'pending',
      },
      run: 1,
      dryRun: request.dryRun ?? false,
    };
    this.jobs.set(jobId, { status, request, password: request.destinationPassword ?? 'Gen3rated-Passw0rd!', ...(request.origin?.batchId ? { batchId: request.origin.batchId } : {}) });
    this.emit({ type: 'submitted', jobId, status });
    return { ok: true, jobId, plan, duplicate: false, nonce: status.nonce };
  }

  async decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    this.record('decide', jobId, decision);
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    if (decision.nonce !== job.status.nonce) throw new Error('this button belongs to an earlier request');
    if (decision.approve && decision.by.id === job.status.requester.id && !this.allowSelfApproval) throw new Error('you cannot approve your own request');
    if (job.decision) return { ...job.decision, changed: false };
    const result: DecisionResult = { changed: true, state: decision.approve ? 'approved' : 'rejected', by: decision.by, at: '2026-11-25T10:00:00.000Z' };
    job.decision = result;
    job.status.decision = { ...result, changed: false };
    job.status.state = decision.approve ? 'queued' : 'rejected';
    if (decision.approve && job.status.handover.to === 'approver') job.status.handover = { ...job.status.handover, recipient: decision.by };
    this.emit({ type: 'decided', jobId, decision: result });
    return result;
  }

  /** One follow-up at a time per migration, shown as `busy` while it runs (the pipeline's lock). */
  private async followUp(jobId: string, action: FollowUpAction, by: Actor, run: () => void): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job) throw new PermanentError(`no migration ${jobId}`);
    if (job.status.busy) throw new FollowUpBusyError(job.status.busy.action, job.status.busy.by.id);
    job.status.busy = { action, by };
    try {
      if (this.followUpGate) await this.followUpGate;
      const error = this.followUpError?.(action, jobId);
      if (error) throw error;
      run();
    } finally {
      delete job.status.busy;
    }
  }

  async cancel(jobId: string, by: Actor): Promise<void> {
    this.record('cancel', jobId, by);
    await this.followUp(jobId, 'cancel', by, () => {
      this.jobs.get(jobId)!.status.state = 'cancelled';
    });
  }
  async cutover(jobId: string, by: Actor): Promise<void> {
    this.record('cutover', jobId, by);
    await this.followUp(jobId, 'cutover', by, () => undefined);
  }
  async undo(jobId: string, by: Actor): Promise<void> {
    this.record('undo', jobId, by);
    await this.followUp(jobId, 'undo', by, () => undefined);
  }
  async retry(jobId: string, by: Actor): Promise<void> {
    this.record('retry', jobId, by);
    await this.followUp(jobId, 'retry', by, () => undefined);
  }
  /** Refused while folders are out of sync, naming the missing messages, unless `force` (as the pipeline does). */
  async resetSource(jobId: string, by: Actor, options: { force?: boolean } = {}): Promise<void> {
    this.record('resetSource', jobId, by, options);
    await this.followUp(jobId, 'reset-source', by, () => {
      const job = this.jobs.get(jobId)!;
      const missing = (job.status.report?.foldersNotInSync ?? []).filter((f) => f.missing > 0);
      if (missing.length > 0 && !options.force) {
        throw new PermanentError(
          `not on the destination: ${missing.map((f) => `${f.missing} message(s) of ${f.folder}`).join(', ')}: resetting ${job.status.plan.temporaryAddress} would delete them for good`,
        );
      }
    });
  }

  async decideBatch(batchId: string, decision: Decision): Promise<BatchDecisionResult> {
    this.record('decideBatch', batchId, decision);
    const batch = this.batches.get(batchId);
    if (!batch) throw new Error(`no batch ${batchId}`);
    if (decision.nonce !== batch.nonce) throw new Error(`this button does not belong to batch ${batchId}`);
    const jobs: BatchDecisionResult['jobs'] = [];
    for (const jobId of batch.jobIds) {
      const job = this.jobs.get(jobId);
      if (!job || job.batchId !== batchId) jobs.push({ jobId, refused: 'no longer part of this batch' });
      else if (decision.approve && job.status.requester.id === decision.by.id && !this.allowSelfApproval) jobs.push({ jobId, refused: 'requested by you' });
      else jobs.push({ jobId, result: await this.decide(jobId, { ...decision, nonce: job.status.nonce }) });
    }
    const first = jobs.find((j) => j.result?.changed)?.result ?? jobs.find((j) => j.result)?.result;
    if (first?.changed) batch.decision ??= first;
    return { ...(first ? { decision: first } : {}), jobs };
  }

  async batch(batchId: string): Promise<BatchInfo | undefined> {
    const batch = this.batches.get(batchId);
    if (!batch) return undefined;
    return { batchId, ...structuredClone(batch) };
  }

  async updateBatch(batchId: string, change: { origin?: RequestOrigin; decision?: DecisionResult }): Promise<void> {
    this.record('updateBatch', batchId, change);
    const batch = this.batches.get(batchId);
    if (!batch) return;
    if (change.origin) batch.origin = change.origin;
    if (change.decision) batch.decision ??= change.decision;
  }

  async revealDestinationPassword(jobId: string, by: Actor): Promise<PasswordReveal> {
    this.record('revealDestinationPassword', jobId, by);
    const job = this.jobs.get(jobId);
    if (!job) return { ok: false, reason: 'no such migration' };
    const { handover } = job.status;
    if (handover.state !== 'ready' || !job.password) return { ok: false, reason: `the password is ${handover.state}` };
    if (handover.recipient?.id !== by.id) return { ok: false, reason: 'the password is handed to someone else' };
    return { ok: true, address: job.status.plan.destination.address, password: job.password };
  }

  async acknowledgeDestinationPassword(jobId: string, by: Actor): Promise<PasswordAcknowledgement> {
    this.record('acknowledgeDestinationPassword', jobId, by);
    const job = this.jobs.get(jobId);
    if (!job) return { ok: false, reason: 'no such migration' };
    if (job.status.handover.state === 'acknowledged') return { ok: true, changed: false };
    if (job.status.handover.recipient?.id !== by.id) return { ok: false, reason: 'only the recipient can acknowledge it' };
    job.password = undefined;
    job.status.handover = { ...job.status.handover, state: 'acknowledged', acknowledgedAt: '2026-11-25T10:05:00.000Z' };
    this.threads.mark(jobId);
    return { ok: true, changed: true };
  }

  async status(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]> {
    this.record('status', query);
    return [...this.jobs.values()]
      .map((j) => j.status)
      .filter((s) => (query.jobId ? s.jobId === query.jobId : true) && (query.address ? s.plan.source.address === query.address : true));
  }

  async searchSourceAccounts(query: string, limit: number): Promise<AccountChoice[]> {
    this.record('searchSourceAccounts', query, limit);
    return this.accounts.filter((a) => a.address.includes(query)).slice(0, limit);
  }

  async listDestinationServices(): Promise<ServiceChoice[]> {
    this.record('listDestinationServices');
    return this.services;
  }

  /** The pipeline's own CSV reader and row schema; every row is checked before anything starts. */
  async submitBatch(csv: string, requester: Actor, options: { preapproved?: boolean; origin?: { channel: string } }): Promise<BatchSubmitResult> {
    this.record('submitBatch', csv, requester, options);
    const parsed = parseBatchCsv(csv);
    if (!parsed.ok) return { ok: false, errors: parsed.errors };
    const unknown = parsed.rows.filter((row) => !this.services.some((s) => s.name === row.destinationService));
    if (unknown.length > 0) return { ok: false, errors: unknown.map((row) => ({ row: row.row, message: `unknown destination service ${row.destinationService}` })) };
    const batchId = `batch-${++this.seq}`;
    const jobIds: string[] = [];
    for (const row of parsed.rows) {
      const result = await this.submit({
        sourceAddress: row.source,
        destinationService: row.destinationService,
        requester,
        ...(options.preapproved ? { preapproved: true } : {}),
        origin: { ...(options.origin ?? { channel: 'C0' }), batchId },
      });
      if (result.ok) jobIds.push(result.jobId);
    }
    const nonce = `bnonce${String(this.seq).padStart(8, '0')}`;
    this.batches.set(batchId, { jobIds, requester, nonce });
    return { ok: true, batchId, jobIds, nonce };
  }

  subscribe(listener: (event: MigrationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
