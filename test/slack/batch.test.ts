import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK, buttonValue } from '../../src/slack/ids.js';
import { startHarness, TOKEN, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn, viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });

function submitCsv(h: Harness, fileId: string, user = 'U-REQUESTER') {
  return h.interact(
    viewSubmission({
      callbackId: CALLBACK.batch,
      privateMetadata: META,
      user,
      values: { [BLOCK.csvFile]: { [ACTION.csvFile]: { type: 'file_input', files: [{ id: fileId, name: 'batch.csv' }] } } },
    }),
  );
}

describe('batch from a CSV', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ progressIntervalMs: 100 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('`/migrate-mailbox batch` opens a modal with a CSV file input', async () => {
    await h.command('batch');
    const view = h.fake.callsOf('views.open')[0]!.params.view;
    expect(view.callback_id).toBe(CALLBACK.batch);
    const input = view.blocks.find((b: { block_id?: string }) => b.block_id === BLOCK.csvFile);
    expect(input.element).toMatchObject({ type: 'file_input', action_id: ACTION.csvFile, filetypes: ['csv'], max_files: 1 });
  });

  it('a bad row: errors shown inline on the file input, nothing started', async () => {
    h.fake.addFile({
      id: 'F-BAD',
      name: 'batch.csv',
      content: 'source,destination_service\njohn.smith@mydomain.ovh,emailpro-ab12345-1\nnot-an-address,emailpro-ab12345-1\njane.doe@mydomain.ovh,not a service!\n',
    });
    const res = await submitCsv(h, 'F-BAD');
    const body = await res.json();
    expect(body.response_action).toBe('errors');
    expect(body.errors[BLOCK.csvFile]).toMatch(/^Row 3: source: .+\nRow 4: destination_service: must be SERVICE/);
    expect(h.service.jobs.size).toBe(0);
    expect(h.service.callsOf('submit')).toHaveLength(0);
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(0);
    // downloaded with files.info, then url_private_download with the bot token
    expect(h.fake.callsOf('files.info')[0]!.params.file).toBe('F-BAD');
    expect(h.service.callsOf('submitBatch')[0]![0]).toContain('not-an-address');
  });

  it('many bad rows: the inline error ends with "… N more" and stays short', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `bad${i},emailpro-ab12345-1`).join('\n');
    h.fake.addFile({ id: 'F-MANY', name: 'batch.csv', content: `source,destination_service\n${rows}\n` });
    const body = await (await submitCsv(h, 'F-MANY')).json();
    expect(body.errors[BLOCK.csvFile].length).toBeLessThanOrEqual(1000);
    expect(body.errors[BLOCK.csvFile]).toMatch(/… \d+ more$/);
  });

  it('a file Slack will not hand over (no files:read) is reported, nothing started', async () => {
    const body = await (await submitCsv(h, 'F-MISSING')).json();
    expect(body.response_action).toBe('errors');
    expect(h.service.callsOf('submitBatch')).toHaveLength(0);
  });

  it('a good CSV: one summary message with every mailbox, updated as they run; approve all', async () => {
    h.fake.addFile({ id: 'F-OK', name: 'batch.csv', content: 'source,destination_service,reset_source\njohn.smith@mydomain.ovh,emailpro-ab12345-1,no\njane.doe@mydomain.ovh,mxplan-ab12345-2,yes\n' });
    const res = await submitCsv(h, 'F-OK');
    expect(await res.text()).toBe('');
    const posted = h.fake.callsOf('chat.postMessage');
    expect(posted).toHaveLength(1);
    const ts = posted[0]!.response.ts as string;
    const summary = h.fake.message('C-REQUESTS', ts)!;
    expect(summary.text).toContain('2 mailboxes');
    expect(JSON.stringify(summary.blocks)).toContain('jane.doe@mydomain.ovh');
    const buttons = summary.blocks!.find((b) => b.type === 'actions').elements;
    expect(buttons.map((b: { action_id: string }) => b.action_id)).toEqual([ACTION.batchApprove, ACTION.batchReject]);
    // the buttons carry the batch's nonce
    const nonce = h.service.batches.get('batch-1')!.nonce;
    expect(buttons.map((b: { value: string }) => b.value)).toEqual([buttonValue('batch-1', nonce), buttonValue('batch-1', nonce)]);

    // the requester cannot approve the batch (not an approver); an approver can
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: buttons[0].value, user: 'U-REQUESTER', channel: 'C-REQUESTS', message: summary }));
    expect(h.service.callsOf('decideBatch')).toHaveLength(0);
    expect(h.service.callsOf('decide')).toHaveLength(0);
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: buttons[0].value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: summary }));
    expect(h.service.callsOf('decideBatch')).toEqual([['batch-1', { approve: true, by: { kind: 'slack', id: 'U-APPROVER' }, nonce }]]);
    expect(h.service.callsOf('decide').map((c) => c[0])).toEqual(['job-2', 'job-3']);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks)).toContain('Approved by <@U-APPROVER>');
    await h.slack.notifier.idle();
    expect(JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks)).toContain('Approved by <@U-APPROVER>');

    // the pipeline reports the batch as it runs: the summary is redrawn from the stored state, no new message
    h.service.jobs.get('job-2')!.status.state = 'running';
    h.service.jobs.get('job-3')!.status.state = 'done';
    h.service.emit({
      type: 'batch',
      batchId: 'batch-1',
      rows: [
        { jobId: 'job-2', address: 'john.smith@mydomain.ovh', state: 'running' },
        { jobId: 'job-3', address: 'jane.doe@mydomain.ovh', state: 'done' },
      ],
      origin: { channel: 'C-REQUESTS', batchId: 'batch-1' },
    });
    await h.slack.notifier.idle();
    const after = h.fake.message('C-REQUESTS', ts)!;
    expect(after.text).toMatch(/running: 1 · .*done: 1/);
    expect(JSON.stringify(after.blocks)).toContain('Approved by <@U-APPROVER>');
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(1);
    // the download carried the bot token
    const download = h.fake.callsOf('GET url_private')[0]!;
    expect(download.params.path).toContain('/download/');
    expect(download.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});

