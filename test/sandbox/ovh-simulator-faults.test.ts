import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { OvhSimulator, signature, type SimulatorFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { clientFor, failure, waitFor, type OvhClient } from './ovh-simulator-client.js';

const PRO = '/email/pro/pro-small-1';

/** One E-mail Pro service with one account and two free slots: starts in about a second. */
function smallFixture(): SimulatorFixture {
  return {
    services: [
      {
        platform: 'emailpro',
        service: 'pro-small-1',
        hostname: 'pro9.sandbox.local',
        domain: 'small.ovh',
        accounts: [
          {
            login: 'ann',
            domain: 'small.ovh',
            password: 'Small-Pass-01',
            mailbox: [{ path: 'INBOX', messages: [{ raw: 'Subject: hi\r\n\r\nhello\r\n', flags: ['\\Seen'] }] }],
          },
        ],
        freeSlots: 2,
        mailbox: { separator: '.', prefix: 'INBOX.', specialUse: {} },
      },
      {
        platform: 'exchange',
        organization: 'private-org',
        service: 'exch-dedicated',
        offer: 'dedicated',
        hostname: 'ex9.sandbox.local',
        domain: 'dedicated.ovh',
        accounts: [],
        mailbox: { separator: '/', prefix: '', specialUse: {} },
      },
    ],
  };
}

async function rawGet(sim: OvhSimulator, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: any }> {
  const ts = Math.floor(Date.now() / 1000);
  const sig = signature(sim.credentials.appSecret, sim.credentials.consumerKey, 'GET', `https://${sim.host}/1.0${path}`, '', ts);
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: sim.host,
          port: sim.port,
          path: `/1.0${path}`,
          ca: sim.caCertificate,
          headers: { 'X-Ovh-Application': sim.credentials.appKey, 'X-Ovh-Consumer': sim.credentials.consumerKey, 'X-Ovh-Timestamp': ts, 'X-Ovh-Signature': sig },
        },
        (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(data) }));
        },
      )
      .on('error', reject);
  });
}

async function canLogin(sim: OvhSimulator, user: string, pass: string): Promise<boolean> {
  const endpoint = sim.imapEndpointOfService('emailpro:pro-small-1');
  const client = new ImapFlow({ host: endpoint.host, port: endpoint.port, secure: true, tls: { ca: [endpoint.ca] }, auth: { user, pass }, logger: false });
  try {
    await client.connect();
    await client.logout();
    return true;
  } catch {
    return false;
  }
}

