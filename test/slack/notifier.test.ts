import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MigrationReport, MigrationStatus, StepRecord } from '../../src/pipeline/migration-service.js';
import { ACTION, BLOCK, CALLBACK, parseButtonValue } from '../../src/slack/ids.js';
import { ThreadNotifier } from '../../src/slack/notifier/thread-notifier.js';
import { blockKitViolations } from '../support/fake-slack-api.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { viewSubmission } from '../support/slack-request.js';

const META = JSON.stringify({ channel: 'C-REQUESTS', commandChannel: 'C-REQUESTS' });
const AT = '2026-12-01T10:00:00.000Z';

/** A request submitted through the modal: its message is the thread parent. */
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
  const jobId = [...h.service.jobs.keys()].at(-1)!;
  return { jobId, ts: h.service.jobs.get(jobId)!.status.origin!.threadTs! };
}

const step = (name: StepRecord['name'], status: StepRecord['status'], detail?: string, run = 1): StepRecord => ({ name, status, ...(detail ? { detail } : {}), at: AT, run });

/** Runs the job "as a worker would": the stored status changes, subscribers are woken up. */
function advance(h: Harness, jobId: string, change: Partial<MigrationStatus>): void {
  h.service.update(jobId, (status) => Object.assign(status, change));
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
    features: [
      ...['j.smith@mydomain.ovh', 'john@mydomain.ovh'].map((alias) => ({ kind: 'alias' as const, key: `alias:john.smith@mydomain.ovh:${alias}`, target: `alias ${alias} of john.smith@mydomain.ovh`, status: 'created' as const })),
      ...Array.from({ length: 80 }, (_, i) => ({ kind: 'right' as const, key: `right:sendAs:user${i}@mydomain.ovh:john.smith@mydomain.ovh`, target: `send as on user${i}@mydomain.ovh for john.smith@mydomain.ovh`, status: 'byHand' as const, detail: 'legacy MX Plan has no mailbox delegation', instruction: 'share the mailbox password' })),
    ],
  };
}

const RAN: StepRecord[] = [
  step('preflight', 'done'),
  step('approval', 'done', 'approved by U-APPROVER'),
  step('attach-domain', 'done'),
  step('rename-source', 'done', 'john.smith@mydomain.ovh renamed to john.smith01@mydomain.ovh'),
  step('create-destination', 'done'),
  step('copy', 'done', '30 copied'),
  step('delta', 'done'),
  step('features', 'skipped'),
  step('verify', 'done'),
  step('dns', 'done'),
  step('handover', 'done'),
];

