import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

function launch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, exited, stderr: () => stderr };
}

describe('start and worker as processes', () => {
  it('start without REDIS_URL runs an embedded redis-server under DATA_DIR, the bot and a worker, and stops them on SIGTERM', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mm-start-'));
    dirs.push(dataDir);
    const run = launch(['start'], {
      DATA_DIR: dataDir,
      SLACK_MODE: 'http',
      PORT: '0',
      SLACK_BOT_TOKEN: 'xoxb-test',
      SLACK_SIGNING_SECRET: 'test-secret',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
      OVH_HOST: '127.0.0.1',
      OVH_PORT: '9',
      OVH_APP_KEY: 'k',
      OVH_APP_SECRET: 's',
      OVH_CONSUMER_KEY: 'c',
      SECRETS_KEY: 'ab'.repeat(32),
      LOG_LEVEL: 'info',
    });
    const deadline = Date.now() + 45_000;
    while (!run.stderr().includes('"bot started"')) {
      if (Date.now() > deadline || run.child.exitCode !== null) throw new Error(`start did not come up:\n${run.stderr()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(run.stderr()).toContain('embedded redis-server started');
    expect(existsSync(join(dataDir, 'redis', 'redis.sock'))).toBe(true);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(existsSync(join(dataDir, 'redis', 'redis.sock'))).toBe(false);
  }, 60_000);

  it('start without SECRETS_KEY refuses to run, names the command that makes one, and leaves no Redis behind', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mm-start-'));
    dirs.push(dataDir);
    const run = launch(['start'], { DATA_DIR: dataDir, SECRETS_KEY: '', SLACK_MODE: 'http', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 's', LOG_LEVEL: 'silent' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/SECRETS_KEY: required .*openssl rand -hex 32/s);
    expect(existsSync(join(dataDir, 'redis'))).toBe(false);
  }, 30_000);

  it('worker needs REDIS_URL and says so', async () => {
    const run = launch(['worker'], { REDIS_URL: '', LOG_LEVEL: 'silent' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/REDIS_URL: required by `worker`/);
  }, 30_000);
});
