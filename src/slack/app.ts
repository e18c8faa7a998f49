import { App, LogLevel, webApi, type AppOptions, type Receiver } from '@slack/bolt';
import { ConfigError, type Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { MigrationService } from '../pipeline/migration-service.js';
import { AccessPolicy } from './approvers.js';
import { boltLogger } from './bolt-logger.js';
import type { SlackDeps } from './deps.js';
import { errorText } from './deps.js';
import { registerListeners } from './listeners/index.js';
import { dedupeDeliveries } from './middleware/dedupe.js';
import { ThreadNotifier } from './notifier/thread-notifier.js';
import { ThreadRegistry } from './registry.js';
import { HomeTab } from './home-tab.js';

export interface BuildAppDeps {
  config: Config;
  service: MigrationService;
  logger: Logger;
  /** A receiver built by the caller (tests: an HTTPReceiver with `processBeforeResponse`). */
  receiver?: Receiver;
  /** Extra App options (tests: `botId`/`botUserId`, `clientOptions.retryConfig`). */
  appOptions?: Partial<AppOptions>;
  /** Minimum time between two edits of a live message; 3 s by default. */
  progressIntervalMs?: number;
  /** Time allowed before answering Slack; 2.5 s by default (Slack waits 3 s). */
  ackBudgetMs?: number;
  /** How often changed migrations are reconciled with their threads whatever events arrived; 5 s by default. */
  reconcileIntervalMs?: number;
  /** At most one Home tab publish per user this often; 5 s by default. */
  homeIntervalMs?: number;
  /** How long after a user's last visit their Home tab is kept current; 2 h by default. */
  homeWatchMs?: number;
}

export interface SlackApp {
  app: App;
  notifier: ThreadNotifier;
  /** Users' Home tabs; stop it with the app. */
  home: HomeTab;
  deps: SlackDeps;
}

/**
 * The Bolt app with every listener registered and its thread notifier built (not yet subscribed: call
 * `notifier.start()`). No network activity happens here except Bolt's own `auth.test` when no bot id is given.
 */
export function buildApp(input: BuildAppDeps): SlackApp {
  const { config, logger } = input;
  const socket = !input.receiver && config.SLACK_MODE === 'socket';
  const missing = [
    ...(config.SLACK_BOT_TOKEN ? [] : ['SLACK_BOT_TOKEN: required for the Slack app (xoxb-…, "OAuth & Permissions" page)']),
    ...(!input.receiver && !socket && !config.SLACK_SIGNING_SECRET ? ['SLACK_SIGNING_SECRET: required in HTTP mode ("Basic Information" page)'] : []),
    ...(socket && !config.SLACK_APP_TOKEN ? ['SLACK_APP_TOKEN: required in Socket Mode (xapp-… with connections:write), or set SLACK_MODE=http'] : []),
  ];
  if (missing.length > 0) throw new ConfigError(missing);

  const log = boltLogger(logger);
  const clientOptions = {
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL.endsWith('/') ? config.SLACK_API_URL : `${config.SLACK_API_URL}/` } : {}),
    ...input.appOptions?.clientOptions,
  };
  const options: AppOptions = {
    token: config.SLACK_BOT_TOKEN!,
    logger: log,
    logLevel: LogLevel.INFO,
    ...(input.receiver
      ? { receiver: input.receiver }
      : socket
        ? { socketMode: true, appToken: config.SLACK_APP_TOKEN! }
        : {
            signingSecret: config.SLACK_SIGNING_SECRET!,
            port: config.PORT,
            customRoutes: [
              {
                path: '/healthz',
                method: ['GET'],
                handler: (_req, res) => {
                  res.writeHead(200, { 'content-type': 'text/plain' });
                  res.end('ok');
                },
              },
            ],
          }),
    ...input.appOptions,
    clientOptions,
  };
  const app = new App(options);

  const registry = new ThreadRegistry();
  const approvers = new AccessPolicy({
    approvers: config.APPROVERS,
    requesters: config.REQUESTERS,
    allowSelfApproval: config.ALLOW_SELF_APPROVAL,
    client: app.client,
    logger,
  });
  // A client of its own for the Home tab, which throws on 429 instead of pausing every call: the Home tab then
  // waits out Retry-After by itself while thread posts go on.
  const homeClient = new webApi.WebClient(config.SLACK_BOT_TOKEN!, { ...clientOptions, logger: log, rejectRateLimitedCalls: true });
  const home = new HomeTab({
    client: homeClient,
    service: input.service,
    access: approvers,
    logger: logger.child({ component: 'slack-home' }),
    allowSelfApproval: config.ALLOW_SELF_APPROVAL,
    ...(input.homeIntervalMs !== undefined ? { minIntervalMs: input.homeIntervalMs } : {}),
    ...(input.homeWatchMs !== undefined ? { watchMs: input.homeWatchMs } : {}),
  });
  const deps: SlackDeps = {
    config,
    service: input.service,
    logger: logger.child({ component: 'slack' }),
    approvers,
    registry,
    ackBudgetMs: input.ackBudgetMs ?? 2500,
    home,
  };

  if (config.APPROVERS.length === 0) {
    deps.logger.warn('APPROVERS is empty: nobody can approve migration requests from Slack');
  }
  app.use(dedupeDeliveries());
  registerListeners(app, deps);
  app.error(async (error) => {
    deps.logger.error({ err: errorText(error) }, 'unhandled error in a Slack listener');
  });

  const notifier = new ThreadNotifier({
    client: app.client,
    service: input.service,
    logger: deps.logger,
    ...(input.progressIntervalMs !== undefined ? { progressIntervalMs: input.progressIntervalMs } : {}),
    ...(input.reconcileIntervalMs !== undefined ? { reconcileIntervalMs: input.reconcileIntervalMs } : {}),
  });
  return { app, notifier, home, deps };
}
