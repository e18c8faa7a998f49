import { afterEach, describe, expect, it } from 'vitest';
import { handoverMessage } from '../../src/slack/blocks/password.js';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn, viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
/** Everything a password could hold that Slack would otherwise format: emoji codes, mrkdwn, mentions. */
const PASSWORD = ':smile:*Bold*_x_<!channel>&`~';

function requestValues(password?: string) {
  return {
    [BLOCK.source]: { [ACTION.source]: { selected_option: { value: 'john.smith@mydomain.ovh' } } },
    [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'emailpro-ab12345-1' } } },
    [BLOCK.password]: { [ACTION.password]: { value: password ?? null } },
  };
}

async function submitRequest(h: Harness, password?: string) {
  const posts = h.fake.callsOf('chat.postMessage').length;
  await h.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values: requestValues(password) }));
  const ts = h.fake.callsOf('chat.postMessage')[posts]!.response.ts as string;
  return { ts, message: structuredClone(h.fake.message('C-REQUESTS', ts)!) };
}

/** Every context/section text of a message, joined. */
function texts(blocks: unknown[] | undefined): string {
  return JSON.stringify(blocks ?? []);
}

describe('the request says who gets the destination password', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('HANDOVER_TO=requester: the requester, and that they typed it', async () => {
    h = await startHarness();
    const { message } = await submitRequest(h, 'Typed-Passw0rd!');
    expect(texts(message.blocks)).toContain(
      'The initial password of the new account goes to <@U-REQUESTER> (the requester); it was typed by <@U-REQUESTER> in the request.',
    );
    expect(texts(message.blocks)).not.toContain('Typed-Passw0rd!');
    const generated = await submitRequest(h);
    expect(texts(generated.message.blocks)).toContain("goes to <@U-REQUESTER> (the requester); it is generated to the service's password policy.");
  });

  it('HANDOVER_TO=approver: "the approver who approves", then the approver by name once approved', async () => {
    h = await startHarness({ env: { HANDOVER_TO: 'approver' } });
    h.service.handoverTo = 'approver';
    const { ts, message } = await submitRequest(h, 'Typed-Passw0rd!');
    expect(texts(message.blocks)).toContain(
      'goes to the approver who approves this request; it was typed by <@U-REQUESTER> in the request, so the requester knows it too.',
    );
    await h.interact(buttonClick({ actionId: ACTION.approve, value: buttonIn(message.blocks, ACTION.approve)!.value, user: 'U-APPROVER', channel: 'C-REQUESTS', message }));
    expect(texts(h.fake.message('C-REQUESTS', ts)!.blocks)).toContain('goes to <@U-APPROVER> (the approver who approved)');
  });
});

