import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { ACTION, BLOCK, CALLBACK, parseButtonValue } from '../../src/slack/ids.js';
import { blockKitViolations } from '../support/fake-slack-api.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn, optionsRequest, viewSubmission } from '../support/slack-request.js';
// the pipeline's own test parts: redis-server, the OVH simulator with its Dovecots, a worker on a fresh queue
import { pairsFixture } from '../pipeline/fixtures.js';
import { Harness as PipelineHarness, waitFor } from '../pipeline/harness.js';

const SOURCE = 'john.smith@mydomain.ovh';
const DESTINATION = 'emailpro-sb22222-1';
/** For the staged order: a mailbox whose current password its owner gives. */
const STAGED_SOURCE = 'erin@mydomain.ovh';
const STAGED_SOURCE_PASSWORD = 'Exchange-Pass-05';

describe('full flow with the real worker, Redis and sandbox: command -> modal -> submit -> approve -> thread -> report', () => {
  let pipelineParts: PipelineHarness;
  let service: BullMigrationService;
  let h: Harness<BullMigrationService>;

  beforeAll(async () => {
    pipelineParts = await PipelineHarness.start({ fixture: pairsFixture() });
    const pipeline = await pipelineParts.pipeline({ concurrency: 1 });
    service = pipeline.service;
    // real timings for the ack budget: the simulator answers fast, but this machine is shared
    h = await startHarness({ service, progressIntervalMs: 300, ackBudgetMs: 20_000 });
    // the notifier subscribed in startHarness; this resolves once the shared subscription is live
    (await service.subscribeReady(() => undefined))();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await pipelineParts?.stop();
  });

  it('runs a whole migration from Slack', async () => {
    // type-ahead from the real OVH layer
    const options = await (await h.interact(optionsRequest({ actionId: ACTION.source, value: 'john.smith' }))).json();
    expect(options.options.map((o: { value: string }) => o.value)).toContain(SOURCE);

    // the command opens the modal at once, then pre-fills the temporary name from the real plan
    await h.command(`${SOURCE} to ${DESTINATION}`);
    const open = h.fake.callsOf('views.open')[0]!;
    expect(open.response.ok).toBe(true);
    const update = await waitFor(() => h.fake.callsOf('views.update')[0], 20_000, 'views.update');
    expect(update.response.ok).toBe(true);
    const temporary = update.params.view.blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.temporaryName).element.initial_value;
    expect(temporary).toBe('john.smith01@mydomain.ovh');
    const metadata = open.params.view.private_metadata as string;

    // submit: preflight passes, the request is posted with the plan and the buttons
    const submitted = await h.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: metadata,
        values: {
          [BLOCK.source]: { [ACTION.source]: { selected_option: { value: SOURCE } } },
          [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: DESTINATION } } },
          [BLOCK.temporaryName]: { [ACTION.temporaryName]: { value: temporary } },
          [BLOCK.options]: { [ACTION.options]: { selected_options: [] } },
          [BLOCK.password]: { [ACTION.password]: { value: null } },
        },
      }),
    );
    expect(await submitted.text()).toBe('');
    const posted = h.fake.callsOf('chat.postMessage')[0]!;
    const ts = posted.response.ts as string;
    const channel = posted.params.channel as string;
    const request = structuredClone(h.fake.message(channel, ts)!);
    const approve = buttonIn(request.blocks, ACTION.approve)!;
    const jobId = parseButtonValue(approve.value)!.id;
    const [waiting] = await service.status({ jobId });
    expect(waiting!.state).toBe('awaiting-approval');
    expect(waiting!.origin).toMatchObject({ channel, threadTs: ts });

    // the requester cannot approve; an approver can, once
    await h.interact(buttonClick({ actionId: ACTION.approve, value: approve.value, user: 'U-REQUESTER', channel, message: request }));
    expect((await service.status({ jobId }))[0]!.state).toBe('awaiting-approval');
    await h.interact(buttonClick({ actionId: ACTION.approve, value: approve.value, user: 'U-APPROVER', channel, message: request }));
    expect(JSON.stringify(h.fake.message(channel, ts)!.blocks)).toContain('Approved by <@U-APPROVER>');

    // the worker runs; the thread gets step replies, one live progress message, and the final report
    const report = await waitFor(
      () => h.fake.thread(channel, ts).find((m) => (m.text ?? '').startsWith('Migration of')),
      90_000,
      'the final report in the thread',
    );
    await h.slack.notifier.idle();
    const thread = h.fake.thread(channel, ts);
    const texts = thread.map((m) => m.text ?? '');
    expect(texts.some((t) => t.startsWith('Rename the source account: done'))).toBe(true);
    expect(texts.some((t) => t.startsWith('Create the destination account: done'))).toBe(true);
    expect(texts.some((t) => t.startsWith('Copy the mailbox: done'))).toBe(true);
    // one live progress message, edited in place (copy, then delta)
    const progress = thread.filter((m) => /^Copy (the mailbox|what arrived meanwhile): [a-z ]+: \d+%$/.test(m.text ?? ''));
    expect(progress).toHaveLength(1);
    expect(progress[0]!.edits).toBeGreaterThan(0);
    expect(blockKitViolations(report.blocks, 'message')).toEqual([]);
    expect(JSON.stringify(report.blocks)).toContain(`Migration finished: ${SOURCE}`);
    expect(report.blocks!.some((b) => b.type === 'actions' && b.elements[0].action_id === ACTION.resetSource)).toBe(true);
    const [done] = await service.status({ jobId });
    expect(done!.state).toBe('done');

    // the password: a hand-over message in the thread whose button opens it for the requester alone, in a modal
    const handover = await waitFor(() => h.fake.thread(channel, ts).find((m) => buttonIn(m.blocks, ACTION.showPassword)), 20_000, 'the hand-over message');
    const show = buttonIn(handover.blocks, ACTION.showPassword)!;
    await h.interact(buttonClick({ actionId: ACTION.showPassword, value: show.value, user: 'U-APPROVER', channel, message: handover }));
    expect(h.fake.callsOf('views.open').filter((c) => c.params.view.callback_id === CALLBACK.passwordAck)).toHaveLength(0);
    await h.interact(buttonClick({ actionId: ACTION.showPassword, value: show.value, user: 'U-REQUESTER', channel, message: handover }));
    const modal = h.fake.callsOf('views.open').find((c) => c.params.view.callback_id === CALLBACK.passwordAck)!;
    const password = modal.params.view.blocks.find((b: { block_id?: string }) => b.block_id === 'password').text.text as string;
    expect(password.length).toBeGreaterThan(8);
    for (const call of h.fake.calls.filter((c) => c.method !== 'views.open')) expect(JSON.stringify(call.params)).not.toContain(password);
    expect(await pipelineParts.messages(SOURCE, password)).not.toHaveLength(0);
    // stored: acknowledged, it cannot be shown again
    const acked = await h.interact(viewSubmission({ callbackId: CALLBACK.passwordAck, privateMetadata: modal.params.view.private_metadata, user: 'U-REQUESTER', values: {} }));
    expect(await acked.json()).toEqual({ response_action: 'clear' });
    expect((await service.revealDestinationPassword(jobId, { kind: 'slack', id: 'U-REQUESTER' })).ok).toBe(false);
  }, 150_000);

  it('a rejected request: the request says who rejected, the thread gets the approval step, no report', async () => {
    const before = h.fake.callsOf('chat.postMessage').length;
    const metadata = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
    await h.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: metadata,
        values: {
          [BLOCK.source]: { [ACTION.source]: { selected_option: { value: 'jane.doe@mydomain.ovh' } } },
          [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'mxplan-sb33333-1' } } },
        },
      }),
    );
    const posted = h.fake.callsOf('chat.postMessage')[before]!;
    const ts = posted.response.ts as string;
    const request = structuredClone(h.fake.message('C-REQUESTS', ts)!);
    const reject = buttonIn(request.blocks, ACTION.reject)!;
    const jobId = parseButtonValue(reject.value)!.id;
    await h.interact(buttonClick({ actionId: ACTION.reject, value: reject.value, user: 'U-GROUP-APPROVER', channel: 'C-REQUESTS', message: request }));
    const reply = await waitFor(() => h.fake.thread('C-REQUESTS', ts).find((m) => (m.text ?? '').startsWith('Approval: failed')), 30_000, 'the approval step reply');
    expect(reply.text).toContain('rejected by U-GROUP-APPROVER');
    await waitFor(async () => (await service.status({ jobId }))[0]?.state === 'rejected', 30_000, 'rejected state');
    // settled: the notifier has nothing left to bring up to date for this job
    await waitFor(async () => !(await service.threads.changed(100)).some((c) => c.jobId === jobId), 30_000, 'the thread to settle');
    await h.slack.notifier.idle();
    // nothing ran: one reply says so, not one per skipped step; no progress, no report
    expect(h.fake.thread('C-REQUESTS', ts).map((m) => m.text ?? '')).toEqual([reply.text]);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks)).toContain('Rejected by <@U-GROUP-APPROVER>');
  }, 60_000);

  it('the thread shows the staged copy with "Cut over now" (approvers only); the password comes at the cut-over', async () => {
    const before = h.fake.callsOf('chat.postMessage').length;
    await h.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' }),
        values: {
          [BLOCK.source]: { [ACTION.source]: { selected_option: { value: STAGED_SOURCE } } },
          [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: DESTINATION } } },
          [BLOCK.options]: { [ACTION.options]: { selected_options: [] } },
          [BLOCK.sourcePassword]: { [ACTION.sourcePassword]: { value: STAGED_SOURCE_PASSWORD } },
        },
      }),
    );
    const posted = h.fake.callsOf('chat.postMessage')[before]!;
    const ts = posted.response.ts as string;
    const request = structuredClone(h.fake.message('C-REQUESTS', ts)!);
    expect(JSON.stringify(request.blocks)).toContain('erin.migrating@mydomain.ovh');
    const approve = buttonIn(request.blocks, ACTION.approve)!;
    const jobId = parseButtonValue(approve.value)!.id;
    await h.interact(buttonClick({ actionId: ACTION.approve, value: approve.value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: request }));

    // staged: the thread's staging message carries the button; nothing is renamed, no password yet
    const staging = await waitFor(() => h.fake.thread('C-REQUESTS', ts).find((m) => buttonIn(m.blocks, ACTION.cutover)), 60_000, 'the staging message');
    expect(blockKitViolations(staging.blocks, 'message')).toEqual([]);
    expect(staging.text).toMatch(/^Staged copy in erin\.migrating@mydomain\.ovh/);
    expect(h.fake.thread('C-REQUESTS', ts).some((m) => buttonIn(m.blocks, ACTION.showPassword))).toBe(false);
    const cutover = buttonIn(staging.blocks, ACTION.cutover)!;

    // the requester is not an approver: refused, nothing happens
    await h.interact(buttonClick({ actionId: ACTION.cutover, value: cutover.value, user: 'U-REQUESTER', channel: 'C-REQUESTS', message: staging }));
    expect((await service.status({ jobId }))[0]!.steps.find((s) => s.name === 'stage')?.status).toBe('running');
    const [stillStaged] = await service.status({ jobId });
    expect(stillStaged!.staging?.cutover).toBeUndefined();

    await h.interact(buttonClick({ actionId: ACTION.cutover, value: cutover.value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: staging }));
    const report = await waitFor(() => h.fake.thread('C-REQUESTS', ts).find((m) => (m.text ?? '').startsWith('Migration of')), 90_000, 'the final report');
    expect(blockKitViolations(report.blocks, 'message')).toEqual([]);
    expect(JSON.stringify(report.blocks)).toMatch(/Cut-over window \(source renamed to final delta done\): [^"]+ · staged in `erin\.migrating@mydomain\.ovh`/);
    const [done] = await service.status({ jobId });
    expect(done!.state).toBe('done');
    expect(done!.staging?.cutover?.by).toBe('U-APPROVER');
    expect(done!.report?.cutoverWindow?.seconds).toBeGreaterThan(0);
    await h.slack.notifier.idle();
    // the staging message no longer offers the button; the hand-over came after the staged account took the address
    const thread = h.fake.thread('C-REQUESTS', ts);
    expect(thread.some((m) => buttonIn(m.blocks, ACTION.cutover))).toBe(false);
    const texts = thread.map((m) => m.text ?? '');
    const renamed = texts.findIndex((t) => t.startsWith('Give the staged account the real address: done'));
    const handover = thread.findIndex((m) => buttonIn(m.blocks, ACTION.showPassword));
    expect(renamed).toBeGreaterThan(-1);
    expect(handover).toBeGreaterThan(renamed);
    // the source's password never went to Slack
    for (const call of h.fake.calls) expect(JSON.stringify(call.params)).not.toContain(STAGED_SOURCE_PASSWORD);
  }, 150_000);
});
