import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../src/pipeline/migration-service.js';
import { ACTION, BLOCK, CALLBACK } from '../../src/slack/ids.js';
import { createLogger } from '../../src/log/logger.js';
import { blockKitViolations } from '../support/fake-slack-api.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });

async function requested(h: Harness): Promise<{ jobId: string; ts: string }> {
  await h.interact(
    viewSubmission({
      callbackId: CALLBACK.request,
      privateMetadata: META,
      values: {
        [BLOCK.source]: { [ACTION.source]: { selected_option: { value: 'john.smith@mydomain.ovh' } } },
        [BLOCK.destination]: { [ACTION.destination]: { selected_option: { value: 'emailpro-ab12345-1' } } },
      },
    }),
  );
  return { jobId: 'job-1', ts: h.fake.callsOf('chat.postMessage')[0]!.response.ts as string };
}

function bigReport(folders: number): MigrationReport {
  return {
    copy: {
      ok: false,
      messages: { total: 50_000, copied: 49_000, skipped: 700, failed: 300 },
      bytes: 9_876_543_210,
      seconds: 3725,
      folders: Array.from({ length: folders }, (_, i) => ({ from: `Archives/${2000 + i}/Projet numéro ${i} avec un nom assez long`, to: `Archives/${2000 + i}`, total: 100, copied: 99, skipped: 0, failed: 1 })),
    },
    foldersNotInSync: Array.from({ length: folders }, (_, i) => ({ folder: `Archives/${2000 + i}/Projet numéro ${i} avec un nom assez long`, missing: i + 1 })),
    dns: [
      { record: 'MX', ok: false, current: ['mx1.mail.ovh.net.'], expected: ['mx0.mail.ovh.net.', 'mx1.mail.ovh.net.', 'mx2.mail.ovh.net.', 'mx3.mail.ovh.net.'] },
      { record: 'SRV', ok: false, current: [], expected: ['_autodiscover._tcp.mydomain.ovh. 0 0 443 pro1.mail.ovh.net.'] },
      { record: 'SPF', ok: true, current: ['v=spf1 include:mx.ovh.com ~all'], expected: ['v=spf1 include:mx.ovh.com ~all'] },
      { record: 'DKIM', ok: false, current: [], expected: ['ovhmo1234-selector1._domainkey CNAME ovhmo1234-selector1._domainkey.mydomain.ovh.dkim.mail.ovh.net.'] },
    ],
    clientSettings: {
      imap: { host: 'pro1.mail.ovh.net', port: 993, security: 'tls' },
      smtp: { host: 'pro1.mail.ovh.net', port: 587, security: 'starttls' },
      webmailUrl: 'https://pro1.mail.ovh.net/owa',
    },
    aliasesRecreated: ['j.smith@mydomain.ovh', 'john@mydomain.ovh'],
    toRecreateByHand: Array.from({ length: 80 }, (_, i) => ({ kind: 'delegation' as const, description: `send-as granted to user${i}@mydomain.ovh` })),
  };
}

