import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchJobId } from '../../src/domain/plan.js';
import { OvhClient } from '../../src/ovh/ovh-client.js';
import { accessRules } from '../../src/ovh/routes.js';
import type { MigrationStatus, ReportedFeature } from '../../src/pipeline/migration-service.js';
import type { Copier } from '../../src/pipeline/dependencies.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { linksFixture } from './fixtures.js';
import { CLI, Harness, buildDeps, waitFor, waitForState } from './harness.js';

/**
 * Links between mailboxes (rights) across migrations, on the simulator with a real Redis: a link whose other end
 * is not on the destination yet waits in Redis for that service; later migrations to it and the end of a batch
 * apply it; a link whose other end went to another service becomes by hand; undo puts links back to pending. Also:
 * an OVH task that ends in error for one feature, and a consumer key without the new access rules.
 */

const EX2 = 'hosted-sb55555-1/hosted-sb55555-1';
const EX2_PATH = '/email/exchange/hosted-sb55555-1/service/hosted-sb55555-1';
const at = (login: string) => `${login}@mydomain.ovh`;

let h: Harness;
let pipeline: Awaited<ReturnType<Harness['pipeline']>>;

/** f's copy fails for good (after its destination account exists): the batch-end and undo test needs that. */
const failingForF: Copier = async (options) => {
  if (options.to.user === at('f')) throw Object.assign(new Error('the destination refused the copy (test)'), { retryable: false });
  return h.deps.copier(options);
};

