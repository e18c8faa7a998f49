import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { authorized, maskSecrets, startDashboardFromConfig, type Dashboard } from '../../src/ops/dashboard.js';
import { defaultCopier } from '../../src/pipeline/runtime.js';
import { CLI, Harness, waitFor, waitForState } from '../pipeline/harness.js';
import { launch } from '../support/cli-launch.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TOKEN = 'dashboard-test-token-0123456789';

/** Debian's chromium, headless, started the way this machine allows (no sandbox as root, no background network). */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type HarnessCopier = NonNullable<NonNullable<Parameters<Harness['pipeline']>[0]>['copier']>;

describe('queue dashboard (bull-board) in a real headless Chromium', () => {
  let h: Harness;
  let browser: Browser;
  let dashboard: Dashboard;
  let prefix: string;
  let service: Awaited<ReturnType<Harness['pipeline']>>['service'];
  let release!: () => void;
  let entered!: () => void;
  const copying = new Promise<void>((r) => (entered = r));

  beforeAll(async () => {
    h = await Harness.start();
    // the copy holds until the test lets it go: the migration stays running while the browser looks
    const gate = new Promise<void>((r) => (release = r));
    const copier: HarnessCopier = async (options) => {
      entered();
      await gate;
      return defaultCopier(options);
    };
    const pipeline = await h.pipeline({ copier });
    prefix = pipeline.prefix;
    service = pipeline.service;
    const submitted = await service.submit({ sourceAddress: 'john.smith@mydomain.ovh', destinationService: 'emailpro-sb22222-1', requester: CLI, preapproved: true });
    if (!submitted.ok) throw new Error(JSON.stringify(submitted.problems));
    await copying;
    const config = loadConfig({ DASHBOARD_PORT: '0', DASHBOARD_TOKEN: TOKEN, QUEUE_PREFIX: prefix });
    dashboard = (await startDashboardFromConfig(config, h.redis.connection, h.logger))!;
    // a fresh profile (--user-data-dir) per launch, made and removed by Playwright
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  }, 120_000);

  afterAll(async () => {
    release?.();
    await browser?.close();
    await dashboard?.close();
    await h?.stop();
  });

  it('with basic auth the page loads and lists the running migration (screenshot in docs/)', async () => {
    const context = await browser.newContext({ httpCredentials: { username: 'ops', password: TOKEN }, viewport: { width: 1280, height: 760 } });
    const page = await context.newPage();
    const response = await page.goto(`${dashboard.url}queue/migrations?status=active`);
    expect(response?.status()).toBe(200);
    await page.getByText('mig-john.smith@mydomain.ovh').first().waitFor({ timeout: 20_000 });
    const shot = join(tmpdir(), `dashboard-${process.pid}.png`);
    await page.screenshot({ path: shot });
    const png = await readFile(shot);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    if (process.env.UPDATE_SCREENSHOTS) {
      await mkdir(join(ROOT, 'docs'), { recursive: true });
      await copyFile(shot, join(ROOT, 'docs/dashboard.png'));
    }
    await rm(shot, { force: true });
    await context.close();
  });

  it('without credentials, or with a wrong token, every request is refused with 401', async () => {
    // headless Chromium answers a basic-auth challenge it has no credentials for by failing the navigation
    // (ERR_INVALID_AUTH_CREDENTIALS): what the server answered is read from the response itself
    const refusedIn = async (options: Parameters<Browser['newContext']>[0]) => {
      const context = await browser.newContext(options);
      const page = await context.newPage();
      const answer = page.waitForResponse((r) => r.url() === dashboard.url);
      await page.goto(dashboard.url).catch(() => undefined);
      const response = await answer;
      await context.close();
      return { status: response.status(), challenge: response.headers()['www-authenticate'] };
    };
    expect(await refusedIn({})).toEqual({ status: 401, challenge: expect.stringMatching(/^Basic realm="migrate-mailbox queue dashboard"/) });
    expect((await refusedIn({ httpCredentials: { username: 'ops', password: `${TOKEN}x` } })).status).toBe(401);
    for (const path of ['', 'api/queues', 'static/favicon-32x32.png', 'queue/migrations']) {
      const answer = await fetch(`${dashboard.url}${path}`);
      expect(answer.status, path).toBe(401);
      expect(await answer.text()).toContain('authentication required');
    }
  });

  it('a bearer token works as well; read-only refuses every change, even with the token', async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Bearer ${TOKEN}` } });
    const page = await context.newPage();
    expect((await page.goto(dashboard.url))?.status()).toBe(200);
    const api = await (await context.request.get(`${dashboard.url}api/queues?activeQueue=migrations&status=active`)).json();
    const queue = api.queues.find((q: { name: string }) => q.name === 'migrations');
    expect(queue.readOnlyMode).toBe(true);
    const job = queue.jobs.find((j: { id: string }) => j.id === 'mig-john.smith@mydomain.ovh');
    expect(job).toBeDefined();
    // the job's sealed secrets are not shown, even sealed
    expect(JSON.stringify(job.data)).not.toMatch(/"destinationPassword":"(?!\[sealed\])/);
    for (const [method, path] of [
      ['PUT', 'api/queues/migrations/pause'],
      ['PUT', 'api/queues/migrations/mig-john.smith@mydomain.ovh/retry/failed'],
      ['DELETE', 'api/queues/migrations/mig-john.smith@mydomain.ovh'],
      ['POST', 'api/queues/migrations/add'],
    ]) {
      const answer = await fetch(`${dashboard.url}${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(answer.status, `${method} ${path}`).toBe(405);
    }
    await context.close();

    // the migration the page showed finishes untouched
    release();
    expect((await waitForState(service, 'mig-john.smith@mydomain.ovh', ['done', 'failed'], 90_000)).state).toBe('done');
  }, 120_000);

  it('DASHBOARD_READ_WRITE=true allows changes with the token, but not ones a browser sends from another site', async () => {
    const config = loadConfig({ DASHBOARD_PORT: '0', DASHBOARD_TOKEN: TOKEN, QUEUE_PREFIX: prefix, DASHBOARD_READ_WRITE: 'true' });
    const writable = (await startDashboardFromConfig(config, h.redis.connection, h.logger))!;
    try {
      const put = (headers: Record<string, string>) => fetch(`${writable.url}api/queues/migrations/resume`, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, ...headers } });
      expect((await put({ origin: 'https://elsewhere.example' })).status).toBe(403);
      expect((await put({ 'sec-fetch-site': 'cross-site' })).status).toBe(403);
      expect((await fetch(`${writable.url}api/queues/migrations/resume`, { method: 'PUT' })).status).toBe(401);
      expect((await put({})).status).toBeLessThan(300);
      const api = (await (await fetch(`${writable.url}api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { queues: { readOnlyMode: boolean }[] };
      expect(api.queues[0]!.readOnlyMode).toBe(false);
    } finally {
      await writable.close();
    }
  });
});

describe('dashboard authentication and configuration', () => {
  it('accepts the token as bearer or as a basic-auth password, nothing else', () => {
    const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
    expect(authorized(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(authorized(basic('anyone', TOKEN), TOKEN)).toBe(true);
    expect(authorized(basic(TOKEN, 'x'), TOKEN)).toBe(false);
    expect(authorized(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(authorized(TOKEN, TOKEN)).toBe(false);
    expect(authorized(undefined, TOKEN)).toBe(false);
    expect(authorized('Basic !!!', TOKEN)).toBe(false);
  });

  it('masks every sealed secret of the job data it shows', () => {
    expect(maskSecrets({ request: { destinationPassword: 'v1.abc', passwordTyped: true, requester: { id: 'U1' } }, checkpoint: { migrationPassword: 'v1.x', steps: [{ sealed: 'y' }] } })).toEqual({
      request: { destinationPassword: '[sealed]', passwordTyped: true, requester: { id: 'U1' } },
      checkpoint: { migrationPassword: '[sealed]', steps: [{ sealed: '[sealed]' }] },
    });
  });

  it('DASHBOARD_PORT without DASHBOARD_TOKEN (or with a short one) is a configuration error naming the variable', () => {
    expect(() => loadConfig({ DASHBOARD_PORT: '8080' })).toThrow(ConfigError);
    expect(() => loadConfig({ DASHBOARD_PORT: '8080' })).toThrow(/DASHBOARD_TOKEN: required when DASHBOARD_PORT is set[\s\S]*openssl rand -hex 32/);
    expect(() => loadConfig({ DASHBOARD_PORT: '8080', DASHBOARD_TOKEN: 'short' })).toThrow(/DASHBOARD_TOKEN: must be at least 16 characters/);
    const config = loadConfig({});
    expect(config.DASHBOARD_PORT).toBeUndefined();
    expect(config.DASHBOARD_READ_WRITE).toBe(false);
    expect(config.DASHBOARD_HOST).toBe('127.0.0.1');
  });
});

describe('start and worker serve the dashboard on DASHBOARD_PORT', () => {
  let redis: Harness['redis'];
  beforeAll(async () => {
    const { RedisServer } = await import('../../src/redis/redis-server.js');
    redis = await RedisServer.start();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  const base = () => ({ REDIS_URL: redis.url, QUEUE_PREFIX: `d${process.pid}`, SECRETS_KEY: 'ab'.repeat(32), OVH_HOST: '127.0.0.1', OVH_PORT: '9', OVH_APP_KEY: 'k', OVH_APP_SECRET: 's', OVH_CONSUMER_KEY: 'c' });

  it('worker with DASHBOARD_PORT but no token does not start, and says why', async () => {
    const run = launch(['worker'], { ...base(), DASHBOARD_PORT: '0' });
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toContain('DASHBOARD_TOKEN: required when DASHBOARD_PORT is set');
  }, 60_000);

  for (const command of ['worker', 'start'] as const) {
    it(`${command} serves it behind the token, and stops it on SIGTERM`, async () => {
      const env: Record<string, string> = { ...base(), DASHBOARD_PORT: '0', DASHBOARD_TOKEN: TOKEN };
      if (command === 'start') Object.assign(env, { SLACK_MODE: 'http', PORT: '0', SLACK_BOT_TOKEN: 'xoxb-test', SLACK_SIGNING_SECRET: 'test-secret', SLACK_API_URL: 'http://127.0.0.1:9/api/' });
      const run = launch([command], env);
      const line = await waitFor(() => run.stderr().split('\n').find((l) => l.includes('"queue dashboard listening"')) ?? (run.child.exitCode !== null ? (() => { throw new Error(run.stderr()); })() : undefined), 45_000, 'the dashboard');
      const url = (JSON.parse(line) as { url: string }).url;
      expect((await fetch(url)).status).toBe(401);
      const ok = await fetch(`${url}api/queues`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(((await ok.json()) as { queues: { name: string }[] }).queues.map((q) => q.name)).toEqual(['migrations']);
      run.child.kill('SIGTERM');
      await run.exited;
      await expect(fetch(url)).rejects.toThrow();
    }, 60_000);
  }
});
