import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { ACTION, BLOCK, CALLBACK, parseButtonValue } from '../../src/slack/ids.js';
import { startFakeSlackApi, type FakeSlackApi } from '../support/fake-slack-api.js';
import { startHarness, TOKEN, type Harness } from '../support/slack-harness.js';
import { buttonClick, viewSubmission } from '../support/slack-request.js';
// the pipeline's own test parts: a real redis-server, and the OVH simulator for the batch's preflight
import { pairsFixture } from '../pipeline/fixtures.js';
import { Harness as PipelineHarness, waitFor } from '../pipeline/harness.js';

/**
 * Several bot processes on one Redis (replicas, or a rolling restart): each is a real Bolt app with its own
 * BullMigrationService (its own Redis connections and subscription), all talking to ONE fake Slack API, so the
 * fake sees every post of every bot. Events come from the pipeline's EventBus, as a worker publishes them.
 */
describe('several bot processes on one Redis', () => {
  let parts: PipelineHarness;
  let fake: FakeSlackApi;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    [parts, fake] = await Promise.all([PipelineHarness.start({ fixture: pairsFixture() }), startFakeSlackApi({ token: TOKEN })]);
    fake.userGroups.set('S-ADMINS', []);
  }, 60_000);

  afterAll(async () => {
    while (closers.length) await closers.pop()!().catch(() => undefined);
    await fake?.close();
    await parts?.stop();
  });

  type Settings = Awaited<ReturnType<PipelineHarness['pipeline']>>['settings'];

  /** One bot process: its own service on the shared Redis, the real app, the notifier subscribed. */
  async function startBot(settings: Settings): Promise<{ h: Harness<BullMigrationService>; stop(): Promise<void> }> {
    const service = new BullMigrationService({ ...settings, directory: parts.deps.directory, secrets: parts.secrets, logger: parts.logger });
    const h = await startHarness({ service, env: { SLACK_API_URL: fake.url }, progressIntervalMs: 200, ackBudgetMs: 20_000 });
    // the notifier subscribed in startHarness; this resolves once the process's subscription is live
    (await service.subscribeReady(() => undefined))();
    let stopped = false;
    const stop = async () => {
      if (stopped) return;
      stopped = true;
      // what startSlackApp's stop does, then the process's pipeline connections go
      h.slack.notifier.stop();
      await h.slack.notifier.idle();
      await h.close();
      await service.close();
    };
    closers.push(stop);
    return { h, stop };
  }

  /** Submits the request modal on `bot` and returns the request message's ts and job id. */
  async function requestFromModal(bot: Harness<BullMigrationService>, channel: string, source: string, destination = 'mxplan-sb33333-1'): Promise<{ ts: string; jobId: string }> {
    const posts = fake.callsOf('chat.postMessage').length;
    const submitted = await bot.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: JSON.stringify({ channel, commandChannel: channel }),
        values: {
          [BLOCK.source]: { [ACTION.source]: { selected_option: { value: source } } },
          [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: destination } } },
        },
      }),
    );
    expect(await submitted.text()).toBe('');
    const ts = fake.callsOf('chat.postMessage')[posts]!.response.ts as string;
    const jobId = parseButtonValue(fake.message(channel, ts)!.blocks!.find((b) => b.type === 'actions').elements[0].value)!.id;
    return { ts, jobId };
  }

  /** Approves a request as an approver would, with the button on its message. */
  async function approve(bot: Harness<BullMigrationService>, channel: string, ts: string): Promise<void> {
    const message = fake.message(channel, ts)!;
    const button = message.blocks!.find((b) => b.type === 'actions').elements.find((e: { action_id: string }) => e.action_id === ACTION.approve);
    await bot.interact(buttonClick({ actionId: ACTION.approve, value: button.value, user: 'U-APPROVER', channel, message }));
  }

  /**
   * Each thread as the migration's stored state says, every message once: a reply per step, one progress message,
   * the password hand-over, the final report.
   */
  async function expectThreadsTold(channel: string, threads: string[]): Promise<void> {
    await waitFor(() => threads.every((ts) => fake.thread(channel, ts).some((m) => /^Migration of .* finished/.test(m.text ?? ''))), 60_000, 'every final report');
    for (const ts of threads) {
      const texts = fake.thread(channel, ts).map((m) => m.text ?? '');
      expect(new Set(texts).size, `thread ${ts}: ${texts.join(' | ')}`).toBe(texts.length);
      expect(texts.filter((t) => /^Copy the mailbox: (done|failed)/.test(t))).toHaveLength(1);
      expect(texts.filter((t) => /^Copy the mailbox: .*%$/.test(t))).toHaveLength(1);
      expect(texts.filter((t) => /^The initial password of/.test(t))).toHaveLength(1);
      expect(texts.filter((t) => /^Migration of .* finished/.test(t))).toHaveLength(1);
      expect(texts.at(-1)).toMatch(/^Migration of .* finished/);
      const steps = texts.filter((t) => /^(Approval|Attach|Rename|Create|Copy the mailbox: done|Copy what|Recreate|Verify|DNS|Hand-over)/.test(t));
      expect(steps).toHaveLength(10);
    }
  }

  it('two bots, one Redis, real migrations: every message of each thread once, in order', async () => {
    const { settings } = await parts.pipeline({ concurrency: 2 });
    const bots = [await startBot(settings), await startBot(settings)];
    const channel = 'C-REQUESTS';
    const requests = [];
    for (const [i, source] of ['erin@mydomain.ovh', 'frank@mydomain.ovh'].entries()) requests.push(await requestFromModal(bots[i]!.h, channel, source, 'emailpro-sb22222-1'));
    for (const [i, r] of requests.entries()) await approve(bots[1 - i]!.h, channel, r.ts);
    await expectThreadsTold(channel, requests.map((r) => r.ts));
  }, 90_000);

  it('a rolling restart in the middle of a migration: the new bot carries on the same thread, nothing lost or posted twice', async () => {
    const { settings } = await parts.pipeline({ concurrency: 1 });
    const old = await startBot(settings);
    const channel = 'C-REQUESTS';
    // held between creating the destination and setting its password: the old bot has told the rename by then
    const held = parts.sim.faults.stall((r) => r.method === 'POST' && r.path === '/email/pro/emailpro-sb22222-1/account/gina@mydomain.ovh/changePassword');
    const { ts } = await requestFromModal(old.h, channel, 'gina@mydomain.ovh', 'emailpro-sb22222-1');
    await approve(old.h, channel, ts);
    await held;
    await waitFor(() => fake.thread(channel, ts).some((m) => /^Rename the source account: done/.test(m.text ?? '')), 30_000, 'the old bot to tell the rename');
    await startBot(settings);
    await old.stop();
    parts.sim.faults.clear();
    await expectThreadsTold(channel, [ts]);
  }, 90_000);

  it('a bot restarted mid-batch keeps the batch summary up to date, with the decision taken before the restart', async () => {
    const { settings, service: pipeline } = await parts.pipeline({ worker: false });
    const before = await startBot(settings);
    const channel = 'C-REQUESTS';
    fake.addFile({ id: 'F-BATCH', name: 'batch.csv', content: 'source;destination_service\nerin@mydomain.ovh;mxplan-sb33333-1\ndave@pro-domain.ovh;emailpro-sb66666-1\n' });
    const posts = fake.callsOf('chat.postMessage').length;
    const submitted = await before.h.interact(
      viewSubmission({
        callbackId: CALLBACK.batch,
        privateMetadata: JSON.stringify({ channel, commandChannel: channel }),
        values: { [BLOCK.csvFile]: { [ACTION.csvFile]: { type: 'file_input', files: [{ id: 'F-BATCH', name: 'batch.csv' }] } } },
      }),
    );
    expect(await submitted.text()).toBe('');
    const posted = fake.callsOf('chat.postMessage').slice(posts);
    expect(posted).toHaveLength(1);
    const ts = posted[0]!.response.ts as string;
    let summary = fake.message(channel, ts)!;
    const batchId = summary.blocks!.find((b) => b.type === 'actions').elements[0].value as string;
    expect(summary.text).toContain('awaiting-approval: 2');

    // rejected from the summary on the first bot, then that bot goes away before any mailbox ran
    await before.h.interact(buttonClick({ actionId: ACTION.batchReject, value: batchId, user: 'U-APPROVER', channel, message: summary }));
    summary = fake.message(channel, ts)!;
    expect(JSON.stringify(summary.blocks)).toContain('Rejected by <@U-APPROVER>');
    const editsBeforeRestart = summary.edits;
    await before.stop();

    // a new bot process, then the worker runs the batch: every event reaches only the new bot
    await startBot(settings);
    const worker = await MigrationWorker.start({ ...settings, deps: parts.deps, concurrency: 2 });
    closers.push(() => worker.close(true));
    const replies = await waitFor(() => {
      const thread = fake.thread(channel, ts);
      return thread.length >= 2 && fake.message(channel, ts)!.edits > editsBeforeRestart ? thread : undefined;
    }, 15_000, 'the new bot to update the batch summary and thread');
    await waitFor(async () => (await pipeline.queue.getJobCounts('completed')).completed === 3, 15_000, 'the batch to complete');
    await new Promise((r) => setTimeout(r, 700));

    summary = fake.message(channel, ts)!;
    expect(summary.text).toContain('rejected: 2');
    // the decision taken before the restart is still shown, the buttons do not come back
    expect(JSON.stringify(summary.blocks)).toContain('Rejected by <@U-APPROVER>');
    expect(summary.blocks!.some((b) => b.type === 'actions')).toBe(false);
    // each mailbox's failed approval step in the batch thread, once
    expect(replies.map((m) => m.text).sort()).toEqual(fake.thread(channel, ts).map((m) => m.text).sort());
    expect(fake.thread(channel, ts).map((m) => m.text ?? '').filter((t) => t.startsWith('Approval: failed'))).toHaveLength(2);
    expect(fake.thread(channel, ts)).toHaveLength(2);
    expect(fake.callsOf('chat.postMessage').length - posts).toBe(3);
  }, 40_000);

  it('a bot restarted after a rejection keeps who rejected on the request message', async () => {
    const { settings, service: pipeline } = await parts.pipeline({ worker: false });
    const before = await startBot(settings);
    const channel = 'C-REQUESTS';
    const { ts, jobId } = await requestFromModal(before.h, channel, 'jane.doe@mydomain.ovh');
    const request = fake.message(channel, ts)!;

    // rejected on the first bot, which then goes away before the worker ran the job
    const reject = request.blocks!.find((b) => b.type === 'actions').elements.find((e: { action_id: string }) => e.action_id === ACTION.reject);
    await before.h.interact(buttonClick({ actionId: ACTION.reject, value: reject.value, user: 'U-APPROVER', channel, message: request }));
    expect(JSON.stringify(fake.message(channel, ts)!.blocks)).toContain('Rejected by <@U-APPROVER>');
    await before.stop();

    // a new bot process (no memory of the decision) gets the job's end from the worker
    const after = await startBot(settings);
    const worker = await MigrationWorker.start({ ...settings, deps: parts.deps, concurrency: 1 });
    closers.push(() => worker.close(true));
    await waitFor(() => fake.thread(channel, ts).find((m) => (m.text ?? '').startsWith('Approval: failed')), 15_000, 'the approval step reply');
    await waitFor(async () => (await pipeline.status({ jobId }))[0]?.state === 'rejected', 15_000, 'rejected state');
    await new Promise((r) => setTimeout(r, 500));
    await after.h.slack.notifier.idle();

    const blocks = JSON.stringify(fake.message(channel, ts)!.blocks);
    expect(blocks).toContain('Rejected by <@U-APPROVER>');
    expect(blocks).not.toContain('Closed');
    expect(fake.message(channel, ts)!.blocks!.some((b) => b.type === 'actions')).toBe(false);
  }, 40_000);

  it('a request rejected from the CLI while no bot ran shows who rejected it once a bot sees its end', async () => {
    const { settings, service: pipeline } = await parts.pipeline({ worker: false });
    const before = await startBot(settings);
    const channel = 'C-REQUESTS';
    const { ts, jobId } = await requestFromModal(before.h, channel, 'john.smith@mydomain.ovh');
    await before.stop();

    // no bot running: the decision event reaches nobody
    const [waiting] = await pipeline.status({ jobId });
    await pipeline.decide(jobId, { approve: false, by: { kind: 'cli', id: 'alice' }, nonce: waiting!.nonce });
    const after = await startBot(settings);
    const worker = await MigrationWorker.start({ ...settings, deps: parts.deps, concurrency: 1 });
    closers.push(() => worker.close(true));
    await waitFor(async () => (await pipeline.status({ jobId }))[0]?.state === 'rejected', 15_000, 'rejected state');
    await waitFor(() => !fake.message(channel, ts)!.blocks!.some((b) => b.type === 'actions'), 15_000, 'the buttons gone');
    await after.h.slack.notifier.idle();

    const blocks = JSON.stringify(fake.message(channel, ts)!.blocks);
    expect(blocks).toMatch(/Rejected by .*alice/);
    expect(blocks).not.toContain('Closed');
  }, 40_000);
});
