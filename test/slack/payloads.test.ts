import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, buttonValue } from '../../src/slack/ids.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { buttonClick, commandBody, optionsRequest, signedPost, slashCommand, viewAction, viewSubmission } from '../support/slack-request.js';
import { SECRET } from '../support/slack-harness.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
const TYPED = 'Typed-Secret-Passw0rd';

/** Payloads of a shape the listeners do not expect: each must be answered, logged and do nothing else. */
describe('malformed Slack payloads', () => {
  let h: Harness;
  let lines: string[];
  beforeEach(async () => {
    lines = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    h = await startHarness({ logger: pino({ level: 'warn' }, sink) });
    await h.service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    // the notifier looks at the new job once; what follows must not call the service at all
    await h.slack.notifier.idle();
    h.service.calls.length = 0;
  });
  afterEach(async () => {
    await h.close();
  });

  function malformedLogs(): string[] {
    return lines.filter((l) => l.includes('malformed Slack payload ignored'));
  }

  /** The app still works afterwards: a well-formed click is handled. */
  async function stillWorks() {
    const before = h.service.calls.length;
    await h.interact(buttonClick({ actionId: ACTION.approve, value: buttonValue('job-1', 'nonce00000001'), user: 'U-APPROVER', channel: 'C-REQUESTS', message: { ts: '1.1' } }));
    expect(h.service.calls.length).toBeGreaterThan(before);
  }

  it('a click without a user id: acknowledged, logged, no service call', async () => {
    const payload = buttonClick({ actionId: ACTION.approve, value: buttonValue('job-1', 'nonce00000001'), user: 'U-APPROVER', channel: 'C-REQUESTS', message: { ts: '1.1' } });
    payload.user = { team_id: 'T1', username: 'ghost' };
    const res = await h.interact(payload);
    expect(res.status).toBe(200);
    expect(h.service.calls).toEqual([]);
    expect(h.fake.callsOf('chat.postEphemeral')).toHaveLength(0);
    expect(malformedLogs().some((l) => l.includes('user.id'))).toBe(true);
    await stillWorks();
  });

  it('a button value that is not a string: acknowledged, logged, no service call', async () => {
    for (const actionId of [ACTION.approve, ACTION.undo, ACTION.batchApprove, ACTION.showPassword]) {
      const payload = buttonClick({ actionId, value: 'x', user: 'U-APPROVER', channel: 'C-REQUESTS', message: { ts: '1.1' } });
      (payload.actions as { value: unknown }[])[0]!.value = 42;
      const res = await h.interact(payload);
      expect(res.status, actionId).toBe(200);
    }
    expect(h.service.calls).toEqual([]);
    expect(malformedLogs().filter((l) => l.includes('actions.0.value'))).toHaveLength(4);
  });

  it('a request submission whose state has the wrong shape: acknowledged, logged (without the typed password), nothing requested', async () => {
    const wrongShapes = [
      null,
      'values',
      { [BLOCK.source]: { [ACTION.source]: { selected_option: 'john.smith@mydomain.ovh' } }, [BLOCK.password]: { [ACTION.password]: { value: TYPED } } },
      { [BLOCK.source]: [{ value: 'john.smith@mydomain.ovh' }], [BLOCK.password]: { [ACTION.password]: { value: TYPED } } },
    ];
    for (const values of wrongShapes) {
      const res = await h.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values: values as never }));
      expect(res.status, JSON.stringify(values)).toBe(200);
      expect(await res.text()).toBe('');
    }
    const batch = await h.interact(viewSubmission({ callbackId: CALLBACK.batch, privateMetadata: META, values: { [BLOCK.csvFile]: { [ACTION.csvFile]: { files: 'F-1' } } } }));
    expect(batch.status).toBe(200);
    const ack = await h.interact(viewSubmission({ callbackId: CALLBACK.passwordAck, privateMetadata: '{"jobId":"job-1"}', values: null as never }));
    expect(ack.status).toBe(200);
    expect(h.service.calls).toEqual([]);
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(0);
    expect(malformedLogs().length).toBeGreaterThanOrEqual(6);
    expect(lines.join('\n')).not.toContain(TYPED);
  });

  it('a modal choice whose state has the wrong shape previews nothing', async () => {
    const values = {
      [BLOCK.source]: { [ACTION.source]: { selected_option: { value: 42 } } },
      [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: ['emailpro-ab12345-1'] } } },
    };
    const res = await h.interact(viewAction({ actionId: ACTION.source, blockId: BLOCK.source, selected: 'x', values: values as never, privateMetadata: META }));
    expect(res.status).toBe(200);
    expect(h.service.calls).toEqual([]);
    expect(malformedLogs()).toHaveLength(1);
  });

  it('an options request without a value: an empty list, no search', async () => {
    for (const [actionId, blockId] of [
      [ACTION.source, BLOCK.source],
      [ACTION.destination, BLOCK.destination],
    ] as const) {
      const payload = optionsRequest({ actionId, blockId, value: 'x' });
      delete payload.value;
      const res = await h.interact(payload);
      expect(await res.json()).toEqual({ options: [] });
    }
    expect(h.service.calls).toEqual([]);
    expect(malformedLogs()).toHaveLength(2);
  });

  it('a slash command without a user id opens nothing', async () => {
    const fields = slashCommand({ text: '', responseUrl: h.fake.responseUrl('c') });
    delete (fields as Partial<typeof fields>).user_id;
    const res = await signedPost(h.base, SECRET, commandBody(fields));
    expect(res.status).toBe(200);
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    expect(h.service.calls).toEqual([]);
    expect(malformedLogs()).toHaveLength(1);
  });
});
