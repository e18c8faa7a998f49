import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { MIGRATION_STATES } from '../domain/steps.js';
import type { CopyObserver } from '../imap/copy-observer.js';
import type { Logger } from '../log/logger.js';
import type { OvhObserver } from '../ovh/ovh-observer.js';
import { AUTH, EMAIL_ROUTES } from '../ovh/routes.js';
import type { PipelineObserver } from '../pipeline/pipeline-observer.js';
import { DEPTH_STATES, type QueueCensus } from '../pipeline/queue-census.js';

/**
 * The Prometheus metrics of one process (`start` or `worker`), on a Registry of its own: the observers handed to
 * the OVH client, the copier and the worker feed counters and histograms as things happen; what the queue holds
 * (migrations by state, queue depth) and what the workers are doing are read when Prometheus scrapes.
 *
 * No label ever carries a mailbox address, a service or a folder name: OVH calls are labelled by their route
 * template from routes.ts (anything else is `other`), IMAP errors by their class, steps by their name.
 */

export const METRIC_PREFIX = 'migrate_mailbox_';

/** What a census read returns; QueueCensusReader in the pipeline layer. */
export interface QueueCensusSource {
  read(): Promise<QueueCensus>;
}

/** A worker as the metrics see it (MigrationWorker). */
export interface WorkerGauge {
  readonly activeJobs: number;
  readonly concurrency: number;
}

export interface Metrics {
  readonly registry: Registry;
  /** For createRuntime: what the OVH client, the copier and the worker's steps report to. */
  readonly observers: { ovh: OvhObserver; copy: CopyObserver; pipeline: PipelineObserver };
  /** The queue whose migrations and depth are read at each scrape. */
  watchQueue(census: QueueCensusSource): void;
  /** A worker of this process, whose jobs in progress and concurrency are read at each scrape. */
  watchWorker(worker: WorkerGauge): void;
}

export interface MetricsOptions {
  /** A registry of this process's own (default: a new one); never the global one, so tests do not share state. */
  registry?: Registry;
  /** Node's process metrics (CPU, memory, event loop lag, GC): on by default. */
  defaultMetrics?: boolean;
  logger?: Logger;
  /** How long one read of the queue serves scrapes (default 1 s): a scrape reads it once for both of its gauges. */
  censusTtlMs?: number;
}

/** Route templates a label may carry: the ones the client is built from. */
const KNOWN_ROUTES = new Set<string>([...EMAIL_ROUTES.map((route) => route.path), ...Object.values(AUTH).map((route) => route.path)]);
const KNOWN_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE']);

/** A route label: the template when it is one of ours, `other` otherwise (never a path as sent). */
export function routeLabel(route: string): string {
  return KNOWN_ROUTES.has(route) ? route : 'other';
}

