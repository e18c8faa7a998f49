import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus, newRedis } from '../../src/pipeline/events.js';
import type { MigrationEvent } from '../../src/pipeline/migration-service.js';
import { DEFAULT_QUEUE_NAME, Keys } from '../../src/pipeline/queue-names.js';
import { BullMigrationService } from '../../src/pipeline/service.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { startFakeSlackApi, type FakeSlackApi, type StoredMessage } from '../support/fake-slack-api.js';
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

  function workerBus(settings: Settings): EventBus {
    const redis = newRedis(settings.connection);
    closers.push(async () => redis.disconnect());
    return new EventBus(redis, settings.connection, new Keys(settings.prefix, DEFAULT_QUEUE_NAME).events());
  }

  /** Submits the request modal on `bot` and returns the request message's ts and job id. */
  async function requestFromModal(bot: Harness<BullMigrationService>, channel: string, source: string): Promise<{ ts: string; jobId: string }> {
    const posts = fake.callsOf('chat.postMessage').length;
    const submitted = await bot.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: JSON.stringify({ channel, commandChannel: channel }),
        values: {
          [BLOCK.source]: { [ACTION.source]: { selected_option: { value: source } } },
          [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'mxplan-sb33333-1' } } },
        },
      }),
    );
    expect(await submitted.text()).toBe('');
    const ts = fake.callsOf('chat.postMessage')[posts]!.response.ts as string;
    const jobId = fake.message(channel, ts)!.blocks!.find((b) => b.type === 'actions').elements[0].value as string;
    return { ts, jobId };
  }

  function progress(i: number, of: number): MigrationEvent & { type: 'progress' } {
    return {
      type: 'progress',
      jobId: '',
      progress: { phase: i === of ? 'done' : 'copying', folder: 'INBOX', messagesDone: i * 10, messagesTotal: of * 10, bytesDone: i * 1_048_576, bytesTotal: of * 1_048_576, rate: 1_048_576, etaSeconds: of - i },
    };
  }

  /** What a worker publishes for one mailbox: steps, a stream of progress, the copy step, the end. */
  async function publishJob(bus: EventBus, jobId: string, threadTs: string, part: 'start' | 'end' | 'all'): Promise<void> {
    const origin = { channel: 'C-REQUESTS', threadTs };
    if (part !== 'end') {
      for (const name of ['rename-source', 'create-destination'] as const) {
        await bus.publish({ type: 'step', jobId, origin, step: { name, status: 'running' } });
        await bus.publish({ type: 'step', jobId, origin, step: { name, status: 'done', detail: `${name} ok` } });
      }
      await bus.publish({ type: 'step', jobId, origin, step: { name: 'copy', status: 'running' } });
    }
    if (part !== 'start') {
      for (let i = 1; i <= 15; i++) {
        await bus.publish({ ...progress(i, 15), jobId, origin, step: 'copy' });
        await new Promise((r) => setTimeout(r, 20));
      }
      await bus.publish({ type: 'step', jobId, origin, step: { name: 'copy', status: 'done', detail: 'copy ok' } });
      await bus.publish({ type: 'finished', jobId, origin, requester: { kind: 'slack', id: 'U-REQUESTER' }, report: { foldersNotInSync: [], dns: [], aliasesRecreated: [], toRecreateByHand: [] } });
    }
  }

  /** Each thread: every reply exactly once, in the order the worker published them, one progress message ending at 100%. */
  async function expectThreadsTold(threads: string[]): Promise<void> {
    await waitFor(() => threads.every((ts) => fake.thread('C-REQUESTS', ts).some((m) => (m.text ?? '').startsWith('Migration of'))), 15_000, 'every final report');
    // anything posted twice would arrive within this
    await new Promise((r) => setTimeout(r, 700));
    for (const ts of threads) {
      const replies = fake.thread('C-REQUESTS', ts).sort((a, b) => Number(a.ts) - Number(b.ts));
      const texts = replies.map((m) => (m.text ?? '').replace(/:.*$/, ''));
      expect(texts, `thread ${ts}`).toEqual(['Rename the source account', 'Create the destination account', 'Copy the mailbox', 'Copy the mailbox', expect.stringMatching(/^Migration of mig-job\d@mydomain\.ovh finished$/)]);
      const progressMessage = replies[2] as StoredMessage;
      expect(progressMessage.text).toMatch(/^Copy the mailbox: copy finished: 100%$/);
      expect(JSON.stringify(progressMessage.blocks)).toContain('150 / 150 messages');
      expect(replies[3]!.text).toContain('Copy the mailbox: done');
    }
  }

  it('two bots, one Redis: every event of a request thread is posted once, in order, with one live progress message', async () => {
    const { settings } = await parts.pipeline({ worker: false });
    await startBot(settings);
    await startBot(settings);
    const bus = workerBus(settings);
    const posts = fake.callsOf('chat.postMessage').length;
    // three mailboxes at once: the bots share them out, none is told twice
    const threads = ['1700000001.000100', '1700000001.000200', '1700000001.000300'];
    await Promise.all(threads.map((ts, i) => publishJob(bus, `mig-job${i}@mydomain.ovh`, ts, 'all')));
    await expectThreadsTold(threads);
    expect(fake.callsOf('chat.postMessage').length - posts).toBe(threads.length * 5);
  }, 30_000);

  it('a rolling restart: the bot that stops hands its jobs to the one still running, nothing lost or posted twice', async () => {
    const { settings } = await parts.pipeline({ worker: false });
    // the old bot alone tells the first steps (so it is the one holding these jobs), the new one starts, the old one stops
    const old = await startBot(settings);
    const bus = workerBus(settings);
    const threads = ['1700000002.000100', '1700000002.000200', '1700000002.000300'];
    await Promise.all(threads.map((ts, i) => publishJob(bus, `mig-job${i}@mydomain.ovh`, ts, 'start')));
    await waitFor(() => threads.every((ts) => fake.thread('C-REQUESTS', ts).length === 2), 10_000, 'the first steps');
    await startBot(settings);
    await old.stop();
    await Promise.all(threads.map((ts, i) => publishJob(bus, `mig-job${i}@mydomain.ovh`, ts, 'end')));
    await expectThreadsTold(threads);
  }, 30_000);

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
    await before.h.interact(buttonClick({ actionId: ACTION.reject, value: jobId, user: 'U-APPROVER', channel, message: request }));
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
    await pipeline.decide(jobId, { approve: false, by: { kind: 'cli', id: 'alice' } });
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
