import { afterAll, beforeAll, expect, it } from 'vitest';
import { featuresFixture } from './fixtures.js';
import { CLI, Harness } from './harness.js';

/**
 * A batch's rows share what is read for a whole service: the rights on every account (three OVH reads per
 * account) are read once for the batch, not once per row, and each row's plan is the one it gets alone.
 */

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ fixture: featuresFixture() });
});
afterAll(async () => {
  await h?.stop();
});

const EXCHANGE = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/';
const ROWS = ['boss@mydomain.ovh', 'ex2pro@mydomain.ovh', 'ex2mx@mydomain.ovh'];

it("a batch reads each account's rights once for all its rows, and plans each row as it would alone", async () => {
  const { service } = await h.pipeline({ worker: false });
  const alone = new Map<string, unknown>();
  for (const source of ROWS) {
    const checked = await service.preflight({ sourceAddress: source, destinationService: 'emailpro-sb22222-1', requester: CLI });
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    alone.set(source, checked.plan.features);
  }

  h.sim.clearRequests();
  const csv = ['source,destination_service', ...ROWS.map((source) => `${source},emailpro-sb22222-1`)].join('\n');
  const checked = await service.checkBatch(csv, CLI, { preapproved: true });
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));

  // each row still plans what it plans alone: rights on itself and rights it holds on others (boss holds full
  // access on every clone, and each clone sees boss's right on it)
  for (const { plan } of checked.planned) expect(plan.features).toEqual(alone.get(plan.source.address));
  expect(checked.planned[0]!.plan.features.map((f) => f.key)).toContain('right:fullAccess:ex2pro@mydomain.ovh:boss@mydomain.ovh');

  const reads = new Map<string, number>();
  for (const r of h.sim.requests) {
    if (r.method !== 'GET' || !r.path.startsWith(EXCHANGE) || !r.path.endsWith('/fullAccess')) continue;
    const owner = r.path.slice(EXCHANGE.length, -'/fullAccess'.length);
    reads.set(owner, (reads.get(owner) ?? 0) + 1);
  }
  // an account not in the batch: read once (it was read once per row before); a row: once more for itself
  expect(reads.get('john.smith@mydomain.ovh')).toBe(1);
  expect(reads.get('ex2ex@mydomain.ovh')).toBe(1);
  for (const row of ROWS) expect(reads.get(row)).toBe(2);
}, 60_000);
