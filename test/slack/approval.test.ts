import { afterEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, buttonValue } from '../../src/slack/ids.js';
import { startHarness, SECRET, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn, commandBody, interactionBody, sign, signedPost, slashCommand, viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
const ADDRESS = 'john.smith@mydomain.ovh';

/** Submits the modal and returns the posted request message (its ts and blocks as Slack holds them). */
async function request(h: Harness, user = 'U-REQUESTER') {
  const posts = h.fake.callsOf('chat.postMessage').length;
  await h.interact(
    viewSubmission({
      callbackId: CALLBACK.request,
      privateMetadata: META,
      user,
      values: {
        [BLOCK.source]: { [ACTION.source]: { selected_option: { value: ADDRESS } } },
        [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'emailpro-ab12345-1' } } },
      },
    }),
  );
  const ts = h.fake.callsOf('chat.postMessage')[posts]!.response.ts as string;
  // a copy: the fake keeps editing its own as the message is updated, a client holds what it was shown
  return { ts, message: structuredClone(h.fake.message('C-REQUESTS', ts)!) };
}

/** A click on `actionId` of `message`, with the value the message's button carries. */
function click(actionId: string, user: string, message: { ts: string; text?: string; blocks?: unknown[] }, extra: { actionTs?: string } = {}) {
  const value = buttonIn(message.blocks, actionId)?.value ?? buttonIn(message.blocks, ACTION.approve)!.value;
  return buttonClick({ actionId, value, user, channel: 'C-REQUESTS', message: { ts: message.ts, text: message.text, blocks: message.blocks }, ...extra });
}

function hasButtons(blocks: { type: string }[] | undefined): boolean {
  return (blocks ?? []).some((b) => b.type === 'actions');
}

/** A message with one follow-up button carrying `value` (what the notifier posts in the thread). */
function followUpMessage(ts: string, actionId: string, value: string) {
  return { ts, blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: actionId, value, text: { type: 'plain_text', text: 'x' } }] }] };
}