export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = options.registry ?? new Registry();
  const registers = [registry];
  const p = METRIC_PREFIX;
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  // -- read at scrape time: the queue and the workers ------------------------------------------------------------
  const censuses: QueueCensusSource[] = [];
  const workers: WorkerGauge[] = [];
  const ttl = options.censusTtlMs ?? 1_000;
  let last: { at: number; read: Promise<Array<QueueCensus | undefined>> } | undefined;
  const census = (): Promise<Array<QueueCensus | undefined>> => {
    if (!last || Date.now() - last.at > ttl) {
      const read = Promise.all(
        censuses.map((source) =>
          source.read().catch((error: unknown) => {
            options.logger?.warn({ err: error }, 'metrics: cannot read the queue');
            return undefined;
          }),
        ),
      );
      last = { at: Date.now(), read };
    }
    return last.read;
  };

  new Gauge({
    name: `${p}migrations`,
    help: 'Migrations (one per mailbox) by state, read from the queue at scrape time: awaiting-approval, rejected, queued, running, done, failed, cancelled',
    labelNames: ['state'],
    registers,
    async collect() {
      this.reset();
      const reads = await census();
      if (reads.length === 0 || reads.every((read) => read === undefined)) return;
      for (const state of MIGRATION_STATES) this.set({ state }, reads.reduce((sum, read) => sum + (read?.migrations[state] ?? 0), 0));
    },
  });
  new Gauge({
    name: `${p}queue_jobs`,
    help: 'Jobs in the queue by BullMQ state (waiting, prioritized, delayed, active, waiting-children), read at scrape time',
    labelNames: ['queue', 'state'],
    registers,
    async collect() {
      this.reset();
      for (const read of await census()) {
        if (!read) continue;
        for (const state of DEPTH_STATES) this.set({ queue: read.queue, state }, read.depth[state]);
      }
    },
  });
  new Gauge({
    name: `${p}queue_up`,
    help: '1 when the last scrape could read the queue, 0 when it could not (Redis unreachable)',
    registers,
    async collect() {
      const reads = await census();
      this.set(reads.length > 0 && reads.every((read) => read !== undefined) ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}worker_jobs_active`,
    help: "Jobs this process's workers are running now (the part of their concurrency in use)",
    registers,
    collect() {
      this.set(workers.reduce((sum, worker) => sum + worker.activeJobs, 0));
    },
  });
  new Gauge({
    name: `${p}worker_concurrency`,
    help: "Jobs this process's workers may run at once (WORKER_CONCURRENCY or --concurrency)",
    registers,
    collect() {
      this.set(workers.reduce((sum, worker) => sum + worker.concurrency, 0));
    },
  });

  // -- fed by the worker's steps -------------------------------------------------------------------------------------
  const stepDuration = new Histogram({
    name: `${p}step_duration_seconds`,
    help: 'How long each step of a migration ran, from its startedAt to its endedAt, observed when it ends',
    labelNames: ['step', 'status'],
    buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600],
    registers,
  });
  const stepRetries = new Counter({
    name: `${p}step_retries_total`,
    help: 'Steps that failed with a transient error (OVH 5xx or 429, network, IMAP connections) and went back to the queue to be retried',
    labelNames: ['step'],
    registers,
  });

  // -- fed by the copier -----------------------------------------------------------------------------------------------
  const messagesCopied = new Counter({ name: `${p}imap_messages_copied_total`, help: 'Messages the destination acknowledged (APPEND), as they land', registers });
  const bytesCopied = new Counter({ name: `${p}imap_bytes_copied_total`, help: 'Bytes of the messages the destination acknowledged, as streamed', registers });
  const copyRate = new Histogram({
    name: `${p}imap_copy_rate_messages_per_second`,
    help: 'Messages per second of each finished copy run that copied something (copied / the run\'s seconds, scanning and verification included)',
    buckets: [0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
    registers,
  });
  const reconnects = new Counter({ name: `${p}imap_reconnects_total`, help: 'Dropped IMAP connections the copier reopened to go on', registers });
  const imapErrors = new Counter({
    name: `${p}imap_errors_total`,
    help: 'Errors the copier met, by class (ImapConnectionLost, ImapCommandFailed, QuotaExceededError..., message-refused, other) and whether a retry may help',
    labelNames: ['kind', 'retryable'],
    registers,
  });

  // -- fed by the OVH client -------------------------------------------------------------------------------------------
  const ovhRequests = new Counter({
    name: `${p}ovh_requests_total`,
    help: 'OVH API attempts by route template, method and HTTP status (network: no answer)',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const ovhLatency = new Histogram({
    name: `${p}ovh_request_duration_seconds`,
    help: 'OVH API attempt latency by route template and method',
    labelNames: ['route', 'method'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const ovhRetries = new Counter({
    name: `${p}ovh_retries_total`,
    help: 'OVH API calls the client sent again by itself, by route template, method and reason (rate-limited, server-error, network, clock-resync)',
    labelNames: ['route', 'method', 'reason'],
    registers,
  });

  const method = (value: string) => (KNOWN_METHODS.has(value) ? value : 'other');
  return {
    registry,
    observers: {
      ovh: {
        call({ route, method: m, status, seconds }) {
          const labels = { route: routeLabel(route), method: method(m) };
          ovhRequests.inc({ ...labels, status: String(status) });
          ovhLatency.observe(labels, seconds);
        },
        retry({ route, method: m, reason }) {
          ovhRetries.inc({ route: routeLabel(route), method: method(m), reason });
        },
      },
      copy: {
        appended(messages, bytes) {
          messagesCopied.inc(messages);
          bytesCopied.inc(bytes);
        },
        reconnect() {
          reconnects.inc();
        },
        error({ kind, retryable }) {
          imapErrors.inc({ kind, retryable });
        },
        finished(report) {
          if (report.messages.copied > 0 && report.seconds > 0) copyRate.observe(report.messages.copied / report.seconds);
        },
      },
      pipeline: {
        stepEnded({ step, status, seconds }) {
          stepDuration.observe({ step, status }, Math.max(0, seconds));
        },
        stepRetry({ step }) {
          stepRetries.inc({ step });
        },
      },
    },
    watchQueue(source) {
      censuses.push(source);
    },
    watchWorker(worker) {
      workers.push(worker);
    },
  };
}
