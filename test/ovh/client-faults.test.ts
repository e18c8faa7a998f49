import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { selfSignedCertificate } from '../../src/sandbox/certificate.js';
import { OvhSimulator, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { OvhForbidden, OvhNotFound, OvhRateLimited, OvhServerError, OvhTaskFailed, OvhTimeout, OvhWaitTimeout } from '../../src/ovh/errors.js';
import { OvhClient } from '../../src/ovh/ovh-client.js';
import { stringList } from '../../src/ovh/models/common.js';
import { proServiceSchema } from '../../src/ovh/models/pro.js';
import { accessRules, EMAIL_PRO } from '../../src/ovh/routes.js';
import { clientFor, factoryFor, FAST_WAIT, imapLoginWorks } from './sim-helpers.js';

const PRO = 'emailpro-sb22222-1';
const ACCOUNTS = `/email/pro/${PRO}/account`;

let sim: OvhSimulator;
let client: OvhClient;

beforeAll(async () => {
  const full = sandboxFixture();
  // one E-mail Pro service: one Dovecot, a quick start
  const proService = { ...full.services.find((s) => s.platform === 'emailpro')!, freeSlots: 0 };
  const exchange = full.services.find((s) => s.platform === 'exchange')!;
  // a dedicated Exchange offer: accounts are created with POST, not configured from slots
  const dedicated = {
    ...exchange,
    organization: 'dedicated-sb44444-1',
    service: 'dedicated-sb44444-1',
    displayName: 'Dedicated Exchange',
    offer: 'dedicated',
    hostname: 'ex2.sandbox.local',
    domain: 'dedicated.ovh',
    domains: [{ name: 'dedicated.ovh', type: 'authoritative' as const, main: true }],
    accounts: [],
    freeSlots: 0,
    externalContacts: [],
    mailingLists: [],
    sharedAccounts: [],
  };
  const fixture = {
    services: [proService, dedicated],
    zones: { 'pro-domain.ovh': full.zones!['pro-domain.ovh']!, 'dedicated.ovh': full.zones!['pro-domain.ovh']! },
  };
  sim = await OvhSimulator.start({ fixture, taskDelayMs: 40, renameDelayMs: 1500 });
  client = clientFor(sim);
}, 120_000);

afterAll(async () => {
  client?.close();
  await sim?.stop();
}, 60_000);

const logged = (method: string, path: string) => sim.requests.filter((r) => r.method === method && r.path === path);

describe('retries', { timeout: 90_000 }, () => {
  it('retries a GET on 429, honouring Retry-After', async () => {
    sim.clearRequests();
    sim.faults.add({ method: 'GET', path: ACCOUNTS, status: 429, times: 2, retryAfterSeconds: 1 });
    const started = Date.now();
    const accounts = await client.request(EMAIL_PRO.listAccounts, { service: PRO }, { schema: stringList });
    expect(accounts).toContain('alice@pro-domain.ovh');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(logged('GET', ACCOUNTS).map((r) => r.status)).toEqual([429, 429, 200]);
  });

  it('retries a GET on 500 with backoff, then gives up with a typed error carrying the query id', async () => {
    sim.clearRequests();
    sim.faults.add({ method: 'GET', path: ACCOUNTS, status: 500, times: 2 });
    await client.request(EMAIL_PRO.listAccounts, { service: PRO }, { schema: stringList });
    expect(logged('GET', ACCOUNTS).map((r) => r.status)).toEqual([500, 500, 200]);

    sim.clearRequests();
    sim.faults.add({ method: 'GET', path: ACCOUNTS, status: 503, times: 10 });
    const error = await client.request(EMAIL_PRO.listAccounts, { service: PRO }, { schema: stringList }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OvhServerError);
    expect(error).toMatchObject({ status: 503, errorClass: 'Server::ServiceUnavailable', method: 'GET', path: ACCOUNTS });
    expect((error as OvhServerError).queryId).toMatch(/^EU\./);
    expect(logged('GET', ACCOUNTS)).toHaveLength(5); // 1 + 4 retries
    sim.faults.clear();
  });

  /** A client that records the waits it is asked for instead of waiting. */
  function recordingClient(overrides: Parameters<typeof clientFor>[1] = {}) {
    const sleeps: number[] = [];
    const recording = clientFor(sim, { sleep: async (ms) => void sleeps.push(ms), ...overrides });
    return { client: recording, sleeps, platform: factoryFor(sim, {}, recording)({ platform: 'emailpro', name: PRO }) };
  }
  const CHANGE_PASSWORD = `/email/pro/${PRO}/account/alice@pro-domain.ovh/changePassword`;

  it('retries a POST answered 429 once, after exactly its Retry-After (plus a little jitter), and succeeds', async () => {
    const { client: recording, sleeps, platform } = recordingClient();
    try {
      sim.clearRequests();
      sim.faults.add({ method: 'POST', path: CHANGE_PASSWORD, status: 429, times: 1, retryAfterSeconds: 1 });
      await (await platform).changePassword('alice@pro-domain.ovh', 'Alice-Passw0rd-2');
      expect(logged('POST', CHANGE_PASSWORD).map((r) => r.status)).toEqual([429, 200]);
      expect(sleeps).toHaveLength(1);
      expect(sleeps[0]).toBeGreaterThanOrEqual(1000);
      expect(sleeps[0]).toBeLessThanOrEqual(1100);
      expect(await imapLoginWorks(sim, 'alice@pro-domain.ovh', 'Alice-Passw0rd-2')).toBe(true);
    } finally {
      recording.close();
    }
  });

  it('throws a 429 whose Retry-After is beyond maxRetryAfterMs at once, carrying retryAfterMs for the job queue', async () => {
    const { client: recording, sleeps, platform } = recordingClient({ maxRetryAfterMs: 5000 });
    try {
      sim.clearRequests();
      sim.faults.add({ method: 'POST', path: CHANGE_PASSWORD, status: 429, times: 1, retryAfterSeconds: 7 });
      const limited = await (await platform).changePassword('alice@pro-domain.ovh', 'Other-Passw0rd').catch((e: unknown) => e);
      expect(limited).toBeInstanceOf(OvhRateLimited);
      expect(limited).toMatchObject({ status: 429, retryable: true, retryAfterMs: 7000 });
      expect(logged('POST', CHANGE_PASSWORD)).toHaveLength(1);
      expect(sleeps).toEqual([]);

      sim.faults.add({ method: 'GET', path: ACCOUNTS, status: 429, times: 1, retryAfterSeconds: 60 });
      const listing = await recording.request(EMAIL_PRO.listAccounts, { service: PRO }, { schema: stringList }).catch((e: unknown) => e);
      expect(listing).toMatchObject({ retryable: true, retryAfterMs: 60_000 });
      expect(sleeps).toEqual([]);
    } finally {
      recording.close();
    }
  });

  it('never retries a POST answered 5xx (it may have taken effect), yet says it is retryable and when', async () => {
    const { client: recording, sleeps, platform } = recordingClient();
    try {
      sim.clearRequests();
      sim.faults.add({ method: 'POST', path: CHANGE_PASSWORD, status: 503, times: 1, retryAfterSeconds: 2 });
      const error = await (await platform).changePassword('alice@pro-domain.ovh', 'Other-Passw0rd').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OvhServerError);
      expect(error).toMatchObject({ status: 503, retryable: true, retryAfterMs: 2000 });
      expect(logged('POST', CHANGE_PASSWORD)).toHaveLength(1);
      expect(sleeps).toEqual([]);
      sim.faults.add({ method: 'POST', path: CHANGE_PASSWORD, status: 500, times: 1 });
      await expect((await platform).changePassword('alice@pro-domain.ovh', 'Other-Passw0rd')).rejects.toMatchObject({ status: 500, retryable: true });
      expect(logged('POST', CHANGE_PASSWORD)).toHaveLength(2);
      expect(await imapLoginWorks(sim, 'alice@pro-domain.ovh', 'Other-Passw0rd')).toBe(false);
    } finally {
      recording.close();
    }
  });

  it('does not retry a 404', async () => {
    sim.clearRequests();
    const error = await client.request(EMAIL_PRO.account, { service: PRO, email: 'ghost@pro-domain.ovh' }, { schema: stringList }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OvhNotFound);
    expect((error as OvhNotFound).path).toBe(`/email/pro/${PRO}/account/ghost%40pro-domain.ovh`);
    expect(sim.requests.filter((r) => r.path.endsWith('ghost@pro-domain.ovh'))).toHaveLength(1);
  });
});

