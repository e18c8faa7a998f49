import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FollowUpBusyError } from '../../src/pipeline/errors.js';
import type { MigrationReport } from '../../src/pipeline/migration-service.js';
import { failureMessage } from '../../src/slack/blocks/thread.js';
import { finalReportMessage } from '../../src/slack/blocks/report.js';
import { ACTION } from '../../src/slack/ids.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn } from '../support/slack-request.js';

const REPORT: MigrationReport = {
  foldersNotInSync: [
    { folder: 'INBOX/Projets', missing: 3 },
    { folder: 'Sent', missing: 1 },
  ],
  dns: [],
  features: [],
};

async function waitFor<T>(check: () => T | undefined, what: string, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('follow-up actions: undo, retry, reset', () => {
  let h: Harness;
  let jobId: string;
  let nonce: string;
  beforeEach(async () => {
    h = await startHarness();
    const submitted = await h.service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    if (!submitted.ok) throw new Error('not submitted');
    ({ jobId, nonce } = submitted);
  });
  afterEach(async () => {
    await h.close();
  });

  /** Posts a thread message the way the notifier does (same builders), and returns it as Slack holds it. */
  async function post(message: { text: string; blocks: unknown[] }) {
    const posted = await h.slack.app.client.chat.postMessage({ channel: 'C-REQUESTS', ...(message as { text: string }) });
    return structuredClone(h.fake.message('C-REQUESTS', posted.ts!)!);
  }

  async function failed() {
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'failed';
    job.status.undoAvailable = true;
    return post(failureMessage({ jobId, nonce, step: 'copy', error: 'IMAP connection lost', undoAvailable: true, plan: job.status.plan }));
  }

  function click(actionId: string, user: string, message: { ts: string; text?: string; blocks?: unknown[] }) {
    return buttonClick({ actionId, value: buttonIn(message.blocks, actionId)!.value, user, channel: 'C-REQUESTS', message });
  }

  it("Undo's confirm dialog says it removes the destination account and renames the source back", async () => {
    const message = await failed();
    const undo = buttonIn(message.blocks, ACTION.undo)!;
    const text = undo.confirm.text.text as string;
    expect(text).toContain('REMOVES the destination account john.smith@mydomain.ovh (and the mail copied into it) from emailpro-ab12345-1');
    expect(text).toContain('renames the temporary source john.smith01@mydomain.ovh back to its original address');
    expect(text).not.toMatch(/left as it is|kept/);
    expect(text.length).toBeLessThanOrEqual(300);
    expect(undo.text.text).toMatch(/remove the destination/);
  });

  it('while an action runs, its message says so; a second action is told what is in progress; then the outcome shows', async () => {
    const message = await failed();
    let release!: () => void;
    h.service.followUpGate = new Promise<void>((resolve) => (release = resolve));
    const undo = h.interact(click(ACTION.undo, 'U-APPROVER', message));
    const running = await waitFor(() => {
      const blocks = JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks);
      return blocks.includes('Undo in progress') ? blocks : undefined;
    }, 'the in-progress line');
    expect(running).toContain('(by <@U-APPROVER>)…');
    expect(buttonIn(h.fake.message('C-REQUESTS', message.ts)!.blocks, ACTION.retry)).toBeUndefined();

    // another approver clicks Retry on the same (stale) message meanwhile
    await h.interact(click(ACTION.retry, 'U-GROUP-APPROVER', message));
    expect(h.service.callsOf('retry')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params).toMatchObject({
      user: 'U-GROUP-APPROVER',
      text: expect.stringMatching(/Undo is in progress on this migration \(started by <@U-APPROVER>\)/),
    });

    release();
    expect((await undo).status).toBe(200);
    const done = JSON.stringify(h.fake.message('C-REQUESTS', message.ts)!.blocks);
    expect(done).toMatch(/Undone: destination account removed, source renamed back by <@U-APPROVER> on <!date/);
    expect(done).not.toContain('in progress');
  });

  it('the pipeline answering FollowUpBusyError (another bot started one): the buttons come back and the clicker is told', async () => {
    const message = await failed();
    h.service.followUpError = () => new FollowUpBusyError('undo', 'U-GROUP-APPROVER');
    await h.interact(click(ACTION.retry, 'U-APPROVER', message));
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/^:hourglass_flowing_sand: Undo is in progress on this migration \(started by <@U-GROUP-APPROVER>\)/);
    const after = h.fake.message('C-REQUESTS', message.ts)!;
    expect(buttonIn(after.blocks, ACTION.retry)).toBeDefined();
    expect(buttonIn(after.blocks, ACTION.undo)).toBeDefined();
  });

  it('a reset refused because messages are missing offers "Reset anyway", whose confirm names them and which forces it', async () => {
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'done';
    job.status.report = REPORT;
    const report = await post(finalReportMessage({ jobId, nonce, source: 'john.smith@mydomain.ovh', report: REPORT }));
    await h.interact(click(ACTION.resetSource, 'U-APPROVER', report));
    expect(h.service.callsOf('resetSource')).toEqual([[jobId, { kind: 'slack', id: 'U-APPROVER' }, { nonce }]]);
    const offer = h.fake.callsOf('chat.postEphemeral').at(-1)!.params;
    expect(offer.user).toBe('U-APPROVER');
    expect(offer.text).toMatch(/The reset was refused: not on the destination: 3 message\(s\) of INBOX\/Projets, 1 message\(s\) of Sent/);
    const force = buttonIn(offer.blocks, ACTION.resetSourceForce)!;
    expect(force.confirm.text.text).toBe(
      'Messages not on the destination: 3 in INBOX/Projets, 1 in Sent. Resetting john.smith01@mydomain.ovh deletes them for good.',
    );
    expect(force.confirm.style).toBe('danger');
    // the report keeps its reset button
    expect(buttonIn(h.fake.message('C-REQUESTS', report.ts)!.blocks, ACTION.resetSource)).toBeDefined();

    // "Reset anyway", clicked in the ephemeral message
    const payload = buttonClick({ actionId: ACTION.resetSourceForce, value: force.value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: { ts: '0' }, responseUrl: h.fake.responseUrl('ephemeral-1') });
    delete payload.message;
    payload.container = { type: 'message', message_ts: '1760000000.000001', channel_id: 'C-REQUESTS', is_ephemeral: true };
    await h.interact(payload);
    expect(h.service.callsOf('resetSource').at(-1)).toEqual([jobId, { kind: 'slack', id: 'U-APPROVER' }, { force: true, nonce }]);
    const replaced = h.fake.responses.filter((r) => r.path === '/respond/ephemeral-1').map((r) => r.body);
    expect(replaced.at(-1)).toMatchObject({ replace_original: true, text: expect.stringMatching(/reset despite the missing messages by <@U-APPROVER>/) });
  });

  it('"Reset anyway" is for approvers only and checks the nonce', async () => {
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'done';
    job.status.report = REPORT;
    const offer = { ts: '1', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: ACTION.resetSourceForce, value: `${nonce}:${jobId}`, text: { type: 'plain_text', text: 'x' } }] }] };
    await h.interact(click(ACTION.resetSourceForce, 'U-REQUESTER', offer));
    const stale = { ts: '1', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: ACTION.resetSourceForce, value: `nonceOLD00000001:${jobId}`, text: { type: 'plain_text', text: 'x' } }] }] };
    await h.interact(click(ACTION.resetSourceForce, 'U-APPROVER', stale));
    expect(h.service.callsOf('resetSource')).toHaveLength(0);
    const told = h.fake.callsOf('chat.postEphemeral').map((c) => [c.params.user, c.params.text]);
    expect(told).toEqual([
      ['U-REQUESTER', expect.stringMatching(/^Only approvers can reset the temporary source account/)],
      ['U-APPROVER', expect.stringMatching(/belongs to an earlier request/)],
    ]);
  });
});
