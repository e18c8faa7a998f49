import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { configSchema } from '../../src/config/config.js';
import { freePort } from '../../src/sandbox/free-port.js';
import { startSlackApp } from '../../src/slack/index.js';
import { buildApp } from '../../src/slack/app.js';
import { CALLBACK } from '../../src/slack/ids.js';
import { startFakeSlackApi, type FakeSlackApi } from '../support/fake-slack-api.js';
import { MemoryMigrationService } from '../support/slack-memory-service.js';
import { startFakeSocketMode, type FakeSocketMode } from '../support/slack-socket-mode.js';
import { commandBody, signedPost, slashCommand } from '../support/slack-request.js';

const logger = pino({ level: 'silent' });

async function waitFor<T>(check: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('startSlackApp', () => {
  let fake: FakeSlackApi;
  let socket: FakeSocketMode | undefined;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
    await socket?.close();
    socket = undefined;
    await fake?.close();
  });

  it('Socket Mode (the default): connects with the app token, receives a command and opens the modal', async () => {
    fake = await startFakeSlackApi({ token: 'xoxb-test-token' });
    socket = await startFakeSocketMode();
    fake.setSocketModeUrl(socket.url);
    const config = configSchema.parse({ SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_APP_TOKEN: 'xapp-1-test', SLACK_API_URL: fake.url, APPROVERS: 'U1', REQUESTERS: 'U-REQUESTER' });
    expect(config.SLACK_MODE).toBe('socket');
    const service = new MemoryMigrationService();
    stop = await startSlackApp(config, service, logger);
    await socket.connected;
    expect(fake.callsOf('apps.connections.open')[0]!.headers.authorization).toBe('Bearer xapp-1-test');

    const ack = await socket.deliver('slash_commands', slashCommand({ text: '', responseUrl: fake.responseUrl('s') }));
    expect(ack.envelope_id).toBeTruthy();
    const open = await waitFor(() => fake.callsOf('views.open')[0]);
    expect(open.params.view.callback_id).toBe(CALLBACK.request);

    // the notifier is subscribed: a step that a worker finished is told in the request's thread
    const posted = await fetch(`${fake.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test-token', 'content-type': 'application/json' },
      body: JSON.stringify({ channel: 'C9', text: 'request' }),
    }).then((r) => r.json() as Promise<{ ts: string }>);
    const submitted = await service.submit({
      sourceAddress: 'john.smith@mydomain.ovh',
      destinationService: 'emailpro-ab12345-1',
      requester: { kind: 'slack', id: 'U-REQUESTER' },
      origin: { channel: 'C9', threadTs: posted.ts },
    });
    if (!submitted.ok) throw new Error('not submitted');
    service.update(submitted.jobId, (status) => {
      status.state = 'running';
      status.steps.push({ name: 'dns', status: 'done', detail: 'records checked' });
    });
    await waitFor(() => fake.callsOf('chat.postMessage').find((c) => c.params.thread_ts === posted.ts));
  });

  it('HTTP mode: listens on PORT, serves /healthz, verifies signatures', async () => {
    fake = await startFakeSlackApi({ token: 'xoxb-test-token' });
    const port = await freePort();
    const config = configSchema.parse({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_MODE: 'http',
      PORT: String(port),
      SLACK_API_URL: fake.url,
      APPROVERS: 'U-REQUESTER',
    });
    stop = await startSlackApp(config, new MemoryMigrationService(), logger);
    const base = `http://127.0.0.1:${port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    const res = await signedPost(base, 'secret', commandBody(slashCommand({ text: '', responseUrl: fake.responseUrl('h') })));
    expect(res.status).toBe(200);
    await waitFor(() => fake.callsOf('views.open')[0]);
    const forged = await signedPost(base, 'other', commandBody(slashCommand({ text: '', responseUrl: fake.responseUrl('h') })));
    expect(forged.status).toBe(401);
  });

  it('refuses to start without the tokens its mode needs, naming the variable', () => {
    const service = new MemoryMigrationService();
    expect(() => buildApp({ config: configSchema.parse({ SLACK_BOT_TOKEN: 'xoxb-1' }), service, logger })).toThrow(/SLACK_APP_TOKEN/);
    expect(() => buildApp({ config: configSchema.parse({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_MODE: 'http' }), service, logger })).toThrow(/SLACK_SIGNING_SECRET/);
    expect(() => buildApp({ config: configSchema.parse({}), service, logger })).toThrow(/SLACK_BOT_TOKEN/);
  });
});
