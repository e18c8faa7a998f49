/**
 * The sandbox (`migrate-mailbox sandbox --mailboxes N --messages M --task-delay-ms D`) started inside this process,
 * so that the benchmark and the soak can read the simulator's request log (`sim.requests`) and its Dovecots: the
 * same fixture, scale mailboxes, EWS doubles, redis-server and environment variables as src/cli/commands/sandbox.ts,
 * under a fresh temporary directory each time (so every configuration starts from the same state).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from '../src/redis/redis-server.js';
import { OvhSimulator, sandboxFixture, secondExchangeService } from '../src/sandbox/ovh-simulator/index.js';
import { addScaleMailboxes, type ScaleRow } from '../src/sandbox/ovh-simulator/fixture.js';
import { startSandboxEws, type SandboxEws } from '../src/sandbox/ews/ovh-binding.js';
import { sandboxEnv } from '../src/sandbox/sandbox-env.js';

export interface Sandbox {
  dir: string;
  sim: OvhSimulator;
  redis: RedisServer;
  ews: SandboxEws;
  rows: ScaleRow[];
  batchCsv: string;
  /** What `sandbox` prints under "env": give it to every process (worker, bot, CLI). */
  env: Record<string, string>;
  secretsKey: string;
  usedMemory(): Promise<number>;
  /** Message-ID of every message of a mailbox (all folders), read with doveadm on the account's own Dovecot. */
  messageIds(address: string): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startSandbox(options: { mailboxes: number; messages: number; taskDelayMs: number }): Promise<Sandbox> {
  // short: Dovecot's Unix sockets live below it (108-byte limit)
  const dir = mkdtempSync(join(tmpdir(), 'bb-'));
  chmodSync(dir, 0o711); // Dovecot's auth process runs as another user and must traverse it
  const fixture = sandboxFixture();
  fixture.services.push(secondExchangeService());
  const rows = addScaleMailboxes(fixture, { mailboxes: options.mailboxes, messages: options.messages });
  const redis = await RedisServer.start({ dir: join(dir, 'redis') });
  const sim = await OvhSimulator.start({ dataDir: join(dir, 'o'), fixture, taskDelayMs: options.taskDelayMs, renameDelayMs: options.taskDelayMs });
  const ews = await startSandboxEws(sim, fixture);
  const secretsKey = randomBytes(32).toString('hex');
  const env = sandboxEnv({ sim, redisUrl: redis.url, secretsKey, ews, dir });
  const info = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  return {
    dir,
    sim,
    redis,
    ews,
    rows,
    batchCsv: ['source,destination_service', ...rows.map((r) => `${r.source},${r.destinationService}`)].join('\n') + '\n',
    env,
    secretsKey,
    async usedMemory() {
      const text = await info.info('memory');
      const match = /^used_memory:(\d+)/m.exec(text);
      if (!match) throw new Error('INFO memory has no used_memory');
      return Number(match[1]);
    },
    async messageIds(address) {
      const found = sim.state.findAddress(address);
      if (!found) throw new Error(`no account ${address} in the simulator`);
      const out = await sim.dovecot(found.service.key).doveadm(['-f', 'flow', 'fetch', '-u', address.toLowerCase(), 'hdr.message-id', 'all']);
      return out
        .split('\n')
        .filter((line) => line.startsWith('hdr.message-id='))
        .map((line) => line.slice('hdr.message-id='.length).trim())
        .sort();
    },
    async stop() {
      info.disconnect();
      await ews.stop().catch(() => undefined);
      await sim.stop().catch(() => undefined);
      await redis.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
