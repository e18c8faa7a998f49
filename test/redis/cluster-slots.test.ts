import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrationEvent } from '../../src/pipeline/migration-service.js';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { CLI, FAST_TUNING, Harness, waitFor, waitForState } from '../pipeline/harness.js';
import { RedisProcess, until } from './topology.js';

/**
 * The queue prefix on Redis Cluster. A redis-server in cluster mode refuses, with CROSSSLOT, any command or script
 * whose declared keys (and any MULTI transaction whose keys) fall in different hash slots, even when one node
 * serves every slot: so one such node is enough to run the whole pipeline under Cluster's rules. With a hash tag in
 * QUEUE_PREFIX (`{...}`) every key of the deployment (BullMQ's and ours) lands in one slot; without one, the
 * first multi-key script fails.
 */
describe('QUEUE_PREFIX with a hash tag on a cluster-mode Redis', () => {
  let harness: Harness;
  let node: RedisProcess;
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    harness = await Harness.start();
    node = await RedisProcess.server(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
    await node.command('CLUSTER', 'ADDSLOTSRANGE', 0, 16383);
    await until(async () => /cluster_state:ok/.test(String(await node.command('CLUSTER', 'INFO'))), 'the cluster to be ok');
  });

  afterAll(async () => {
    while (closers.length) await closers.pop()!().catch(() => undefined);
    await node?.stop();
    await harness?.stop();
  });

  function pipeline(prefix: string, options: { worker?: boolean } = {}) {
    const settings = { connection: { host: '127.0.0.1', port: node.port }, prefix, tuning: FAST_TUNING };
    const service = new BullMigrationService({ ...settings, directory: harness.deps.directory, secrets: harness.secrets, logger: harness.logger });
    closers.push(() => service.close());
    const worker = options.worker === false ? undefined : MigrationWorker.start({ ...settings, deps: harness.deps, concurrency: 2 });
    if (worker) closers.push(async () => (await worker).close(true));
    return { service, worker };
  }

  const plain = `plain-${randomUUID().slice(0, 8)}`;

  it('without a hash tag the node refuses the first multi-key script (the server enforces the rule)', async () => {
    const { service } = pipeline(plain, { worker: false });
    await expect(service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI })).rejects.toThrow(/CROSSSLOT/);
  });

  it('with {tag} as prefix: a migration, a batch, a reset and event groups run, and every key is in one slot', async () => {
    const tag = `mm-${randomUUID().slice(0, 8)}`;
    const prefix = `{${tag}}`;
    const { service, worker } = pipeline(prefix);
    await worker;
    const events: MigrationEvent[] = [];
    // a subscriber group (every Slack bot subscribes in one) runs the event-claim script
    const off = await service.subscribeReady((event) => events.push(event), { group: 'slack-threads' });
    closers.push(async () => off());

    const single = await service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
    if (!single.ok) throw new Error(JSON.stringify(single.problems));
    const batch = await service.submitBatch('source,destination_service\njane.doe@mydomain.ovh,emailpro-sb22222-1\n', CLI, { preapproved: true, origin: { channel: 'C1' } });
    if (!batch.ok) throw new Error(JSON.stringify(batch.errors));

    expect((await waitForState(service, single.jobId, ['done', 'failed'], 90_000)).state).toBe('done');
    await waitFor(async () => (await service.batchStatus(batch.batchId)).every((s) => s.state === 'done'), 90_000, 'the batch');
    await service.resetSource(single.jobId, CLI);
    expect((await service.status({ jobId: single.jobId }))[0]?.steps.find((s) => s.name === 'reset-source')?.status).toBe('done');
    expect(events.some((e) => e.type === 'finished' && e.jobId === single.jobId)).toBe(true);

    const slot = Number(await node.command('CLUSTER', 'KEYSLOT', tag));
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, page] = (await node.command('SCAN', cursor, 'COUNT', 1000)) as [string, string[]];
      // everything but what the refused submission above left (BullMQ's queue meta)
      keys.push(...page.filter((key) => !key.startsWith(`${plain}:`)));
      cursor = next;
    } while (cursor !== '0');
    // BullMQ's keys and ours (decisions, threads, hand-overs, links, event group owners...) all carry the prefix
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.some((k) => k.startsWith(`${prefix}:x:`))).toBe(true);
    const slots = new Map<number, string[]>();
    for (const key of keys) {
      const s = Number(await node.command('CLUSTER', 'KEYSLOT', key));
      slots.set(s, [...(slots.get(s) ?? []), key]);
    }
    expect(Object.fromEntries([...slots].map(([s, k]) => [s, s === slot ? k.length : k]))).toEqual({ [slot]: keys.length });
  }, 200_000);
});
