import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { startHarness, SECRET, type Harness } from '../support/slack-harness.js';
import { buttonClick, commandBody, interactionBody, sign, signedPost, slashCommand, viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });

/** Submits the modal and returns the posted request message (its ts and blocks as Slack holds them). */
async function request(h: Harness, user = 'U-REQUESTER') {
  await h.interact(
    viewSubmission({
      callbackId: CALLBACK.request,
      privateMetadata: META,
      user,
      values: {
        [BLOCK.source]: { [ACTION.source]: { selected_option: { value: 'john.smith@mydomain.ovh' } } },
        [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'emailpro-ab12345-1' } } },
      },
    }),
  );
  const ts = h.fake.callsOf('chat.postMessage')[0]!.response.ts as string;
  return { ts, message: h.fake.message('C-REQUESTS', ts)! };
}

function click(h: Harness, actionId: string, user: string, message: { ts: string; text?: string; blocks?: unknown[] }, extra: { actionTs?: string } = {}) {
  return buttonClick({ actionId, value: 'job-1', user, channel: 'C-REQUESTS', message: { ts: message.ts, text: message.text, blocks: message.blocks }, ...extra });
}

function hasButtons(blocks: { type: string }[] | undefined): boolean {
  return (blocks ?? []).some((b) => b.type === 'actions');
}