describe('OVH API simulator: fault injection, request log, persistence', () => {
  let sim: OvhSimulator;
  let ovh: OvhClient;
  beforeAll(async () => {
    sim = await OvhSimulator.start({ fixture: smallFixture(), taskDelayMs: 100, renameDelayMs: 300 });
    ovh = clientFor(sim);
    await ovh.requestPromised('GET', '/email/pro');
  });
  afterAll(async () => sim?.stop());

  it('answers 429 with Retry-After, `times` times, then recovers', async () => {
    sim.faults.add({ method: 'GET', path: `${PRO}/account`, status: 429, times: 2, retryAfterSeconds: 3 });
    const first = await rawGet(sim, `${PRO}/account`);
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('3');
    expect(first.headers['x-ovh-queryid']).toBeTruthy();
    expect(first.body).toMatchObject({ class: 'Client::TooManyRequests' });
    expect(await failure(ovh.requestPromised('GET', `${PRO}/account`))).toMatchObject({ error: 429 });
    expect(await ovh.requestPromised('GET', `${PRO}/account`)).toHaveLength(3);
    // other paths were never affected
    expect(await ovh.requestPromised('GET', `${PRO}/domain`)).toEqual(['small.ovh']);
  });

  it('injects 500 and 503 by RegExp or schema template, and clears them', async () => {
    sim.faults.add({ path: /\/account\/[^/]+$/, status: 500, times: 1 });
    expect(await failure(ovh.requestPromised('GET', `${PRO}/account/ann@small.ovh`))).toEqual({ error: 500, message: 'Internal server error' });
    expect(await ovh.requestPromised('GET', `${PRO}/account/ann@small.ovh`)).toMatchObject({ primaryEmailAddress: 'ann@small.ovh' });
    sim.faults.add({ path: '/email/pro/{service}/task', status: 503 });
    expect(await failure(ovh.requestPromised('GET', `${PRO}/task`))).toMatchObject({ error: 503 });
    expect(await failure(ovh.requestPromised('GET', `${PRO}/task`))).toMatchObject({ error: 503 });
    sim.faults.clear();
    expect(await ovh.requestPromised('GET', `${PRO}/task`)).toEqual([]);
  });

  it('makes tasks end in error (and undoes their intermediate state), or run slowly', async () => {
    sim.faults.failTasks({ function: 'addAlias', times: 1 });
    const failed = (await ovh.requestPromised('POST', `${PRO}/account/ann@small.ovh/alias`, { alias: 'annie@small.ovh' })) as { id: number };
    const end = await waitFor('failed task', async () => {
      const task = (await ovh.requestPromised('GET', `${PRO}/task/${failed.id}`)) as { status: string };
      return task.status === 'error' ? task : undefined;
    });
    expect(end.status).toBe('error');
    expect(await ovh.requestPromised('GET', `${PRO}/account/ann@small.ovh/alias`)).toEqual([]);
    // the fault was used up: the retry succeeds
    const retried = (await ovh.requestPromised('POST', `${PRO}/account/ann@small.ovh/alias`, { alias: 'annie@small.ovh' })) as { id: number };
    await waitFor('alias', async () => ((await ovh.requestPromised('GET', `${PRO}/task/${retried.id}`)) as { status: string }).status === 'done');

    sim.faults.slowTasks(2000);
    const started = Date.now();
    const slow = (await ovh.requestPromised('DELETE', `${PRO}/account/ann@small.ovh/alias/annie@small.ovh`)) as { id: number };
    await new Promise((r) => setTimeout(r, 400));
    expect(await ovh.requestPromised('GET', `${PRO}/task/${slow.id}`)).toMatchObject({ status: 'todo' });
    await waitFor('slow task', async () => ((await ovh.requestPromised('GET', `${PRO}/task/${slow.id}`)) as { status: string }).status === 'done');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    sim.faults.clear();
  });

  it('keeps a request log with method, decoded path, query, body, status and error code', async () => {
    sim.clearRequests();
    await ovh.requestPromised('GET', `${PRO}/account`, { primaryEmailAddress: '%@configureme.me' });
    await failure(ovh.requestPromised('POST', `${PRO}/account/ann%40small.ovh/alias`, { alias: 'bad@elsewhere.test' }));
    expect(sim.requests).toHaveLength(2);
    expect(sim.requests[0]).toMatchObject({
      method: 'GET',
      path: `${PRO}/account`,
      route: '/email/pro/{service}/account',
      query: { primaryEmailAddress: '%@configureme.me' },
      status: 200,
    });
    expect(sim.requests[0].at).toBeInstanceOf(Date);
    expect(sim.requests[1]).toMatchObject({
      method: 'POST',
      path: `${PRO}/account/ann@small.ovh/alias`,
      body: { alias: 'bad@elsewhere.test' },
      status: 400,
      errorCode: 'Client::BadRequest',
    });
  });

  it('accepts the Exchange panel order: password change on the old address while the rename runs', async () => {
    await ovh.requestPromised('PUT', `${PRO}/account/ann@small.ovh`, { login: 'ann.old' });
    const pw = (await ovh.requestPromised('POST', `${PRO}/account/ann@small.ovh/changePassword`, { password: 'Small-Pass-02' })) as { id: number };
    expect(pw.id).toBeGreaterThan(0);
    await waitFor('renamed', () => ovh.requestPromised('GET', `${PRO}/account/ann.old@small.ovh`).then(() => true, () => false));
    await waitFor('password', async () => {
      const tasks = (await ovh.requestPromised('GET', `${PRO}/account/ann.old@small.ovh/tasks`)) as number[];
      return tasks.length === 0 && ((await ovh.requestPromised('GET', `${PRO}/task/${pw.id}`)) as { status: string }).status === 'done';
    });
    expect(await canLogin(sim, 'ann.old@small.ovh', 'Small-Pass-02')).toBe(true);
    expect(await canLogin(sim, 'ann@small.ovh', 'Small-Pass-02')).toBe(false);
  });

  it('creates accounts with POST on a dedicated Exchange (hosted ones only configure slots)', async () => {
    const EXD = '/email/exchange/private-org/service/exch-dedicated';
    expect(
      await failure(ovh.requestPromised('POST', `${EXD}/account`, { login: 'bo', domain: 'dedicated.ovh', password: 'weak', license: 'standard' })),
    ).toMatchObject({ error: 400 });
    const task = (await ovh.requestPromised('POST', `${EXD}/account`, { login: 'bo', domain: 'dedicated.ovh', password: 'Dedicated-Pass-1', license: 'standard', displayName: 'Bo' })) as { id: number; function: string };
    expect(task.function).toBe('addAccount');
    expect(await ovh.requestPromised('GET', `${EXD}/account/bo@dedicated.ovh`)).toMatchObject({ state: 'creating', configured: false });
    await waitFor('created', async () => ((await ovh.requestPromised('GET', `${EXD}/task/${task.id}`)) as { status: string }).status === 'done');
    expect(await ovh.requestPromised('GET', `${EXD}/account/bo@dedicated.ovh`)).toMatchObject({ state: 'ok', configured: true, displayName: 'Bo', accountLicense: 'standard' });
    const endpoint = sim.imapEndpointFor('bo@dedicated.ovh');
    const client = new ImapFlow({ host: endpoint.host, port: endpoint.port, secure: true, tls: { ca: [endpoint.ca] }, auth: { user: 'bo@dedicated.ovh', pass: 'Dedicated-Pass-1' }, logger: false });
    await client.connect();
    await client.logout();
    // a dedicated offer deletes for real: no slot comes back
    const del = (await ovh.requestPromised('DELETE', `${EXD}/account/bo@dedicated.ovh`)) as { id: number };
    await waitFor('deleted', async () => ((await ovh.requestPromised('GET', `${EXD}/task/${del.id}`)) as { status: string }).status === 'done');
    expect(await ovh.requestPromised('GET', `${EXD}/account`)).toEqual([]);
  });

  it('exposes the endpoint environment for the product', () => {
    const env = sim.endpointEnv();
    expect(env).toMatchObject({
      OVH_HOST: '127.0.0.1',
      OVH_PORT: String(sim.port),
      OVH_APP_KEY: sim.credentials.appKey,
      OVH_APP_SECRET: sim.credentials.appSecret,
      OVH_CONSUMER_KEY: sim.credentials.consumerKey,
    });
    expect(env.OVH_CA_FILE).toMatch(/simulator-ca\.pem$/);
    expect(env.IMAP_CA_FILE).toBe(env.OVH_CA_FILE);
    const endpoint = sim.imapEndpointOfService('emailpro:pro-small-1');
    expect(JSON.parse(env.IMAP_ENDPOINTS)).toMatchObject({ 'pro9.sandbox.local': `127.0.0.1:${endpoint.port}` });
  });
});

describe('OVH API simulator with a data directory', () => {
  it('keeps accounts, mail, credentials and certificate across a restart', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ovhsim-data-'));
    try {
      const first = await OvhSimulator.start({ fixture: smallFixture(), taskDelayMs: 50, renameDelayMs: 100, dataDir });
      const client = clientFor(first);
      await client.requestPromised('PUT', `${PRO}/account/ann@small.ovh`, { login: 'ann.kept' });
      await waitFor('rename', () => client.requestPromised('GET', `${PRO}/account/ann.kept@small.ovh`).then(() => true, () => false));
      const credentials = first.credentials;
      await first.stop();

      const second = await OvhSimulator.start({ fixture: smallFixture(), dataDir });
      try {
        expect(second.credentials).toEqual(credentials);
        const again = clientFor(second);
        expect(await again.requestPromised('GET', `${PRO}/account`, { primaryEmailAddress: 'ann%' })).toEqual(['ann.kept@small.ovh']);
        expect(await canLogin(second, 'ann.kept@small.ovh', 'Small-Pass-01')).toBe(true);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