beforeAll(async () => {
  h = await Harness.start({ fixture: linksFixture() });
  pipeline = await h.pipeline({ copier: failingForF, tuning: { batchConcurrency: 1 }, concurrency: 2 });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

async function migrate(login: string, to: string, extra: { resetSourceAfter?: boolean } = {}) {
  const submitted = await pipeline.service.submit({ sourceAddress: at(login), destinationService: to, requester: CLI, preapproved: true, ...extra });
  if (!submitted.ok) throw new Error(`${login}: ${JSON.stringify(submitted.problems)}`);
  const status = await waitForState(pipeline.service, submitted.jobId, ['done', 'failed'], 90_000);
  return { plan: submitted.plan, status };
}

async function statusOf(login: string): Promise<MigrationStatus> {
  return (await pipeline.service.status({ address: at(login) }))[0]!;
}

/** The report's rights of a migration, by key. */
function rights(status: MigrationStatus): Record<string, ReportedFeature> {
  return Object.fromEntries(status.report!.features.filter((f) => f.kind === 'right').map((f) => [f.key, f]));
}

/** "fullAccess owner grantee" of every right the destination holds on `login`'s mailbox, in both directions. */
async function rightsThere(service: string, login: string): Promise<string[]> {
  const destination = await h.factory({ platform: 'exchange', name: service });
  const snapshot = await destination.readFeatures(at(login));
  return snapshot.delegations.map((d) => `${d.right} ${d.owner} ${d.grantee}`).sort();
}

const both = (x: string, y: string) => [`fullAccess ${at(x)} ${at(y)}`, `fullAccess ${at(y)} ${at(x)}`].sort();

async function runBatch(rows: string[], to: string): Promise<MigrationStatus[]> {
  const csv = ['source,destination_service', ...rows.map((login) => `${at(login)},${to}`)].join('\n');
  const submitted = await pipeline.service.submitBatch(csv, CLI, { preapproved: true });
  if (!submitted.ok) throw new Error(JSON.stringify(submitted.errors));
  // the batch's own job runs once every row has finished: its end applies the pending links
  await waitFor(async () => (await pipeline.service.queue.getJobState(batchJobId(submitted.batchId))) === 'completed', 150_000, 'the end of the batch');
  return pipeline.service.batchStatus(submitted.batchId);
}

describe('rights between two mailboxes, whatever the order they are migrated in', { timeout: 180_000 }, () => {
  it('a batch of two mailboxes holding rights on each other ends with both rights, in either row order', async () => {
    for (const [first, second] of [
      ['p1', 'q1'],
      ['q2', 'p2'],
    ] as const) {
      const rows = await runBatch([first, second], EX2);
      expect(rows.map((r) => r.state)).toEqual(['done', 'done']);
      expect(await rightsThere(EX2, first)).toEqual(both(first, second));
      // each report shows both rights recreated: the one that ran first sees them resolved after it ended
      for (const row of rows) {
        expect(Object.values(rights(row)).map((f) => f.status).sort(), row.jobId).toEqual([expect.stringMatching(/^(created|exists)$/), expect.stringMatching(/^(created|exists)$/)]);
      }
    }
    // each right was posted once
    const posts = h.sim.requests.filter((r) => r.method === 'POST' && /\/account\/(p|q)[12]@mydomain\.ovh\/fullAccess$/.test(r.path) && r.status === 200);
    expect(posts.map((r) => r.path).sort()).toEqual([`${EX2_PATH}/account/p1@mydomain.ovh/fullAccess`, `${EX2_PATH}/account/p2@mydomain.ovh/fullAccess`, `${EX2_PATH}/account/q1@mydomain.ovh/fullAccess`, `${EX2_PATH}/account/q2@mydomain.ovh/fullAccess`]);
  });

  it('two separate migrations: the second applies the links the first left pending', async () => {
    // a goes first, and its old account is reset: b's source no longer holds anything naming a
    const first = await migrate('a', EX2, { resetSourceAfter: true });
    expect(first.status.state).toBe('done');
    expect(first.status.steps.find((s) => s.name === 'reset-source')?.status).toBe('done');
    expect(Object.values(rights(first.status))).toEqual([
      expect.objectContaining({ status: 'pending', detail: `waits for ${at('b')} on ${EX2}`, waitsFor: [at('b')] }),
      expect.objectContaining({ status: 'pending', detail: `waits for ${at('b')} on ${EX2}`, waitsFor: [at('b')] }),
    ]);
    expect(first.status.steps.find((s) => s.name === 'features')?.detail).toMatch(/pending 2 \(waiting for b@mydomain\.ovh\)/);

    const second = await migrate('b', EX2);
    expect(second.status.state).toBe('done');
    expect(second.plan.features.some((f) => f.change && JSON.stringify(f.change).includes(`"${at('a')}"`))).toBe(false);
    expect(await rightsThere(EX2, 'a')).toEqual(both('a', 'b'));
    // a's report, read again: its links were recreated by b's run
    for (const f of Object.values(rights(await statusOf('a')))) expect(f).toMatchObject({ status: 'created', detail: `recreated once both ends were on ${EX2}` });
  });

  it('a link whose other end is migrated to another service becomes by hand, with the reason', async () => {
    const first = await migrate('c', EX2);
    expect(Object.values(rights(first.status)).map((f) => f.status)).toEqual(['pending', 'pending']);
    const second = await migrate('d', 'mxplan-sb33333-1');
    expect(second.status.state).toBe('done');
    // d's source rights point at c's temporary name: they are about c, who is on the other service
    const planned = second.plan.features.filter((f) => f.kind === 'right');
    expect(planned.map((f) => f.key).sort()).toEqual([`right:fullAccess:${at('c')}:${at('d')}`, `right:fullAccess:${at('d')}:${at('c')}`]);
    for (const f of planned) expect(f).toMatchObject({ verdict: 'byHand', detail: `${at('c')} was migrated to ${EX2} (Hosted Exchange), not to mxplan-sb33333-1: rights and group memberships only link accounts of one service` });
    for (const f of Object.values(rights(await statusOf('c')))) {
      expect(f).toMatchObject({ status: 'byHand', detail: `${at('d')} was migrated to mxplan-sb33333-1 (MX Plan), not to ${EX2}: rights and group memberships only link accounts of one service`, instruction: expect.stringMatching(/by hand/) });
    }
  });

  it('the end of a batch applies links waiting for a mailbox its rows created; undo puts them back to pending', async () => {
    const first = await migrate('e', EX2);
    expect(Object.values(rights(first.status)).map((f) => f.status)).toEqual(['pending', 'pending']);
    // f's copy fails after its destination account exists: its own features step never runs
    const [row] = await runBatch(['f'], EX2);
    expect(row!.state).toBe('failed');
    expect(row!.steps.find((s) => s.name === 'features')?.status).toBe('pending');
    expect(await rightsThere(EX2, 'e')).toEqual(both('e', 'f'));
    for (const f of Object.values(rights(await statusOf('e')))) expect(f).toMatchObject({ status: 'created', detail: `recreated once both ends were on ${EX2}` });

    await pipeline.service.undo(row!.jobId, CLI);
    const undone = await statusOf('f');
    expect(undone.steps.find((s) => s.name === 'undo')).toMatchObject({ status: 'done', detail: expect.stringMatching(/are pending again/) });
    expect(h.sim.addresses(`exchange:${EX2}`)).not.toContain(at('f'));
    for (const f of Object.values(rights(await statusOf('e')))) expect(f).toMatchObject({ status: 'pending', waitsFor: [at('f')], detail: `waits for ${at('f')} on ${EX2} (its migration was undone)` });
  });
});

describe('failures of one feature', { timeout: 120_000 }, () => {
  it('an OVH task that ends in error fails that feature alone; the migration goes on and ends done', async () => {
    h.sim.faults.failTasks({ function: 'addAlias', times: 1 });
    try {
      const { status } = await migrate('g', EX2);
      expect(status.state).toBe('done');
      const step = status.steps.find((s) => s.name === 'features')!;
      expect(step.status).toBe('failed');
      expect(step.detail).toMatch(/failed 1: alias g\.alias@mydomain\.ovh of g@mydomain\.ovh: OVH task \d+ \(addAlias\) on hosted-sb55555-1\/hosted-sb55555-1 to recreate alias g\.alias@mydomain\.ovh of g@mydomain\.ovh ended with status error/);
      expect(status.steps.filter((s) => s.status === 'failed').map((s) => s.name)).toEqual(['features']);
      for (const later of ['verify', 'dns', 'handover'] as const) expect(status.steps.find((s) => s.name === later)?.status).toBe('done');
      const byKey = Object.fromEntries(status.report!.features.map((f) => [f.key, f]));
      expect(byKey[`alias:${at('g')}:g.alias@mydomain.ovh`]).toMatchObject({ status: 'failed', detail: expect.stringMatching(/ended with status error\. look at task \d+ in the OVH control panel/) });
      expect(byKey[`settings:${at('g')}`]!.status).toBe('created');
    } finally {
      h.sim.faults.clear();
    }
  });

  it('a consumer key without the new access rules: the step says to run ovh-login again and names the rule', async () => {
    const missing = { method: 'POST', path: '/email/exchange/*/service/*/externalContact' } as const;
    expect(accessRules()).toContainEqual(missing);
    const unsigned = new OvhClient({ host: h.ovh.host, port: h.ovh.port, appKey: h.ovh.appKey, appSecret: h.ovh.appSecret, ca: h.sim.caCertificate });
    const credential = await unsigned.requestCredential({ accessRules: accessRules().filter((r) => !(r.method === missing.method && r.path === missing.path)) });
    unsigned.close();
    const { service, settings } = await h.pipeline({ worker: false });
    const old = buildDeps({ ovh: { ...h.ovh, consumerKey: credential.consumerKey }, ca: h.sim.caCertificate, endpoints: h.sim.imapEndpoints(), secretsKey: h.secretsKey }, h.logger);
    const worker = await MigrationWorker.start({ ...settings, deps: old.deps, concurrency: 1 });
    try {
      const submitted = await service.submit({ sourceAddress: at('k'), destinationService: 'hosted-sb77777-1/hosted-sb77777-1', requester: CLI, preapproved: true });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
      const status = await waitForState(service, submitted.jobId, ['done', 'failed'], 90_000);
      expect(status.state).toBe('done');
      const step = status.steps.find((s) => s.name === 'features')!;
      expect(step.status).toBe('failed');
      expect(step.detail).toContain('lacks the access rule POST /email/exchange/*/service/*/externalContact');
      expect(step.detail).toContain('run migrate-mailbox ovh-login again');
      const contacts = status.report!.features.filter((f) => f.kind === 'externalContact');
      expect(contacts.map((f) => f.status)).toEqual(['failed', 'failed']);
    } finally {
      await worker.close(true);
      old.factory.client.close();
    }
  });
});
