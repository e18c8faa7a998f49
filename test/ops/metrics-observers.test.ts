import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import { QuotaExceededError } from '../../src/imap/copy-errors.js';
import { createMetrics } from '../../src/ops/metrics.js';
import { OvhServerError } from '../../src/ovh/errors.js';
import { stringList } from '../../src/ovh/models/common.js';
import { EMAIL_PRO } from '../../src/ovh/routes.js';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { OvhSimulator, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { endpointOf, seedMessages, startServer, textMessage } from '../imap/support.js';
import { clientFor } from '../ovh/sim-helpers.js';
import { parseMetrics, sample, samples } from './prometheus-text.js';

/** The observers of the copier and of the OVH client, fed by the real things, read back from the registry. */

describe('IMAP copy metrics against real Dovecots', () => {
  let source: DovecotServer;
  let destination: DovecotServer;
  const FROM = 'metrics-source@example.org';

  beforeAll(async () => {
    [source, destination] = await Promise.all([
      startServer({ separator: '/' }, [{ name: FROM }]),
      startServer({ separator: '.', prefix: 'INBOX.', hideCapabilities: ['MULTIAPPEND'], maxMessageBytes: 60_000 }, [{ name: 'kicked@example.org' }, { name: 'refused@example.org' }, { name: 'small@example.org', quotaBytes: 50 * 1024 }]),
    ]);
    await source.seed(FROM, 'INBOX', seedMessages(800, 'bulk', {}, 3000));
    await source.seed(FROM, 'Big', [...seedMessages(2, 'small'), { raw: textMessage({ subject: 'too big', bodyBytes: 100_000 }) }]);
  }, 60_000);
  afterAll(async () => Promise.all([source?.destroy(), destination?.destroy()]));

  it('counts reconnections and dropped connections by kind, and messages as the destination acknowledges them', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    let kicked = false;
    const { report } = await copyMailbox({
      from: endpointOf(source, FROM),
      to: endpointOf(destination, 'kicked@example.org'),
      exclude: /^Big$/,
      connections: 2,
      progressIntervalMs: 0,
      observer: metrics.observers.copy,
      onProgress: (progress) => {
        if (!kicked && progress.phase === 'copying' && progress.messagesDone >= 100) {
          kicked = true;
          void destination.kick('kicked@example.org');
          void source.kick(FROM);
        }
      },
    });
    expect(kicked).toBe(true);
    expect(report).toMatchObject({ ok: true, messages: { copied: 800, failed: 0 } });
    const m = parseMetrics(await metrics.registry.metrics());
    const reconnects = sample(m, 'migrate_mailbox_imap_reconnects_total')!;
    expect(reconnects).toBeGreaterThanOrEqual(1);
    // each reconnection follows a lost connection, counted by its class, retryable
    expect(sample(m, 'migrate_mailbox_imap_errors_total', { kind: 'ImapConnectionLost', retryable: 'true' })).toBe(reconnects);
    // a batch whose answer went down with its connection is found on the destination by the next scan: in the
    // report's count, not in the acknowledged one
    const copied = sample(m, 'migrate_mailbox_imap_messages_copied_total')!;
    expect(copied).toBeGreaterThanOrEqual(100);
    expect(copied).toBeLessThanOrEqual(report.messages.copied);
    expect(sample(m, 'migrate_mailbox_imap_copy_rate_messages_per_second_count')).toBe(1);
  }, 60_000);

  it('counts a message the destination refuses, and the error that ends a run, by kind and never by text', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const { report } = await copyMailbox({ from: endpointOf(source, FROM), to: endpointOf(destination, 'refused@example.org'), exclude: /^INBOX$/, observer: metrics.observers.copy });
    expect(report.messages).toMatchObject({ copied: 2, failed: 1 });
    await expect(copyMailbox({ from: endpointOf(source, FROM), to: endpointOf(destination, 'small@example.org'), observer: metrics.observers.copy })).rejects.toBeInstanceOf(QuotaExceededError);
    const text = await metrics.registry.metrics();
    const m = parseMetrics(text);
    expect(sample(m, 'migrate_mailbox_imap_errors_total', { kind: 'message-refused', retryable: 'false' })).toBe(1);
    expect(sample(m, 'migrate_mailbox_imap_errors_total', { kind: 'QuotaExceededError', retryable: 'false' })).toBe(1);
    expect(sample(m, 'migrate_mailbox_imap_messages_copied_total')).toBe(2);
    expect(samples(m, 'migrate_mailbox_imap_errors_total').map((s) => s.labels.kind).sort()).toEqual(['QuotaExceededError', 'message-refused']);
    expect(text).not.toMatch(/example\.org|Big|quota is too small/);
  }, 60_000);
});

