import { loadConfig, requireConfig } from '../../config/config.js';
import { createLogger } from '../../log/logger.js';
import { createRuntime } from '../../pipeline/runtime.js';
import { startDashboardFromConfig } from '../../ops/dashboard.js';
import { metricsFromConfig, startMetricsFromConfig } from '../../ops/metrics-server.js';
import { parseCommandArgs } from '../command-args.js';

export const summary = 'run a migration worker on REDIS_URL (start as many as you like, on any machine)';

const USAGE = `usage: migrate-mailbox worker [--concurrency N]

Takes migration jobs from the queue on REDIS_URL and runs them; a job left by a worker that died is taken
over and resumes from its checkpoint. Workers on several machines need the same REDIS_URL, QUEUE_PREFIX,
SECRETS_KEY and OVH_* settings. With DASHBOARD_PORT (and DASHBOARD_TOKEN) it also serves the queue
dashboard, with METRICS_PORT Prometheus metrics at /metrics. SIGINT/SIGTERM: finish the running steps'
current save point, then exit (jobs still running are resumed by another worker).

options:
  --concurrency N   mailboxes migrated at once by this process (default WORKER_CONCURRENCY)
  -h, --help        show this help
`;

/** Resolves on the first SIGINT or SIGTERM. */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('worker', USAGE, { args: argv, strict: true, options: { concurrency: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const config = requireConfig(loadConfig(), ['REDIS_URL'], 'by `worker`: the Redis shared with the bot and the other workers');
  const logger = createLogger(config.LOG_LEVEL);
  const concurrency = values.concurrency ? Number(values.concurrency) : config.WORKER_CONCURRENCY;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    process.stderr.write('migrate-mailbox worker: --concurrency must be a positive integer\n');
    return 2;
  }
  const metrics = metricsFromConfig(config, logger);
  const runtime = await createRuntime(config, logger, { embeddedRedis: false, ...(metrics ? { observers: metrics.observers } : {}) });
  let dashboard;
  let metricsServer;
  try {
    dashboard = await startDashboardFromConfig(config, runtime.connection, logger);
    metricsServer = await startMetricsFromConfig(config, metrics, runtime, logger);
  } catch (error) {
    await dashboard?.close().catch(() => undefined);
    await runtime.close({ force: true });
    throw error;
  }
  const worker = await runtime.startWorker(concurrency);
  metrics?.watchWorker(worker);
  logger.info({ concurrency, prefix: config.QUEUE_PREFIX }, 'worker started');
  const signal = await untilSignal();
  logger.info({ signal }, 'worker stopping');
  // A second signal while closing: leave at once (the jobs are resumed elsewhere from their checkpoints).
  const force = untilSignal().then(() => process.exit(130));
  void force;
  await dashboard?.close().catch((error: unknown) => logger.error({ err: error }, 'queue dashboard did not stop cleanly'));
  await metricsServer?.close().catch((error: unknown) => logger.error({ err: error }, 'metrics server did not stop cleanly'));
  await runtime.close({ force: true });
  // Sockets of jobs left running keep the loop alive: leave now; they resume elsewhere from their checkpoints.
  setTimeout(() => process.exit(0), 500).unref();
  return 0;
}