describe('approvals', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('an approver approves: decide once with the request nonce, buttons replaced by who and when', async () => {
    h = await startHarness();
    const { ts, message } = await request(h);
    const nonce = h.service.jobs.get('job-1')!.status.nonce;
    expect(buttonIn(message.blocks, ACTION.approve)!.value).toBe(buttonValue('job-1', nonce));
    expect(buttonIn(message.blocks, ACTION.reject)!.value).toBe(buttonValue('job-1', nonce));
    const res = await h.interact(click(ACTION.approve, 'U-APPROVER', message));
    expect(res.status).toBe(200);
    expect(h.service.callsOf('decide')).toEqual([['job-1', { approve: true, by: { kind: 'slack', id: 'U-APPROVER' }, nonce }]]);
    const decided = h.fake.callsOf('chat.update').filter((c) => c.params.ts === ts && c.response.ok && JSON.stringify(c.params.blocks).includes('Approved by'));
    const after = h.fake.message('C-REQUESTS', ts)!;
    expect(hasButtons(after.blocks)).toBe(false);
    expect(JSON.stringify(after.blocks)).toMatch(/Approved by <@U-APPROVER> on <!date\^\d+\^/);
    // the plan is still there
    expect(JSON.stringify(after.blocks)).toContain('john.smith01@mydomain.ovh');
    expect(decided.length).toBeGreaterThanOrEqual(1);
    expect(h.fake.callsOf('chat.postEphemeral')).toHaveLength(0);
  });

  it('a member of an approver user group may approve (usergroups.users.list, cached)', async () => {
    h = await startHarness();
    const { message } = await request(h);
    await h.interact(click(ACTION.reject, 'U-GROUP-APPROVER', message));
    expect(h.service.callsOf('decide')).toEqual([['job-1', { approve: false, by: { kind: 'slack', id: 'U-GROUP-APPROVER' }, nonce: h.service.jobs.get('job-1')!.status.nonce }]]);
    expect(h.fake.callsOf('usergroups.users.list').map((c) => c.params.usergroup)).toContain('S-ADMINS');
    expect(JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks)).toContain('Rejected by <@U-GROUP-APPROVER>');
  });

  it('someone who is not an approver gets an ephemeral refusal naming the approvers, and nothing changes', async () => {
    h = await startHarness();
    const { ts, message } = await request(h);
    const before = JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks);
    const updatesBefore = h.fake.callsOf('chat.update').length;
    await h.interact(click(ACTION.approve, 'U-RANDOM', message));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.callsOf('chat.update')).toHaveLength(updatesBefore);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks)).toBe(before);
    const [refusal] = h.fake.callsOf('chat.postEphemeral');
    expect(refusal!.params).toMatchObject({ channel: 'C-REQUESTS', user: 'U-RANDOM' });
    expect(refusal!.params.text).toMatch(/Only approvers can approve or reject.*<@U-APPROVER>, <!subteam\^S-ADMINS>/);
  });

  it('the requester cannot approve their own request, even when they are an approver', async () => {
    h = await startHarness();
    const { message } = await request(h, 'U-APPROVER');
    await h.interact(click(ACTION.approve, 'U-APPROVER', message));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral')[0]!.params.text).toMatch(/cannot approve your own/);
  });

  it('self-approval is allowed with ALLOW_SELF_APPROVAL (in Slack and in the pipeline)', async () => {
    h = await startHarness({ env: { ALLOW_SELF_APPROVAL: 'true' } });
    h.service.allowSelfApproval = true;
    const { message } = await request(h, 'U-APPROVER');
    await h.interact(click(ACTION.approve, 'U-APPROVER', message));
    expect(h.service.callsOf('decide')).toHaveLength(1);
    expect(h.service.jobs.get('job-1')!.status.state).toBe('queued');
  });

  it('the pipeline refusing a self-approval (defence in depth) is said clearly, and nothing changes', async () => {
    // the bot's configuration lets it through, the pipeline's does not
    h = await startHarness({ env: { ALLOW_SELF_APPROVAL: 'true' } });
    const { ts, message } = await request(h, 'U-APPROVER');
    await h.interact(click(ACTION.approve, 'U-APPROVER', message));
    expect(h.service.callsOf('decide')).toHaveLength(1);
    expect(h.service.jobs.get('job-1')!.status.state).toBe('awaiting-approval');
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/You cannot approve your own request: another approver has to\. Nothing was changed/);
    expect(hasButtons(h.fake.message('C-REQUESTS', ts)!.blocks)).toBe(true);
  });

  it("a button of an earlier request for the same address decides nothing: A's Approve does not approve B", async () => {
    h = await startHarness();
    h.service.jobIdsPerAddress = true;
    const a = await request(h);
    await h.interact(click(ACTION.reject, 'U-APPROVER', a.message));
    expect(h.service.jobs.get(`mig-${ADDRESS}`)!.status.state).toBe('rejected');
    // request B: same address, same job id, a new nonce
    const b = await request(h);
    const job = h.service.jobs.get(`mig-${ADDRESS}`)!;
    expect(job.status.state).toBe('awaiting-approval');
    expect(buttonIn(b.message.blocks, ACTION.approve)!.value).not.toBe(buttonIn(a.message.blocks, ACTION.approve)!.value);
    const decisions = h.service.callsOf('decide').length;
    const updates = h.fake.callsOf('chat.update').length;

    // A's message as it was before its rejection (a stale client, or a replayed click)
    await h.interact(click(ACTION.approve, 'U-GROUP-APPROVER', a.message));
    expect(h.service.callsOf('decide')).toHaveLength(decisions);
    expect(job.status.state).toBe('awaiting-approval');
    expect(job.decision).toBeUndefined();
    expect(h.fake.callsOf('chat.update')).toHaveLength(updates);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/belongs to an earlier request for \*john\.smith@mydomain\.ovh\*: nothing was changed/);

    // B's own button still works
    await h.interact(click(ACTION.approve, 'U-GROUP-APPROVER', b.message));
    expect(job.status.state).toBe('queued');
  });

  it('a button value without a nonce (an old message) changes nothing and says why', async () => {
    h = await startHarness();
    const { message } = await request(h);
    await h.interact(buttonClick({ actionId: ACTION.approve, value: 'job-1', user: 'U-APPROVER', channel: 'C-REQUESTS', message }));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/does not carry a request this bot can check/);
  });

  it('a double click decides once; the second click is told who decided', async () => {
    h = await startHarness();
    const { message } = await request(h);
    await Promise.all([h.interact(click(ACTION.approve, 'U-APPROVER', message)), h.interact(click(ACTION.approve, 'U-APPROVER', message))]);
    // and a late third click on the stale message
    await h.interact(click(ACTION.reject, 'U-GROUP-APPROVER', message));
    const changed = [...h.service.jobs.values()][0]!.decision!;
    expect(changed).toMatchObject({ state: 'approved', by: { id: 'U-APPROVER' } });
    expect(h.service.callsOf('decide').length).toBeLessThanOrEqual(3);
    // every edit of the request shows the one decision
    const decidedUpdates = h.fake.callsOf('chat.update').filter((c) => JSON.stringify(c.params.blocks).includes('decided-'));
    expect(decidedUpdates.length).toBeGreaterThanOrEqual(1);
    expect(decidedUpdates.every((c) => JSON.stringify(c.params.blocks).includes('Approved by <@U-APPROVER>'))).toBe(true);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks)).not.toContain('Rejected');
    const notices = h.fake.callsOf('chat.postEphemeral').map((c) => c.params.text as string);
    expect(notices.some((t) => /Already approved by <@U-APPROVER>|being decided/.test(t))).toBe(true);
  });

  it('Slack re-sending the same click (x-slack-retry-num) starts nothing twice', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const payload = click(ACTION.approve, 'U-APPROVER', message, { actionTs: '1760000999.000001' });
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
    await h.interact(click(ACTION.approve, 'U-APPROVER', message), { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(h.service.callsOf('decide')).toHaveLength(1);
  });

  it('a forged signature is rejected with 401 and nothing happens', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const calls = h.fake.calls.length;
    const body = interactionBody(click(ACTION.approve, 'U-APPROVER', message));
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
    const res = await h.interact(click(ACTION.approve, 'U-APPROVER', message), { timestamp: stale });
    expect(res.status).toBe(401);
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect(h.fake.calls.length).toBe(calls);
  });

  it('reset, retry and undo are for approvers only: the requester is refused (undo deletes the destination)', async () => {
    h = await startHarness();
    const { message } = await request(h);
    const value = buttonValue('job-1', h.service.jobs.get('job-1')!.status.nonce);
    for (const actionId of [ACTION.resetSource, ACTION.resetSourceForce, ACTION.retry, ACTION.undo]) {
      await h.interact(click(actionId, 'U-REQUESTER', followUpMessage(message.ts, actionId, value)));
      expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text, actionId).toMatch(/^Only approvers can .*Ask one of <@U-APPROVER>/);
    }
    expect(h.service.callsOf('resetSource')).toHaveLength(0);
    expect(h.service.callsOf('retry')).toHaveLength(0);
    expect(h.service.callsOf('undo')).toHaveLength(0);

    await h.interact(click(ACTION.resetSource, 'U-APPROVER', followUpMessage(message.ts, ACTION.resetSource, value)));
    expect(h.service.callsOf('resetSource')).toEqual([['job-1', { kind: 'slack', id: 'U-APPROVER' }, { nonce: h.service.jobs.get('job-1')!.status.nonce }]]);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks)).toContain('Temporary source account reset by <@U-APPROVER>');
    await h.interact(click(ACTION.retry, 'U-GROUP-APPROVER', followUpMessage(message.ts, ACTION.retry, value)));
    await h.interact(click(ACTION.undo, 'U-APPROVER', followUpMessage(message.ts, ACTION.undo, value)));
    expect(h.service.callsOf('retry')).toHaveLength(1);
    expect(h.service.callsOf('undo')).toHaveLength(1);
  });

  it('a follow-up button of an earlier request for the same address changes nothing', async () => {
    h = await startHarness();
    h.service.jobIdsPerAddress = true;
    const a = await request(h);
    const jobId = `mig-${ADDRESS}`;
    const oldValue = buttonValue(jobId, h.service.jobs.get(jobId)!.status.nonce);
    h.service.jobs.get(jobId)!.status.state = 'failed';
    await request(h);
    for (const actionId of [ACTION.undo, ACTION.retry, ACTION.resetSource, ACTION.resetSourceForce]) {
      await h.interact(click(actionId, 'U-APPROVER', followUpMessage(a.ts, actionId, oldValue)));
      expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text, actionId).toMatch(/belongs to an earlier request/);
    }
    expect(h.service.callsOf('undo')).toHaveLength(0);
    expect(h.service.callsOf('retry')).toHaveLength(0);
    expect(h.service.callsOf('resetSource')).toHaveLength(0);
  });

  it('`/migrate-mailbox cancel` is for approvers only, the requester included', async () => {
    h = await startHarness();
    await request(h);
    await h.command('cancel job-1', { user: 'U-REQUESTER' });
    expect(h.service.callsOf('cancel')).toHaveLength(0);
    expect(h.fake.responses.at(-1)!.body.text).toMatch(/^Only approvers can cancel a migration/);
    await h.command('cancel job-1', { user: 'U-SOMEONE' });
    expect(h.service.callsOf('cancel')).toHaveLength(0);
    await h.command('cancel job-1', { user: 'U-APPROVER' });
    expect(h.service.callsOf('cancel')).toEqual([['job-1', { kind: 'slack', id: 'U-APPROVER' }]]);
    expect(h.fake.responses.at(-1)!.body.text).toBe('Cancelled `job-1`.');
  });
});