describe('approvals', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('an approver approves: decide once, buttons replaced by who and when', async () => {
    h = await startHarness();
    const { ts, message } = await request(h);
    const res = await h.interact(click(h, ACTION.approve, 'U-APPROVER', message));
    expect(res.status).toBe(200);
    expect(h.service.callsOf('decide')).toEqual([['job-1', { approve: true, by: { kind: 'slack', id: 'U-APPROVER' } }]]);
    const updates = h.fake.callsOf('chat.update').filter((c) => c.params.ts === ts && c.response.ok);
    const after = h.fake.message('C-REQUESTS', ts)!;
    expect(hasButtons(after.blocks)).toBe(false);
    expect(JSON.stringify(after.blocks)).toMatch(/Approved by <@U-APPROVER> on <!date\^\d+\^/);
    // the plan is still there
    expect(JSON.stringify(after.blocks)).toContain('john.smith01@mydomain.ovh');
    expect(updates.length).toBe(2); // placeholder -> request, request -> decided
    expect(h.fake.callsOf('chat.postEphemeral')).toHaveLength(0);
  });

  it('a member of an approver user group may approve (usergroups.users.list, cached)', async () => {
    h = await startHarness();
    const { message } = await request(h);
    await h.interact(click(h, ACTION.reject, 'U-GROUP-APPROVER', message));
    expect(h.service.callsOf('decide')).toEqual([['job-1', { approve: false, by: { kind: 'slack', id: 'U-GROUP-APPROVER' } }]]);
    expect(h.fake.callsOf('usergroups.users.list')[0]!.params.usergroup).toBe('S-ADMINS');
    expect(JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks)).toContain('Rejected by <@U-GROUP-APPROVER>');
  });

  it('someone who is not an approver gets an ephemeral refusal and nothing changes', async () => {
    h = await startHarness();
    const { ts, message } = await request(h);
    const before = JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks);
    const updatesBefore = h.fake.callsOf('chat.update').length;
    await h.interact(click(h, ACTION.approve, 'U-RANDOM', message));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.callsOf('chat.update')).toHaveLength(updatesBefore);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks)).toBe(before);
    const [refusal] = h.fake.callsOf('chat.postEphemeral');
    expect(refusal!.params).toMatchObject({ channel: 'C-REQUESTS', user: 'U-RANDOM' });
    expect(refusal!.params.text).toMatch(/Only approvers/);
  });

  it('the requester cannot approve their own request', async () => {
    h = await startHarness();
    const { message } = await request(h, 'U-APPROVER');
    await h.interact(click(h, ACTION.approve, 'U-APPROVER', message));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral')[0]!.params.text).toMatch(/cannot approve your own/);
  });

  it('self-approval is allowed with ALLOW_SELF_APPROVAL', async () => {
    h = await startHarness({ env: { ALLOW_SELF_APPROVAL: 'true' } });
    const { message } = await request(h, 'U-APPROVER');
    await h.interact(click(h, ACTION.approve, 'U-APPROVER', message));
    expect(h.service.callsOf('decide')).toHaveLength(1);
  });

  it('a double click decides once; the second click is told who decided', async () => {
    h = await startHarness();
    const { message } = await request(h);
    await Promise.all([h.interact(click(h, ACTION.approve, 'U-APPROVER', message)), h.interact(click(h, ACTION.approve, 'U-APPROVER', message))]);
    // and a late third click on the stale message
    await h.interact(click(h, ACTION.reject, 'U-GROUP-APPROVER', message));
    const changed = [...h.service.jobs.values()][0]!.decision!;
    expect(changed).toMatchObject({ state: 'approved', by: { id: 'U-APPROVER' } });
    const decisionsTaken = h.service.callsOf('decide').length;
    expect(decisionsTaken).toBeLessThanOrEqual(3);
    const decidedUpdates = h.fake.callsOf('chat.update').filter((c) => JSON.stringify(c.params.blocks).includes('decided-'));
    expect(decidedUpdates).toHaveLength(1);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks)).not.toContain('Rejected');
    const notices = h.fake.callsOf('chat.postEphemeral').map((c) => c.params.text as string);
    expect(notices.some((t) => /Already approved by <@U-APPROVER>|being decided/.test(t))).toBe(true);
  });

  it('Slack re-sending the same click (x-slack-retry-num) starts nothing twice', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const payload = click(h, ACTION.approve, 'U-APPROVER', message, { actionTs: '1760000999.000001' });
    const first = await h.interact(payload);
    const retry = await h.interact(payload, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(first.status).toBe(200);
    expect(retry.status).toBe(200);
    expect(h.service.callsOf('decide')).toHaveLength(1);
    expect(h.fake.callsOf('chat.postEphemeral')).toHaveLength(0);
  });

  it('a retry of a delivery never seen before is handled (the first one was lost)', async () => {
    h = await startHarness();
    const { message } = await request(h);
    await h.interact(click(h, ACTION.approve, 'U-APPROVER', message), { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(h.service.callsOf('decide')).toHaveLength(1);
  });

  it('a forged signature is rejected with 401 and nothing happens', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const calls = h.fake.calls.length;
    const body = interactionBody(click(h, ACTION.approve, 'U-APPROVER', message));
    const forged = await signedPost(h.base, SECRET, body, { signature: sign('not-the-secret', Math.floor(Date.now() / 1000), body) });
    expect(forged.status).toBe(401);
    const command = await signedPost(h.base, 'wrong', commandBody(slashCommand({ responseUrl: h.fake.responseUrl('x') })));
    expect(command.status).toBe(401);
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.calls.length).toBe(calls);
  });

  it('a stale timestamp (over 5 minutes) is rejected with 401 and nothing happens', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const calls = h.fake.calls.length;
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const res = await h.interact(click(h, ACTION.approve, 'U-APPROVER', message), { timestamp: stale });
    expect(res.status).toBe(401);
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.calls.length).toBe(calls);
  });

  it('reset of the source is for approvers only; retry and undo also for the requester', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const report = { ts: message.ts, blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: ACTION.resetSource, value: 'job-1', text: { type: 'plain_text', text: 'Reset' } }] }] };
    await h.interact(click(h, ACTION.resetSource, 'U-REQUESTER', report));
    expect(h.service.callsOf('resetSource')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/Only an approver/);
    await h.interact(click(h, ACTION.resetSource, 'U-APPROVER', report));
    expect(h.service.callsOf('resetSource')).toEqual([['job-1', { kind: 'slack', id: 'U-APPROVER' }]]);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks)).toContain('Reset of the temporary source account requested by <@U-APPROVER>');
    await h.interact(click(h, ACTION.retry, 'U-REQUESTER', message));
    await h.interact(click(h, ACTION.undo, 'U-REQUESTER', message));
    expect(h.service.callsOf('retry')).toHaveLength(1);
    expect(h.service.callsOf('undo')).toHaveLength(1);
  });
});
