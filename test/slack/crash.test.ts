import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleMailbox, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import type { SeenRequest } from '../../src/sandbox/ovh-simulator/faults.js';
import type { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { startFakeSlackApi, type FakeSlackApi } from '../support/fake-slack-api.js';
import { TOKEN } from '../support/slack-harness.js';
import { Harness, destinationPassword, heldRequest, waitFor, waitForState } from '../pipeline/harness.js';

/**
 * The Slack thread of a migration when processes die with kill -9 at each moment that matters: the bot and the
 * worker in one process (killed together), or in separate processes (the bot killed while the worker goes on and a
 * new bot starts only after the migration ended; or the worker killed while the bot goes on). The moments are exact:
 * the OVH simulator holds the call that follows each one, or the worker's copier holds once messages are on the
 * destination. Every thread must end with each step reply once, the password hand-over once, the final report once,
 * and the migration itself must be right.
 */
const EXCHANGE = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1';
const PRO = '/email/pro/emailpro-sb22222-1';
const CHANNEL = 'C-REQUESTS';

type Mode = 'bot and worker in one process' | 'separate processes, the bot killed' | 'separate processes, the worker killed';
const MODES: Mode[] = ['bot and worker in one process', 'separate processes, the bot killed', 'separate processes, the worker killed'];

interface Point {
  name: string;
  hold?: (address: string) => (request: SeenRequest) => boolean;
  copy?: boolean;
  imapOff?: boolean;
}

const POINTS: Point[] = [
  { name: 'after the rename', hold: (a) => (r) => r.method === 'GET' && r.path === `${EXCHANGE}/account/${a.replace('@', '01@')}` && renamed(a) },
  { name: 'between create and password', hold: (a) => (r) => r.method === 'POST' && r.path === `${PRO}/account/${a}/changePassword` },
  { name: 'during the copy', copy: true },
  { name: 'between the copy and the features', hold: (a) => (r) => r.method === 'GET' && r.path === `${PRO}/account/${a}/alias` },
  { name: 'during the hand-over', imapOff: true, hold: (a) => (r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${a.replace('@', '01@')}/protocol` && (r.body as { IMAP?: boolean })?.IMAP === false },
];

let h: Harness;
let fake: FakeSlackApi;
const children = new Set<ChildProcess>();
const renamed = (address: string) => h.sim.requests.some((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}` && r.status === 200);
const login = (mode: Mode, point: Point) => `t${MODES.indexOf(mode)}.${POINTS.indexOf(point)}`;

beforeAll(async () => {
  const fixture = sandboxFixture();
  const exchange = fixture.services.find((s) => s.platform === 'exchange')!;
  for (const mode of MODES) {
    for (const point of POINTS) {
      const name = login(mode, point);
      exchange.accounts.push({
        login: name,
        domain: 'mydomain.ovh',
        password: 'Exchange-Pass-11',
        quota: 50,
        accountLicense: 'standard',
        aliases: [`${name}.alias@mydomain.ovh`],
        ...(point.imapOff ? { imapEnabled: false } : {}),
        mailbox: sampleMailbox(`${name}@mydomain.ovh`, point.copy ? 6 : 0.5),
      });
    }
  }
  fixture.services.find((s) => s.platform === 'emailpro')!.freeSlots = MODES.length * POINTS.length + 2;
  [h, fake] = await Promise.all([Harness.start({ fixture }), startFakeSlackApi({ token: TOKEN })]);
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await fake?.close();
  await h?.stop();
});

type Settings = Awaited<ReturnType<Harness['pipeline']>>['settings'];

/** A bot and/or worker process; resolves once it is up. */
async function start(role: 'bot' | 'worker' | 'bot+worker', settings: Settings, options: { holdCopy?: boolean } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/slack/bot-child.ts'], {
    env: { ...process.env, ROLE: role, BOT_CHILD: JSON.stringify({ ...h.childConfig(settings), slackApiUrl: fake.url }), ...(options.holdCopy ? { HOLD_COPY: '1' } : {}) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  let out = '';
  const holding = new Promise<void>((resolve) => child.stdout!.on('data', (c: Buffer) => (out += c.toString()).includes('holding') && resolve()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => out.includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${role} child exited with ${code} before it was ready`)));
  });
  return {
    holding,
    release: () => child.kill('SIGUSR2'),
    kill: async () => {
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      children.delete(child);
    },
  };
}

async function postRequestMessage(text: string): Promise<string> {
  const response = await fetch(`${fake.url}chat.postMessage`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: CHANNEL, text }),
  });
  return ((await response.json()) as { ts: string }).ts;
}

/** The thread once the migration is done and no bot has anything left to bring up to date. */
async function settledThread(service: BullMigrationService, jobId: string, ts: string) {
  await waitForState(service, jobId, ['done', 'failed'], 90_000);
  await waitFor(async () => !(await service.threads.changed(1000)).some((c) => c.jobId === jobId) && fake.thread(CHANNEL, ts).some((m) => /^Migration of .* finished/.test(m.text ?? '')), 60_000, 'the thread to be up to date');
  return fake.thread(CHANNEL, ts).map((m) => m.text ?? '');
}

describe('Slack threads when processes die with kill -9', () => {
  for (const mode of MODES) {
    for (const point of POINTS) {
      it(`${mode}, ${point.name}: every step reply, the hand-over and the report once; the migration done`, async () => {
        const address = `${login(mode, point)}@mydomain.ovh`;
        const { service, settings } = await h.pipeline({ worker: false });
        const held = point.hold ? h.sim.faults.stall(point.hold(address)) : undefined;
        const holdCopy = Boolean(point.copy);

        const separate = mode !== 'bot and worker in one process';
        const first = separate ? { bot: await start('bot', settings), worker: await start('worker', settings, { holdCopy }) } : { both: await start('bot+worker', settings, { holdCopy }) };
        const ts = await postRequestMessage(`Migration request: ${address}`);
        const submitted = await service.submit({ sourceAddress: address, destinationService: 'emailpro-sb22222-1', requester: { kind: 'slack', id: 'U-REQUESTER' }, preapproved: true, origin: { channel: CHANNEL, threadTs: ts } });
        if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));

        const worker = first.worker ?? first.both!;
        await (held ? heldRequest(held, service, submitted.jobId) : worker.holding);
        if (mode === 'bot and worker in one process') {
          await first.both!.kill();
          h.sim.faults.clear();
          await start('bot+worker', settings);
        } else if (mode === 'separate processes, the bot killed') {
          await first.bot!.kill();
          h.sim.faults.clear();
          if (holdCopy) first.worker!.release();
          // the new bot comes up only once the migration is over: it catches up on all of it
          await waitForState(service, submitted.jobId, ['done', 'failed'], 90_000);
          await start('bot', settings);
        } else {
          await first.worker!.kill();
          h.sim.faults.clear();
          await start('worker', settings);
        }

        const texts = await settledThread(service, submitted.jobId, ts);
        const [status] = await service.status({ jobId: submitted.jobId });
        expect(status!.state).toBe('done');
        expect(new Set(texts).size, texts.join(' | ')).toBe(texts.length);
        const steps = texts.filter((t) => /^(Approval|Attach|Rename|Create|Copy the mailbox: done|Copy what|Recreate|Verify|DNS|Hand-over)/.test(t));
        expect(steps, texts.join(' | ')).toHaveLength(10);
        expect(texts.filter((t) => /^The initial password of/.test(t))).toHaveLength(1);
        expect(texts.filter((t) => /^Migration of .* finished/.test(t))).toHaveLength(1);
        expect(texts.filter((t) => /^Copy the mailbox: .*%$/.test(t)).length).toBeLessThanOrEqual(1);
        expect(texts.at(-1)).toMatch(/^Migration of .* finished/);
        // the password is never in the channel, and it opens the mailbox
        const password = await destinationPassword(service, submitted.jobId, { kind: 'slack', id: 'U-REQUESTER' });
        for (const m of fake.messages.values()) expect(JSON.stringify(m)).not.toContain(password);
        expect((await h.messages(address, password)).length).toBeGreaterThan(0);
        expect(h.sim.requests.filter((r) => r.method === 'PUT' && r.path === `${EXCHANGE}/account/${address}` && r.status === 200)).toHaveLength(1);
      }, 180_000);
    }
  }
});
