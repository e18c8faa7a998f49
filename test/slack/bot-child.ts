/**
 * A Slack bot process, a worker process, or both in one (`ROLE`), for the kill -9 tests of Slack threads: the real
 * Bolt app (HTTP receiver on a free port) with its Web API client pointed at the test's fake Slack API, its thread
 * notifier subscribed, and/or a migration worker, all on the test's Redis and OVH simulator (BOT_CHILD, JSON).
 * Prints "ready" once up. With HOLD_COPY, the worker's copier stops once messages are on the destination, prints
 * "holding", and goes on at SIGUSR2: a test can kill another process at that exact moment.
 */
import { HTTPReceiver, LogLevel } from '@slack/bolt';
import { configSchema } from '../../src/config/config.js';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import { createLogger } from '../../src/log/logger.js';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import type { Copier } from '../../src/pipeline/dependencies.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { buildApp } from '../../src/slack/app.js';
import { buildDeps, type ChildConfig } from '../pipeline/harness.js';

const config = JSON.parse(process.env.BOT_CHILD!) as ChildConfig & { connection: { host: string; port: number }; prefix: string; slackApiUrl: string };
const role = process.env.ROLE ?? 'bot+worker';
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const { deps } = buildDeps(config, logger);

let holding: Promise<void> | undefined;
const holdingCopier: Copier = (options) =>
  copyMailbox({
    ...options,
    progressIntervalMs: 0,
    onProgress: (progress) => {
      options.onProgress?.(progress);
      if (!holding && progress.phase === 'copying' && progress.messagesDone > 0) {
        holding = new Promise((resolve) => process.once('SIGUSR2', () => resolve()));
        process.stdout.write('holding\n');
      }
    },
  }).then(async (outcome) => {
    await holding;
    return outcome;
  });

if (role.includes('worker')) {
  await MigrationWorker.start({
    connection: config.connection,
    prefix: config.prefix,
    tuning: config.tuning,
    deps: process.env.HOLD_COPY ? { ...deps, copier: holdingCopier } : deps,
    concurrency: 1,
  });
}
if (role.includes('bot')) {
  const service = new BullMigrationService({ connection: config.connection, prefix: config.prefix, tuning: config.tuning, directory: deps.directory, secrets: deps.secrets, logger });
  const slackConfig = configSchema.parse({
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    SLACK_MODE: 'http',
    SLACK_API_URL: config.slackApiUrl,
    APPROVERS: 'U-APPROVER',
  });
  const receiver = new HTTPReceiver({ signingSecret: 'test-signing-secret', processBeforeResponse: true, logLevel: LogLevel.ERROR });
  const { app, notifier } = buildApp({
    config: slackConfig,
    service,
    logger,
    receiver,
    appOptions: { botId: 'BBOT', botUserId: 'UBOT', clientOptions: { retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 10 } } },
    progressIntervalMs: 200,
    reconcileIntervalMs: 300,
  });
  notifier.start();
  await app.start(0);
}
process.stdout.write('ready\n');
