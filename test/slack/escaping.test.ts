import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MigrationPlan, MigrationReport, MigrationRequest, MigrationStatus } from '../../src/pipeline/migration-service.js';
import { handoverMessage } from '../../src/slack/blocks/password.js';
import { finalReportMessage } from '../../src/slack/blocks/report.js';
import { requestMessage } from '../../src/slack/blocks/request-message.js';
import { batchSummaryMessage, failureMessage, progressMessage, stepMessage } from '../../src/slack/blocks/thread.js';
import { ACTION, BLOCK, CALLBACK, buttonValue } from '../../src/slack/ids.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { buttonClick, buttonIn, liveMarkup, viewSubmission } from '../support/slack-request.js';

/** What servers and users can put in a name, a subject, an error or a detail. */
const HOSTILE = '<!channel> <!here> <@U-VICTIM> <https://evil.example|click here> & co';
const HOSTILE_ADDRESS = '<!channel>@mydomain.ovh';
const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });

describe('text from servers and users cannot become mrkdwn (mentions, links, code)', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    const planFor = h.service.planFor.bind(h.service);
    h.service.planFor = (request: MigrationRequest, jobId?: string): MigrationPlan => ({
      ...planFor(request, jobId),
      temporaryAddress: `${HOSTILE}\`*tmp*\`@mydomain.ovh`,
      warnings: [HOSTILE],
      features: [
        { kind: 'footer', key: 'footer:x', target: HOSTILE, verdict: 'byHand', detail: HOSTILE, instruction: HOSTILE },
        { kind: 'right', key: 'right:x', target: HOSTILE, verdict: 'pending', detail: HOSTILE, waitsFor: [HOSTILE] },
        { kind: 'alias', key: 'alias:x', target: HOSTILE, verdict: 'create' },
      ],
    });
    h.service.services.push({ platform: 'emailpro', name: 'emailpro-<!here>', label: HOSTILE });
  });
  afterEach(async () => {
    await h.close();
  });

  /** Posts a builder's message through the app's client (what the notifier does) and returns it as Slack holds it. */
  async function post(message: { text: string; blocks: unknown[] }) {
    const posted = await h.slack.app.client.chat.postMessage({ channel: 'C-REQUESTS', ...(message as { text: string }) });
    expect(posted.ok).toBe(true);
    return h.fake.message('C-REQUESTS', posted.ts!)!;
  }

  function expectInert(message: unknown, what: string) {
    expect(liveMarkup(message), `${what}: ${JSON.stringify(message).slice(0, 3000)}`).toEqual([]);
  }

  it('the request message, its confirm dialogs and the duplicate notice', async () => {
    h.service.jobIdsPerAddress = true;
    const values = {
      [BLOCK.source]: { [ACTION.source]: { selected_option: { value: HOSTILE_ADDRESS } } },
      [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'emailpro-<!here>' } } },
    };
    await h.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values }));
    const first = h.fake.callsOf('chat.postMessage')[0]!.response.ts as string;
    const request = h.fake.message('C-REQUESTS', first)!;
    expect(buttonIn(request.blocks, ACTION.approve)).toBeDefined();
    expectInert(request, 'request message');
    expect(JSON.stringify(request.blocks)).toContain('&lt;!channel&gt;@mydomain.ovh');
    // asked again while the first one waits
    await h.interact(viewSubmission({ callbackId: CALLBACK.request, privateMetadata: META, values }));
    const second = h.fake.message('C-REQUESTS', h.fake.callsOf('chat.postMessage')[1]!.response.ts as string)!;
    expect(second.text).toMatch(/asked again for \*&lt;!channel&gt;@mydomain\.ovh\*/);
    expectInert(second, 'duplicate notice');
  });

  it('thread messages: step details, progress folders, failures, reports, hand-over, batch summary', async () => {
    const plan = h.service.planFor({ sourceAddress: HOSTILE_ADDRESS, destinationService: 'emailpro-<!here>', requester: { kind: 'slack', id: 'U1' } }, 'job-9');
    const report: MigrationReport = {
      copy: { ok: false, messages: { total: 3, copied: 2, skipped: 0, failed: 1 }, bytes: 1, seconds: 1, folders: [{ from: HOSTILE, to: 'x', total: 3, copied: 2, skipped: 0, failed: 1 }] },
      foldersNotInSync: [{ folder: `${HOSTILE} \`*x*\``, missing: 1 }],
      dns: [{ record: 'MX', ok: false, current: [HOSTILE], expected: ['mx1.mail.ovh.net'], detail: HOSTILE }],
      clientSettings: {
        imap: { host: HOSTILE, port: 993, security: 'tls' },
        smtp: { host: 'smtp.example', port: 587, security: 'starttls' },
        webmailUrl: '<https://evil.example|Open your webmail>',
      },
      features: (['created', 'pending', 'byHand', 'conflict', 'failed'] as const).map((status) => ({ kind: 'footer' as const, key: `footer:${status}`, target: HOSTILE, status, detail: HOSTILE, instruction: HOSTILE })),
    };
    const messages = {
      step: stepMessage({ name: 'copy', status: 'failed', detail: HOSTILE }),
      progress: progressMessage({ phase: 'copying', folder: `${HOSTILE}\`*bold*\``, messagesDone: 1, messagesTotal: 2, bytesDone: 1, bytesTotal: 2, rate: 1, etaSeconds: 1 }, 'copy'),
      failure: failureMessage({ jobId: 'job-9', nonce: 'nonce00000009', step: 'copy', error: `\`\`\`${HOSTILE}\`\`\` and more`, undoAvailable: true, plan }),
      report: finalReportMessage({ jobId: 'job-9', nonce: 'nonce00000009', source: HOSTILE_ADDRESS, report }),
      handover: handoverMessage({ jobId: 'job-9', nonce: 'nonce00000009', address: HOSTILE_ADDRESS, handover: { to: 'requester', recipient: { kind: 'cli', id: HOSTILE }, typedByRequester: false, state: 'ready' } }),
      batch: batchSummaryMessage({ batchId: 'b<!here>', nonce: 'nonce00000009', requester: '<!channel>', rows: [{ jobId: 'job-9', address: HOSTILE_ADDRESS, state: 'awaiting-approval', refused: HOSTILE }] }),
      request: requestMessage({
        plan,
        requester: { kind: 'cli', id: HOSTILE },
        nonce: 'nonce00000009',
        handover: { to: 'requester', recipient: { kind: 'cli', id: HOSTILE }, typedByRequester: true, state: 'pending' },
      }),
    };
    for (const [what, message] of Object.entries(messages)) expectInert(await post(message), what);
    // a code block is opened and closed once, whatever the error holds
    const failure = JSON.stringify(messages.failure.blocks[0]);
    expect(failure.match(/```/g)).toHaveLength(2);
    // inline code spans hold no backtick of their own
    expect(JSON.stringify(messages.progress.blocks)).toContain('ˋ*bold*ˋ');
    expect(JSON.stringify(messages.report.blocks)).toContain('&lt;https://evil.example|Open your webmail&gt;');
  });

  it("the listeners' own texts: refusals, errors, unknown commands, status", async () => {
    const submitted = await h.service.submit({ sourceAddress: HOSTILE_ADDRESS, destinationService: 'emailpro-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    if (!submitted.ok) throw new Error('not submitted');
    const value = buttonValue(submitted.jobId, submitted.nonce);
    const followUp = { ts: '1.1', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: ACTION.undo, value, text: { type: 'plain_text', text: 'x' } }] }] };
    h.service.followUpError = () => new Error(HOSTILE);
    await h.interact(buttonClick({ actionId: ACTION.undo, value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: followUp }));
    // the pipeline refusing a decision with a hostile reason
    h.service.decide = async () => {
      throw new Error(HOSTILE);
    };
    await h.interact(buttonClick({ actionId: ACTION.approve, value, user: 'U-APPROVER', channel: 'C-REQUESTS', message: followUp }));
    const ephemerals = h.fake.callsOf('chat.postEphemeral').map((c) => c.params);
    expect(ephemerals).toHaveLength(2);
    expect(ephemerals[0]!.text).toContain('That did not work: &lt;!channel&gt;');
    for (const e of ephemerals) expectInert(e, String(e.text));

    const unknown = await (await h.command('<!channel> <https://evil.example|click>')).json();
    expect(unknown.text).toMatch(/I did not understand `&lt;!channel&gt;/);
    expectInert(unknown, 'unknown command');

    await h.command('status', { user: 'U-APPROVER' });
    const status = h.fake.responses.at(-1)!.body;
    expect(JSON.stringify(status)).toContain('&lt;!channel&gt;@mydomain.ovh');
    expectInert(status, 'status');

    h.service.cancel = async () => {
      throw new Error(HOSTILE);
    };
    await h.command(`cancel ${submitted.jobId}`, { user: 'U-APPROVER' });
    const cancel = h.fake.responses.at(-1)!.body;
    expect(cancel.text).toMatch(/^Could not cancel: &lt;!channel&gt;/);
    expectInert(cancel, 'cancel');
  });

  it('a status with a hostile step detail, busy action and date is inert too', async () => {
    await h.service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-1', requester: { kind: 'slack', id: 'U-REQUESTER' } });
    const status = h.service.jobs.get('job-1')!.status as MigrationStatus;
    status.steps = [{ name: 'copy', status: 'failed', detail: HOSTILE, at: HOSTILE }];
    await h.command('status', { user: 'U-APPROVER' });
    expectInert(h.fake.responses.at(-1)!.body, 'status');
  });
});
