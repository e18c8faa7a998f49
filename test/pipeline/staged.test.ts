import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMailbox, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import type { SeenRequest } from '../../src/sandbox/ovh-simulator/faults.js';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import type { Copier } from '../../src/pipeline/dependencies.js';
import type { Job } from 'bullmq';
import type { JobData, MigrationJobData } from '../../src/pipeline/job-data.js';
import type { MigrationStatus } from '../../src/pipeline/migration-service.js';
import { CLI, Harness, destinationPassword, waitFor, heldRequest, waitForState } from './harness.js';

/**
 * The staged order against the simulator and real Dovecots: the destination is filled under a staged address
 * while the source stays live (delta passes copy new mail and remove what was deleted there), the cut-over
 * renames both accounts and copies what arrived during the renames; cancel, a failed cut-over and kill -9 between
 * the renames each end with the right names and every message once.
 */
const EXCHANGE = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1';
const PRO = '/email/pro/emailpro-sb22222-1';
const DESTINATION = 'emailpro-sb22222-1';
const SOURCE_PASSWORD = 'Exchange-Pass-11';
const LOGINS = ['staged.main', 'staged.cancel', 'staged.fail', 'staged.kill', 'staged.crash1', 'staged.crash2', 'staged.race', 'staged.none', 'staged.held1', 'staged.held2', 'staged.held3'];

let h: Harness;
beforeAll(async () => {
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  for (const login of LOGINS) {
    const address = `${login}@mydomain.ovh`;
    exchange.accounts.push({ login, domain: 'mydomain.ovh', password: SOURCE_PASSWORD, quota: 50, accountLicense: 'standard', mailbox: sampleMailbox(address, login === 'staged.crash1' ? 12 : 1) });
  }
  fixture.services.find((s) => s.platform === 'emailpro')!.freeSlots = LOGINS.length * 2 + 2;
  h = await Harness.start({ fixture });
});
afterAll(async () => {
  await h?.stop();
});

