import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import type { StoredAuditEntry } from '../../src/pipeline/audit-log.js';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { DEFAULT_QUEUE_NAME, Keys } from '../../src/pipeline/queue-names.js';
import { pairsFixture } from './fixtures.js';
import { FAST_TUNING, Harness, waitForState } from './harness.js';

/**
 * The audit trail as the MigrationService writes it: one entry per action and outcome, through the real service,
 * queue and worker; and never a secret in it.
 */
let h: Harness;
let redis: Redis;
beforeAll(async () => {
  h = await Harness.start({ fixture: pairsFixture() });
  redis = new Redis(h.redis.connection as never);
});
afterAll(async () => {
  redis?.disconnect();
  await h?.stop();
});

const REQUESTER = { kind: 'slack' as const, id: 'U-REQUESTER' };
const APPROVER = { kind: 'slack' as const, id: 'U-APPROVER' };
const TYPED_PASSWORD = 'Typed-Dest-Pass-4821';
const STALE_NONCE = 'stale-nonce-from-an-old-button';
const EMAILPRO = 'emailpro-sb22222-1';
const ACCOUNT_PUT = { method: 'PUT', path: /^\/email\/pro\/emailpro-sb22222-1\/account\//, status: 503 as const };

/** What the full flow below saw of the secrets, to look for them in the stream afterwards. */
const secrets: string[] = [STALE_NONCE];
let flow: { service: BullMigrationService; prefix: string } | undefined;

function pick(entries: StoredAuditEntry[], match: Partial<StoredAuditEntry>): StoredAuditEntry[] {
  return entries.filter((e) => Object.entries(match).every(([k, v]) => (e as Record<string, unknown>)[k] === v));
}

describe('the audit trail of the service', () => {
  it('records each action kind with who, when, the mailbox, the destination and the outcome', async () => {
    const { service, prefix } = await h.pipeline({ tuning: { retryBudgetMs: 150 } });
    flow = { service, prefix };
    const keys = new Keys(prefix, DEFAULT_QUEUE_NAME);
    const started = Date.now();
    h.sim.faults.add(ACCOUNT_PUT);
    try {
      // jane: typed password, refused decisions, then approved; fails at create-destination, is retried, completes
      const jane = await service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: EMAILPRO, destinationPassword: TYPED_PASSWORD, requester: REQUESTER });
      if (!jane.ok) throw new Error(JSON.stringify(jane.problems));
      const janeData = (await service.queue.getJob(jane.jobId))!.data;
      if (janeData.kind !== 'migration' || !janeData.request.destinationPassword) throw new Error('no sealed password in the job');
      secrets.push(jane.nonce, janeData.request.destinationPassword);
      await expect(service.decide(jane.jobId, { approve: true, by: APPROVER, nonce: STALE_NONCE })).rejects.toThrow(/earlier request/);
      await expect(service.decide(jane.jobId, { approve: true, by: REQUESTER, nonce: jane.nonce })).rejects.toThrow(/your own request/);
      await service.decide(jane.jobId, { approve: true, by: APPROVER, nonce: jane.nonce });
      secrets.push(JSON.parse((await redis.get(keys.decision(jane.jobId)))!).signature);
      // erin: approved at submission (the CLI's --yes); fails the same way, then is undone
      const erin = await service.submit({ sourceAddress: 'erin@mydomain.ovh', destinationService: EMAILPRO, requester: { kind: 'cli', id: 'alice' }, preapproved: true });
      if (!erin.ok) throw new Error(JSON.stringify(erin.problems));
      secrets.push(erin.nonce);
      expect((await waitForState(service, jane.jobId, ['failed', 'done'])).state).toBe('failed');
      expect((await waitForState(service, erin.jobId, ['failed', 'done'])).state).toBe('failed');
      await expect(service.resetSource(jane.jobId, APPROVER)).rejects.toThrow(/only after a completed migration/);
    } finally {
      h.sim.faults.clear();
    }
    await service.retry('mig-jane.doe@mydomain.ovh', APPROVER);
    await service.undo('mig-erin@mydomain.ovh', { kind: 'cli', id: 'alice' });
    expect((await waitForState(service, 'mig-jane.doe@mydomain.ovh', ['done', 'failed'])).state).toBe('done');
    // the hand-over: refused to someone else, shown to the requester, acknowledged
    expect(await service.revealDestinationPassword('mig-jane.doe@mydomain.ovh', APPROVER)).toMatchObject({ ok: false });
    secrets.push((await redis.hget(keys.handover('mig-jane.doe@mydomain.ovh'), 'sealed'))!);
    expect(await service.revealDestinationPassword('mig-jane.doe@mydomain.ovh', REQUESTER)).toEqual({ ok: true, address: 'jane.doe@mydomain.ovh', password: TYPED_PASSWORD });
    expect(await service.acknowledgeDestinationPassword('mig-jane.doe@mydomain.ovh', REQUESTER)).toEqual({ ok: true, changed: true });
    await service.resetSource('mig-jane.doe@mydomain.ovh', APPROVER, { force: true });
    // frank: rejected with a comment; gina: cancelled while awaiting approval
    const frank = await service.submit({ sourceAddress: 'frank@mydomain.ovh', destinationService: EMAILPRO, requester: REQUESTER });
    if (!frank.ok) throw new Error(JSON.stringify(frank.problems));
    await service.decide(frank.jobId, { approve: false, by: APPROVER, nonce: frank.nonce, reason: 'not before the end of the quarter' });
    const gina = await service.submit({ sourceAddress: 'gina@mydomain.ovh', destinationService: EMAILPRO, requester: REQUESTER });
    if (!gina.ok) throw new Error(JSON.stringify(gina.problems));
    await service.cancel(gina.jobId, APPROVER);
    secrets.push(frank.nonce, gina.nonce);
    // refused at submission (preflight): recorded with the problem
    expect(await service.submit({ sourceAddress: 'big.mailbox@mydomain.ovh', destinationService: EMAILPRO, requester: REQUESTER })).toMatchObject({ ok: false });

    const entries = await service.audit.read();
    const janeIs = { address: 'jane.doe@mydomain.ovh', destination: EMAILPRO, jobId: 'mig-jane.doe@mydomain.ovh' };
    expect(pick(entries, { action: 'request', ...janeIs })).toEqual([expect.objectContaining({ outcome: 'ok', actorKind: 'slack', actorId: 'U-REQUESTER' })]);
    expect(pick(entries, { action: 'approve', ...janeIs })).toEqual([
      expect.objectContaining({ outcome: 'refused', actorId: 'U-APPROVER', reason: expect.stringMatching(/earlier request/) }),
      expect.objectContaining({ outcome: 'refused', actorId: 'U-REQUESTER', reason: expect.stringMatching(/cannot approve your own request/) }),
      expect.objectContaining({ outcome: 'ok', actorId: 'U-APPROVER' }),
    ]);
    expect(pick(entries, { action: 'reset', ...janeIs })).toEqual([expect.objectContaining({ outcome: 'refused', actorId: 'U-APPROVER', reason: expect.stringMatching(/only after a completed migration/) })]);
    expect(pick(entries, { action: 'retry', ...janeIs })).toEqual([expect.objectContaining({ outcome: 'ok', actorId: 'U-APPROVER' })]);
    expect(pick(entries, { action: 'password-shown', ...janeIs })).toEqual([
      expect.objectContaining({ outcome: 'refused', actorId: 'U-APPROVER', reason: expect.stringMatching(/handed to <@U-REQUESTER> only/) }),
      expect.objectContaining({ outcome: 'ok', actorId: 'U-REQUESTER' }),
    ]);
    expect(pick(entries, { action: 'password-acknowledged', ...janeIs })).toEqual([expect.objectContaining({ outcome: 'ok', actorId: 'U-REQUESTER' })]);
    expect(pick(entries, { action: 'reset-anyway', ...janeIs })).toEqual([expect.objectContaining({ outcome: 'ok', actorId: 'U-APPROVER' })]);

    const erinIs = { address: 'erin@mydomain.ovh', destination: EMAILPRO, jobId: 'mig-erin@mydomain.ovh', actorKind: 'cli' as const, actorId: 'alice' };
    expect(pick(entries, { action: 'request', ...erinIs })).toEqual([expect.objectContaining({ outcome: 'ok' })]);
    expect(pick(entries, { action: 'approve', ...erinIs })).toEqual([expect.objectContaining({ outcome: 'ok', detail: 'approved at submission by the requester' })]);
    expect(pick(entries, { action: 'undo', ...erinIs })).toEqual([expect.objectContaining({ outcome: 'ok' })]);

    expect(pick(entries, { action: 'reject', address: 'frank@mydomain.ovh' })).toEqual([
      expect.objectContaining({ outcome: 'ok', actorId: 'U-APPROVER', jobId: 'mig-frank@mydomain.ovh', destination: EMAILPRO, detail: 'comment: not before the end of the quarter' }),
    ]);
    expect(pick(entries, { action: 'cancel', address: 'gina@mydomain.ovh' })).toEqual([expect.objectContaining({ outcome: 'ok', actorId: 'U-APPROVER', jobId: 'mig-gina@mydomain.ovh' })]);
    expect(pick(entries, { action: 'request', address: 'big.mailbox@mydomain.ovh' })).toEqual([
      expect.objectContaining({ outcome: 'refused', actorId: 'U-REQUESTER', destination: EMAILPRO, reason: expect.stringMatching(/^source: .*over the 10\.0 GiB/) }),
    ]);

    // when: ISO times of this run, in order; the stream ids follow the same clock
    for (const e of entries) {
      expect(e.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(e.at)).toBeGreaterThanOrEqual(started - 1000);
      expect(Math.abs(Number(e.id.split('-')[0]) - Date.parse(e.at))).toBeLessThan(5_000);
    }
    expect(entries.map((e) => e.at)).toEqual([...entries.map((e) => e.at)].sort());
    // the key is under the queue prefix, beside the others
    expect(await redis.type(keys.audit())).toBe('stream');
    expect(keys.audit().startsWith(`${prefix}:`)).toBe(true);
    // --address filter of the reader, case-insensitive
    expect((await service.audit.read({ address: 'Gina@MyDomain.ovh' })).map((e) => e.action)).toEqual(['request', 'cancel']);
  }, 180_000);

  it('holds no secret: not the typed password, a nonce, a sealed copy or a signature, in any field of any entry', async () => {
    if (!flow) throw new Error('the flow above did not run');
    const raw = await redis.xrange(new Keys(flow.prefix, DEFAULT_QUEUE_NAME).audit(), '-', '+');
    expect(raw.length).toBeGreaterThan(15);
    const text = JSON.stringify(raw);
    expect(secrets.filter((s) => s.length >= 8).length).toBeGreaterThanOrEqual(8);
    expect(text).not.toContain(TYPED_PASSWORD);
    for (const secret of secrets.filter((s) => s.length >= 8)) expect(text).not.toContain(secret);
  });

  it('batches: a request entry per mailbox, refused self-approvals and a wrong button, the rejection; a refused CSV without its cells', async () => {
    const { service, prefix } = await h.pipeline({ worker: false });
    const csv = 'source,destination_service\ndave@pro-domain.ovh,emailpro-sb66666-1\ncarol@pro-domain.ovh,emailpro-sb66666-1\n';
    const batch = await service.submitBatch(csv, REQUESTER, { origin: { channel: 'C1' } });
    if (!batch.ok) throw new Error(JSON.stringify(batch.errors));
    await expect(service.decideBatch(batch.batchId, { approve: true, by: APPROVER, nonce: 'not-the-batch-nonce' })).rejects.toThrow(/does not belong/);
    const self = await service.decideBatch(batch.batchId, { approve: true, by: REQUESTER, nonce: batch.nonce });
    expect(self.jobs.every((j) => j.refused)).toBe(true);
    await service.decideBatch(batch.batchId, { approve: false, by: APPROVER, nonce: batch.nonce });
    const badCsv = 'source,destination_service,temporary_name,reset_source,password\ndave@pro-domain.ovh,emailpro-sb66666-1,,,Cell-Secret-77"x"\n';
    expect(await service.submitBatch(badCsv, REQUESTER, {})).toMatchObject({ ok: false, errors: [{ message: expect.stringContaining('Cell-Secret-77') }] });

    const entries = await service.audit.read();
    const inBatch = { batchId: batch.batchId, destination: 'emailpro-sb66666-1' };
    expect(pick(entries, { action: 'request', ...inBatch }).map((e) => [e.address, e.jobId, e.outcome, e.actorId])).toEqual([
      ['dave@pro-domain.ovh', 'mig-dave@pro-domain.ovh', 'ok', 'U-REQUESTER'],
      ['carol@pro-domain.ovh', 'mig-carol@pro-domain.ovh', 'ok', 'U-REQUESTER'],
    ]);
    expect(pick(entries, { action: 'approve', batchId: batch.batchId }).map((e) => [e.address ?? null, e.outcome, e.actorId, e.reason])).toEqual([
      [null, 'refused', 'U-APPROVER', expect.stringMatching(/does not belong to batch/)],
      ['dave@pro-domain.ovh', 'refused', 'U-REQUESTER', expect.stringMatching(/requested by you/)],
      ['carol@pro-domain.ovh', 'refused', 'U-REQUESTER', expect.stringMatching(/requested by you/)],
    ]);
    expect(pick(entries, { action: 'reject', ...inBatch }).map((e) => [e.address, e.outcome, e.actorId])).toEqual([
      ['dave@pro-domain.ovh', 'ok', 'U-APPROVER'],
      ['carol@pro-domain.ovh', 'ok', 'U-APPROVER'],
    ]);
    const refused = entries.at(-1)!;
    expect(refused).toMatchObject({ action: 'request', outcome: 'refused', reason: 'batch from a CSV: 1 problem(s) on line(s) 2; nothing started' });
    expect(JSON.stringify(await redis.xrange(new Keys(prefix, DEFAULT_QUEUE_NAME).audit(), '-', '+'))).not.toContain('Cell-Secret');
  }, 60_000);

  it('an audit write that fails is logged as an error with its entry, and the action goes ahead', async () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    const prefix = `audit-broken-${Date.now()}`;
    const keys = new Keys(prefix, DEFAULT_QUEUE_NAME);
    const service = new BullMigrationService({ connection: h.redis.connection, prefix, tuning: FAST_TUNING, directory: h.deps.directory, secrets: h.secrets, logger });
    try {
      // the stream's key holds a string: every XADD answers WRONGTYPE
      await redis.set(keys.audit(), 'not a stream');
      const submitted = await service.submit({ sourceAddress: 'bob@pro-domain.ovh', destinationService: 'emailpro-sb66666-1', requester: REQUESTER });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
      expect((await service.status({ jobId: submitted.jobId }))[0]?.state).toBe('awaiting-approval');
      await expect(service.decide(submitted.jobId, { approve: false, by: APPROVER, nonce: submitted.nonce })).resolves.toMatchObject({ changed: true, state: 'rejected' });
      const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50);
      expect(errors).toEqual([
        expect.objectContaining({ msg: expect.stringMatching(/audit trail: could not record/), err: expect.objectContaining({ message: expect.stringMatching(/WRONGTYPE/) }), audit: expect.objectContaining({ action: 'request', outcome: 'ok', address: 'bob@pro-domain.ovh', jobId: submitted.jobId, actorId: 'U-REQUESTER' }) }),
        expect.objectContaining({ audit: expect.objectContaining({ action: 'reject', outcome: 'ok', address: 'bob@pro-domain.ovh', actorId: 'U-APPROVER' }) }),
      ]);
      expect(await redis.get(keys.audit())).toBe('not a stream');
    } finally {
      await service.close();
    }
  });
});
