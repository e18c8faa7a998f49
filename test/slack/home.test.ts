import { afterEach, describe, expect, it } from 'vitest';
import type { MigrationStatus } from '../../src/pipeline/migration-service.js';
import { HOME_LIMITS, homeView } from '../../src/slack/blocks/home.js';
import { ACTION, buttonValue } from '../../src/slack/ids.js';
import { homeViewViolations } from '../support/fake-slack-api.js';
import { startHarness, type Harness } from '../support/slack-harness.js';
import { MemoryMigrationService } from '../support/slack-memory-service.js';
import { appHomeOpened, buttonIn, homeButtonClick, liveMarkup } from '../support/slack-request.js';

const AT = '2026-11-25T10:00:00.000Z';
const REQUESTER = { kind: 'slack' as const, id: 'U-REQUESTER' };
const STAFF = { kind: 'slack' as const, id: 'U-STAFF' };

/** Statuses as copies, as the real service reads them from Redis: a view built earlier cannot see later changes. */
class SnapshotService extends MemoryMigrationService {
  override async status(query: { jobId?: string; address?: string }): Promise<MigrationStatus[]> {
    return structuredClone(await super.status(query));
  }
}

async function waitFor<T>(check: () => T | undefined | false, what: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Every views.publish Slack accepted for `user`, oldest first. */
function published(h: Harness, user: string) {
  return h.fake.callsOf('views.publish').filter((c) => c.params.user_id === user && c.response.ok);
}

/** Every button of a view, flattened. */
function buttons(view: { blocks: { type: string; elements?: { action_id?: string; value?: string }[] }[] }) {
  return view.blocks.flatMap((b) => (b.type === 'actions' ? (b.elements ?? []) : []));
}

function text(view: unknown): string {
  return JSON.stringify(view);
}

async function submit(h: Harness, address: string, requester = REQUESTER, extra: { origin?: { channel: string; batchId?: string } } = {}) {
  const result = await h.service.submit({ sourceAddress: address, destinationService: 'emailpro-ab12345-1', requester, ...extra });
  if (!result.ok) throw new Error('refused');
  return { jobId: result.jobId, nonce: result.nonce };
}

function running(status: MigrationStatus, messagesDone = 1200): void {
  status.state = 'running';
  status.decision = { changed: false, state: 'approved', by: { kind: 'slack', id: 'U-APPROVER' }, at: AT };
  status.steps = [
    { name: 'approval', status: 'done', at: AT },
    { name: 'rename-source', status: 'done', at: AT },
    { name: 'copy', status: 'running', at: AT, run: 1 },
  ];
  status.progress = { phase: 'copying', folder: 'INBOX', messagesDone, messagesTotal: 5000, bytesDone: messagesDone * 20_000, bytesTotal: 100_000_000, rate: 2_000_000, etaSeconds: 40 };
}

function staged(status: MigrationStatus): void {
  status.state = 'running';
  status.decision = { changed: false, state: 'approved', by: { kind: 'slack', id: 'U-APPROVER' }, at: AT };
  status.steps = [
    { name: 'approval', status: 'done', at: AT },
    { name: 'copy', status: 'done', at: AT },
    { name: 'stage', status: 'running', at: AT, run: 1 },
  ];
  status.staging = { stagedAddress: 'john.smith.migrating@mydomain.ovh', passes: 2, copied: 5, removed: 1, lastSyncAt: AT };
}

function failed(status: MigrationStatus, error = 'IMAP connection to pro1.mail.ovh.net lost <!channel>'): void {
  status.state = 'failed';
  status.steps = [
    { name: 'approval', status: 'done', at: AT },
    { name: 'rename-source', status: 'done', at: AT },
    { name: 'copy', status: 'failed', at: AT, detail: error },
  ];
  status.outcome = { state: 'failed', step: 'copy', error };
  status.undoAvailable = true;
}

describe('Slack Home tab', () => {
  let h: Harness;
  afterEach(async () => {
    await h.close();
  });

  it('an approver gets what waits (with the same buttons and nonces), what runs (with progress), what failed (Retry, Undo) and recent batches', async () => {
    h = await startHarness();
    const waiting = await submit(h, 'john.smith@mydomain.ovh');
    const copying = await submit(h, 'jane.doe@mydomain.ovh', STAFF);
    h.service.update(copying.jobId, (s) => running(s));
    const broken = await submit(h, 'bob@mydomain.ovh');
    h.service.update(broken.jobId, (s) => failed(s));
    const batch = await h.service.submitBatch('source,destination_service\ncarol@mydomain.ovh,emailpro-ab12345-1\ndave@mydomain.ovh,emailpro-ab12345-1\n', STAFF, { origin: { channel: 'C-REQUESTS' } });
    if (!batch.ok) throw new Error('batch refused');

    const res = await h.event(appHomeOpened('U-APPROVER'));
    expect(res.status).toBe(200);
    const [call] = published(h, 'U-APPROVER');
    expect(call).toBeDefined();
    const view = call!.params.view;
    expect(view.type).toBe('home');
    expect(homeViewViolations(view)).toEqual([]);
    expect(liveMarkup(view.blocks)).toEqual([]);

    const all = buttons(view);
    expect(buttonIn(view.blocks, ACTION.approve)).toMatchObject({ value: buttonValue(waiting.jobId, waiting.nonce), confirm: expect.anything() });
    expect(all.filter((b) => b.action_id === ACTION.reject).map((b) => b.value)).toContain(buttonValue(waiting.jobId, waiting.nonce));
    expect(all.filter((b) => b.action_id === ACTION.retry).map((b) => b.value)).toEqual([buttonValue(broken.jobId, broken.nonce)]);
    expect(all.filter((b) => b.action_id === ACTION.undo).map((b) => b.value)).toEqual([buttonValue(broken.jobId, broken.nonce)]);
    // the batch's own mailboxes wait as well, each with its buttons
    expect(all.filter((b) => b.action_id === ACTION.approve)).toHaveLength(3);

    const body = text(view);
    expect(body).toMatch(/Waiting for approval\* \(3\)/);
    expect(body).toMatch(/Running\* \(1\)/);
    expect(body).toContain('jane.doe@mydomain.ovh');
    expect(body).toMatch(/1,200 \/ 5,000 messages/);
    expect(body).toContain('██');
    expect(body).toMatch(/Failed\* \(1\)/);
    expect(body).toContain('IMAP connection to pro1.mail.ovh.net lost &lt;!channel&gt;');
    expect(body).toContain(`batch \`${batch.batchId}\`: 2 mailboxes, requested by <@U-STAFF>`);
  });

  it('an approver gets the staged migrations waiting for their cut-over, with "Cut over now"; a click cuts over', async () => {
    h = await startHarness();
    const waiting = await submit(h, 'john.smith@mydomain.ovh');
    h.service.update(waiting.jobId, staged);
    await h.event(appHomeOpened('U-APPROVER'));
    const view = published(h, 'U-APPROVER').at(-1)!.params.view;
    expect(homeViewViolations(view)).toEqual([]);
    expect(text(view)).toContain('Staged, ready to cut over');
    expect(text(view)).toContain('john.smith.migrating@mydomain.ovh');
    const cutover = buttons(view).filter((b) => b.action_id === ACTION.cutover);
    expect(cutover.map((b) => b.value)).toEqual([buttonValue(waiting.jobId, waiting.nonce)]);
    await h.interact(homeButtonClick({ actionId: ACTION.cutover, value: cutover[0]!.value!, user: 'U-REQUESTER' }));
    expect(h.service.callsOf('cutover')).toEqual([]);
    await h.interact(homeButtonClick({ actionId: ACTION.cutover, value: cutover[0]!.value!, user: 'U-APPROVER' }));
    expect(h.service.callsOf('cutover')).toHaveLength(1);
  });

  it('a requester sees only their own requests, without buttons; someone else is told whom to ask', async () => {
    h = await startHarness();
    await submit(h, 'john.smith@mydomain.ovh', REQUESTER);
    const other = await submit(h, 'jane.doe@mydomain.ovh', STAFF);
    h.service.update(other.jobId, (s) => running(s));

    await h.event(appHomeOpened('U-REQUESTER'));
    const mine = published(h, 'U-REQUESTER')[0]!.params.view;
    expect(text(mine)).toContain('john.smith@mydomain.ovh');
    expect(text(mine)).not.toContain('jane.doe@mydomain.ovh');
    expect(text(mine)).toMatch(/Your requests\* \(1\)/);
    expect(buttons(mine)).toEqual([]);

    await h.event(appHomeOpened('U-NOBODY'));
    const refused = published(h, 'U-NOBODY')[0]!.params.view;
    expect(text(refused)).toContain('You are not allowed to request migrations; ask one of <@U-APPROVER>, <!subteam^S-ADMINS>');
    expect(text(refused)).not.toContain('john.smith');
  });

  it('an approver who requested a migration may reject it from the tab, not approve it', async () => {
    h = await startHarness();
    const own = await submit(h, 'john.smith@mydomain.ovh', { kind: 'slack', id: 'U-APPROVER' });
    await h.event(appHomeOpened('U-APPROVER'));
    const view = published(h, 'U-APPROVER')[0]!.params.view;
    expect(buttons(view).map((b) => b.action_id)).toEqual([ACTION.reject]);
    expect(buttonIn(view.blocks, ACTION.reject)!.value).toBe(buttonValue(own.jobId, own.nonce));
    expect(text(view)).toContain('Your own request: another approver approves it');
  });

  it('Approve on the tab decides with the request nonce and the tab is published again without the request', async () => {
    h = await startHarness();
    const waiting = await submit(h, 'john.smith@mydomain.ovh');
    await h.event(appHomeOpened('U-APPROVER'));
    const before = published(h, 'U-APPROVER').length;
    const value = buttonIn(published(h, 'U-APPROVER')[0]!.params.view.blocks, ACTION.approve)!.value;

    const res = await h.interact(homeButtonClick({ actionId: ACTION.approve, value, user: 'U-APPROVER' }));
    expect(res.status).toBe(200);
    expect(h.service.callsOf('decide')).toEqual([[waiting.jobId, { approve: true, by: { kind: 'slack', id: 'U-APPROVER' }, nonce: waiting.nonce }]]);
    const after = await waitFor(() => published(h, 'U-APPROVER').slice(before).find((c) => /Waiting for approval\* \(0\)/.test(text(c.params.view))), 'the tab without the request');
    expect(buttonIn(after.params.view.blocks, ACTION.approve)).toBeUndefined();
    expect(text(after.params.view)).toMatch(/Running\* \(1\)/);
  });

  it('a refusal of a click on the tab (it has no channel) goes to the Messages tab', async () => {
    h = await startHarness();
    const waiting = await submit(h, 'john.smith@mydomain.ovh');
    await h.interact(homeButtonClick({ actionId: ACTION.approve, value: buttonValue(waiting.jobId, waiting.nonce), user: 'U-REQUESTER' }));
    expect(h.service.callsOf('decide')).toEqual([]);
    const dm = h.fake.callsOf('chat.postMessage').filter((c) => c.params.channel === 'U-REQUESTER');
    expect(dm.map((c) => c.params.text)).toEqual([expect.stringContaining('Only approvers can approve or reject migration requests')]);
  });

  it('kept current: a change re-publishes the tabs that show it, at most once per interval per user, ending on the latest state', async () => {
    h = await startHarness({ homeIntervalMs: 300, service: new SnapshotService() });
    const own = await submit(h, 'john.smith@mydomain.ovh', REQUESTER);
    const other = await submit(h, 'jane.doe@mydomain.ovh', STAFF);
    await h.event(appHomeOpened('U-APPROVER'));
    await h.event(appHomeOpened('U-REQUESTER'));
    expect(published(h, 'U-APPROVER')).toHaveLength(1);
    expect(published(h, 'U-REQUESTER')).toHaveLength(1);

    // 40 progress events of a copy within a few hundred milliseconds
    for (let i = 1; i <= 40; i++) {
      h.service.update(other.jobId, (s) => running(s, i * 100));
      await new Promise((r) => setTimeout(r, 10));
    }
    await h.slack.home.idle();
    const approver = published(h, 'U-APPROVER');
    expect(approver.length).toBeGreaterThanOrEqual(2);
    expect(approver.length).toBeLessThanOrEqual(4);
    for (let i = 1; i < approver.length; i++) expect(approver[i]!.at - approver[i - 1]!.at).toBeGreaterThanOrEqual(290);
    expect(text(approver.at(-1)!.params.view)).toMatch(/4,000 \/ 5,000 messages/);
    // not the requester's migration: their tab was left alone
    expect(published(h, 'U-REQUESTER')).toHaveLength(1);

    h.service.update(own.jobId, (s) => failed(s, 'quota exceeded'));
    await h.slack.home.idle();
    const requester = published(h, 'U-REQUESTER');
    expect(requester).toHaveLength(2);
    expect(text(requester[1]!.params.view)).toContain('quota exceeded');
  });

  it('a 429 holds every tab until Retry-After has passed, then each goes out once', async () => {
    h = await startHarness();
    await submit(h, 'john.smith@mydomain.ovh');
    h.fake.rateLimit('views.publish', 1, 1);
    await h.event(appHomeOpened('U-APPROVER'));
    await h.event(appHomeOpened('U-REQUESTER'));
    await h.slack.home.idle();
    const calls = h.fake.callsOf('views.publish');
    expect(calls.map((c) => [c.params.user_id, c.status])).toEqual([
      ['U-APPROVER', 429],
      // whichever of the two tabs goes first once the hold is over, each goes once
      expect.anything(),
      expect.anything(),
    ]);
    expect(calls.slice(1).map((c) => c.params.user_id).sort()).toEqual(['U-APPROVER', 'U-REQUESTER']);
    for (const call of calls.slice(1)) {
      expect(call.status).toBe(200);
      expect(call.at - calls[0]!.at).toBeGreaterThanOrEqual(1000);
    }
  }, 20_000);

  it('opening the Messages tab publishes nothing; a tab not visited for homeWatchMs is no longer kept current', async () => {
    h = await startHarness({ homeWatchMs: 0 });
    const job = await submit(h, 'john.smith@mydomain.ovh');
    await h.event(appHomeOpened('U-APPROVER', 'messages'));
    await h.slack.home.idle();
    expect(h.fake.callsOf('views.publish')).toHaveLength(0);

    await h.event(appHomeOpened('U-APPROVER'));
    expect(published(h, 'U-APPROVER')).toHaveLength(1);
    h.service.update(job.jobId, (s) => running(s));
    await h.slack.home.idle();
    expect(published(h, 'U-APPROVER')).toHaveLength(1);
  });

  it('hundreds of migrations stay within Block Kit limits, every list ending with "… N more"', async () => {
    h = await startHarness();
    for (let i = 0; i < 30; i++) await submit(h, `waiting${i}@mydomain.ovh`);
    for (let i = 0; i < 70; i++) h.service.update((await submit(h, `running${i}@mydomain.ovh`, STAFF)).jobId, (s) => running(s, i));
    for (let i = 0; i < 25; i++) h.service.update((await submit(h, `failed${i}@mydomain.ovh`)).jobId, (s) => failed(s, `error ${i} `.repeat(200)));
    await h.event(appHomeOpened('U-APPROVER'));
    const view = published(h, 'U-APPROVER')[0]!.params.view;
    expect(homeViewViolations(view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const body = text(view);
    expect(body).toContain(`… ${30 - HOME_LIMITS.approvals} more waiting`);
    expect(body).toContain(`… ${25 - HOME_LIMITS.failures} more failed`);
    // the running list: what fits in two sections, then how many more
    const runningText = view.blocks
      .filter((b: { type: string; text?: { text: string } }) => b.type === 'section' && b.text?.text.includes('running'))
      .map((b: { text: { text: string } }) => b.text.text)
      .join('\n');
    const shown = (runningText.match(/\*running\d+@mydomain\.ovh\*/g) ?? []).length;
    const more = Number(/… (\d+) more/.exec(runningText)?.[1]);
    expect(shown).toBeGreaterThan(10);
    expect(shown + more).toBe(70);
    // and the sections after the long lists are still there
    expect(body).toMatch(/Recent batches\* \(0\)/);
    expect(buttons(view).filter((b) => b.action_id === ACTION.approve)).toHaveLength(HOME_LIMITS.approvals);
  });
});

describe('homeView (pure)', () => {
  it('a batch says how many of its mailboxes it could not list, rather than guessing their state', () => {
    const view = homeView({
      viewer: 'U-A',
      role: 'approver',
      statuses: [],
      batches: [{ batchId: 'b1', requester: { kind: 'cli', id: 'ops' }, total: 5, rows: [{ jobId: 'mig-a@x.org', address: 'a@x.org', state: 'done' }, { jobId: 'mig-b@x.org', address: 'b@x.org', state: 'running' }] }],
      allowSelfApproval: false,
      at: AT,
    });
    const body = text(view);
    expect(body).toContain('batch `b1`: 5 mailboxes, requested by ops (CLI)');
    expect(body).toContain(':white_check_mark: done 1 · :arrows_counterclockwise: running 1 · 3 not listed here');
  });

  it('escapes what servers and users wrote, and stays within a Home tab whatever the lists hold', () => {
    const status = (i: number, state: MigrationStatus['state']): MigrationStatus => ({
      jobId: `mig-user${i}@example.org`,
      plan: {
        jobId: `mig-user${i}@example.org`,
        source: { address: `<!here>${'x'.repeat(300)}${i}@example.org`, platform: 'exchange', service: 'org/ex' },
        destination: { address: `user${i}@example.org`, platform: 'emailpro', service: 'pro-1' },
        temporaryAddress: `user${i}01@example.org`,
        warnings: [],
        features: [],
      },
      state,
      steps: [{ name: 'copy', status: state === 'failed' ? 'failed' : 'running' }],
      requester: { kind: 'slack', id: `U${i}` },
      undoAvailable: true,
      nonce: `nonce${String(i).padStart(8, '0')}`,
      handover: { to: 'requester', typedByRequester: false, state: 'pending' },
      run: 1,
      dryRun: false,
      ...(state === 'failed' ? { outcome: { state: 'failed' as const, step: 'copy' as const, error: '<http://evil|click> '.repeat(300) } } : {}),
    });
    const statuses = [...Array.from({ length: 200 }, (_, i) => status(i, 'awaiting-approval')), ...Array.from({ length: 200 }, (_, i) => status(1000 + i, 'failed')), ...Array.from({ length: 200 }, (_, i) => status(2000 + i, 'running'))];
    const view = homeView({ viewer: 'U-A', role: 'approver', statuses, batches: [], allowSelfApproval: false, at: AT });
    expect(homeViewViolations(view)).toEqual([]);
    expect(liveMarkup(view.blocks)).toEqual([]);
  });
});
