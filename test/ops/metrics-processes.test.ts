import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { metricsFromConfig, startMetricsFromConfig } from '../../src/ops/metrics-server.js';
import { createLogger } from '../../src/log/logger.js';
import { RedisServer } from '../../src/redis/redis-server.js';
import { SecretBox } from '../../src/pipeline/secret-box.js';
import { waitFor } from '../pipeline/harness.js';
import { launch } from '../support/cli-launch.js';
import { parseMetrics, sample } from './prometheus-text.js';

/** TCP ports a process listens on: its socket inodes matched against the kernel's tables of listening sockets. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // st 0A = LISTEN
      if (fields.length > 9 && fields[3] === '0A' && inodes.has(fields[9]!)) ports.push(parseInt(fields[1]!.split(':')[1]!, 16));
    }
  }
  return ports;
}

describe('METRICS_PORT configuration', () => {
  it('a bad METRICS_PORT is a configuration error naming the variable and what it should be', () => {
    for (const bad of ['abc', '70000', '-1', '80.5']) {
      expect(() => loadConfig({ METRICS_PORT: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ METRICS_PORT: bad }), bad).toThrow(/METRICS_PORT: must be a TCP port number from 0 to 65535/);
    }
    expect(loadConfig({ METRICS_PORT: '9464' })).toMatchObject({ METRICS_PORT: 9464, METRICS_HOST: '127.0.0.1' });
    expect(loadConfig({ METRICS_PORT: '0', METRICS_HOST: '::1' })).toMatchObject({ METRICS_PORT: 0, METRICS_HOST: '::1' });
  });

  it('without METRICS_PORT nothing is collected and nothing listens', async () => {
    const config = loadConfig({});
    expect(config.METRICS_PORT).toBeUndefined();
    const logger = createLogger('silent');
    expect(metricsFromConfig(config, logger)).toBeUndefined();
    expect(await startMetricsFromConfig(config, undefined, { connection: {}, secrets: SecretBox.fromText('ab'.repeat(32)) }, logger)).toBeUndefined();
  });
});

describe('start and worker serve /metrics on METRICS_PORT', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const base = () => ({ REDIS_URL: redis.url, QUEUE_PREFIX: `p${process.pid}`, SECRETS_KEY: 'ab'.repeat(32), OVH_HOST: '127.0.0.1', OVH_PORT: '9', OVH_APP_KEY: 'k', OVH_APP_SECRET: 's', OVH_CONSUMER_KEY: 'c' });
  const slack = { SLACK_MODE: 'http', PORT: '0', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-secret', SLACK_API_URL: 'http://127.0.0.1:9/api/' };

  it('worker with a bad METRICS_PORT does not start, and says why', async () => {
    const run = launch(['worker'], { ...base(), METRICS_PORT: 'nine' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/METRICS_PORT: must be a TCP port number from 0 to 65535/);
  }, 60_000);

  it('worker without METRICS_PORT listens on no TCP port at all', async () => {
    const run = launch(['worker', '--concurrency', '3'], { ...base(), METRICS_PORT: '' });
    try {
      await waitFor(() => run.stderr().includes('"worker started"') || (run.child.exitCode !== null ? (() => { throw new Error(run.stderr()); })() : false), 45_000, 'the worker');
      expect(run.stderr()).not.toContain('metrics listening');
      expect(listeningPorts(run.child.pid!)).toEqual([]);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  }, 60_000);

  for (const command of ['worker', 'start'] as const) {
    it(`${command} with METRICS_PORT=0 picks a free port, logs it, serves the queue's gauges there, and stops on SIGTERM`, async () => {
      const env: Record<string, string> = { ...base(), METRICS_PORT: '0', ...(command === 'start' ? slack : {}) };
      const run = launch(command === 'worker' ? ['worker', '--concurrency', '3'] : ['start'], env);
      const line = await waitFor(() => run.stderr().split('\n').find((l) => l.includes('"metrics listening"')) ?? (run.child.exitCode !== null ? (() => { throw new Error(run.stderr()); })() : undefined), 45_000, 'the metrics');
      // one JSON line per event (pino)
      const logged = JSON.parse(line) as { url: string; component: string };
      expect(logged.component).toBe('metrics');
      expect(logged.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const port = Number(new URL(logged.url).port);
      expect(port).toBeGreaterThan(0);
      await waitFor(() => run.stderr().includes(command === 'worker' ? '"worker started"' : '"bot started"'), 30_000, `${command} to be up`);
      expect(listeningPorts(run.child.pid!)).toContain(port);
      const m = parseMetrics(await (await fetch(logged.url)).text());
      expect(sample(m, 'migrate_mailbox_queue_up')).toBe(1);
      expect(sample(m, 'migrate_mailbox_queue_jobs', { queue: 'migrations', state: 'waiting' })).toBe(0);
      expect(sample(m, 'migrate_mailbox_migrations', { state: 'running' })).toBe(0);
      expect(sample(m, 'migrate_mailbox_worker_concurrency')).toBe(command === 'worker' ? 3 : 2);
      expect(sample(m, 'process_resident_memory_bytes')).toBeGreaterThan(0);
      run.child.kill('SIGTERM');
      await run.exited;
      await expect(fetch(logged.url)).rejects.toThrow();
    }, 60_000);
  }
});