describe('password hand-over: Show password, a modal for its recipient only', () => {
  let h: Harness;
  let jobId: string;
  let nonce: string;

  async function setup(state: 'pending' | 'ready' = 'ready') {
    h = await startHarness();
    const submitted = await h.service.submit({
      sourceAddress: 'john.smith@mydomain.ovh',
      destinationService: 'emailpro-ab12345-1',
      destinationPassword: PASSWORD,
      requester: { kind: 'slack', id: 'U-REQUESTER' },
    });
    if (!submitted.ok) throw new Error('not submitted');
    ({ jobId, nonce } = submitted);
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'running';
    job.status.handover = { ...job.status.handover, state };
    const posted = await h.slack.app.client.chat.postMessage({
      channel: 'C-REQUESTS',
      ...handoverMessage({ jobId, nonce, address: 'john.smith@mydomain.ovh', handover: { ...job.status.handover, state: 'ready' } }),
    });
    return structuredClone(h.fake.message('C-REQUESTS', posted.ts!)!);
  }

  afterEach(async () => {
    await h.close();
  });

  function show(user: string, message: { ts: string; blocks?: unknown[] }) {
    return buttonClick({ actionId: ACTION.showPassword, value: buttonIn(message.blocks, ACTION.showPassword)!.value, user, channel: 'C-REQUESTS', message });
  }

  /** Nothing the bot sent anywhere but the modal holds the password. */
  function expectPasswordNowhereButTheModal() {
    for (const call of h.fake.calls) {
      if (call.method === 'views.open') continue;
      expect(JSON.stringify(call.params), call.method).not.toContain('Bold*_x_');
    }
    for (const response of h.fake.responses) expect(JSON.stringify(response.body)).not.toContain('Bold*_x_');
  }

  it('anyone else is told whom the password is for, and sees nothing', async () => {
    const message = await setup();
    await h.interact(show('U-APPROVER', message));
    expect(h.service.callsOf('revealDestinationPassword')).toHaveLength(0);
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params).toMatchObject({
      user: 'U-APPROVER',
      text: expect.stringMatching(/handed to <@U-REQUESTER> only: it cannot be shown to you/),
    });
    expectPasswordNowhereButTheModal();
  });

  it('the recipient gets a modal with the password as plain text, "I have stored it" and "Show again later"', async () => {
    const message = await setup();
    const click = show('U-REQUESTER', message);
    await h.interact(click);
    const [open] = h.fake.callsOf('views.open');
    expect(open!.response.ok).toBe(true);
    expect(open!.params.trigger_id).toBe(click.trigger_id);
    const view = open!.params.view;
    expect(view.callback_id).toBe(CALLBACK.passwordAck);
    expect(view.submit.text).toBe('I have stored it');
    expect(view.close.text).toBe('Show again later');
    expect(JSON.parse(view.private_metadata)).toEqual({ jobId, nonce });
    const shown = view.blocks.find((b: { block_id?: string }) => b.block_id === 'password');
    expect(shown.text).toEqual({ type: 'plain_text', text: PASSWORD, emoji: false });
    expect(h.service.callsOf('revealDestinationPassword')).toEqual([[jobId, { kind: 'slack', id: 'U-REQUESTER' }]]);
    expectPasswordNowhereButTheModal();
  });

  it('submitting the modal acknowledges the password; it cannot be shown again', async () => {
    const message = await setup();
    await h.interact(show('U-REQUESTER', message));
    const view = h.fake.callsOf('views.open')[0]!.params.view;
    const res = await h.interact(viewSubmission({ callbackId: CALLBACK.passwordAck, privateMetadata: view.private_metadata, user: 'U-REQUESTER', values: {} }));
    expect(await res.json()).toEqual({ response_action: 'clear' });
    expect(h.service.callsOf('acknowledgeDestinationPassword')).toEqual([[jobId, { kind: 'slack', id: 'U-REQUESTER' }]]);
    expect(h.service.jobs.get(jobId)!.status.handover.state).toBe('acknowledged');
    await h.interact(show('U-REQUESTER', message));
    expect(h.fake.callsOf('views.open')).toHaveLength(1);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/already confirmed storing .* cannot be shown again/);
  });

  it('an acknowledgement forged by someone else changes nothing', async () => {
    await setup();
    const res = await h.interact(
      viewSubmission({ callbackId: CALLBACK.passwordAck, privateMetadata: JSON.stringify({ jobId, nonce }), user: 'U-APPROVER', values: {} }),
    );
    const body = await res.json();
    expect(body.response_action).toBe('update');
    expect(JSON.stringify(body.view.blocks)).toContain('only the recipient can acknowledge it');
    expect(h.service.jobs.get(jobId)!.status.handover.state).toBe('ready');
  });

  it('before the account exists: "not ready yet", nothing revealed', async () => {
    const message = await setup('pending');
    await h.interact(show('U-REQUESTER', message));
    expect(h.service.callsOf('revealDestinationPassword')).toHaveLength(0);
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/not ready yet/);
  });

  it('a Show password button of an earlier request for the address reveals nothing', async () => {
    const message = await setup();
    h.service.jobs.get(jobId)!.status.nonce = 'nonceNEWER0000001';
    await h.interact(show('U-REQUESTER', message));
    expect(h.service.callsOf('revealDestinationPassword')).toHaveLength(0);
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/belongs to an earlier request/);
  });
});
