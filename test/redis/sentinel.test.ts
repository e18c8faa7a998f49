import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { createRuntime, type Runtime } from '../../src/pipeline/runtime.js';
import { CLI, Harness } from '../pipeline/harness.js';
import { RedisProcess, until } from './topology.js';

/**
 * Redis beyond one node: a real redis-server master with a replica, watched by a real redis-sentinel (Debian
 * `redis-sentinel`). The pipeline is wired from configuration exactly as `start` and `worker` wire it
 * (createRuntime), told only where the sentinel is: it must find the master through it, and find the new one after
 * a failover.
 */
describe('REDIS_URL through Redis Sentinel', () => {
  let harness: Harness;
  let master: RedisProcess;
  let replica: RedisProcess;
  let sentinel: RedisProcess;
  let runtime: Runtime | undefined;
  const prefix = `s${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    harness = await Harness.start();
    master = await RedisProcess.server();
    replica = await RedisProcess.server(['--replicaof', '127.0.0.1', String(master.port)]);
    await until(async () => /master_link_status:up/.test(String(await replica.command('INFO', 'replication'))), 'the replica to sync');
    sentinel = await RedisProcess.sentinel(master, 'mymaster');
    // the sentinel learns of the replica from the master's INFO; a failover needs it
    await until(async () => ((await sentinel.command('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).length === 1, 'the sentinel to see the replica');
  });

  afterAll(async () => {
    await runtime?.close({ force: true });
    for (const process of [sentinel, replica, master]) await process?.stop();
    await harness?.stop();
  });

  const jobKey = (jobId: string) => `${prefix}:migrations:${jobId}`;

  it('the service submits a migration and reads it back, knowing only the sentinel; the job lives on the master', async () => {
    const config = loadConfig({
      ...harness.sim.endpointEnv(),
      REDIS_SENTINELS: `127.0.0.1:${sentinel.port}`,
      REDIS_SENTINEL_NAME: 'mymaster',
      QUEUE_PREFIX: prefix,
      SECRETS_KEY: harness.secretsKey,
    });
    expect(config.REDIS_URL).toBe(`redis+sentinel://127.0.0.1:${sentinel.port}/mymaster`);
    runtime = await createRuntime(config, harness.logger, { embeddedRedis: false });

    const submitted = await runtime.service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI });
    expect(submitted.ok).toBe(true);
    const [status] = await runtime.service.status({ address: 'john.smith@mydomain.ovh' });
    expect(status).toMatchObject({ jobId: 'mig-john.smith@mydomain.ovh', state: 'awaiting-approval' });
    expect(await master.command('EXISTS', jobKey('mig-john.smith@mydomain.ovh'))).toBe(1);
  });

  it('after a failover the same service follows the sentinel to the new master: reads, decides and submits there', async () => {
    expect(runtime).toBeDefined();
    await sentinel.command('SENTINEL', 'FAILOVER', 'mymaster');
    await until(async () => ((await sentinel.command('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster')) as string[])[1] === String(replica.port), 'the sentinel to name the replica as master');
    await until(async () => /role:master/.test(String(await replica.command('INFO', 'replication'))), 'the replica to become master');
    // Replication is asynchronous: what reaches the old master between the switch and its demotion is lost, as
    // with any Sentinel deployment. Once the sentinel has turned it into a replica, every write goes to the new one.
    await until(async () => /role:slave[\s\S]*master_link_status:up/.test(String(await master.command('INFO', 'replication'))), 'the old master to follow the new one');

    const [status] = await runtime!.service.status({ jobId: 'mig-john.smith@mydomain.ovh' });
    expect(status?.state).toBe('awaiting-approval');
    const decided = await runtime!.service.decide(status!.jobId, { approve: true, by: { kind: 'slack', id: 'U-APPROVER' }, nonce: status!.nonce });
    expect(decided).toMatchObject({ changed: true, state: 'approved' });

    const second = await runtime!.service.submit({ sourceAddress: 'jane.doe@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI });
    expect(second.ok).toBe(true);
    // written on the new master; the old one is its replica now and follows
    expect(await replica.command('EXISTS', jobKey('mig-jane.doe@mydomain.ovh'))).toBe(1);
    const [approved] = await runtime!.service.status({ jobId: 'mig-john.smith@mydomain.ovh' });
    expect(approved?.decision?.state).toBe('approved');
  });
});
