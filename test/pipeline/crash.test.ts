import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMailbox, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import type { SeenRequest } from '../../src/sandbox/ovh-simulator/faults.js';
import { CLI, Harness, destinationPassword, heldRequest } from './harness.js';

/**
 * kill -9 of the worker at each moment that matters, each made exact: the OVH simulator holds the one request that
 * follows the moment (Faults.stall) and the test kills the worker while it waits for the answer; inside the copy,
 * the worker kills itself once messages are on the destination (CRASH_AT=copy in worker-child.ts). Another worker
 * then takes the job over (lock expiry) and must finish it: every message once on the destination, the source
 * renamed once, a destination password that logs in, the alias posted once.
 */
const EXCHANGE = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1';
const PRO = '/email/pro/emailpro-sb22222-1';
const DESTINATION = 'emailpro-sb22222-1';

interface KillPoint {
  name: string;
  login: string;
  /** The request to hold: the worker is killed while waiting for it. */
  hold?: (h: Harness, address: string) => (request: SeenRequest) => boolean;
  /** Once `hold` is reached: let it go, make OVH tasks this slow, and kill the worker at `thenHold` instead. */
  slowTasksMs?: number;
  thenHold?: (h: Harness, address: string) => (request: SeenRequest) => boolean;
  /** What the status shows once the worker is dead. */
  runningStep: string;
  imapOff?: boolean;
  scale?: number;
}

const answered = (h: Harness, method: string, path: string) => h.sim.requests.some((r) => r.method === method && r.path === path && r.status === 200);

