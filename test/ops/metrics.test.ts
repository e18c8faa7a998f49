import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL_ROUTES, EXCHANGE } from '../../src/ovh/routes.js';
import { createMetrics, routeLabel, type Metrics } from '../../src/ops/metrics.js';
import { startMetricsServer, type MetricsServer } from '../../src/ops/metrics-server.js';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import type { StepDeps } from '../../src/pipeline/dependencies.js';
import { QueueCensusReader } from '../../src/pipeline/queue-census.js';
import { defaultCopier } from '../../src/pipeline/runtime.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { buildDeps, CLI, FAST_TUNING, Harness, waitFor, waitForState } from '../pipeline/harness.js';
import { parseMetrics, sample, samples } from './prometheus-text.js';

const SOURCE = 'john.smith@mydomain.ovh';
const WAITING = 'jane.doe@mydomain.ovh';
const DESTINATION = 'emailpro-sb22222-1';

describe('/metrics over HTTP while a real migration runs in the sandbox', () => {
  let h: Harness;
  let metrics: Metrics;
  let server: MetricsServer;
  let service: BullMigrationService;
  let worker: MigrationWorker;
  let census: QueueCensusReader;
  let release!: () => void;
  let entered!: () => void;
  const copying = new Promise<void>((r) => (entered = r));
  const scrape = async () => {
    const answer = await fetch(server.url);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return answer.text();
  };

  beforeAll(async () => {
    h = await Harness.start();
    metrics = createMetrics({ censusTtlMs: 0 });
    // the OVH client, the copier and the worker report to this process's metrics, as createRuntime wires them
    const built = buildDeps(h.childConfig({ connection: h.redis.connection, prefix: '', tuning: {} }), h.logger, metrics.observers);
    const gate = new Promise<void>((r) => (release = r));
    const deps: StepDeps = {
      ...built.deps,
      // the first copy holds until the test has scraped a running migration
      copier: async (options) => {
        entered();
        await gate;
        return defaultCopier(options);
      },
    };
    const prefix = `m${randomUUID().slice(0, 8)}`;
    const settings = { connection: h.redis.connection, prefix, tuning: FAST_TUNING };
    service = new BullMigrationService({ ...settings, directory: deps.directory, secrets: h.secrets, logger: h.logger });
    worker = await MigrationWorker.start({ ...settings, deps, concurrency: 2 });
    census = new QueueCensusReader({ connection: h.redis.connection, prefix }, h.secrets);
    metrics.watchQueue(census);
    metrics.watchWorker(worker);
    server = await startMetricsServer({ metrics, port: 0, host: '127.0.0.1', logger: h.logger, onClose: () => census.close() });
  }, 120_000);

  afterAll(async () => {
    release?.();
    await server?.close();
    await worker?.close(true);
    await service?.close();
    await h?.stop();
  });

  it('counts the migration by state while it runs and once done, with the steps, the copy and the OVH calls', async () => {
    const waiting = await service.submit({ sourceAddress: WAITING, destinationService: DESTINATION, requester: CLI });
    expect(waiting.ok).toBe(true);
    const submitted = await service.submit({ sourceAddress: SOURCE, destinationService: DESTINATION, requester: CLI, preapproved: true });
    expect(submitted.ok).toBe(true);
    await copying;

    // mid-run: one running (its copy held), one awaiting approval; the worker has one job of its two slots in use
    const during = parseMetrics(await scrape());
    expect(sample(during, 'migrate_mailbox_migrations', { state: 'running' })).toBe(1);
    expect(sample(during, 'migrate_mailbox_migrations', { state: 'awaiting-approval' })).toBe(1);
    expect(sample(during, 'migrate_mailbox_migrations', { state: 'done' })).toBe(0);
    expect(sample(during, 'migrate_mailbox_queue_jobs', { queue: 'migrations', state: 'active' })).toBe(1);
    expect(sample(during, 'migrate_mailbox_queue_jobs', { queue: 'migrations', state: 'delayed' })).toBe(1);
    expect(sample(during, 'migrate_mailbox_worker_jobs_active')).toBe(1);
    expect(sample(during, 'migrate_mailbox_worker_concurrency')).toBe(2);
    expect(sample(during, 'migrate_mailbox_imap_messages_copied_total')).toBe(0);

    release();
    const status = await waitForState(service, `mig-${SOURCE}`, ['done', 'failed'], 90_000);
    expect(status.state).toBe('done');
    // the worker lets go of the job just after its state is stored
    await waitFor(() => worker.activeJobs === 0, 5_000, 'the worker to be idle');
    const text = await scrape();
    const after = parseMetrics(text);

    // the migration counted as done, through the same state machine as `status`
    expect(sample(after, 'migrate_mailbox_migrations', { state: 'done' })).toBe(1);
    expect(sample(after, 'migrate_mailbox_migrations', { state: 'running' })).toBe(0);
    expect(sample(after, 'migrate_mailbox_migrations', { state: 'awaiting-approval' })).toBe(1);
    for (const state of ['waiting', 'prioritized', 'delayed', 'active', 'waiting-children']) {
      expect(sample(after, 'migrate_mailbox_queue_jobs', { queue: 'migrations', state }), state).toBeTypeOf('number');
    }
    expect(sample(after, 'migrate_mailbox_queue_jobs', { queue: 'migrations', state: 'active' })).toBe(0);
    expect(sample(after, 'migrate_mailbox_queue_up')).toBe(1);
    expect(sample(after, 'migrate_mailbox_worker_jobs_active')).toBe(0);

    // one step-duration observation for each step that ran (has a start and an end), none for those that did not
    const ran = status.steps.filter((step) => step.startedAt && step.endedAt);
    expect(ran.map((step) => step.name)).toEqual(expect.arrayContaining(['attach-domain', 'rename-source', 'create-destination', 'copy', 'delta', 'features', 'verify', 'dns', 'handover']));
    for (const step of ran) {
      expect(sample(after, 'migrate_mailbox_step_duration_seconds_count', { step: step.name, status: step.status }), step.name).toBe(1);
    }
    for (const step of status.steps.filter((s) => !s.startedAt)) {
      expect(samples(after, 'migrate_mailbox_step_duration_seconds_count', { step: step.name }), step.name).toEqual([]);
    }
    const copyStep = status.steps.find((step) => step.name === 'copy')!;
    const copySeconds = (Date.parse(copyStep.endedAt!) - Date.parse(copyStep.startedAt!)) / 1000;
    expect(sample(after, 'migrate_mailbox_step_duration_seconds_sum', { step: 'copy', status: 'done' })).toBeCloseTo(copySeconds, 3);

    // messages and bytes copied: what the copy's report says (copy + delta)
    const report = status.report!.copy!;
    expect(report.messages.copied).toBeGreaterThan(0);
    expect(sample(after, 'migrate_mailbox_imap_messages_copied_total')).toBe(report.messages.copied);
    expect(sample(after, 'migrate_mailbox_imap_bytes_copied_total')).toBe(report.bytes);
    expect(sample(after, 'migrate_mailbox_imap_copy_rate_messages_per_second_count')).toBe(1);

    // OVH calls by route template; only templates, never an address, a service or an organization
    expect(sample(after, 'migrate_mailbox_ovh_requests_total', { route: EXCHANGE.account.path, method: 'GET', status: '200' })).toBeGreaterThan(0);
    expect(sample(after, 'migrate_mailbox_ovh_request_duration_seconds_count', { route: EXCHANGE.account.path, method: 'GET' })).toBeGreaterThan(0);
    const templates = new Set<string>([...EMAIL_ROUTES.map((route) => route.path), '/auth/time', '/auth/credential']);
    const routes = samples(after, 'migrate_mailbox_ovh_requests_total').map((s) => s.labels.route!);
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) expect(templates.has(route), route).toBe(true);
    for (const secret of [SOURCE, WAITING, 'john.smith', 'jane.doe', 'mydomain.ovh', 'pro-domain.ovh', DESTINATION, 'hosted-sb11111-1']) {
      expect(text, secret).not.toContain(secret);
      expect(text, secret).not.toContain(encodeURIComponent(secret));
    }
    // Node's process metrics come along
    expect(sample(after, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
  }, 120_000);

  it('serves /metrics only', async () => {
    expect((await fetch(server.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
  });
});

describe('registries and labels', () => {
  it('each Metrics has its own registry: what one counts does not show in another', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.observers.copy.appended(3, 300);
    expect(sample(parseMetrics(await a.registry.metrics()), 'migrate_mailbox_imap_messages_copied_total')).toBe(3);
    expect(sample(parseMetrics(await b.registry.metrics()), 'migrate_mailbox_imap_messages_copied_total')).toBe(0);
  });

  it('a route that is not a template of routes.ts is labelled other, never as sent', async () => {
    expect(routeLabel(EXCHANGE.account.path)).toBe(EXCHANGE.account.path);
    const sent = '/email/pro/emailpro-sb22222-1/account/alice%40pro-domain.ovh';
    expect(routeLabel(sent)).toBe('other');
    const m = createMetrics({ defaultMetrics: false });
    m.observers.ovh.call({ route: sent, method: 'GET', status: 200, seconds: 0.01 });
    const text = await m.registry.metrics();
    expect(text).not.toContain('alice');
    expect(sample(parseMetrics(text), 'migrate_mailbox_ovh_requests_total', { route: 'other', method: 'GET', status: '200' })).toBe(1);
  });
});
