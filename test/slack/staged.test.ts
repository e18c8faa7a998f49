import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { ACTION, BLOCK, CALLBACK, parseButtonValue } from '../../src/slack/ids.js';
import { blockKitViolations } from '../support/fake-slack-api.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn, viewSubmission } from '../support/slack-request.js';
import { pairsFixture } from '../pipeline/fixtures.js';
import { Harness as PipelineHarness, waitFor } from '../pipeline/harness.js';

const SOURCE = 'erin@mydomain.ovh';
const SOURCE_PASSWORD = 'Exchange-Pass-05';
const DESTINATION = 'emailpro-sb22222-1';

describe('a staged migration from Slack, with the real worker, Redis and sandbox', () => {
  let pipelineParts: PipelineHarness;
  let service: BullMigrationService;
  let h: Harness<BullMigrationService>;

  beforeAll(async () => {
    pipelineParts = await PipelineHarness.start({ fixture: pairsFixture() });
    const pipeline = await pipelineParts.pipeline({ concurrency: 1 });
    service = pipeline.service;
    h = await startHarness({ service, progressIntervalMs: 300, ackBudgetMs: 20_000 });
    (await service.subscribeReady(() => undefined))();
  }, 60_000);

  afterAll(async () => {
    await h?.close();
    await pipelineParts?.stop();
  });

  it('the thread shows the staged copy with "Cut over now" (approvers only); the password comes at the cut-over', async () => {
    await h.interact(
      viewSubmission({
        callbackId: CALLBACK.request,
        privateMetadata: JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' }),
        values: {
          [BLOCK.source]: { [ACTION.source]: { selected_option: { value: SOURCE } } },
          [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: DESTINATION } } },
          [BLOCK.options]: { [ACTION.options]: { selected_options: [] } },
          [BLOCK.sourcePassword]: { [ACTION.sourcePassword]: { value: SOURCE_PASSWORD } },
        },
      }),
    );
    const posted = h.fake.callsOf('chat.postMessage')[0]!;
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
    for (const call of h.fake.calls) expect(JSON.stringify(call.params)).not.toContain(SOURCE_PASSWORD);
  }, 150_000);
});