describe('thread notifier', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ progressIntervalMs: 300 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('replies once per finished step, in the request thread, with the failure detail', async () => {
    const { jobId, ts } = await requested(h);
    const origin = { channel: 'C-REQUESTS', threadTs: ts };
    h.service.emit({ type: 'step', jobId, origin, step: { name: 'rename-source', status: 'running' } });
    h.service.emit({ type: 'step', jobId, origin, step: { name: 'rename-source', status: 'done', detail: 'now john.smith01@mydomain.ovh' } });
    h.service.emit({ type: 'step', jobId, origin, step: { name: 'create-destination', status: 'failed', detail: 'OVH: no free account left on emailpro-ab12345-1' } });
    await h.slack.notifier.idle();
    const replies = h.fake.thread('C-REQUESTS', ts);
    expect(replies).toHaveLength(2);
    expect(replies[0]!.text).toContain('Rename the source account: done');
    expect(JSON.stringify(replies[1]!.blocks)).toContain('no free account left');
  });

  it('finds the thread from the job when an event carries no origin (another bot process posted it)', async () => {
    const { jobId, ts } = await requested(h);
    // a fresh notifier knows nothing: it asks the pipeline for the job's origin
    const { ThreadNotifier } = await import('../../src/slack/notifier/thread-notifier.js');
    const { ThreadRegistry } = await import('../../src/slack/registry.js');
    h.slack.notifier.stop();
    const other = new ThreadNotifier({ client: h.slack.app.client, service: h.service, registry: new ThreadRegistry(), logger: h.slack.deps.logger });
    other.start();
    h.service.emit({ type: 'step', jobId, step: { name: 'dns', status: 'done' } });
    await other.idle();
    other.stop();
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(1);
  });

  it('stays silent for jobs started from the CLI (no Slack origin), asking the pipeline once', async () => {
    const cli = await h.service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'cli', id: 'alice' } });
    if (!cli.ok) throw new Error('submit');
    const statusCalls = h.service.callsOf('status').length;
    for (const name of ['rename-source', 'create-destination', 'copy'] as const) h.service.emit({ type: 'step', jobId: cli.jobId, step: { name, status: 'done' } });
    h.service.emit({ type: 'failed', jobId: cli.jobId, step: 'copy', error: 'x', undoAvailable: false });
    await h.slack.notifier.idle();
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(0);
    expect(h.service.callsOf('status').length - statusCalls).toBe(1);
  });

  it('keeps ONE progress message, edited at a bounded rate, ending on the latest numbers', async () => {
    const { jobId, ts } = await requested(h);
    const origin = { channel: 'C-REQUESTS', threadTs: ts };
    const started = Date.now();
    for (let i = 1; i <= 100; i++) {
      h.service.emit({
        type: 'progress',
        jobId,
        origin,
        progress: { phase: 'copying', folder: 'INBOX', messagesDone: i * 50, messagesTotal: 5000, bytesDone: i * 1_048_576, bytesTotal: 104_857_600, rate: 2_097_152, etaSeconds: 100 - i },
      });
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.slack.notifier.idle();
    const elapsed = Date.now() - started;
    const posts = h.fake.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === ts);
    expect(posts).toHaveLength(1);
    const progressTs = posts[0]!.response.ts;
    const edits = h.fake.callsOf('chat.update').filter((c) => c.params.ts === progressTs);
    // at most one message per 300 ms window, plus the first post
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.length + 1).toBeLessThanOrEqual(Math.ceil(elapsed / 300) + 1);
    const times = edits.map((c) => c.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
    const final = h.fake.message('C-REQUESTS', progressTs as string)!;
    expect(final.text).toContain('100%');
    const body = JSON.stringify(final.blocks);
    expect(body).toContain('5,000 / 5,000 messages');
    expect(body).toContain('100.0 / 100.0 MiB');
    expect(body).toContain('2.0 MiB/s');
    expect(body).toMatch(/\[█{20}\] 100%/);
  });

  it('posts a final report within Block Kit limits with 300 folders, and gives the password to the requester only', async () => {
    const { jobId, ts } = await requested(h);
    h.service.emit({ type: 'finished', jobId, report: bigReport(300), origin: { channel: 'C-REQUESTS', threadTs: ts }, requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.slack.notifier.idle();
    const replies = h.fake.thread('C-REQUESTS', ts);
    expect(replies).toHaveLength(1);
    const report = replies[0]!;
    expect(blockKitViolations(report.blocks, 'message')).toEqual([]);
    const body = JSON.stringify(report.blocks);
    expect(body).toMatch(/… \d+ more/);
    expect(body).toContain('Folders not in sync (300)');
    expect(body).toContain('mx0.mail.ovh.net.');
    expect(body).toContain('_autodiscover._tcp.mydomain.ovh.');
    expect(body).toContain('pro1.mail.ovh.net');
    expect(body).toContain('j.smith@mydomain.ovh');
    expect(body).toContain('send-as granted to user0@mydomain.ovh');
    const reset = report.blocks!.find((b) => b.type === 'actions').elements[0];
    expect(reset).toMatchObject({ action_id: ACTION.resetSource, value: jobId, style: 'danger' });
    expect(reset.confirm).toBeDefined();
    // every message the fake accepted: no password anywhere public
    for (const m of h.fake.messages.values()) expect(JSON.stringify(m)).not.toContain('Gen3rated-Passw0rd!');
    const ephemeral = h.fake.callsOf('chat.postEphemeral');
    expect(ephemeral).toHaveLength(1);
    expect(ephemeral[0]!.params).toMatchObject({ channel: 'C-REQUESTS', user: 'U-REQUESTER', thread_ts: ts });
    expect(ephemeral[0]!.params.text).toContain('Gen3rated-Passw0rd!');
    expect(h.service.callsOf('takeDestinationPassword')).toEqual([[jobId, { kind: 'slack', id: 'U-REQUESTER' }]]);
  });

  it('never writes the password to the logs, even at debug level (where the Web API client logs bodies)', async () => {
    await h.close();
    const lines: string[] = [];
    const logger = createLogger('debug', { write: (line: string) => void lines.push(line) });
    h = await startHarness({ progressIntervalMs: 300, logger });
    const { jobId, ts } = await requested(h);
    h.service.emit({ type: 'finished', jobId, report: bigReport(1), origin: { channel: 'C-REQUESTS', threadTs: ts }, requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.slack.notifier.idle();
    expect(h.fake.callsOf('chat.postEphemeral')[0]!.params.text).toContain('Gen3rated-Passw0rd!');
    const log = lines.join('');
    expect(log).toContain('http request body: [omitted]');
    expect(log).not.toContain('Gen3rated-Passw0rd!');
  });

  it('sends the password by direct message when the ephemeral cannot reach the requester', async () => {
    const { jobId, ts } = await requested(h);
    h.fake.failNext('chat.postEphemeral', 'user_not_in_channel');
    h.service.emit({ type: 'finished', jobId, report: bigReport(2), origin: { channel: 'C-REQUESTS', threadTs: ts }, requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.slack.notifier.idle();
    expect(h.fake.callsOf('conversations.open')[0]!.params.users).toBe('U-REQUESTER');
    const dm = h.fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'D-REQUESTER');
    expect(dm).toHaveLength(1);
    expect(dm[0]!.params.text).toContain('Gen3rated-Passw0rd!');
    expect(h.fake.thread('C-REQUESTS', ts).every((m) => !JSON.stringify(m).includes('Gen3rated'))).toBe(true);
  });

  it('honours 429 Retry-After and does not lose the final report', async () => {
    const { jobId, ts } = await requested(h);
    h.fake.rateLimit('chat.postMessage', 2, 1);
    const started = Date.now();
    h.service.emit({ type: 'finished', jobId, report: bigReport(5), origin: { channel: 'C-REQUESTS', threadTs: ts }, requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.slack.notifier.idle();
    const attempts = h.fake.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === ts);
    expect(attempts.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(attempts[2]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(1);
  }, 20_000);

  it('a decision taken elsewhere (CLI) or an expired request re-draws the request message without buttons', async () => {
    const { jobId, ts } = await requested(h);
    const cliDecision = { changed: true, state: 'approved' as const, by: { kind: 'cli' as const, id: 'alice' }, at: '2026-11-25T10:00:00.000Z' };
    h.service.emit({ type: 'decided', jobId, decision: cliDecision });
    await h.slack.notifier.idle();
    let parent = h.fake.message('C-REQUESTS', ts)!;
    expect(parent.blocks!.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(parent.blocks)).toContain('Approved by alice (CLI)');
    // a Slack decision is drawn by the action listener: the notifier leaves it alone
    const edits = parent.edits;
    h.service.emit({ type: 'decided', jobId, decision: { ...cliDecision, by: { kind: 'slack', id: 'U-APPROVER' } } });
    await h.slack.notifier.idle();
    expect(h.fake.message('C-REQUESTS', ts)!.edits).toBe(edits);

    const second = await h.service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'slack', id: 'U-REQUESTER' }, origin: { channel: 'C-REQUESTS', threadTs: ts } });
    if (!second.ok) throw new Error('submit');
    h.service.emit({ type: 'failed', jobId: second.jobId, step: 'approval', error: 'no decision within 72 hours', undoAvailable: false, origin: { channel: 'C-REQUESTS', threadTs: ts } });
    await h.slack.notifier.idle();
    parent = h.fake.message('C-REQUESTS', ts)!;
    expect(JSON.stringify(parent.blocks)).toContain('Closed without a decision: no decision within 72 hours');
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(0);
  });

  it('a request closed without a decision gets no report: its buttons give way to why', async () => {
    const { jobId, ts } = await requested(h);
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'rejected';
    job.status.steps = [
      { name: 'preflight', status: 'done' },
      { name: 'approval', status: 'failed', detail: 'no decision before the approval timeout' },
      { name: 'rename-source', status: 'skipped', detail: 'no decision before the approval timeout' },
    ];
    h.service.emit({ type: 'finished', jobId, report: { foldersNotInSync: [], dns: [], aliasesRecreated: [], toRecreateByHand: [] }, origin: { channel: 'C-REQUESTS', threadTs: ts }, requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.slack.notifier.idle();
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(0);
    const parent = h.fake.message('C-REQUESTS', ts)!;
    expect(parent.blocks!.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(parent.blocks)).toContain('Closed: no decision before the approval timeout');
    expect(h.service.callsOf('takeDestinationPassword')).toHaveLength(0);
  });

  it('a dry run ends with one line, no report, no reset button', async () => {
    const { jobId, ts } = await requested(h);
    h.service.jobs.get(jobId)!.status.steps = [
      { name: 'preflight', status: 'done' },
      { name: 'approval', status: 'done' },
      { name: 'rename-source', status: 'skipped', detail: 'dry run: nothing changed' },
    ];
    h.service.emit({ type: 'finished', jobId, report: { foldersNotInSync: [], dns: [], aliasesRecreated: [], toRecreateByHand: [] }, origin: { channel: 'C-REQUESTS', threadTs: ts }, requester: { kind: 'slack', id: 'U-REQUESTER' } });
    await h.slack.notifier.idle();
    const [reply] = h.fake.thread('C-REQUESTS', ts);
    expect(reply!.text).toContain('dry run: nothing changed');
    expect(JSON.stringify(reply!.blocks)).not.toContain(ACTION.resetSource);
  });

  it('a failure gets Retry and, after the rename, Undo', async () => {
    const { jobId, ts } = await requested(h);
    h.service.emit({ type: 'failed', jobId, error: 'IMAP login refused for john.smith01@mydomain.ovh', step: 'copy', undoAvailable: true, origin: { channel: 'C-REQUESTS', threadTs: ts } });
    await h.slack.notifier.idle();
    const [reply] = h.fake.thread('C-REQUESTS', ts);
    const buttons = reply!.blocks!.find((b) => b.type === 'actions').elements.map((e: { action_id: string }) => e.action_id);
    expect(buttons).toEqual([ACTION.retry, ACTION.undo]);
    expect(reply!.text).toContain('IMAP login refused');
  });
});
