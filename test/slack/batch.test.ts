import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { startHarness, TOKEN, type Harness } from '../support/slack-harness.js';
import { buttonClick, viewSubmission } from '../support/slack-request.js';

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

    // the requester cannot approve the batch; an approver can
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: 'batch-1', user: 'U-REQUESTER', channel: 'C-REQUESTS', message: summary }));
    expect(h.service.callsOf('decide')).toHaveLength(0);
    await h.interact(buttonClick({ actionId: ACTION.batchApprove, value: 'batch-1', user: 'U-APPROVER', channel: 'C-REQUESTS', message: summary }));
    expect(h.service.callsOf('decide').map((c) => c[0])).toEqual(['job-2', 'job-3']);
    expect(JSON.stringify(h.fake.message('C-REQUESTS', ts)!.blocks)).toContain('Approved by <@U-APPROVER>');

    // the pipeline reports the batch as it runs: the summary is edited, no new message
    h.service.emit({
      type: 'batch',
      batchId: 'batch-1',
      rows: [
        { jobId: 'job-2', address: 'john.smith@mydomain.ovh', state: 'running' },
        { jobId: 'job-3', address: 'jane.doe@mydomain.ovh', state: 'done' },
      ],
      origin: { channel: 'C-REQUESTS', batchId: 'batch-1' },
    });
    // a step of one mailbox: not posted (batch threads get the summary, failures and reports)
    h.service.emit({ type: 'step', jobId: 'job-2', step: { name: 'copy', status: 'done' }, origin: { channel: 'C-REQUESTS', batchId: 'batch-1' } });
    h.service.emit({ type: 'failed', jobId: 'job-2', step: 'copy', error: 'boom', undoAvailable: true, origin: { channel: 'C-REQUESTS', batchId: 'batch-1' } });
    await h.slack.notifier.idle();
    const after = h.fake.message('C-REQUESTS', ts)!;
    expect(after.text).toMatch(/running: 1 · .*done: 1/);
    expect(JSON.stringify(after.blocks)).toContain('Approved by <@U-APPROVER>');
    const thread = h.fake.thread('C-REQUESTS', ts);
    expect(thread).toHaveLength(1);
    expect(thread[0]!.text).toContain('boom');
    // the download carried the bot token
    const download = h.fake.callsOf('GET url_private')[0]!;
    expect(download.params.path).toContain('/download/');
    expect(download.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });
});
