import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { MigrationService } from '../pipeline/migration-service.js';
import { buildApp } from './app.js';

export { buildApp } from './app.js';
export type { BuildAppDeps, SlackApp } from './app.js';

/**
 * Starts the bot: Socket Mode by default (no public URL needed), or an HTTP receiver on PORT when
 * SLACK_MODE=http. Subscribes the thread notifier to the pipeline's events. Returns a stop function that
 * unsubscribes, lets pending notifications finish (bounded) and closes the connection.
 */
export async function startSlackApp(config: Config, service: MigrationService, logger: Logger): Promise<() => Promise<void>> {
  const { app, notifier, home } = buildApp({ config, service, logger });
  notifier.start();
  if (config.SLACK_MODE === 'http') await app.start(config.PORT);
  else await app.start();
  logger.info({ mode: config.SLACK_MODE, ...(config.SLACK_MODE === 'http' ? { port: config.PORT } : {}) }, 'slack app started');
  let stopped = false;
  return async () => {
    if (stopped) return;
    stopped = true;
    notifier.stop();
    home.stop();
    await Promise.race([notifier.idle(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
    await app.stop();
  };
}