describe('batch decisions: no self-approval, only the batch it was for', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ progressIntervalMs: 100 });
  });
  afterEach(async () => {
    await h.close();
  });

  async function postBatch(user: string) {
    h.fake.addFile({ id: 'F-2', name: 'batch.csv', content: 'source,destination_service\njohn.smith@mydomain.ovh,emailpro-ab12345-1\njane.doe@mydomain.ovh,mxplan-ab12345-2\n' });
    await submitCsv(h, 'F-2', user);
    const ts = h.fake.callsOf('chat.postMessage')[0]!.response.ts as string;
    const summary = structuredClone(h.fake.message('C-REQUESTS', ts)!);
    return { ts, summary, approve: buttonIn(summary.blocks, ACTION.batchApprove)! };
  }

  it('approve-all by an approver who requested the batch approves nothing and says why for each mailbox', async () => {
    const { ts, summary, approve } = await postBatch('U-APPROVER');
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: approve.value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: summary }));
    expect(h.service.callsOf('decideBatch')).toHaveLength(1);
    expect([...h.service.jobs.values()].map((j) => j.status.state)).toEqual(['awaiting-approval', 'awaiting-approval']);
    const told = h.fake.callsOf('chat.postEphemeral').at(-1)!.params;
    expect(told.user).toBe('U-APPROVER');
    expect(told.text).toMatch(/Nothing was approved\.\nNot decided:\n• john\.smith@mydomain\.ovh: requested by you\n• jane\.doe@mydomain\.ovh: requested by you/);
    // the summary keeps its buttons for another approver
    expect(buttonIn(h.fake.message('C-REQUESTS', ts)!.blocks, ACTION.batchApprove)).toBeDefined();
  });

  it('approve-all applies only to the mailboxes that still belong to the batch, and lists the others', async () => {
    const { ts, summary, approve } = await postBatch('U-REQUESTER');
    // jane.doe's job now belongs to another request (same address, a later single request)
    const jane = [...h.service.jobs.values()].find((j) => j.status.plan.source.address === 'jane.doe@mydomain.ovh')!;
    delete jane.batchId;
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: approve.value, user: 'U-GROUP-APPROVER', channel: 'C-REQUESTS', message: summary }));
    const john = [...h.service.jobs.values()].find((j) => j.status.plan.source.address === 'john.smith@mydomain.ovh')!;
    expect(john.status.state).toBe('queued');
    expect(jane.status.state).toBe('awaiting-approval');
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/1 of 2 mailboxes approved\.\nNot decided:\n• jane\.doe@mydomain\.ovh: no longer part of this batch/);
    const shown = JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks);
    expect(shown).toContain('Approved by <@U-GROUP-APPROVER>');
    expect(shown).toContain('not decided: no longer part of this batch');
  });

  it('a batch button carrying another nonce decides nothing', async () => {
    const { summary } = await postBatch('U-REQUESTER');
    const forged = buttonValue('batch-1', 'bnonce-of-another-batch');
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: forged, user: 'U-APPROVER', channel: 'C-REQUESTS', message: summary }));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    expect([...h.service.jobs.values()].every((j) => j.status.state === 'awaiting-approval')).toBe(true);
    expect(h.fake.callsOf('chat.postEphemeral').at(-1)!.params.text).toMatch(/refused: this button does not belong to batch batch-1\. Nothing was changed/);
  });
});
