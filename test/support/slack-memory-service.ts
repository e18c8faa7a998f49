import type {
  AccountChoice,
  Actor,
  BatchSubmitResult,
  Decision,
  DecisionResult,
  MigrationEvent,
  MigrationPlan,
  MigrationRequest,
  MigrationService,
  MigrationStatus,
  PreflightProblem,
  PreflightResult,
  ServiceChoice,
  SubmitResult,
} from '../../src/pipeline/migration-service.js';
import { parseBatchCsv } from '../../src/pipeline/batch-csv.js';

/**
 * An in-memory MigrationService for the Slack tests: the documented contract, no queue behind it. It records
 * every call, keeps jobs, decides idempotently (as the real service must), and lets the test emit pipeline
 * events (steps, progress, report) as a worker would.
 */
export class MemoryMigrationService implements MigrationService {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly jobs = new Map<string, { status: MigrationStatus; decision?: DecisionResult; request: MigrationRequest; password?: string }>();
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
    for (const listener of this.listeners) listener(event);
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
      notMigrated: [{ kind: 'delegation', description: 'full access granted to jane@mydomain.ovh' }],
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
    const jobId = `job-${++this.seq}`;
    const plan = this.planFor(request, jobId);
    const status: MigrationStatus = {
      jobId,
      plan,
      state: request.preapproved ? 'queued' : 'awaiting-approval',
      steps: [],
      requester: request.requester,
      ...(request.origin ? { origin: request.origin } : {}),
      undoAvailable: false,
    };
    this.jobs.set(jobId, { status, request, password: request.destinationPassword ?? 'Gen3rated-Passw0rd!' });
    this.emit({ type: 'submitted', jobId, status });
    return { ok: true, jobId, plan, duplicate: false };
  }

  async decide(jobId: string, decision: Decision): Promise<DecisionResult> {
    this.record('decide', jobId, decision);
    const job = this.jobs.get(jobId);
    if (!job) throw new Error(`no job ${jobId}`);
    if (job.decision) return { ...job.decision, changed: false };
    const result: DecisionResult = { changed: true, state: decision.approve ? 'approved' : 'rejected', by: decision.by, at: '2026-11-25T10:00:00.000Z' };
    job.decision = result;
    job.status.state = decision.approve ? 'queued' : 'rejected';
    this.emit({ type: 'decided', jobId, decision: result });
    return result;
  }

  async cancel(jobId: string, by: Actor): Promise<void> {
    this.record('cancel', jobId, by);
    const job = this.jobs.get(jobId);
    if (job) job.status.state = 'cancelled';
  }
  async undo(jobId: string, by: Actor): Promise<void> {
    this.record('undo', jobId, by);
  }
  async retry(jobId: string, by: Actor): Promise<void> {
    this.record('retry', jobId, by);
  }
  async resetSource(jobId: string, by: Actor): Promise<void> {
    this.record('resetSource', jobId, by);
  }

  async takeDestinationPassword(jobId: string, by: Actor): Promise<string | undefined> {
    this.record('takeDestinationPassword', jobId, by);
    const job = this.jobs.get(jobId);
    if (!job || job.status.requester.id !== by.id) return undefined;
    const password = job.password;
    job.password = undefined;
    return password;
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
    return { ok: true, batchId, jobIds };
  }

  subscribe(listener: (event: MigrationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
