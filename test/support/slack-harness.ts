import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPReceiver, LogLevel } from '@slack/bolt';
import { pino, type Logger } from 'pino';
import { configSchema, type Config } from '../../src/config/config.js';
import type { MigrationService } from '../../src/pipeline/migration-service.js';
import { buildApp, type SlackApp } from '../../src/slack/app.js';
import { startFakeSlackApi, type FakeSlackApi } from './fake-slack-api.js';
import { MemoryMigrationService } from './slack-memory-service.js';
import { interactionBody, commandBody, eventBody, signedPost, slashCommand, type SignOptions } from './slack-request.js';

export const SECRET = 'test-signing-secret';
export const TOKEN = 'xoxb-test-token';

export interface Harness<S extends MigrationService = MemoryMigrationService> {
  base: string;
  fake: FakeSlackApi;
  service: S;
  slack: SlackApp;
  config: Config;
  command(text: string, options?: { user?: string; channel?: string }): Promise<Response>;
  interact(payload: unknown, options?: SignOptions): Promise<Response>;
  /** An Events API delivery of `event` (e.g. appHomeOpened(...)). */
  event(event: Record<string, unknown>): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The real Bolt app (HTTP receiver on an ephemeral port, `processBeforeResponse` so a reply means the listener
 * finished), its Web API client pointed at the fake Slack API, and a MigrationService.
 */
export async function startHarness<S extends MigrationService = MemoryMigrationService>(
  options: { env?: Record<string, string | undefined>; service?: S; progressIntervalMs?: number; ackBudgetMs?: number; logger?: Logger; homeIntervalMs?: number; homeWatchMs?: number } = {},
): Promise<Harness<S>> {
  const fake = await startFakeSlackApi({ token: TOKEN });
  const service = (options.service ?? new MemoryMigrationService()) as S;
  const config = configSchema.parse({
    SLACK_BOT_TOKEN: TOKEN,
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_MODE: 'http',
    SLACK_API_URL: fake.url,
    APPROVERS: 'U-APPROVER,S-ADMINS',
    // who may request: U-REQUESTER and the members of S-STAFF (and the approvers); `REQUESTERS: undefined` = approvers only
    REQUESTERS: 'U-REQUESTER,S-STAFF',
    ...options.env,
  });
  fake.userGroups.set('S-ADMINS', ['U-GROUP-APPROVER']);
  fake.userGroups.set('S-STAFF', ['U-STAFF']);
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const receiver = new HTTPReceiver({ signingSecret: SECRET, processBeforeResponse: true, logLevel: LogLevel.ERROR });
  const slack = buildApp({
    config,
    service,
    logger,
    receiver,
    appOptions: {
      botId: 'BBOT',
      botUserId: 'UBOT',
      clientOptions: { retryConfig: { retries: 3, minTimeout: 0, maxTimeout: 10 } },
    },
    progressIntervalMs: options.progressIntervalMs ?? 200,
    ...(options.ackBudgetMs !== undefined ? { ackBudgetMs: options.ackBudgetMs } : {}),
    homeIntervalMs: options.homeIntervalMs ?? 200,
    ...(options.homeWatchMs !== undefined ? { homeWatchMs: options.homeWatchMs } : {}),
  });
  slack.notifier.start();
  const server = (await slack.app.start(0)) as Server;
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    fake,
    service,
    slack,
    config,
    command: (text, o = {}) => signedPost(base, SECRET, commandBody(slashCommand({ text, ...o, responseUrl: fake.responseUrl('cmd') }))),
    interact: (payload, o) => signedPost(base, SECRET, interactionBody(payload), o),
    event: (event) => signedPost(base, SECRET, eventBody(event), { headers: { 'content-type': 'application/json' } }),
    async close() {
      slack.notifier.stop();
      slack.home.stop();
      await slack.app.stop();
      await fake.close();
    },
  };
}
