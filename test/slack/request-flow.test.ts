import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, buttonValue } from '../../src/slack/ids.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { optionsRequest, viewAction, viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });

function formValues(input: { source?: string; destination?: string; temporaryName?: string; password?: string; options?: string[] }) {
  return {
    [BLOCK.source]: { [ACTION.source]: { type: 'external_select', selected_option: input.source ? { value: input.source, text: { type: 'plain_text', text: input.source } } : null } },
    [BLOCK.destination]: { [ACTION.destination]: { type: 'external_select', selected_option: input.destination ? { value: input.destination } : null } },
    [BLOCK.temporaryName]: { [ACTION.temporaryName]: { type: 'plain_text_input', value: input.temporaryName ?? null } },
    [BLOCK.options]: { [ACTION.options]: { type: 'checkboxes', selected_options: (input.options ?? []).map((value) => ({ value })) } },
    [BLOCK.password]: { [ACTION.password]: { type: 'plain_text_input', value: input.password ?? null } },
  };
}

describe('request flow: command, modal, options, submission', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it('opens the modal at once on /migrate-mailbox, before any call to the pipeline', async () => {
    const res = await h.command('');
    expect(res.status).toBe(200);
    const opens = h.fake.callsOf('views.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]!.response.ok).toBe(true);
    expect(opens[0]!.params.trigger_id).toMatch(/trigger/);
    const view = opens[0]!.params.view;
    expect(view.callback_id).toBe(CALLBACK.request);
    expect(JSON.parse(view.private_metadata)).toEqual({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
    const blockIds = view.blocks.map((b: { block_id?: string }) => b.block_id);
    expect(blockIds).toEqual(expect.arrayContaining([BLOCK.source, BLOCK.destination, BLOCK.temporaryName, BLOCK.options, BLOCK.password]));
    expect(view.blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.source).element.type).toBe('external_select');
    expect(h.service.calls).toEqual([]);
  });

  it('`ADDRESS to SERVICE` opens the modal pre-filled, then adds the plan and the temporary name', async () => {
    await h.command('<mailto:john.smith@mydomain.ovh|john.smith@mydomain.ovh> to emailpro-ab12345-1');
    const open = h.fake.callsOf('views.open')[0]!;
    const blocks = open.params.view.blocks;
    expect(blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.source).element.initial_option.value).toBe('john.smith@mydomain.ovh');
    expect(blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.destination).element.initial_option.value).toBe('emailpro-ab12345-1');
    // views.open happened before preflight
    const openIndex = h.fake.calls.indexOf(open);
    expect(openIndex).toBeGreaterThanOrEqual(0);
    const update = h.fake.callsOf('views.update')[0]!;
    expect(update.response.ok).toBe(true);
    expect(update.params.view_id).toBe((open.response.view as { id: string }).id);
    const temp = update.params.view.blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.temporaryName);
    expect(temp.element.initial_value).toBe('john.smith01@mydomain.ovh');
    expect(JSON.stringify(update.params.view.blocks)).toContain('Calendars and contacts');
  });

  it('posts the request in SLACK_REQUESTS_CHANNEL when configured', async () => {
    await h.close();
    h = await startHarness({ env: { SLACK_REQUESTS_CHANNEL: 'C-APPROVALS' } });
    await h.command('', { channel: 'C-ELSEWHERE' });
    const meta = JSON.parse(h.fake.callsOf('views.open')[0]!.params.view.private_metadata);
    expect(meta).toEqual({ channel: 'C-APPROVALS', commandChannel: 'C-ELSEWHERE' });
  });

  it('answers the source type-ahead with options from searchSourceAccounts', async () => {
    const res = await h.interact(optionsRequest({ actionId: ACTION.source, value: 'john' }));
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body.options).toHaveLength(1);
    expect(body.options[0].value).toBe('john.smith@mydomain.ovh');
    expect(body.options[0].description.text).toContain('Hosted Exchange');
    expect(h.service.callsOf('searchSourceAccounts')[0]).toEqual(['john', 100]);
  });

  it('caps type-ahead options at 100 with a visible "… N more"', async () => {
    h.service.accounts = Array.from({ length: 250 }, (_, i) => ({ address: `user${i}@mydomain.ovh`, platform: 'emailpro' as const, service: 'emailpro-1' }));
    // the service itself honours the limit it is given; give it more to show the guard
    h.service.searchSourceAccounts = async () => h.service.accounts;
    const body = await (await h.interact(optionsRequest({ actionId: ACTION.source, value: 'user' }))).json();
    expect(body.options).toHaveLength(100);
    expect(body.options[99].text.text).toMatch(/… 151 more/);
  });

  it('lists destination services for the destination select, filtered by what is typed', async () => {
    const body = await (await h.interact(optionsRequest({ actionId: ACTION.destination, value: 'mx', blockId: BLOCK.destination }))).json();
    expect(body.options.map((o: { value: string }) => o.value)).toEqual(['mxplan-ab12345-2']);
  });

  it('choosing source and destination in the modal shows the plan and pre-fills the temporary name', async () => {
    const chosen = formValues({ source: 'john.smith@mydomain.ovh', destination: 'emailpro-ab12345-1', options: ['dry_run'] });
    await h.interact(viewAction({ actionId: ACTION.destination, blockId: BLOCK.destination, selected: 'emailpro-ab12345-1', values: chosen, privateMetadata: META, viewId: 'V7', hash: 'h-7' }));
    const update = h.fake.callsOf('views.update')[0]!;
    expect(update.params).toMatchObject({ view_id: 'V7', hash: 'h-7' });
    const blocks = update.params.view.blocks;
    expect(blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.temporaryName).element.initial_value).toBe('john.smith01@mydomain.ovh');
    expect(blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.options).element.initial_options.map((o: { value: string }) => o.value)).toEqual(['dry_run']);
    expect(JSON.stringify(blocks)).toContain('size 1.15 GiB');

    // only one chosen, or a name already typed: nothing to do
    await h.interact(viewAction({ actionId: ACTION.source, blockId: BLOCK.source, selected: 'john.smith@mydomain.ovh', values: formValues({ source: 'john.smith@mydomain.ovh' }), privateMetadata: META }));
    await h.interact(viewAction({ actionId: ACTION.source, blockId: BLOCK.source, selected: 'john.smith@mydomain.ovh', values: formValues({ source: 'john.smith@mydomain.ovh', destination: 'emailpro-ab12345-1', temporaryName: 'mine' }), privateMetadata: META }));
    expect(h.fake.callsOf('views.update')).toHaveLength(1);
    expect(h.service.callsOf('preflight')).toHaveLength(1);
  });

  it('shows zod problems inline without calling the pipeline', async () => {
    const res = await h.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values: formValues({ temporaryName: 'has space' }) }));
    const body = await res.json();
    expect(body.response_action).toBe('errors');
    expect(Object.keys(body.errors).sort()).toEqual([BLOCK.destination, BLOCK.source, BLOCK.temporaryName].sort());
    expect(h.service.callsOf('preflight')).toHaveLength(0);
  });

  it('shows preflight problems inline, keyed by block id, and posts nothing', async () => {
    h.service.problemsFor = () => [
      { field: 'source', message: 'The mailbox is 12 GB: E-mail Pro accepts 10 GB at most.' },
      { field: 'temporaryName', message: 'john.smith01@mydomain.ovh already exists.' },
      { field: 'general', message: 'The domain is not attached yet.' },
    ];
    const res = await h.interact(
      viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values: formValues({ source: 'john.smith@mydomain.ovh', destination: 'emailpro-ab12345-1' }) }),
    );
    const body = await res.json();
    expect(body).toEqual({
      response_action: 'errors',
      errors: {
        [BLOCK.source]: 'The mailbox is 12 GB: E-mail Pro accepts 10 GB at most. · The domain is not attached yet.',
        [BLOCK.temporaryName]: 'john.smith01@mydomain.ovh already exists.',
      },
    });
    expect(h.service.callsOf('submit')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('submits and posts the request with the plan and Approve/Reject buttons, thread origin included', async () => {
    const res = await h.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: META,
        values: formValues({ source: 'john.smith@mydomain.ovh', destination: 'emailpro-ab12345-1', options: ['reset_source'], password: 'Chosen-Passw0rd' }),
      }),
    );
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const [request] = h.service.callsOf('submit')[0] as [Record<string, unknown>];
    expect(request).toMatchObject({
      sourceAddress: 'john.smith@mydomain.ovh',
      destinationService: 'emailpro-ab12345-1',
      destinationPassword: 'Chosen-Passw0rd',
      dryRun: false,
      resetSourceAfter: true,
      requester: { kind: 'slack', id: 'U-REQUESTER' },
    });
    const posted = h.fake.callsOf('chat.postMessage')[0]!;
    expect(request.origin).toEqual({ channel: 'C-REQUESTS', threadTs: posted.response.ts });
    const message = h.fake.message('C-REQUESTS', posted.response.ts as string)!;
    const text = JSON.stringify(message.blocks);
    expect(text).toContain('john.smith01@mydomain.ovh');
    expect(text).toContain('Calendars and contacts');
    expect(text).toContain('full access on john.smith@mydomain.ovh for jane@mydomain.ovh — waits for jane@mydomain.ovh');
    expect(text).not.toContain('Chosen-Passw0rd');
    const buttons = message.blocks!.find((b) => b.type === 'actions').elements;
    expect(buttons.map((b: { action_id: string }) => b.action_id)).toEqual([ACTION.approve, ACTION.reject]);
    const nonce = h.service.jobs.get('job-1')!.status.nonce;
    expect(buttons.every((b: { value: string; confirm?: unknown }) => b.value === buttonValue('job-1', nonce) && b.confirm)).toBe(true);
  });

  it('falls back to a "checking" view when preflight is slower than Slack waits, then shows the outcome', async () => {
    await h.close();
    h = await startHarness({ ackBudgetMs: 100 });
    h.service.preflightDelayMs = 300;
    h.service.problemsFor = () => [{ field: 'source', message: 'Too big.' }];
    const res = await h.interact(
      viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values: formValues({ source: 'john.smith@mydomain.ovh', destination: 'emailpro-ab12345-1' }) }),
    );
    const body = await res.json();
    expect(body.response_action).toBe('update');
    const update = h.fake.callsOf('views.update')[0]!;
    expect(update.response.ok).toBe(true);
    expect(JSON.stringify(update.params.view.blocks)).toContain('Too big.');
    expect(h.service.callsOf('submit')).toHaveLength(0);
  });

  it('an expired trigger id: the user is told privately to run the command again', async () => {
    h.fake.failNext('views.open', 'expired_trigger_id');
    const res = await h.command('');
    expect(res.status).toBe(200);
    expect(h.fake.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral' });
    expect(h.fake.responses.at(-1)!.body.text).toMatch(/expired_trigger_id.*run the command again/);
  });

  it('/migrate-mailbox help answers privately; unknown text gets help too', async () => {
    const res = await h.command('help');
    const body = await res.json();
    expect(body.response_type).toBe('ephemeral');
    expect(JSON.stringify(body.blocks)).toContain('status');
    const unknown = await (await h.command('frobnicate')).json();
    expect(unknown.text).toContain('did not understand');
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
  });

  it('/migrate-mailbox status and cancel answer through response_url', async () => {
    await h.service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.command('status john.smith@mydomain.ovh');
    expect(h.service.callsOf('status').at(-1)).toEqual([{ address: 'john.smith@mydomain.ovh' }]);
    expect(JSON.stringify(h.fake.responses.at(-1)!.body)).toContain('job-1');
    await h.command('cancel job-1', { user: 'U-SOMEONE' });
    expect(h.service.callsOf('cancel')).toHaveLength(0);
    expect(h.fake.responses.at(-1)!.body.text).toMatch(/^Only approvers can cancel/);
    await h.command('cancel job-1', { user: 'U-APPROVER' });
    expect(h.service.callsOf('cancel')).toEqual([['job-1', { kind: 'slack', id: 'U-APPROVER' }]]);
  });
});