describe('OVH client metrics against the simulator', () => {
  let sim: OvhSimulator;
  const PRO = 'emailpro-sb22222-1';
  const ACCOUNTS = `/email/pro/${PRO}/account`;

  beforeAll(async () => {
    const full = sandboxFixture();
    const pro = full.services.find((s) => s.platform === 'emailpro')!;
    sim = await OvhSimulator.start({ fixture: { services: [pro], zones: { 'pro-domain.ovh': full.zones!['pro-domain.ovh']! } } });
  }, 120_000);
  afterAll(async () => sim?.stop(), 60_000);

  it('counts every attempt by route template, method and status, and each retry by reason', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const client = clientFor(sim, { observer: metrics.observers.ovh });
    try {
      sim.faults.add({ method: 'GET', path: ACCOUNTS, status: 503, times: 2 });
      expect(await client.request(EMAIL_PRO.listAccounts, { service: PRO }, { schema: stringList })).toContain('alice@pro-domain.ovh');
      sim.faults.add({ method: 'GET', path: ACCOUNTS, status: 429, times: 1, retryAfterSeconds: 0 });
      await client.request(EMAIL_PRO.listAccounts, { service: PRO }, { schema: stringList });
      // a POST is not repeated after a 5xx (it may have taken effect): one attempt, no retry
      sim.faults.add({ method: 'POST', path: `${ACCOUNTS}/alice@pro-domain.ovh/changePassword`, status: 500, times: 1 });
      await expect(client.request(EMAIL_PRO.changePassword, { service: PRO, email: 'alice@pro-domain.ovh' }, { schema: stringList, body: { password: 'Whatever-Pass-1' } })).rejects.toBeInstanceOf(OvhServerError);
    } finally {
      sim.faults.clear();
      client.close();
    }
    const text = await metrics.registry.metrics();
    const m = parseMetrics(text);
    const route = EMAIL_PRO.listAccounts.path;
    expect(sample(m, 'migrate_mailbox_ovh_requests_total', { route, method: 'GET', status: '503' })).toBe(2);
    expect(sample(m, 'migrate_mailbox_ovh_requests_total', { route, method: 'GET', status: '429' })).toBe(1);
    expect(sample(m, 'migrate_mailbox_ovh_requests_total', { route, method: 'GET', status: '200' })).toBe(2);
    expect(sample(m, 'migrate_mailbox_ovh_retries_total', { route, method: 'GET', reason: 'server-error' })).toBe(2);
    expect(sample(m, 'migrate_mailbox_ovh_retries_total', { route, method: 'GET', reason: 'rate-limited' })).toBe(1);
    expect(sample(m, 'migrate_mailbox_ovh_request_duration_seconds_count', { route, method: 'GET' })).toBe(5);
    expect(sample(m, 'migrate_mailbox_ovh_requests_total', { route: EMAIL_PRO.changePassword.path, method: 'POST', status: '500' })).toBe(1);
    expect(samples(m, 'migrate_mailbox_ovh_retries_total', { method: 'POST' })).toEqual([]);
    expect(sample(m, 'migrate_mailbox_ovh_requests_total', { route: '/auth/time', method: 'GET', status: '200' })).toBe(1);
    expect(text).not.toMatch(/alice|pro-domain|sb22222/);
  }, 60_000);

  it('counts an attempt that got no answer as status network, and its retries', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    // nothing listens on the discard port: the connection is refused
    const client = clientFor(sim, { observer: metrics.observers.ovh, host: '127.0.0.1', port: 9, retries: 2 });
    try {
      await expect(client.request(EMAIL_PRO.listServices, {}, { schema: stringList })).rejects.toThrow(/network error/);
    } finally {
      client.close();
    }
    const m = parseMetrics(await metrics.registry.metrics());
    // the first signed call asks for the server's time: that is the call that fails, three times
    expect(sample(m, 'migrate_mailbox_ovh_requests_total', { route: '/auth/time', method: 'GET', status: 'network' })).toBe(3);
    expect(sample(m, 'migrate_mailbox_ovh_retries_total', { route: '/auth/time', method: 'GET', reason: 'network' })).toBe(2);
  }, 60_000);
});