const POINTS: KillPoint[] = [
  {
    name: 'after the rename, before the worker recorded it',
    login: 'kill.rename',
    // the rename (PUT) was answered; the first look at the renamed account afterwards is held
    hold: (h, address) => (r) => r.method === 'GET' && r.path === `${EXCHANGE}/account/${address.replace('@', '01@')}` && answered(h, 'PUT', `${EXCHANGE}/account/${address}`),
    runningStep: 'rename-source',
  },
  {
    name: 'between creating the destination account and setting its password',
    login: 'kill.create',
    hold: (_h, address) => (r) => r.method === 'POST' && r.path === `${PRO}/account/${address}/changePassword`,
    runningStep: 'create-destination',
  },
  {
    // OVH accepted the slot's configuration and is still renaming it when the job is taken over: the resume must
    // wait for that rename (the slot is journaled), not configure another slot for the same address
    name: 'while OVH still renames the free slot into the destination account',
    login: 'kill.slot',
    hold: (h, address) => (r) => r.method === 'GET' && r.path === `${PRO}/account/${address}` && answered(h, 'PUT', `${EXCHANGE}/account/${address}`),
    slowTasksMs: 12_000,
    thenHold: (h, address) => (r) =>
      r.method === 'GET' && r.path === `${PRO}/account/${address}` && h.sim.requests.some((x) => x.method === 'PUT' && x.path.startsWith(`${PRO}/account/`) && x.path.endsWith('@configureme.me') && x.status === 200),
    runningStep: 'create-destination',
  },
  { name: 'during the copy', login: 'kill.copy', runningStep: 'copy', scale: 12 },
  {
    name: 'between the copy and the features (aliases, settings...)',
    login: 'kill.aliases',
    hold: (_h, address) => (r) => r.method === 'GET' && r.path === `${PRO}/account/${address}/alias`,
    runningStep: 'features',
  },
  {
    // the alias is posted while OVH is slow (its task still runs when the job is taken over: a new POST would be
    // refused, the recorded task must be waited for); the first look at that task is held
    name: 'between starting a feature and waiting for its OVH task',
    login: 'kill.feature',
    hold: (_h, address) => (r) => r.method === 'GET' && r.path === `${PRO}/account/${address}/alias`,
    slowTasksMs: 12_000,
    thenHold: (h, address) => (r) => r.method === 'GET' && /^\/email\/pro\/emailpro-sb22222-1\/task\/\d+$/.test(r.path) && answered(h, 'POST', `${PRO}/account/${address}/alias`),
    runningStep: 'features',
  },
  {
    name: 'during the hand-over (IMAP being switched back off at the source)',
    login: 'kill.handover',
    imapOff: true,
    hold: (_h, address) => (r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address.replace('@', '01@')}/protocol` && (r.body as { IMAP?: boolean })?.IMAP === false,
    runningStep: 'handover',
  },
];

let h: Harness;
beforeAll(async () => {
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  for (const point of POINTS) {
    const address = `${point.login}@mydomain.ovh`;
    exchange.accounts.push({
      login: point.login,
      domain: 'mydomain.ovh',
      password: 'Exchange-Pass-11',
      quota: 50,
      accountLicense: 'standard',
      aliases: [`${point.login}.alias@mydomain.ovh`],
      ...(point.imapOff ? { imapEnabled: false } : {}),
      mailbox: sampleMailbox(address, point.scale ?? 1),
    });
  }
  fixture.services.find((s) => s.platform === 'emailpro')!.freeSlots = POINTS.length + 2;
  h = await Harness.start({ fixture });
});
afterAll(async () => {
  await h?.stop();
});

/** Every message of the source, read as an admin would (switching IMAP on for a moment where it is off). */
async function sourceMessages(point: KillPoint, address: string): Promise<string[]> {
  const exchange = await h.factory({ platform: 'exchange', name: 'hosted-sb11111-1/hosted-sb11111-1' });
  if (point.imapOff) await exchange.setImapEnabled(address, true);
  try {
    return await h.messages(address, 'Exchange-Pass-11');
  } finally {
    if (point.imapOff) await exchange.setImapEnabled(address, false);
  }
}

describe('a worker killed with kill -9 at each moment that matters', () => {
  for (const point of POINTS) {
    it(`${point.name}: another worker takes the job over and the migration ends well`, async () => {
      const address = `${point.login}@mydomain.ovh`;
      const before = await sourceMessages(point, address);
      expect(before.length).toBeGreaterThan(20);
      const { service, settings } = await h.pipeline({ worker: false });
      const held = point.hold ? h.sim.faults.stall(point.hold(h, address)) : undefined;

      const { child, exited } = await h.workerChild(settings, point.hold ? undefined : 'copy');
      try {
        const submitted = await service.submit({ sourceAddress: address, destinationService: DESTINATION, requester: CLI, preapproved: true });
        if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
        if (held) {
          await heldRequest(held, service, submitted.jobId);
          if (point.thenHold) {
            h.sim.faults.clear();
            if (point.slowTasksMs) h.sim.faults.slowTasks(point.slowTasksMs);
            await h.sim.faults.stall(point.thenHold(h, address));
          }
          child.kill('SIGKILL');
        }
        expect(await exited).toBe('SIGKILL');
        const [stuck] = await service.status({ jobId: submitted.jobId });
        expect(stuck!.state).toBe('running');
        expect(stuck!.steps.find((s) => s.name === point.runningStep)?.status).toBe('running');
        h.sim.faults.clear();

        const status = await h.rescue(service, settings, submitted.jobId);
        expect(status.steps.filter((s) => s.status === 'failed')).toEqual([]);
        expect(status.state).toBe('done');
        if (point.runningStep === 'copy') expect(status.steps.find((s) => s.name === 'copy')?.detail).toMatch(/[1-9]\d* already there/);

        // every message once, on a destination that opens with the password handed over
        const password = await destinationPassword(service, submitted.jobId);
        expect(await h.messages(address, password)).toEqual(before);
        const renames = h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}` && r.status === 200);
        expect(renames.length).toBe(1);
        const destination = await h.factory({ platform: 'emailpro', name: DESTINATION });
        expect(await destination.listAliases(address)).toEqual([`${point.login}.alias@mydomain.ovh`]);
        // posted once, whatever moment the worker died at: a recorded task is waited for, never posted again
        const aliasPosts = h.sim.requests.filter((r) => r.method === 'POST' && r.path === `${PRO}/account/${address}/alias`);
        expect(aliasPosts.map((r) => r.status)).toEqual([200]);
        expect(status.steps.find((s) => s.name === 'features')).toMatchObject({ status: 'done' });
        expect(status.report!.features.find((f) => f.key === `alias:${address}:${point.login}.alias@mydomain.ovh`)).toMatchObject({ status: 'created' });
        if (point.imapOff) {
          const exchange = await h.factory({ platform: 'exchange', name: 'hosted-sb11111-1/hosted-sb11111-1' });
          expect(await exchange.getImapEnabled(address.replace('@', '01@'))).toBe(false);
        }
      } finally {
        h.sim.faults.clear();
        child.kill('SIGKILL');
      }
    }, 150_000);
  }
});