describe('thread notifier: each thread is rendered from stored state', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness({ progressIntervalMs: 300 });
  });
  afterEach(async () => {
    await h.close();
  });

  it('replies once per finished step, in order; a step that fails and is retried within the run is edited, not posted twice', async () => {
    const { jobId, ts } = await requested(h);
    advance(h, jobId, { state: 'running', steps: [step('preflight', 'done'), step('approval', 'done'), step('rename-source', 'running')] });
    advance(h, jobId, { steps: [step('preflight', 'done'), step('approval', 'done'), step('rename-source', 'done', 'now john.smith01@mydomain.ovh')] });
    advance(h, jobId, { steps: [...RAN.slice(0, 4), step('create-destination', 'failed', 'OVH 503 (attempt 1, retrying)')] });
    await h.slack.notifier.idle();
    let replies = h.fake.thread('C-REQUESTS', ts);
    expect(replies.map((r) => r.text)).toEqual([
      expect.stringMatching(/^Approval: done/),
      expect.stringMatching(/^Attach the domain .*: done/),
      expect.stringMatching(/^Rename .*: done/),
      expect.stringMatching(/^Create the destination account: failed/),
    ]);
    advance(h, jobId, { steps: [...RAN.slice(0, 4), step('create-destination', 'done', 'created')] });
    await h.slack.notifier.idle();
    replies = h.fake.thread('C-REQUESTS', ts);
    expect(replies).toHaveLength(4);
    expect(replies[3]!.text).toMatch(/^Create the destination account: done/);
    expect(replies[3]!.edits).toBe(1);
  });

  it('a change whose event never arrived is posted by the next sweep; the sweep then forgets the job', async () => {
    const { jobId, ts } = await requested(h);
    await h.slack.notifier.idle();
    // changed in storage only: no event at all
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'running';
    job.status.steps = RAN.slice(0, 4);
    h.service.threads.mark(jobId);
    await h.slack.notifier.idle();
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(0);
    await h.slack.notifier.sweep();
    await h.slack.notifier.idle();
    expect(h.fake.thread('C-REQUESTS', ts).map((r) => r.text)).toEqual([expect.stringMatching(/^Approval/), expect.stringMatching(/^Attach/), expect.stringMatching(/^Rename/)]);
    expect(await h.service.threads.changed(10)).toEqual([]);
  });

  it('a restarted bot (a new notifier on the same store) posts nothing twice and catches up on what it missed', async () => {
    const { jobId, ts } = await requested(h);
    advance(h, jobId, { state: 'running', steps: RAN.slice(0, 5) });
    await h.slack.notifier.idle();
    const before = h.fake.callsOf('chat.postMessage').length;
    h.slack.notifier.stop();
    // while no bot runs, the migration goes on
    const job = h.service.jobs.get(jobId)!;
    job.status.steps = RAN.slice(0, 7);
    h.service.threads.mark(jobId);
    const fresh = new ThreadNotifier({ client: h.slack.app.client, service: h.service, logger: h.slack.deps.logger, progressIntervalMs: 300 });
    fresh.start();
    try {
      await fresh.sweep();
      await fresh.idle();
    } finally {
      fresh.stop();
    }
    const texts = h.fake.thread('C-REQUESTS', ts).map((r) => r.text);
    expect(texts).toHaveLength(6);
    expect(new Set(texts).size).toBe(6);
    expect(h.fake.callsOf('chat.postMessage').length - before).toBe(2);
  });

  it('two bots reconciling the same migration at once post each message once', async () => {
    const { jobId, ts } = await requested(h);
    h.slack.notifier.stop();
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'done';
    job.status.steps = RAN;
    job.status.report = bigReport(2);
    const bots = [0, 1].map(() => new ThreadNotifier({ client: h.slack.app.client, service: h.service, logger: h.slack.deps.logger, claimStaleMs: 60_000 }));
    for (const bot of bots) bot.wake(jobId);
    await Promise.all(bots.map((b) => b.idle()));
    // the one that lost the race for a claim stops there; its next look finds everything posted
    for (const bot of bots) bot.wake(jobId);
    await Promise.all(bots.map((b) => b.idle()));
    const texts = h.fake.thread('C-REQUESTS', ts).map((r) => r.text);
    expect(texts.length).toBe(11);
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('a post claimed by a bot that died: found in the thread by its metadata, or posted once if it never went out', async () => {
    const { jobId, ts } = await requested(h);
    h.slack.notifier.stop();
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'running';
    job.status.steps = RAN.slice(0, 4);
    // the dead bot posted the approval reply, then died before recording it; it had also claimed the next one
    const posted = await h.slack.app.client.chat.postMessage({
      channel: 'C-REQUESTS',
      thread_ts: ts,
      text: 'Approval: done',
      metadata: { event_type: 'migrate_mailbox_thread', event_payload: { job: jobId, key: 'step:approval#1' } },
    });
    await h.service.threads.record(jobId, 'step:approval#1', 'claim:dead-bot:1');
    await h.service.threads.record(jobId, 'step:attach-domain#1', 'claim:dead-bot:1');
    const fresh = new ThreadNotifier({ client: h.slack.app.client, service: h.service, logger: h.slack.deps.logger });
    fresh.wake(jobId);
    await fresh.idle();
    const thread = h.fake.thread('C-REQUESTS', ts);
    // the dead bot's message is kept (and redrawn from the stored state), not posted again
    expect(thread.map((r) => r.ts)[0]).toBe(posted.ts);
    expect(thread.map((r) => r.text)).toEqual([expect.stringMatching(/^Approval: done/), expect.stringMatching(/^Attach/), expect.stringMatching(/^Rename/)]);
    expect((await h.service.threads.read(jobId))['step:approval#1']).toMatch(new RegExp(`^${posted.ts}\\|`));
  });

  it('a claim of a bot that stopped beating (killed) is taken over at once, not after a minute', async () => {
    const { jobId, ts } = await requested(h);
    h.slack.notifier.stop();
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'running';
    job.status.steps = RAN.slice(0, 4);
    // fresh, but its owner never beat (or stopped): abandoned
    await h.service.threads.record(jobId, 'step:approval#1', `claim:killed-bot:${Date.now()}`);
    const bot = new ThreadNotifier({ client: h.slack.app.client, service: h.service, logger: h.slack.deps.logger });
    bot.wake(jobId);
    await bot.idle();
    expect(h.fake.thread('C-REQUESTS', ts).map((m) => m.text)).toEqual([expect.stringMatching(/^Approval/), expect.stringMatching(/^Attach/), expect.stringMatching(/^Rename/)]);
  });

  it('a live claim of another bot: this one waits rather than post out of order', async () => {
    const { jobId, ts } = await requested(h);
    h.slack.notifier.stop();
    const job = h.service.jobs.get(jobId)!;
    job.status.state = 'running';
    job.status.steps = RAN.slice(0, 4);
    await h.service.threads.beat('other-bot', 10_000);
    await h.service.threads.record(jobId, 'step:approval#1', `claim:other-bot:${Date.now()}`);
    const bot = new ThreadNotifier({ client: h.slack.app.client, service: h.service, logger: h.slack.deps.logger });
    bot.wake(jobId);
    await bot.idle();
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(0);
  });

  it('stays silent for jobs started from the CLI (no Slack origin)', async () => {
    const cli = await h.service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-ab12345-1', requester: { kind: 'cli', id: 'alice' } });
    if (!cli.ok) throw new Error('submit');
    advance(h, cli.jobId, { state: 'failed', steps: RAN.slice(0, 6), outcome: { state: 'failed', step: 'copy', error: 'x' } });
    await h.slack.notifier.sweep();
    await h.slack.notifier.idle();
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(0);
    expect(await h.service.threads.changed(10)).toEqual([]);
  });

  it('keeps ONE progress message per run, edited at a bounded rate, ending on the latest numbers', async () => {
    const { jobId, ts } = await requested(h);
    const copying = [...RAN.slice(0, 5), step('copy', 'running')];
    const started = Date.now();
    for (let i = 1; i <= 100; i++) {
      advance(h, jobId, {
        state: 'running',
        steps: copying,
        progress: { phase: 'copying', folder: 'INBOX', messagesDone: i * 50, messagesTotal: 5000, bytesDone: i * 1_048_576, bytesTotal: 104_857_600, rate: 2_097_152, etaSeconds: 100 - i },
      });
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.slack.notifier.idle();
    const elapsed = Date.now() - started;
    const progressPosts = h.fake.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === ts && /^Copy the mailbox: copying messages/.test(c.params.text));
    expect(progressPosts).toHaveLength(1);
    const progressTs = progressPosts[0]!.response.ts as string;
    const edits = h.fake.callsOf('chat.update').filter((c) => c.params.ts === progressTs);
    expect(edits.length).toBeGreaterThan(0);
    expect(edits.length + 1).toBeLessThanOrEqual(Math.ceil(elapsed / 300) + 1);
    const times = edits.map((c) => c.at);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
    const final = h.fake.message('C-REQUESTS', progressTs)!;
    expect(final.text).toContain('100%');
    const body = JSON.stringify(final.blocks);
    expect(body).toContain('5,000 / 5,000 messages');
    expect(body).toContain('100.0 / 100.0 MiB');
    // the progress sits before the copy's own reply, after the create step's
    const order = h.fake.thread('C-REQUESTS', ts).map((m) => m.ts);
    expect(order.indexOf(progressTs)).toBe(4);
  });

  it('posts the final report within Block Kit limits with 300 folders; the password is never in any message', async () => {
    const { jobId, ts } = await requested(h);
    advance(h, jobId, { state: 'done', steps: RAN, report: bigReport(300), handover: { to: 'requester', recipient: { kind: 'slack', id: 'U-REQUESTER' }, typedByRequester: false, state: 'ready', readyAt: AT } });
    await h.slack.notifier.idle();
    const replies = h.fake.thread('C-REQUESTS', ts);
    const report = replies.at(-1)!;
    expect(blockKitViolations(report.blocks, 'message')).toEqual([]);
    const body = JSON.stringify(report.blocks);
    expect(body).toMatch(/… \d+ more/);
    expect(body).toContain('Folders not in sync (300)');
    expect(body).toContain('mx0.mail.ovh.net.');
    expect(body).toContain('_autodiscover._tcp.mydomain.ovh.');
    expect(body).toContain('To recreate by hand (80)');
    expect(body).toContain('send as on user0@mydomain.ovh for john.smith@mydomain.ovh — by hand: legacy MX Plan has no mailbox delegation');
    const reset = report.blocks!.find((b) => b.type === 'actions').elements[0];
    expect(reset).toMatchObject({ action_id: ACTION.resetSource, style: 'danger' });
    expect(parseButtonValue(reset.value)).toEqual({ id: jobId, nonce: h.service.jobs.get(jobId)!.status.nonce });
    // the hand-over: right after the create step's reply, a button for its recipient, no password
    const handover = replies.find((r) => JSON.stringify(r.blocks).includes(ACTION.showPassword))!;
    expect(replies.indexOf(handover)).toBe(replies.findIndex((r) => /^Create the destination/.test(r.text ?? '')) + 1);
    expect(JSON.stringify(handover.blocks)).toContain('<@U-REQUESTER>');
    for (const m of h.fake.messages.values()) expect(JSON.stringify(m)).not.toContain('Gen3rated-Passw0rd!');
    expect(h.fake.callsOf('chat.postEphemeral')).toHaveLength(0);
  });

  it('the hand-over message is posted once and edited once the recipient acknowledged the password', async () => {
    const { jobId, ts } = await requested(h);
    advance(h, jobId, { state: 'running', steps: RAN.slice(0, 5), handover: { to: 'requester', recipient: { kind: 'slack', id: 'U-REQUESTER' }, typedByRequester: true, state: 'ready', readyAt: AT } });
    await h.slack.notifier.idle();
    h.service.jobs.get(jobId)!.status.handover.state = 'ready';
    await h.service.acknowledgeDestinationPassword(jobId, { kind: 'slack', id: 'U-REQUESTER' });
    h.service.update(jobId, () => undefined);
    await h.slack.notifier.idle();
    const handovers = h.fake.thread('C-REQUESTS', ts).filter((m) => /password/i.test(m.text ?? ''));
    expect(handovers).toHaveLength(1);
    expect(handovers[0]!.edits).toBe(1);
    expect(JSON.stringify(handovers[0]!.blocks)).not.toContain(ACTION.showPassword);
    expect(JSON.stringify(handovers[0]!.blocks)).toMatch(/no longer stored/);
  });

  it('honours 429 Retry-After and does not lose the final report', async () => {
    const { jobId, ts } = await requested(h);
    h.fake.rateLimit('chat.postMessage', 2, 1);
    const started = Date.now();
    advance(h, jobId, { state: 'done', steps: [step('preflight', 'done')], report: bigReport(5) });
    await h.slack.notifier.idle();
    const attempts = h.fake.callsOf('chat.postMessage').filter((c) => c.params.thread_ts === ts);
    expect(attempts.map((c) => c.status)).toEqual([429, 429, 200]);
    expect(attempts[2]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(1900);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(h.fake.thread('C-REQUESTS', ts)).toHaveLength(1);
  }, 20_000);

  it('a decision taken elsewhere (CLI) or an expired request re-draws the request message without buttons, once', async () => {
    const { jobId, ts } = await requested(h);
    const decision = { changed: false, state: 'approved' as const, by: { kind: 'cli' as const, id: 'alice' }, at: AT };
    advance(h, jobId, { state: 'queued', decision });
    await h.slack.notifier.idle();
    let parent = h.fake.message('C-REQUESTS', ts)!;
    expect(parent.blocks!.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(parent.blocks)).toContain('Approved by alice (CLI)');
    const edits = parent.edits;
    advance(h, jobId, { state: 'running' });
    await h.slack.notifier.idle();
    expect(h.fake.message('C-REQUESTS', ts)!.edits).toBe(edits);

    const second = await requested(h);
    advance(h, second.jobId, { state: 'rejected', steps: [step('preflight', 'done'), step('approval', 'failed', 'no decision before the approval timeout')] });
    await h.slack.notifier.idle();
    parent = h.fake.message('C-REQUESTS', second.ts)!;
    expect(parent.blocks!.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(parent.blocks)).toContain('Closed without a decision: no decision before the approval timeout');
    expect(h.fake.thread('C-REQUESTS', second.ts).map((m) => m.text)).toEqual([expect.stringMatching(/^Approval: failed/)]);
  });

  it('a dry run ends with one line, no report, no reset button', async () => {
    const { jobId, ts } = await requested(h);
    advance(h, jobId, { state: 'done', dryRun: true, steps: [step('preflight', 'done'), step('rename-source', 'skipped', 'dry run: nothing changed')] });
    await h.slack.notifier.idle();
    const replies = h.fake.thread('C-REQUESTS', ts);
    expect(replies.at(-1)!.text).toContain('dry run: nothing changed');
    expect(JSON.stringify(replies)).not.toContain(ACTION.resetSource);
  });

  it('a failure gets Retry and, after the rename, Undo; a retry starts a new run of replies', async () => {
    const { jobId, ts } = await requested(h);
    advance(h, jobId, { state: 'failed', undoAvailable: true, steps: [...RAN.slice(0, 5), step('copy', 'failed', 'IMAP login refused')], outcome: { state: 'failed', step: 'copy', error: 'IMAP login refused for john.smith01@mydomain.ovh' } });
    await h.slack.notifier.idle();
    const failure = h.fake.thread('C-REQUESTS', ts).at(-1)!;
    const buttons = failure.blocks!.find((b) => b.type === 'actions').elements.map((e: { action_id: string }) => e.action_id);
    expect(buttons).toEqual([ACTION.retry, ACTION.undo]);
    expect(failure.text).toContain('IMAP login refused');

    advance(h, jobId, { state: 'done', run: 2, undoAvailable: false, outcome: undefined, steps: [...RAN.slice(0, 5), step('copy', 'done', 'copied', 2), ...RAN.slice(6).map((s) => ({ ...s, run: 2 }))], report: bigReport(1) });
    await h.slack.notifier.idle();
    const texts = h.fake.thread('C-REQUESTS', ts).map((m) => m.text ?? '');
    expect(texts.filter((t) => /^Copy the mailbox: (done|failed)/.test(t))).toEqual([expect.stringMatching(/failed/), expect.stringMatching(/done/)]);
    expect(texts.filter((t) => /^Migration failed at/.test(t))).toHaveLength(1);
    expect(texts.filter((t) => /^Migration of .* finished/.test(t))).toHaveLength(1);
    expect(texts.at(-1)).toMatch(/^Migration of .* finished/);
  });
});
