import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { Harness } from './harness.js';

/**
 * `migrate` killed with kill -9 in the middle of its run, then the same command again, as a user would: the second
 * run must attach to the migration it started (the source is renamed by then), take it over once the dead
 * process's lock expired, finish it and hand over a password that logs in.
 */
let h: Harness;
let env: Record<string, string>;
beforeAll(async () => {
  h = await Harness.start({ fixture: sandboxFixture() });
  env = {
    ...h.sim.endpointEnv(),
    REDIS_URL: `redis://127.0.0.1:${h.redis.port}`,
    QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}`,
    SECRETS_KEY: h.secretsKey,
    JOB_LOCK_SECONDS: '5',
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  await h?.stop();
});

function cli(args: string[]): { child: ChildProcess; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  return { child, done: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stdout, stderr }))) };
}

describe('migrate killed with kill -9, then run again', () => {
  it('attaches to its own migration, takes it over and finishes it; never "source does not exist"', async () => {
    const address = 'jane.doe@mydomain.ovh';
    const destination = 'emailpro-sb22222-1';
    // between creating the destination account and setting its password
    const held = h.sim.faults.stall((r) => r.method === 'POST' && r.path === `/email/pro/${destination}/account/${address}/changePassword`);
    const first = cli(['migrate', address, '--to', destination, '--yes']);
    await held;
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    h.sim.faults.clear();

    const status = await cli(['migrate', address, '--status', '--json']).done;
    expect(status.code, status.stderr).toBe(0);
    const stuck = JSON.parse(status.stdout);
    expect(stuck).toMatchObject({ state: 'running', password: 'pending' });
    expect(stuck.steps.find((s: { name: string }) => s.name === 'rename-source')).toMatchObject({ status: 'done', endedAt: expect.any(String) });
    expect(stuck.steps.find((s: { name: string }) => s.name === 'create-destination')).toMatchObject({ status: 'running', startedAt: expect.any(String), endedAt: null });

    const again = await cli(['migrate', address, '--to', destination, '--yes', '--json']).done;
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/does not exist/);
    expect(again.stderr).toMatch(/is already being migrated \(job mig-jane\.doe@mydomain\.ovh, running\): following it/);
    const json = JSON.parse(again.stdout);
    expect(json).toMatchObject({ ok: true, temporaryName: 'jane.doe01@mydomain.ovh' });
    expect(json.steps.every((s: { status: string }) => s.status === 'done' || s.status === 'skipped')).toBe(true);
    const password = /Initial password of jane\.doe@mydomain\.ovh: (\S+)\n/.exec(again.stderr)?.[1];
    expect(password).toBeDefined();
    expect((await h.messages(address, password!)).length).toBeGreaterThan(0);
    const renames = h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/${address}` && r.status === 200);
    expect(renames).toHaveLength(1);
  }, 120_000);
});