describe('timeouts', { timeout: 90_000 }, () => {
  it('times out a request that gets no answer, retrying it when it is a GET', async () => {
    const { cert, key } = await selfSignedCertificate('127.0.0.1');
    let hits = 0;
    // accepts requests and never answers
    const silent = https.createServer({ cert, key }, () => {
      hits++;
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as AddressInfo).port;
    const slow = new OvhClient({ host: '127.0.0.1', port, appKey: 'k', appSecret: 's', consumerKey: 'c', ca: cert, timeoutMs: 200, retries: 2, baseDelayMs: 10 });
    try {
      const error = await slow.request(EMAIL_PRO.listServices, {}, { schema: stringList }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OvhTimeout);
      expect((error as OvhTimeout).nextStep).toMatch(/OVH_ENDPOINT/);
      expect(hits).toBe(3); // GET /auth/time, tried 3 times
    } finally {
      slow.close();
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('trusts OVH_CA_FILE through its own agent, leaving the global agent alone', async () => {
    const before = https.globalAgent.options.ca;
    await client.request(EMAIL_PRO.service, { service: PRO }, { schema: proServiceSchema });
    expect(https.globalAgent.options.ca).toBe(before);
    const untrusting = clientFor(sim, { ca: undefined, retries: 0 });
    try {
      await expect(untrusting.request(EMAIL_PRO.service, { service: PRO }, { schema: proServiceSchema })).rejects.toMatchObject({ message: expect.stringMatching(/certificate/i) });
    } finally {
      untrusting.close();
    }
  });
});

describe('tasks and state changes', { timeout: 90_000 }, () => {
  it('maps a task ending in error to OvhTaskFailed naming the task', async () => {
    const platform = await factoryFor(sim)({ platform: 'emailpro', name: PRO });
    sim.faults.failTasks({ function: 'addAlias', times: 1 });
    const error = await platform.addAlias('bob@pro-domain.ovh', 'bobby@pro-domain.ovh').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OvhTaskFailed);
    expect(error).toMatchObject({ taskFunction: 'addAlias', status: 'error', service: PRO });
    expect((error as OvhTaskFailed).message).toMatch(/^OVH task \d+ \(addAlias\) on emailpro-sb22222-1 ended with status error$/);
  });

  it('times out waiting for a slow task with an error naming the task id and function', async () => {
    const platform = await factoryFor(sim, { taskWait: { ...FAST_WAIT, timeoutMs: 300 } })({ platform: 'emailpro', name: PRO });
    sim.faults.slowTasks(3000);
    try {
      const error = await platform.changePassword('bob@pro-domain.ovh', 'Bob-Passw0rd-2').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OvhWaitTimeout);
      expect((error as Error).message).toMatch(/waiting for OVH task \d+ \(changePassword\) on emailpro-sb22222-1 to change the password of bob@pro-domain.ovh \(last seen: status (todo|doing)\)/);
    } finally {
      sim.faults.clear();
      await sim.idle();
    }
  });

  it('times out polling a rename that takes too long, saying what it saw', async () => {
    const platform = await factoryFor(sim, { stateWait: { ...FAST_WAIT, timeoutMs: 300 } })({ platform: 'emailpro', name: PRO });
    const error = await platform.renameAccount('bob@pro-domain.ovh', 'bob01@pro-domain.ovh').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OvhWaitTimeout);
    expect((error as Error).message).toMatch(/waiting for bob@pro-domain.ovh to be renamed to bob01@pro-domain.ovh on emailpro-sb22222-1 \(last seen: /);
    // a patient caller sees it finish
    const patient = await factoryFor(sim)({ platform: 'emailpro', name: PRO });
    await vi.waitFor(async () => expect(await patient.getAccount('bob01@pro-domain.ovh')).toMatchObject({ state: 'ok' }), { timeout: 10_000, interval: 100 });
    await patient.renameAccount('bob01@pro-domain.ovh', 'bob@pro-domain.ovh');
  });
});

describe('credentials', { timeout: 90_000 }, () => {
  it('an unknown consumer key is OvhForbidden telling to run ovh-login', async () => {
    const stranger = clientFor(sim, { consumerKey: 'not-a-key' });
    try {
      const error = await stranger.request(EMAIL_PRO.listServices, {}, { schema: stringList }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OvhForbidden);
      expect(error).toMatchObject({ status: 403, errorCode: 'INVALID_CREDENTIAL' });
      expect((error as OvhForbidden).nextStep).toMatch(/migrate-mailbox ovh-login/);
    } finally {
      stranger.close();
    }
  });

  it('ovh-login asks for exactly the route table\'s access rules and prints the validation URL and key', async () => {
    const env = sim.endpointEnv();
    const saved = { ...process.env };
    Object.assign(process.env, { OVH_HOST: env.OVH_HOST, OVH_PORT: env.OVH_PORT, OVH_APP_KEY: env.OVH_APP_KEY, OVH_APP_SECRET: env.OVH_APP_SECRET, OVH_CA_FILE: await sim.caFile() });
    delete process.env.OVH_CONSUMER_KEY;
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      sim.clearRequests();
      const { run } = await import('../../src/cli/commands/ovh-login.js');
      expect(await run(['--json'])).toBe(0);
      const printed = JSON.parse(out.join('')) as { validationUrl: string; consumerKey: string; state: string };
      expect(printed.validationUrl).toMatch(/^https?:\/\//);
      expect(printed.consumerKey).toMatch(/\w{8,}/);
      const sent = logged('POST', '/auth/credential')[0]?.body as { accessRules: unknown[] };
      expect(sent.accessRules).toEqual(accessRules());

      out.length = 0;
      expect(await run([])).toBe(0);
      expect(out.join('')).toMatch(/export OVH_CONSUMER_KEY=\w+/);

      // the new key works for the routes it was granted
      const granted = clientFor(sim, { consumerKey: printed.consumerKey });
      try {
        expect(await granted.request(EMAIL_PRO.listServices, {}, { schema: stringList })).toEqual([PRO]);
      } finally {
        granted.close();
      }
    } finally {
      write.mockRestore();
      process.env = saved;
    }
  });
});

describe('account creation without a free slot', { timeout: 90_000 }, () => {
  it('E-mail Pro with no slot left refuses before changing anything, saying to order one', async () => {
    const platform = await factoryFor(sim)({ platform: 'emailpro', name: PRO });
    sim.clearRequests();
    const error = await platform.createAccount({ address: 'carol@pro-domain.ovh', password: 'Carol-Passw0rd' }).catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'noFreeSlot', nextStep: expect.stringMatching(/order one more account/) });
    expect(sim.requests.some((r) => r.method !== 'GET')).toBe(false);
  });

  it('dedicated Exchange creates the account with POST and a licence', async () => {
    const platform = await factoryFor(sim)({ platform: 'exchange', name: 'dedicated-sb44444-1/dedicated-sb44444-1' });
    sim.clearRequests();
    const created = await platform.createAccount({ address: 'dan@dedicated.ovh', password: 'Dan-Passw0rd-1', displayName: 'Dan' });
    expect(created).toMatchObject({ address: 'dan@dedicated.ovh', state: 'ok', configured: true });
    const post = sim.requests.find((r) => r.method === 'POST');
    expect(post).toMatchObject({ path: '/email/exchange/dedicated-sb44444-1/service/dedicated-sb44444-1/account', body: { login: 'dan', domain: 'dedicated.ovh', license: 'standard', displayName: 'Dan' } });
    expect(await imapLoginWorks(sim, 'dan@dedicated.ovh', 'Dan-Passw0rd-1')).toBe(true);
    await platform.resetAccount('dan@dedicated.ovh');
    expect(await platform.getAccount('dan@dedicated.ovh')).toBeUndefined();
  });
});
