import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { EventBus, newRedis } from '../../src/pipeline/events.js';
import type { MigrationEvent } from '../../src/pipeline/migration-service.js';
import { RedisServer } from '../../src/redis/redis-server.js';

/** Several processes' EventBuses on one real redis-server: what a subscription group promises. */
describe('EventBus subscription groups', () => {
  let redis: RedisServer;
  const clients: Redis[] = [];
  const buses: EventBus[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    for (const client of clients) client.disconnect();
    await redis?.stop();
  });

  function bus(channel: string): EventBus {
    const publisher = newRedis(redis.connection);
    clients.push(publisher);
    const b = new EventBus(publisher, redis.connection, channel);
    buses.push(b);
    return b;
  }

  const step = (jobId: string, i: number): MigrationEvent => ({ type: 'step', jobId, step: { name: 'copy', status: 'done', detail: String(i) } });

  it('each event goes to exactly one member of a group, a job in order to one member; others see every event', async () => {
    const channel = `events-${randomUUID()}`;
    const members = [bus(channel), bus(channel), bus(channel)];
    const got = members.map(() => [] as MigrationEvent[]);
    await Promise.all(members.map((m, i) => m.subscribe((e) => got[i]!.push(e), { group: 'slack' })));
    const plain: MigrationEvent[] = [];
    await bus(channel).subscribe((e) => plain.push(e));
    const worker = bus(channel);

    const jobs = Array.from({ length: 6 }, (_, j) => `mig-user${j}@mydomain.ovh`);
    const sent: MigrationEvent[] = [];
    for (let i = 0; i < 20; i++) {
      for (const jobId of jobs) {
        sent.push(step(jobId, i));
        await worker.publish(sent.at(-1)!);
      }
      await worker.publish({ type: 'batch', batchId: 'b1', rows: [{ jobId: jobs[0]!, address: 'x', state: 'running' }] });
    }
    const total = sent.length + 20;
    const deadline = Date.now() + 10_000;
    while (plain.length < total || got.flat().length < total) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 200));

    expect(plain).toHaveLength(total);
    // exactly once across the group
    expect(got.flat()).toHaveLength(total);
    for (const jobId of jobs) {
      const holders = got.filter((events) => events.some((e) => e.type === 'step' && e.jobId === jobId));
      expect(holders, jobId).toHaveLength(1);
      const details = holders[0]!.flatMap((e) => (e.type === 'step' && e.jobId === jobId ? [e.step.detail] : []));
      expect(details).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    }
    expect(got.filter((events) => events.some((e) => e.type === 'batch'))).toHaveLength(1);
  });

  it('a member that unsubscribes hands its jobs over at their next event', async () => {
    const channel = `events-${randomUUID()}`;
    const first = bus(channel);
    const second = bus(channel);
    const worker = bus(channel);
    const a: MigrationEvent[] = [];
    const b: MigrationEvent[] = [];
    const offA = await first.subscribe((e) => a.push(e), { group: 'slack' });
    await worker.publish(step('mig-x@mydomain.ovh', 0));
    const until = Date.now() + 5000;
    while (a.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(a).toHaveLength(1);
    await second.subscribe((e) => b.push(e), { group: 'slack' });
    await worker.publish(step('mig-x@mydomain.ovh', 1));
    await new Promise((r) => setTimeout(r, 200));
    // still the first member's job
    expect([a.length, b.length]).toEqual([2, 0]);
    offA();
    await new Promise((r) => setTimeout(r, 100));
    await worker.publish(step('mig-x@mydomain.ovh', 2));
    await new Promise((r) => setTimeout(r, 200));
    expect([a.length, b.length]).toEqual([2, 1]);
  });
});