async function withImap<T>(address: string, password: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
  const endpoint = h.sim.imapEndpointFor(address);
  const client = new ImapFlow({ host: endpoint.host, port: endpoint.port, secure: true, tls: { ca: [endpoint.ca] }, auth: { user: address, pass: password }, logger: false });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

function message(id: string): string {
  return `From: someone@example.com\r\nTo: x@mydomain.ovh\r\nSubject: ${id}\r\nMessage-ID: <${id}@example.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n\r\nbody of ${id}\r\n`;
}

async function stagingPasses(service: Awaited<ReturnType<Harness['pipeline']>>['service'], jobId: string, atLeast: number) {
  return waitFor(async () => {
    const [status] = await service.status({ jobId });
    return (status?.staging?.passes ?? -1) >= atLeast && status!.steps.find((s) => s.name === 'stage')?.status === 'running' ? status : undefined;
  }, 60_000, `${atLeast} staging pass(es)`);
}

describe('the staged order', () => {
  it('copies ahead from the live source, keeps the copy in sync, and cuts over with every message once', async () => {
    const address = 'staged.main@mydomain.ovh';
    const staged = 'staged.main.migrating@mydomain.ovh';
    const { service } = await h.pipeline();
    const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true, sourcePassword: SOURCE_PASSWORD, syncEverySeconds: 1 });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    expect(submitted.plan.order).toMatchObject({ kind: 'staged', stagedAddress: staged });

    // staged: the source still has its name and its owner's password, the copy is on the staged account
    const first = await stagingPasses(service, submitted.jobId, 0);
    expect(first.steps.map((s) => s.name).slice(0, 9)).toEqual(['preflight', 'approval', 'attach-domain', 'create-destination', 'copy', 'collaborative', 'stage', 'rename-source', 'rename-destination']);
    expect(first.state).toBe('running');
    expect(first.steps.find((s) => s.name === 'stage')?.detail).toMatch(/ready to cut over/);
    expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}`)).toEqual([]);
    expect(first.handover.state).not.toBe('ready');
    const hiding = h.sim.requests.find((r) => r.method === 'PUT' && r.path === `${PRO}/account/${staged}` && (r.body as { hiddenFromGAL?: boolean })?.hiddenFromGAL === true);
    expect(hiding).toBeDefined();

    // the owner keeps working: a message arrives, one is deleted, one is flagged
    const deletedId = await withImap(address, SOURCE_PASSWORD, async (client) => {
      await client.append('INBOX', message('arrived-while-staged'));
      const lock = await client.getMailboxLock('INBOX');
      try {
        const [firstMessage] = await client.fetchAll('1', { envelope: true });
        await client.messageDelete('1');
        await client.messageFlagsAdd('1', ['\\Flagged']);
        return firstMessage!.envelope!.messageId!;
      } finally {
        lock.release();
      }
    });
    const synced = await stagingPasses(service, submitted.jobId, first.staging!.passes + 2);
    expect(synced.staging!.removed).toBeGreaterThanOrEqual(1);
    expect(synced.staging!.copied).toBeGreaterThanOrEqual(1);
    const live = await h.messages(address, SOURCE_PASSWORD);
    const stagedNow = await h.messages(staged, await sealedDestinationPassword(service, submitted.jobId));
    expect(stagedNow).toEqual(live);
    expect(stagedNow.some((m) => m.startsWith(deletedId))).toBe(false);

    // cut over; mail arriving while the staged account takes the real address is copied by the final delta
    const held = h.sim.faults.stall((r) => r.method === 'PUT' && r.path === `${PRO}/account/${staged}` && (r.body as { login?: string })?.login === 'staged.main');
    await service.cutover(submitted.jobId, CLI);
    await held;
    await withImap(address.replace('@', '01@'), SOURCE_PASSWORD, (client) => client.append('INBOX', message('arrived-during-the-renames')).then(() => undefined));
    h.sim.faults.clear();
    const done = await waitForState(service, submitted.jobId, ['done', 'failed'], 60_000);
    expect(done.steps.filter((s) => s.status === 'failed')).toEqual([]);
    expect(done.state).toBe('done');

    const final = await h.messages(address, await destinationPassword(service, submitted.jobId));
    expect(final).toEqual(await h.messages(address.replace('@', '01@'), SOURCE_PASSWORD));
    expect(final.some((m) => m.startsWith('<arrived-during-the-renames@example.com>'))).toBe(true);
    expect(final.some((m) => m.startsWith('<arrived-while-staged@example.com>'))).toBe(true);
    const destination = await h.factory({ platform: 'emailpro', name: DESTINATION });
    expect(await destination.getAccount(staged)).toBeUndefined();
    expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}` && r.status === 200)).toHaveLength(1);
    // the owner's password was enough: no migration password was set on the source
    expect(h.sim.requests.filter((r) => r.method === 'POST' && r.path.startsWith(`${EXCHANGE}/account/staged.main01`) && r.path.endsWith('/changePassword'))).toEqual([]);
    const window = done.report!.cutoverWindow!;
    expect(window.seconds).toBeGreaterThan(0);
    expect(Date.parse(window.startedAt)).toBe(Date.parse(done.steps.find((s) => s.name === 'rename-source')!.startedAt!));
    expect(done.report!.staging).toMatchObject({ stagedAddress: staged, cutover: { by: CLI.id } });
    // the audit trail says who asked for the cut-over
    const audit = await service.audit.read({ address });
    expect(audit.filter((e) => e.action === 'cutover')).toEqual([expect.objectContaining({ actorId: CLI.id, outcome: 'ok', jobId: submitted.jobId })]);
  }, 120_000);

  it('cancelled while staged: the staged account is removed and the source was never touched', async () => {
    const address = 'staged.cancel@mydomain.ovh';
    const staged = 'staged.cancel.migrating@mydomain.ovh';
    const { service } = await h.pipeline();
    const before = await h.messages(address, SOURCE_PASSWORD);
    const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true, sourcePassword: SOURCE_PASSWORD });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    await stagingPasses(service, submitted.jobId, 0);
    await service.cancel(submitted.jobId, CLI);
    const status = await waitForState(service, submitted.jobId, ['cancelled', 'failed'], 30_000);
    expect(status.state).toBe('cancelled');
    expect(status.steps.find((s) => s.name === 'undo')).toMatchObject({ status: 'done' });
    expect(status.undoAvailable).toBe(false);
    const destination = await h.factory({ platform: 'emailpro', name: DESTINATION });
    expect(await destination.getAccount(staged)).toBeUndefined();
    expect(h.sim.requests.filter((r) => r.path.startsWith(`${EXCHANGE}/account/${address}`) && r.method !== 'GET')).toEqual([]);
    expect(await h.messages(address, SOURCE_PASSWORD)).toEqual(before);
    // no secret is left in the job
    const job = await service.queue.getJob(submitted.jobId);
    expect(JSON.stringify(job!.data)).not.toMatch(/sourcePassword|destinationPassword"\s*:\s*\{/);
  }, 60_000);

  it('a cut-over that fails (the real address taken meanwhile) is undone: both names back, the staged account removed', async () => {
    const address = 'staged.fail@mydomain.ovh';
    const staged = 'staged.fail.migrating@mydomain.ovh';
    const { service } = await h.pipeline();
    const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true, sourcePassword: SOURCE_PASSWORD });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    await stagingPasses(service, submitted.jobId, 0);
    const destination = await h.factory({ platform: 'emailpro', name: DESTINATION });
    await destination.createAccount({ address, password: 'Someone-Else-42!' });
    await service.cutover(submitted.jobId, CLI);
    const failed = await waitForState(service, submitted.jobId, ['failed', 'done'], 60_000);
    expect(failed.state).toBe('failed');
    expect(failed.outcome).toMatchObject({ step: 'rename-destination' });
    expect(failed.undoAvailable).toBe(true);
    await service.undo(submitted.jobId, CLI);
    const source = await h.factory({ platform: 'exchange', name: 'hosted-sb11111-1/hosted-sb11111-1' });
    expect(await source.getAccount(address)).toBeDefined();
    expect(await source.getAccount(address.replace('@', '01@'))).toBeUndefined();
    expect(await destination.getAccount(staged)).toBeUndefined();
    // the account someone else created is theirs: left alone
    expect(await destination.getAccount(address)).toBeDefined();
  }, 90_000);

  // each staged-only write held at OVH (it arrived; its answer never reaches the worker, which is killed), and the
  // staged account's rename answered but not yet recorded (the worker's next OVH read is held)
  const hiding = (account: string, hidden: boolean) => (r: SeenRequest) =>
    r.method === 'PUT' && r.path === `${PRO}/account/${account}` && (r.body as { hiddenFromGAL?: boolean })?.hiddenFromGAL === hidden;
  const stagedRename = (staged: string) => (r: SeenRequest) => r.method === 'PUT' && r.path === `${PRO}/account/${staged}` && 'login' in ((r.body as object) ?? {});
  for (const point of [
    { name: 'while OVH holds hiding the staged account from the address book', login: 'staged.held1', running: 'create-destination', hold: (staged: string) => hiding(staged, true) },
    { name: "while OVH holds the staged account's rename to the real address", login: 'staged.held2', running: 'rename-destination', hold: (staged: string) => stagedRename(staged) },
    { name: 'while OVH holds showing the account in the address book again', login: 'staged.held3', running: 'features', hold: (_staged: string, address: string) => hiding(address, false) },
    {
      name: 'between the two renames (the staged one answered, not yet recorded)',
      login: 'staged.kill',
      running: 'rename-destination',
      hold: (staged: string, address: string) => {
        const renamed = () => h.sim.requests.some((r) => r.method === 'PUT' && r.path === `${PRO}/account/${staged}` && r.status === 200);
        return (r: SeenRequest) => r.method === 'GET' && r.path === `${PRO}/account/${address}` && renamed();
      },
      also: (status: MigrationStatus, staged: string, address: string) => {
        expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${PRO}/account/${staged}` && (r.body as { login?: string })?.login === 'staged.kill')).toHaveLength(1);
        expect(status.steps.find((s) => s.name === 'rename-destination')?.run).toBe(1);
        expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}`)).toHaveLength(1);
      },
    },
  ]) {
    it(`kill -9 ${point.name}: another worker ends it, each change made once, every message once`, async () => {
      const address = `${point.login}@mydomain.ovh`;
      const staged = `${point.login}.migrating@mydomain.ovh`;
      const before = await h.messages(address, SOURCE_PASSWORD);
      const { service, settings } = await h.pipeline({ worker: false });
      const held = h.sim.faults.stall(point.hold(staged, address));
      const { child, exited } = await h.workerChild(settings);
      try {
        const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true, sourcePassword: SOURCE_PASSWORD, cutoverAt: new Date().toISOString() });
        if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
        await heldRequest(held, service, submitted.jobId);
        child.kill('SIGKILL');
        expect(await exited).toBe('SIGKILL');
        expect((await service.status({ jobId: submitted.jobId }))[0]!.steps.find((s) => s.name === point.running)?.status).toBe('running');
        h.sim.faults.clear();
        const status = await h.rescue(service, settings, submitted.jobId);
        expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
        expect(status.state).toBe('done');
        expect(await h.messages(address, await destinationPassword(service, submitted.jobId))).toEqual(before);
        const destination = await h.factory({ platform: 'emailpro', name: DESTINATION });
        expect(await destination.getAccount(staged)).toBeUndefined();
        const settingsOf = (await destination.readFeatures(address)).settings;
        expect(settingsOf.hiddenFromGAL).toBe(false);
        const answered = (path: string) => h.sim.requests.filter((r) => r.method === 'PUT' && r.path === path && 'login' in ((r.body as object) ?? {}) && r.status === 200);
        expect(answered(`${PRO}/account/${staged}`)).toHaveLength(1);
        expect(answered(`${EXCHANGE}/account/${address}`)).toHaveLength(1);
        point.also?.(status, staged, address);
      } finally {
        h.sim.faults.clear();
        child.kill('SIGKILL');
      }
    }, 150_000);
  }

  for (const point of [
    { name: 'during the first copy into the staged account', crashAt: 'copy', login: 'staged.crash1', running: 'copy' },
    { name: 'during the final delta, after both renames', crashAt: 'copy-call:3', login: 'staged.crash2', running: 'delta' },
  ]) {
    it(`kill -9 ${point.name}: another worker ends it with every message once`, async () => {
      const address = `${point.login}@mydomain.ovh`;
      const before = await h.messages(address, SOURCE_PASSWORD);
      const { service, settings } = await h.pipeline({ worker: false });
      const { child, exited } = await h.workerChild(settings, point.crashAt);
      try {
        const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true, sourcePassword: SOURCE_PASSWORD, cutoverAt: new Date().toISOString() });
        if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
        expect(await exited).toBe('SIGKILL');
        const [stuck] = await service.status({ jobId: submitted.jobId });
        expect(stuck!.steps.find((s) => s.name === point.running)?.status).toBe('running');
        const status = await h.rescue(service, settings, submitted.jobId);
        expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
        expect(status.state).toBe('done');
        expect(await h.messages(address, await destinationPassword(service, submitted.jobId))).toEqual(before);
        expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}` && r.status === 200)).toHaveLength(1);
      } finally {
        child.kill('SIGKILL');
      }
    }, 150_000);
  }

  it('a cut-over asked while a delta pass runs is not left waiting for the next pass (an hour later)', async () => {
    const address = 'staged.race@mydomain.ovh';
    let calls = 0;
    let jobId = '';
    let asked: Promise<void> | undefined;
    const { service } = await h.pipeline({
      copier: (async (options) => {
        // the first staging pass (the second copy): the cut-over is asked while this job is active
        if (++calls === 2) asked = service.cutover(jobId, CLI);
        await asked;
        return copyMailbox(options);
      }) as Copier,
    });
    const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true, sourcePassword: SOURCE_PASSWORD, syncEverySeconds: 3600 });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    jobId = submitted.jobId;
    await stagingPasses(service, jobId, 0);
    // an hour passes: the next delta is due (the stored schedule moved back, the sleeping job woken as its delay would)
    await waitFor(async () => (await service.queue.getJobState(jobId)) === 'delayed', 10_000, 'the staged job asleep');
    // read once asleep: the status shows the stage running before the step has saved its schedule
    const job = (await service.queue.getJob(jobId))!;
    const data = structuredClone(job.data as MigrationJobData);
    data.checkpoint.staging!.nextSyncAt = new Date(Date.now() - 1000).toISOString();
    await (job as Job<JobData>).updateData(data);
    await job.promote();
    const done = await waitForState(service, jobId, ['done', 'failed'], 30_000);
    expect(done.state).toBe('done');
    expect(calls).toBe(4); // the first copy, the pass during which it was asked, the last live delta, the final delta
    expect(done.staging?.cutover?.by).toBe(CLI.id);
  }, 60_000);

  it('without the source password, or towards legacy MX Plan, the plan says classic and why', async () => {
    const { service } = await h.pipeline({ worker: false });
    const noPassword = await service.preflight({ sourceAddress: 'staged.none@mydomain.ovh', destinationService: DESTINATION, requester: CLI });
    expect(noPassword.ok && noPassword.plan.order).toMatchObject({ kind: 'classic', reason: expect.stringMatching(/current password/) });
    const asked = await service.preflight({ sourceAddress: 'staged.none@mydomain.ovh', destinationService: DESTINATION, requester: CLI, sourcePassword: SOURCE_PASSWORD, order: 'classic' });
    expect(asked.ok && asked.plan.order).toMatchObject({ kind: 'classic', reason: expect.stringMatching(/asked for/) });
  });
});

/** The destination password as the worker holds it (sealed in the checkpoint), for looking at the staged account before any hand-over. */
async function sealedDestinationPassword(service: Awaited<ReturnType<Harness['pipeline']>>['service'], jobId: string): Promise<string> {
  const job = await service.queue.getJob(jobId);
  const sealed = (job!.data as { checkpoint: { destinationPassword: Parameters<Harness['secrets']['open']>[0] } }).checkpoint.destinationPassword;
  return h.secrets.open(sealed, `${jobId}:destination-password`);
}
