import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pairsFixture } from './fixtures.js';
import { CLI, Harness, waitFor } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await Harness.start({ fixture: pairsFixture() });
});
afterAll(async () => {
  await h?.stop();
});

describe('batches from a CSV', () => {
  it('a CSV with bad rows starts nothing and names every bad row', async () => {
    const { service } = await h.pipeline({ worker: false });
    const csv = [
      'source,destination_service,temporary_name,reset_source,password',
      'john.smith@mydomain.ovh,emailpro-sb22222-1,,,',
      'not an address,emailpro-sb22222-1,,,',
      'jane.doe@mydomain.ovh,emailpro-sb22222-1,,perhaps,',
      'big.mailbox@mydomain.ovh,emailpro-sb22222-1,,,',
      'contact@mydomain.ovh,emailpro-sb22222-1,,,',
      'alice@pro-domain.ovh,nowhere,,,',
      'John.Smith@mydomain.ovh,mxplan-sb33333-1,,,',
      'erin@mydomain.ovh,emailpro-sb22222-1,,,x',
    ].join('\n');
    h.sim.clearRequests();
    const result = await service.submitBatch(csv, CLI, { preapproved: true });
    // rows are pre-checked a few at a time, not one after the other: row 5's search for its account was answered
    // before row 2 read its aliases (a preflight reads one answer after another; only row 2 reads its aliases)
    const paths = h.sim.requests.map((r) => r.path);
    const aliasesOfRow2 = paths.indexOf('/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/john.smith@mydomain.ovh/alias');
    const firstOfRow5 = paths.findIndex((p) => p.endsWith('/account/big.mailbox@mydomain.ovh'));
    expect(aliasesOfRow2).toBeGreaterThanOrEqual(0);
    expect(firstOfRow5).toBeGreaterThanOrEqual(0);
    expect(firstOfRow5).toBeLessThan(aliasesOfRow2);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.row)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    const byRow = Object.fromEntries(result.errors.map((e) => [e.row, e.message]));
    expect(byRow[3]).toMatch(/^source: /);
    expect(byRow[4]).toMatch(/reset_source: must be yes or no/);
    expect(byRow[5]).toMatch(/over the 10\.0 GiB/);
    expect(byRow[6]).toMatch(/built-in migration/);
    expect(byRow[7]).toMatch(/no e-mail service named "nowhere"/);
    expect(byRow[8]).toMatch(/john.smith@mydomain.ovh appears on lines 2 and 8: keep one/);
    expect(byRow[9]).toMatch(/password: .*policy/);
    const counts = await service.queue.getJobCounts('waiting', 'delayed', 'active', 'completed', 'failed', 'waiting-children');
    expect(Object.values(counts).every((n) => n === 0)).toBe(true);
    expect(h.sim.addresses('exchange:hosted-sb11111-1/hosted-sb11111-1')).toContain('john.smith@mydomain.ovh');
  });

  it('a good CSV runs as one batch, at most BATCH_CONCURRENCY at once, with a summary', async () => {
    const { service, events } = await h.pipeline({ tuning: { batchConcurrency: 1 }, concurrency: 3 });
    const csv = 'source;destination_service;reset_source\nerin@mydomain.ovh;mxplan-sb33333-1;yes\ndave@pro-domain.ovh;emailpro-sb66666-1;no\n';
    const result = await service.submitBatch(csv, CLI, { preapproved: true, origin: { channel: 'C1' } });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.jobIds).toEqual(['mig-erin@mydomain.ovh', 'mig-dave@pro-domain.ovh']);
    const spans = new Map<string, { start: number; end?: number }>();
    const off = service.subscribe((e) => {
      if (e.type === 'step' && !spans.has(e.jobId)) spans.set(e.jobId, { start: Date.now() });
      if (e.type === 'finished' || e.type === 'failed') spans.get(e.jobId)!.end = Date.now();
    });
    const rows = await waitFor(
      async () => {
        const statuses = await service.batchStatus(result.batchId);
        return statuses.length === 2 && statuses.every((s) => ['done', 'failed'].includes(s.state)) ? statuses : undefined;
      },
      120_000,
      'the batch to finish',
    );
    expect(rows.map((r) => r.state)).toEqual(['done', 'done']);
    expect(rows.map((r) => r.origin)).toEqual([{ channel: 'C1', batchId: result.batchId }, { channel: 'C1', batchId: result.batchId }]);
    off();
    // One at a time: the second mailbox started its steps only after the first had finished.
    const [a, b] = [...spans.values()].sort((x, y) => x.start - y.start);
    expect(a!.end).toBeDefined();
    expect(b!.start).toBeGreaterThanOrEqual(a!.end!);
    // reset_source=yes: the temporary account is gone once every message is over.
    expect(rows[0]!.steps.find((s) => s.name === 'reset-source')?.status).toBe('done');
    expect(h.sim.addresses('exchange:hosted-sb11111-1/hosted-sb11111-1')).not.toContain('erin01@mydomain.ovh');
    expect(h.sim.addresses('emailpro:emailpro-sb22222-1')).toContain('dave01@pro-domain.ovh');
    await waitFor(() => events.some((e) => e.type === 'batch' && e.batchId === result.batchId && e.rows.every((r) => r.state === 'done')), 20_000, 'the batch summary');
    const summary = events.filter((e) => e.type === 'batch').at(-1);
    expect(summary).toMatchObject({ origin: { channel: 'C1' } });
  }, 150_000);
});
