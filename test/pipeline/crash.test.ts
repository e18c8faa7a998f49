import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMailbox, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { CLI, Harness, destinationPassword, waitForState } from './harness.js';

let h: Harness;
beforeAll(async () => {
  const fixture = sandboxFixture();
  fixture.services
    .find((s) => s.platform === 'exchange')!
    .accounts.push({ login: 'large', domain: 'mydomain.ovh', password: 'Exchange-Pass-11', quota: 50, accountLicense: 'standard', mailbox: sampleMailbox('large@mydomain.ovh', 12) });
  h = await Harness.start({ fixture });
});
afterAll(async () => {
  await h?.stop();
});

describe('a worker killed in the middle of the copy', () => {
  it('kill -9, another worker takes the job over and resumes: every message once, nothing redone', async () => {
    const before = await h.messages('large@mydomain.ovh', 'Exchange-Pass-11');
    expect(before.length).toBeGreaterThan(300);
    const pipeline = await h.pipeline({ worker: false });
    const { service, settings } = pipeline;

    const child = spawn(process.execPath, ['--import', 'tsx', 'test/pipeline/worker-child.ts'], {
      env: { ...process.env, WORKER_CHILD: JSON.stringify(h.childConfig(settings)), CRASH_AT: 'copy' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker child exited with ${code} before it was ready`)));
      });
      const submitted = await service.submit({ sourceAddress: 'large@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
      if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
      // the child kills itself once the first messages of the copy are on the destination
      expect(await exited).toBe('SIGKILL');
      const [stuck] = await service.status({ jobId: submitted.jobId });
      expect(stuck!.state).toBe('running');
      expect(stuck!.steps.find((s) => s.name === 'copy')?.status).toBe('running');

      const rescuer = await MigrationWorker.start({ ...settings, deps: h.deps, concurrency: 1 });
      try {
        const status = await waitForState(service, submitted.jobId, ['done', 'failed'], 90_000);
        expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
        expect(status.state).toBe('done');
        expect(status.steps.find((s) => s.name === 'copy')?.detail).toMatch(/[1-9]\d* already there/);
      } finally {
        await rescuer.close();
      }
      const password = await destinationPassword(service, submitted.jobId);
      expect(await h.messages('large@mydomain.ovh', password)).toEqual(before);
      const renames = h.sim.requests.filter((r) => r.method === 'PUT' && r.path === '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1/account/large@mydomain.ovh');
      expect(renames.length).toBe(1);
    } finally {
      child.kill('SIGKILL');
    }
  }, 150_000);
});
