import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { optionsRequest, viewAction, viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
const REFUSAL = 'You are not allowed to request migrations; ask one of <@U-APPROVER>, <!subteam^S-ADMINS>.';

function requestValues(source = 'john.smith@mydomain.ovh') {
  return {
    [BLOCK.source]: { [ACTION.source]: { selected_option: { value: source } } },
    [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'emailpro-ab12345-1' } } },
    [BLOCK.password]: { [ACTION.password]: { value: 'Typed-Passw0rd!' } },
  };
}

/** Pipeline calls that read or change something (status and the like excluded). */
function pipelineWork(h: Harness) {
  return h.service.calls.filter((c) => ['preflight', 'submit', 'submitBatch', 'searchSourceAccounts', 'listDestinationServices'].includes(c.method));
}

describe('REQUESTERS: who may request migrations', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('anyone else typing /migrate-mailbox gets a private refusal naming the approvers, and no modal', async () => {
    h = await startHarness();
    for (const text of ['', 'john.smith@mydomain.ovh to emailpro-ab12345-1', 'john.smith@mydomain.ovh', 'batch']) {
      const res = await h.command(text, { user: 'U-OUTSIDER' });
      expect(res.status).toBe(200);
      expect(await res.json(), text).toEqual({ response_type: 'ephemeral', text: REFUSAL });
    }
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    expect(pipelineWork(h)).toEqual([]);
    // help is for everyone
    expect((await (await h.command('help', { user: 'U-OUTSIDER' })).json()).response_type).toBe('ephemeral');
  });

  it('requesters (users and user-group members) and approvers get the modal', async () => {
    h = await startHarness();
    for (const user of ['U-REQUESTER', 'U-STAFF', 'U-APPROVER', 'U-GROUP-APPROVER']) await h.command('', { user });
    expect(h.fake.callsOf('views.open')).toHaveLength(4);
  });

  it('REQUESTERS unset: the approvers only', async () => {
    h = await startHarness({ env: { REQUESTERS: undefined } });
    expect((await (await h.command('', { user: 'U-REQUESTER' })).json()).text).toBe(REFUSAL);
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    await h.command('', { user: 'U-GROUP-APPROVER' });
    expect(h.fake.callsOf('views.open')).toHaveLength(1);
  });

  it('the type-ahead answers an empty list to anyone else, without searching', async () => {
    h = await startHarness();
    for (const [actionId, blockId] of [
      [ACTION.source, BLOCK.source],
      [ACTION.destination, BLOCK.destination],
    ] as const) {
      const res = await h.interact(optionsRequest({ actionId, blockId, value: 'john', user: 'U-OUTSIDER' }));
      expect(await res.json()).toEqual({ options: [] });
    }
    expect(pipelineWork(h)).toEqual([]);
    // a requester gets options
    const ok = await (await h.interact(optionsRequest({ actionId: ACTION.source, value: 'john', user: 'U-STAFF' }))).json();
    expect(ok.options).toHaveLength(1);
  });

  it('a forged request submission from anyone else creates no job and says why', async () => {
    h = await startHarness();
    const res = await h.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, user: 'U-OUTSIDER', values: requestValues() }));
    const body = await res.json();
    expect(body.response_action).toBe('update');
    expect(JSON.stringify(body.view.blocks)).toContain(REFUSAL.replace(/\.$/, ''));
    expect(pipelineWork(h)).toEqual([]);
    expect(h.service.jobs.size).toBe(0);
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(0);
  });

  it('a forged batch submission from anyone else downloads nothing and starts nothing', async () => {
    h = await startHarness();
    h.fake.addFile({ id: 'F-OK', name: 'batch.csv', content: 'source,destination_service\njohn.smith@mydomain.ovh,emailpro-ab12345-1\n' });
    const res = await h.interact(
      viewSubmission({
        callbackId: CALLBACK.batch,
        privateMetadata: META,
        user: 'U-OUTSIDER',
        values: { [BLOCK.csvFile]: { [ACTION.csvFile]: { type: 'file_input', files: [{ id: 'F-OK', name: 'batch.csv' }] } } },
      }),
    );
    expect((await res.json()).response_action).toBe('update');
    expect(h.fake.callsOf('files.info')).toHaveLength(0);
    expect(pipelineWork(h)).toEqual([]);
    expect(h.service.jobs.size).toBe(0);
  });

  it('a choice in the modal from anyone else previews nothing', async () => {
    h = await startHarness();
    await h.interact(
      viewAction({ actionId: ACTION.destination, blockId: BLOCK.destination, selected: 'emailpro-ab12345-1', values: requestValues(), privateMetadata: META, user: 'U-OUTSIDER' }),
    );
    expect(pipelineWork(h)).toEqual([]);
    expect(h.fake.callsOf('views.update')).toHaveLength(0);
  });

  it('status: approvers see every migration, anyone else only their own requests', async () => {
    h = await startHarness();
    await h.service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-STAFF' } });
    const shown = async (user: string, text = 'status') => {
      await h.command(text, { user });
      return JSON.stringify(h.fake.responses.at(-1)!.body.blocks);
    };
    const mine = await shown('U-REQUESTER');
    expect(mine).toContain('john.smith@mydomain.ovh');
    expect(mine).not.toContain('jane.doe@mydomain.ovh');
    expect(await shown('U-REQUESTER', 'status jane.doe@mydomain.ovh')).toContain('No migration found');
    expect(await shown('U-REQUESTER', 'status job-2')).toContain('No migration found');
    expect(await shown('U-OUTSIDER')).toContain('No migration found');
    const all = await shown('U-GROUP-APPROVER');
    expect(all).toContain('john.smith@mydomain.ovh');
    expect(all).toContain('jane.doe@mydomain.ovh');
  });

  it('user groups: expanded once and cached; a failed lookup refuses (fail closed) and is not cached', async () => {
    h = await startHarness();
    h.fake.failNext('usergroups.users.list', 'ratelimited');
    h.fake.failNext('usergroups.users.list', 'ratelimited');
    expect((await (await h.command('', { user: 'U-STAFF' })).json()).text).toBe(REFUSAL);
    expect(h.fake.callsOf('views.open')).toHaveLength(0);
    const lookups = h.fake.callsOf('usergroups.users.list').length;
    await h.command('', { user: 'U-STAFF' });
    expect(h.fake.callsOf('views.open')).toHaveLength(1);
    const afterSuccess = h.fake.callsOf('usergroups.users.list').length;
    expect(afterSuccess).toBeGreaterThan(lookups);
    await h.command('', { user: 'U-STAFF' });
    await h.interact(optionsRequest({ actionId: ACTION.source, value: 'john', user: 'U-STAFF' }));
    expect(h.fake.callsOf('views.open')).toHaveLength(2);
    expect(h.fake.callsOf('usergroups.users.list')).toHaveLength(afterSuccess);
  });
});
