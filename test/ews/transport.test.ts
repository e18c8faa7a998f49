import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EwsClient } from '../../src/ews/client.js';
import { EwsAuthenticationFailed, EwsOutcomeUnknown, isRetryable } from '../../src/ews/index.js';
import { EwsDouble } from '../../src/sandbox/ews/index.js';
import { SOURCE, newDestination, sourceEndpoint, startDouble } from './support.js';

const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100 };

describe('EWS transport against the double', () => {
  let double: EwsDouble;
  const clients: EwsClient[] = [];
  const client = (endpoint = sourceEndpoint(double), options: ConstructorParameters<typeof EwsClient>[1] = {}) => {
    const created = new EwsClient(endpoint, { retry: FAST_RETRY, ...options });
    clients.push(created);
    return created;
  };

  beforeAll(async () => {
    // Each request takes 15 ms to serve, as real work would: concurrent calls overlap at the server.
    double = await startDouble({ processingMs: 15 });
  });
  afterEach(() => {
    double.faults.clear();
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => double?.stop());

  it('authenticates with NTLM once per connection: the handshake and the requests after it share one socket', async () => {
    double.clearLog();
    const c = client(sourceEndpoint(double), { maxInFlight: 1, retry: FAST_RETRY });
    for (let i = 0; i < 4; i++) await c.findItems({ distinguished: 'contacts' });
    const log = double.requests;
    expect(log.map((r) => r.status)).toEqual([401, 200, 200, 200, 200]);
    expect(new Set(log.map((r) => r.socket)).size).toBe(1);
  });

  it('a wrong password is an EwsAuthenticationFailed that no retry will fix', async () => {
    const c = client({ ...sourceEndpoint(double), password: 'wrong' });
    const error = await c.findItems({ distinguished: 'contacts' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EwsAuthenticationFailed);
    expect(isRetryable(error)).toBe(false);
  });

  it('falls back to Basic when the server offers nothing else', async () => {
    const basic = await EwsDouble.start({ basic: true, ntlm: false });
    try {
      const dest = newDestination(basic);
      const c = client({ ...dest.endpoint, url: basic.url, ca: basic.caCertificate });
      const page = await c.findItems({ distinguished: 'calendar' });
      expect(page.totalItemsInView).toBe(0);
      expect(basic.requests.filter((r) => r.status === 401)).toHaveLength(1);
    } finally {
      await basic.stop();
    }
  });

  it('honours ErrorServerBusy: waits BackOffMilliseconds, and no request of the mailbox starts meanwhile', async () => {
    double.clearLog();
    const backOffMs = 1200;
    double.faults.serverBusy({ operation: 'FindItem', backOffMs, times: 1 });
    const c = client();
    // Two streams of calls on both lanes: the busy answer must hold the other one too.
    const stream = async () => {
      for (let i = 0; i < 40; i++) await c.findItems({ distinguished: 'contacts' });
    };
    await Promise.all([stream(), stream()]);
    const [window] = double.backOffs;
    expect(window).toBeDefined();
    // A request already on its way when the busy answer left may arrive just after it; nothing later than that
    // arrives before the back-off is over, and the calls went on after it.
    expect(double.backOffViolations(300)).toEqual([]);
    const after = double.requests.filter((r) => r.operation === 'FindItem' && r.at > window.from + 300);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((r) => r.at))).toBeGreaterThanOrEqual(window.until - 5);
  });

  it('retries HTTP 503 and too many concurrent connections, then succeeds', async () => {
    double.faults.httpError({ status: 503, operation: 'FindItem', times: 2 });
    expect((await client().findItems({ distinguished: 'tasks' })).totalItemsInView).toBe(3);
    double.faults.maxConcurrentPerUser = 1;
    const c = client();
    const pages = await Promise.all(Array.from({ length: 6 }, () => c.findItems({ distinguished: 'tasks' })));
    expect(pages.every((p) => p.totalItemsInView === 3)).toBe(true);
    expect(double.requests.some((r) => r.codes.includes('ErrorExceededConnectionCount'))).toBe(true);
  });

  it('never has more than 2 requests of a mailbox in flight', async () => {
    double.clearLog();
    const c = client();
    await Promise.all(Array.from({ length: 12 }, () => c.findItems({ distinguished: 'calendar' })));
    expect(double.maxInFlight.get(SOURCE.toLowerCase())).toBe(2);
  });

  it('an upload whose answer is lost is EwsOutcomeUnknown (retryable), never sent twice', async () => {
    const dest = newDestination(double);
    const source = client();
    const target = client(dest.endpoint);
    const [item] = (await source.findItems({ distinguished: 'tasks' })).items;
    const [exported] = await source.exportItems([{ id: item.id }]);
    if (!exported.ok) throw new Error('export failed');
    double.faults.crashAfterUpload({ mailbox: dest.address });
    const calendar = dest.store.distinguished.get('tasks')!;
    const error = await target.uploadItems([{ parentFolderId: calendar, data: exported.data }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EwsOutcomeUnknown);
    expect(isRetryable(error)).toBe(true);
    expect(dest.store.itemsIn(calendar)).toHaveLength(1);
  });
});
