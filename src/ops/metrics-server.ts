import { createServer, type Server } from 'node:http';
import type { ConnectionOptions } from 'bullmq';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { QueueCensusReader } from '../pipeline/queue-census.js';
import type { SecretBox } from '../pipeline/secret-box.js';
import { listening, type Listening } from './listening.js';
import { createMetrics, type Metrics } from './metrics.js';

/**
 * `/metrics` in Prometheus's text format, served over plain HTTP by `start` and `worker` on METRICS_PORT
 * (METRICS_HOST, loopback by default). Nothing else is served: any other path is 404, any method but GET and HEAD
 * 405. No authentication, as Prometheus expects of a scrape target: nothing in it names a mailbox or a service,
 * and it listens on loopback unless told otherwise.
 */

/** `url` is `http://HOST:PORT/metrics`. */
export type MetricsServer = Listening;

export interface MetricsServerOptions {
  metrics: Metrics;
  port: number;
  host: string;
  logger: Logger;
  /** Closed with the server (the queue census's connections). */
  onClose?: () => Promise<void>;
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = options.metrics;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').replace(/\?.*$/, '');
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET and HEAD\n');
      return;
    }
    registry.metrics().then(
      (text) => {
        res.writeHead(200, { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : text);
      },
      (error: unknown) => {
        options.logger.error({ err: error }, 'metrics: scrape failed');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('the metrics could not be collected; see the logs\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const endpoint = listening(server, options.host, '/metrics', async () => options.onClose?.());
  options.logger.info({ url: endpoint.url }, 'metrics listening');
  return endpoint;
}

/** The metrics of `start` and `worker`: undefined (nothing collected, nothing served) unless METRICS_PORT is set. */
export function metricsFromConfig(config: Config, logger: Logger): Metrics | undefined {
  if (config.METRICS_PORT === undefined) return undefined;
  return createMetrics({ logger: logger.child({ component: 'metrics' }) });
}

/**
 * Serves `metrics` (from metricsFromConfig) on METRICS_PORT and METRICS_HOST, reading the deployment's queue
 * (QUEUE_PREFIX on `connection`) at each scrape. Undefined when there are no metrics.
 */
export async function startMetricsFromConfig(
  config: Config,
  metrics: Metrics | undefined,
  queue: { connection: ConnectionOptions; secrets: SecretBox },
  logger: Logger,
): Promise<MetricsServer | undefined> {
  if (!metrics || config.METRICS_PORT === undefined) return undefined;
  const census = new QueueCensusReader({ connection: queue.connection, prefix: config.QUEUE_PREFIX }, queue.secrets);
  metrics.watchQueue(census);
  try {
    return await startMetricsServer({ metrics, port: config.METRICS_PORT, host: config.METRICS_HOST, logger: logger.child({ component: 'metrics' }), onClose: () => census.close() });
  } catch (error) {
    await census.close();
    throw error;
  }
}
