import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_QUEUE_NAME, Keys } from '../../src/pipeline/queue-names.js';
import { signDecision } from '../../src/pipeline/decisions.js';
import { SecretBox } from '../../src/pipeline/secret-box.js';
import { pairsFixture } from './fixtures.js';
import { CLI, Harness, destinationPassword, waitForState } from './harness.js';

/**
 * What the worker accepts as an approval, and what is left in Redis of the secrets: the attacks of the safety issue
 * (a decision written into Redis by hand, a button of an earlier request, self-approval, secrets kept forever).
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
const EXCHANGE_KEY = 'exchange:hosted-sb11111-1/hosted-sb11111-1';

describe('approvals the worker runs on', () => {
  it('a decision written into Redis without the signature is refused and reported; nothing changes at OVH', async () => {
    const { service, prefix } = await h.pipeline();
    const submitted = await service.submit({ sourceAddress: 'erin@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: REQUESTER });
    if (!submitted.ok) throw new Error('refused');
    const keys = new Keys(prefix, DEFAULT_QUEUE_NAME);
    // what someone with write access to Redis but without SECRETS_KEY could do
    await redis.set(keys.decision(submitted.jobId), JSON.stringify({ approve: true, by: APPROVER, at: new Date().toISOString(), jobId: submitted.jobId, nonce: submitted.nonce, signature: 'forged' }));
    await (await service.queue.getJob(submitted.jobId))!.promote();
    const status = await waitForState(service, submitted.jobId, ['failed', 'done', 'rejected']);
    expect(status.state).toBe('failed');
    expect(status.decision).toBeUndefined();
    expect(status.steps.find((s) => s.name === 'approval')).toMatchObject({ status: 'failed', detail: expect.stringMatching(/signature does not match/) });
    expect(h.sim.addresses(EXCHANGE_KEY)).toContain('erin@mydomain.ovh');
  });

  it("a decision signed for an earlier request of the same address (another nonce) is refused; so is another deployment's key", async () => {
    const { service, prefix } = await h.pipeline();
    const submitted = await service.submit({ sourceAddress: 'frank@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: REQUESTER });
    if (!submitted.ok) throw new Error('refused');
    const keys = new Keys(prefix, DEFAULT_QUEUE_NAME);
    const earlier = signDecision(h.secrets, { approve: true, by: APPROVER, at: new Date().toISOString(), jobId: submitted.jobId, nonce: 'an-earlier-nonce' });
    await redis.set(keys.decision(submitted.jobId), JSON.stringify(earlier));
    await (await service.queue.getJob(submitted.jobId))!.promote();
    const status = await waitForState(service, submitted.jobId, ['failed', 'done', 'rejected']);
    expect(status.steps.find((s) => s.name === 'approval')?.detail).toMatch(/earlier request for this address/);

    const other = await h.pipeline();
    const again = await other.service.submit({ sourceAddress: 'gina@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: REQUESTER });
    if (!again.ok) throw new Error('refused');
    const foreign = signDecision(SecretBox.random(), { approve: true, by: APPROVER, at: new Date().toISOString(), jobId: again.jobId, nonce: again.nonce });
    await redis.set(new Keys(other.prefix, DEFAULT_QUEUE_NAME).decision(again.jobId), JSON.stringify(foreign));
    await (await other.service.queue.getJob(again.jobId))!.promote();
    expect((await waitForState(other.service, again.jobId, ['failed', 'done', 'rejected'])).steps.find((s) => s.name === 'approval')?.detail).toMatch(/signature does not match/);
  });

  it('decide refuses a button of an earlier request (wrong nonce) and self-approval', async () => {
    const { service } = await h.pipeline({ worker: false });
    const submitted = await service.submit({ sourceAddress: 'dave@pro-domain.ovh', destinationService: 'emailpro-sb66666-1', requester: REQUESTER });
    if (!submitted.ok) throw new Error('refused');
    await expect(service.decide(submitted.jobId, { approve: true, by: APPROVER, nonce: 'stale-nonce-1234' })).rejects.toThrow(/earlier request/);
    await expect(service.decide(submitted.jobId, { approve: true, by: REQUESTER, nonce: submitted.nonce })).rejects.toThrow(/your own request/);
    expect((await service.status({ jobId: submitted.jobId }))[0]!.state).toBe('awaiting-approval');
    // a follow-up with a button of an earlier request changes nothing either (checked under the follow-up's lock)
    await expect(service.cancel(submitted.jobId, APPROVER, { nonce: 'stale-nonce-1234' })).rejects.toThrow(/earlier request/);
    expect((await service.status({ jobId: submitted.jobId }))[0]!.state).toBe('awaiting-approval');
    // rejecting one's own request is allowed: it changes nothing
    await expect(service.decide(submitted.jobId, { approve: false, by: REQUESTER, nonce: submitted.nonce })).resolves.toMatchObject({ changed: true, state: 'rejected' });
  });
});

describe('secrets kept only while needed', () => {
  it('after a run: no migration password in the job; the handed-over one opens for its recipient only, until acknowledged, then is gone from Redis', async () => {
    const { service, prefix } = await h.pipeline();
    const typed = 'Typed-Destination-Pass-42';
    const submitted = await service.submit({ sourceAddress: 'carol@pro-domain.ovh', destinationService: 'emailpro-sb66666-1', requester: CLI, preapproved: true, destinationPassword: typed });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    const status = await waitForState(service, submitted.jobId, ['done', 'failed'], 60_000);
    expect(status.state).toBe('done');
    expect(status.handover).toMatchObject({ state: 'ready', typedByRequester: true, recipient: CLI });

    const job = (await service.queue.getJob(submitted.jobId))!;
    const data = job.data as unknown as { request: Record<string, unknown>; checkpoint: Record<string, unknown> };
    expect(data.request.destinationPassword).toBeUndefined();
    expect(data.checkpoint.sourcePassword).toBeUndefined();
    expect(data.checkpoint.destinationPassword).toBeUndefined();

    expect(await service.revealDestinationPassword(submitted.jobId, { kind: 'slack', id: 'U-SOMEONE' })).toMatchObject({ ok: false, reason: expect.stringMatching(/handed to tester only/) });
    expect(await destinationPassword(service, submitted.jobId)).toBe(typed);
    expect(await destinationPassword(service, submitted.jobId)).toBe(typed);
    expect(await service.acknowledgeDestinationPassword(submitted.jobId, { kind: 'slack', id: 'U-SOMEONE' })).toMatchObject({ ok: false });
    expect(await service.acknowledgeDestinationPassword(submitted.jobId, CLI)).toEqual({ ok: true, changed: true });
    expect(await service.revealDestinationPassword(submitted.jobId, CLI)).toMatchObject({ ok: false, reason: expect.stringMatching(/no longer stored/) });

    // nothing sealed for this job is left anywhere under the queue's prefix
    const keys = new Keys(prefix, DEFAULT_QUEUE_NAME);
    expect(await redis.hget(keys.handover(submitted.jobId), 'sealed')).toBeNull();
    for (const key of await redis.keys(`${prefix}:*`)) {
      const type = await redis.type(key);
      const values =
        type === 'string'
          ? [await redis.get(key)]
          : type === 'hash'
            ? Object.values(await redis.hgetall(key))
            : type === 'stream'
              ? (await redis.xrange(key, '-', '+')).flatMap(([, fields]) => fields)
              : [];
      for (const value of values) expect(value ?? '', key).not.toMatch(/v1\.[\w-]{16}\.[\w-]{22}\./);
      for (const value of values) expect(value ?? '', key).not.toContain(typed);
    }
    expect(await h.messages('carol@pro-domain.ovh', typed)).not.toHaveLength(0);
  }, 90_000);
});
