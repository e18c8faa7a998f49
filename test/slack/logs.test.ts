import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { scrub } from '../../src/slack/bolt-logger.js';
import { handoverMessage } from '../../src/slack/blocks/password.js';
import { startSlackApp } from '../../src/slack/index.js';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { startFakeSlackApi, type FakeSlackApi } from '../support/fake-slack-api.js';
import { MemoryMigrationService } from '../support/slack-memory-service.js';
import { startFakeSocketMode, type FakeSocketMode } from '../support/slack-socket-mode.js';
import { buttonClick, buttonIn, viewSubmission } from '../support/slack-request.js';

const TYPED = 'Typed-In-The-Modal-Pw1!';
const GENERATED = 'Gen3rated-Passw0rd!';

async function waitFor<T>(check: () => T | undefined, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Slack debug logs never hold a password or a token', () => {
  let fake: FakeSlackApi | undefined;
  let socket: FakeSocketMode | undefined;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    await socket?.close();
    await fake?.close();
    stop = undefined;
    socket = undefined;
    fake = undefined;
  });

  it('Socket Mode at LOG_LEVEL=debug: a modal submitted with a password, and the password modal opened', async () => {
    fake = await startFakeSlackApi({ token: 'xoxb-test-token' });
    socket = await startFakeSocketMode();
    fake.setSocketModeUrl(socket.url);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const logger = createLogger('debug', sink);
    const config = configSchema.parse({
      SLACK_BOT_TOKEN: 'xoxb-test-token',
      SLACK_APP_TOKEN: 'xapp-1-test-app-token',
      SLACK_API_URL: fake.url,
      APPROVERS: 'U-APPROVER',
      REQUESTERS: 'U-REQUESTER',
      LOG_LEVEL: 'debug',
    });
    const service = new MemoryMigrationService();
    stop = await startSlackApp(config, service, logger);
    await socket.connected;

    // a request typed with the destination password
    await socket.deliver(
      'interactive',
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' }),
        values: {
          [BLOCK.source]: { [ACTION.source]: { type: 'external_select', selected_option: { value: 'john.smith@mydomain.ovh' } } },
          [BLOCK.destination]: { [ACTION.destination]: { type: 'external_select', selected_option: { value: 'emailpro-ab12345-1' } } },
          [BLOCK.password]: { [ACTION.password]: { type: 'plain_text_input', value: TYPED } },
        },
      }),
    );
    await waitFor(() => fake!.callsOf('chat.update').find((c) => JSON.stringify(c.params.blocks).includes(ACTION.approve)), 'the request message');
    expect((service.callsOf('submit')[0]![0] as { destinationPassword: string }).destinationPassword).toBe(TYPED);

    // the password shown to its recipient (a generated one this time)
    const second = await service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    if (!second.ok) throw new Error('not submitted');
    service.jobs.get(second.jobId)!.status.handover.state = 'ready';
    const message = handoverMessage({ jobId: second.jobId, nonce: second.nonce, address: 'jane.doe@mydomain.ovh', handover: service.jobs.get(second.jobId)!.status.handover });
    await socket.deliver(
      'interactive',
      buttonClick({ actionId: ACTION.showPassword, value: buttonIn(message.blocks, ACTION.showPassword)!.value, user: 'U-REQUESTER', channel: 'C-REQUESTS', message: { ts: '1.1', ...message } }),
    );
    const opened = await waitFor(() => fake!.callsOf('views.open')[0], 'the password modal');
    expect(JSON.stringify(opened.params.view)).toContain(GENERATED);
    await stop();
    stop = undefined;

    // the debug lines were written (so the test looked at the right thing), and hold neither secret nor token
    const all = lines.join('\n');
    expect(all).toContain('Received a message on the WebSocket: [payload omitted]');
    expect(all).toContain('http request body: [payload omitted]');
    expect(all).not.toContain(TYPED);
    expect(all).not.toContain(GENERATED);
    expect(all).not.toContain('xapp-1-test-app-token');
    expect(all).not.toContain('xoxb-test-token');
  });

  it('scrub: payload lines keep their first words; tokens and password inputs elsewhere are masked', () => {
    expect(scrub('http request body: {"text":"hello"}')).toBe('http request body: [payload omitted]');
    expect(scrub('Calling ack() - type: interactive, envelope_id: 1-2-3, data: {"response_action":"errors"}')).toBe(
      'Calling ack() - type: interactive, envelope_id: 1-2-3: [payload omitted]',
    );
    expect(scrub('ack() response sent (body: {"x":1})')).toBe('ack() response sent: [payload omitted]');
    expect(scrub('{"type":"view_submission"}')).toBe('[payload omitted]');
    expect(scrub('failed with xoxb-123-456-abc and xapp-1-A1-2-abc')).toBe('failed with [token] and [token]');
    expect(scrub('oops {"password_input":{"type":"plain_text_input","value":"S3cret"}}')).toBe(
      'oops {"password_input":{"type":"plain_text_input","value":"[redacted]"}}',
    );
  });
});
