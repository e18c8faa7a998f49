import { loadConfig, type Config } from '../../config/config.js';
import { createLogger, type Logger } from '../../log/logger.js';
import type { MigrationService } from '../../pipeline/migration-service.js';
import { createRuntime } from '../../pipeline/runtime.js';
import { startDashboardFromConfig, type Dashboard } from '../../ops/dashboard.js';
import { metricsFromConfig, startMetricsFromConfig, type MetricsServer } from '../../ops/metrics-server.js';
import { untilSignal } from './worker.js';
import { parseCommandArgs } from '../command-args.js';

export const summary = 'run the Slack bot and a migration worker in one process (embedded Redis without REDIS_URL)';

const USAGE = `usage: migrate-mailbox start [--no-worker]

Starts the Slack app (Socket Mode by default, SLACK_MODE=http for the HTTP receiver on PORT) and a migration
worker. Without REDIS_URL a private redis-server runs under DATA_DIR (the embedded default) and stops with the
process. Scale out with \`migrate-mailbox worker\` processes on the same REDIS_URL. With DASHBOARD_PORT (and
DASHBOARD_TOKEN) it also serves the queue dashboard; with METRICS_PORT, Prometheus metrics at /metrics.

options:
  --no-worker   run only the bot (workers run elsewhere)
  -h, --help    show this help
`;

type StartSlackApp = (config: Config, service: MigrationService, logger: Logger) => Promise<() => Promise<void>>;

/** The seam with the Slack layer: `startSlackApp` from src/slack/index.ts, when that module is built. */
async function loadSlack(): Promise<StartSlackApp | undefined> {
  try {
    const module = (await import('../../slack/index.js')) as { startSlackApp?: StartSlackApp };
    return module.startSlackApp;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('slack/index')) return undefined;
    throw error;
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('start', USAGE, { args: argv, strict: true, options: { 'no-worker': { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } } });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const startSlackApp = await loadSlack();
  if (!startSlackApp) {
    process.stderr.write('migrate-mailbox start: the Slack app is not part of this build (src/slack/index.ts)\n');
    return 2;
  }
  const metrics = metricsFromConfig(config, logger);
  const runtime = await createRuntime(config, logger, { embeddedRedis: true, ...(metrics ? { observers: metrics.observers } : {}) });
  let stopSlack: (() => Promise<void>) | undefined;
  let dashboard: Dashboard | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
    dashboard = await startDashboardFromConfig(config, runtime.connection, logger);
    metricsServer = await startMetricsFromConfig(config, metrics, runtime, logger);
    if (!values['no-worker']) {
      const worker = await runtime.startWorker();
      metrics?.watchWorker(worker);
    }
    stopSlack = await startSlackApp(config, runtime.service, logger);
    logger.info({ worker: !values['no-worker'], redis: config.REDIS_URL ? 'shared' : 'embedded' }, 'bot started');
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping');
    void untilSignal().then(() => process.exit(130));
    return 0;
  } finally {
    await stopSlack?.().catch((error) => logger.error({ err: error }, 'slack app did not stop cleanly'));
    await dashboard?.close().catch((error) => logger.error({ err: error }, 'queue dashboard did not stop cleanly'));
    await metricsServer?.close().catch((error) => logger.error({ err: error }, 'metrics server did not stop cleanly'));
    await runtime.close({ force: true });
    setTimeout(() => process.exit(process.exitCode ?? 0), 500).unref();
  }
}