describe('long addresses and service names (option values over 75 characters)', () => {
  const LONG = `${'a-very-long-mailbox-name-for-the-board-of-directors'.padEnd(67, 'x')}@mydomain.ovh`; // 80 characters
  const LONG_SERVICE = `emailpro-${'z'.repeat(71)}`;
  let a: Harness;
  let b: Harness;
  beforeEach(async () => {
    a = await startHarness();
    // a second bot process on the same pipeline: what one answered, the other resolves
    b = await startHarness({ service: a.service });
    a.service.accounts.push({ address: LONG, platform: 'emailpro', service: 'emailpro-1' });
    a.service.services.push({ platform: 'emailpro', name: LONG_SERVICE, label: `E-mail Pro ${LONG_SERVICE}` });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  it('an 80-character address and a long service name can still be picked, previewed and submitted, by any bot', async () => {
    expect(LONG.length).toBe(80);
    expect(LONG_SERVICE.length).toBe(80);
    const sources = (await (await a.interact(optionsRequest({ actionId: ACTION.source, value: 'board-of' }))).json()).options;
    expect(sources).toHaveLength(1);
    const key = sources[0].value as string;
    expect(key.length).toBeLessThanOrEqual(75);
    expect(sources[0].text.text.length).toBeLessThanOrEqual(75);
    expect(sources[0].text.text).toMatch(/^a-very-long.*….*@mydomain\.ovh$/);
    const destinations = (await (await a.interact(optionsRequest({ actionId: ACTION.destination, value: 'zzzz', blockId: BLOCK.destination }))).json()).options;
    expect(destinations).toHaveLength(1);
    const serviceKey = destinations[0].value as string;
    expect(serviceKey.length).toBeLessThanOrEqual(75);

    // chosen in the modal, handled by the other bot: the plan of the real address
    const values = formValues({ source: key, destination: serviceKey });
    await b.interact(viewAction({ actionId: ACTION.destination, blockId: BLOCK.destination, selected: serviceKey, values, privateMetadata: META, viewId: 'V9' }));
    const [preview] = a.service.callsOf('preflight').at(-1) as [{ sourceAddress: string; destinationService: string }];
    expect(preview).toMatchObject({ sourceAddress: LONG, destinationService: LONG_SERVICE });
    const update = b.fake.callsOf('views.update')[0]!;
    expect(update.response.ok).toBe(true);
    const blocks = update.params.view.blocks;
    expect(blocks.find((x: { block_id?: string }) => x.block_id === BLOCK.source).element.initial_option.value).toBe(key);
    expect(blocks.find((x: { block_id?: string }) => x.block_id === BLOCK.destination).element.initial_option.value).toBe(serviceKey);

    // submitted to the other bot again
    const res = await b.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values }));
    expect(await res.text()).toBe('');
    const [submitted] = a.service.callsOf('submit').at(-1) as [{ sourceAddress: string; destinationService: string }];
    expect(submitted).toMatchObject({ sourceAddress: LONG, destinationService: LONG_SERVICE });
  });

  it('a key that matches nothing (the mailbox is gone) is refused inline, nothing submitted', async () => {
    const key = (await (await a.interact(optionsRequest({ actionId: ACTION.source, value: 'board-of' }))).json()).options[0].value as string;
    a.service.accounts = a.service.accounts.filter((x) => x.address !== LONG);
    const res = await b.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values: formValues({ source: key, destination: 'emailpro-ab12345-1' }) }));
    const body = await res.json();
    expect(body).toEqual({ response_action: 'errors', errors: { [BLOCK.source]: 'This choice could not be found again: pick it once more from the list.' } });
    expect(a.service.callsOf('submit')).toHaveLength(0);
  });

  it('`ADDRESS to SERVICE` with a long address opens the modal with it pre-selected', async () => {
    await a.command(`${LONG} to emailpro-ab12345-1`);
    const open = a.fake.callsOf('views.open')[0]!;
    expect(open.response.ok).toBe(true);
    const initial = open.params.view.blocks.find((x: { block_id?: string }) => x.block_id === BLOCK.source).element.initial_option;
    expect(initial.value.length).toBeLessThanOrEqual(75);
    expect(a.fake.callsOf('views.update')[0]!.response.ok).toBe(true);
  });
});
