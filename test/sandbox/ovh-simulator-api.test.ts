import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import https from 'node:https';
import { OvhSimulator, implementedRoutes, ovhSchemaIndex, sandboxFixture, signature } from '../../src/sandbox/ovh-simulator/index.js';
import { Validator } from '../../src/sandbox/ovh-simulator/validation.js';
import { clientFor, failure, type OvhClient } from './ovh-simulator-client.js';

const EX = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1';
const PRO = '/email/pro/emailpro-sb22222-1';
const MX = '/email/mxplan/mxplan-sb33333-1';
const LEGACY = '/email/domain/legacy-domain.ovh';

/** A signed request without the `ovh` client, to see status, headers and raw bodies. */
async function raw(sim: OvhSimulator, method: string, path: string, body?: unknown, opts: { signHost?: string } = {}) {
  const text = body === undefined ? '' : JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  const url = `https://${opts.signHost ?? sim.host}/1.0${path}`;
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'X-Ovh-Application': sim.credentials.appKey,
    'X-Ovh-Consumer': sim.credentials.consumerKey,
    'X-Ovh-Timestamp': ts,
    'X-Ovh-Signature': signature(sim.credentials.appSecret, sim.credentials.consumerKey, method, url, text, ts),
  };
  if (text) headers['Content-Length'] = Buffer.byteLength(text);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: any }>((resolve, reject) => {
    const req = https.request({ host: sim.host, port: sim.port, method, path: `/1.0${path}`, headers, ca: sim.caCertificate }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data ? JSON.parse(data) : null }));
    });
    req.on('error', reject);
    if (text) req.write(text);
    req.end();
  });
}

describe('OVH API simulator: routing, authentication, validation', () => {
  let sim: OvhSimulator;
  let ovh: OvhClient;
  beforeAll(async () => {
    // the sandbox's services and accounts, without seeding mail (nothing here reads it): faster start
    const fixture = sandboxFixture();
    for (const service of fixture.services) for (const account of service.accounts) delete account.mailbox;
    sim = await OvhSimulator.start({ fixture, taskDelayMs: 100 });
    ovh = clientFor(sim);
  });
  afterAll(async () => sim?.stop());

  it('implements only routes that exist in the published schemas', () => {
    const index = ovhSchemaIndex();
    const routes = implementedRoutes().handlers;
    expect(routes.length).toBeGreaterThan(60);
    const missing = routes.filter((r) => !index.has(r.method, r.path)).map((r) => `${r.method} ${r.path}`);
    expect(missing).toEqual([]);
  });

  it('serves /auth/time and lists the services of each platform through the real ovh client', async () => {
    const time = (await ovh.requestPromised('GET', '/auth/time')) as number;
    expect(Math.abs(time - Date.now() / 1000)).toBeLessThan(5);
    expect(await ovh.requestPromised('GET', '/email/exchange')).toEqual(['hosted-sb11111-1']);
    expect(await ovh.requestPromised('GET', '/email/exchange/hosted-sb11111-1/service')).toEqual(['hosted-sb11111-1']);
    expect(await ovh.requestPromised('GET', '/email/pro')).toEqual(['emailpro-sb22222-1']);
    expect(await ovh.requestPromised('GET', '/email/mxplan')).toEqual(['mxplan-sb33333-1']);
    expect(await ovh.requestPromised('GET', '/email/domain')).toEqual(['legacy-domain.ovh']);
  });

  it('answers every behavioural GET with exactly the schema model (no missing, extra or mistyped field)', async () => {
    const index = ovhSchemaIndex();
    const validator = new Validator(index);
    const calls: [string, string][] = [
      [EX, '/email/exchange/{organizationName}/service/{exchangeService}'],
      [`${EX}/account/john.smith@mydomain.ovh`, '/email/exchange/{organizationName}/service/{exchangeService}/account/{primaryEmailAddress}'],
      [`${EX}/account/john.smith@mydomain.ovh/protocol`, '/email/exchange/{organizationName}/service/{exchangeService}/account/{primaryEmailAddress}/protocol'],
      [`${EX}/account/john.smith@mydomain.ovh/alias/john@mydomain.ovh`, '/email/exchange/{organizationName}/service/{exchangeService}/account/{primaryEmailAddress}/alias/{alias}'],
      [`${EX}/domain/mydomain.ovh`, '/email/exchange/{organizationName}/service/{exchangeService}/domain/{domainName}'],
      [`${EX}/domain/mydomain.ovh/disclaimer`, '/email/exchange/{organizationName}/service/{exchangeService}/domain/{domainName}/disclaimer'],
      [`${EX}/externalContact/partner@example.com`, '/email/exchange/{organizationName}/service/{exchangeService}/externalContact/{externalEmailAddress}'],
      [`${EX}/mailingList/team@mydomain.ovh`, '/email/exchange/{organizationName}/service/{exchangeService}/mailingList/{mailingListAddress}'],
      [`${EX}/server`, '/email/exchange/{organizationName}/service/{exchangeService}/server'],
      [`${EX}/account/john.smith@mydomain.ovh/diagnostics`, '/email/exchange/{organizationName}/service/{exchangeService}/account/{primaryEmailAddress}/diagnostics'],
      [PRO, '/email/pro/{service}'],
      [`${PRO}/account/alice@pro-domain.ovh`, '/email/pro/{service}/account/{email}'],
      [`${PRO}/domain/pro-domain.ovh`, '/email/pro/{service}/domain/{domainName}'],
      [`${PRO}/server`, '/email/pro/{service}/server'],
      [`${PRO}/billingMigrated`, '/email/pro/{service}/billingMigrated'],
      [MX, '/email/mxplan/{service}'],
      [`${MX}/account/contact@mydomain.ovh`, '/email/mxplan/{service}/account/{email}'],
      [`${MX}/account/contact@mydomain.ovh/capabilities`, '/email/mxplan/{service}/account/{email}/capabilities'],
      [`${MX}/domain/mydomain.ovh`, '/email/mxplan/{service}/domain/{domainName}'],
      [LEGACY, '/email/domain/{domain}'],
      [`${LEGACY}/account/info`, '/email/domain/{domain}/account/{accountName}'],
      [`${LEGACY}/account/info/usage`, '/email/domain/{domain}/account/{accountName}/usage'],
      [`${LEGACY}/summary`, '/email/domain/{domain}/summary'],
      [`${LEGACY}/mailingList/newsletter`, '/email/domain/{domain}/mailingList/{name}'],
      [`${LEGACY}/recommendedDNSRecords`, '/email/domain/{domain}/recommendedDNSRecords'],
      [`${LEGACY}/task/account`, '/email/domain/{domain}/task/account'],
      [`${EX}/account/john.smith@mydomain.ovh/fullAccess`, '/email/exchange/{organizationName}/service/{exchangeService}/account/{primaryEmailAddress}/fullAccess'],
      [`${EX}/externalContact`, '/email/exchange/{organizationName}/service/{exchangeService}/externalContact'],
      [`${PRO}/account/alice@pro-domain.ovh/alias/contact@pro-domain.ovh`, '/email/pro/{service}/account/{email}/alias/{alias}'],
    ];
    for (const [path, template] of calls) {
      const op = index.routes.find((r) => r.path === template)!.operations.get('GET')!;
      const body = await ovh.requestPromised('GET', path);
      expect({ path, problems: validator.checkResponse(op.responseType, body) }).toEqual({ path, problems: [] });
    }
  });

  it('resolves raw @ and %40 to the same account, and the signature covers the URL as sent', async () => {
    const a = (await ovh.requestPromised('GET', `${PRO}/account/alice@pro-domain.ovh`)) as { id: number };
    const b = (await ovh.requestPromised('GET', `${PRO}/account/alice%40pro-domain.ovh`)) as { id: number };
    expect(b.id).toBe(a.id);
    const withPort = await raw(sim, 'GET', `${PRO}/account/alice%40pro-domain.ovh`, undefined, { signHost: `${sim.host}:${sim.port}` });
    expect(withPort.status).toBe(200);
    expect(withPort.body.primaryEmailAddress).toBe('alice@pro-domain.ovh');
    expect(String(withPort.headers['x-ovh-queryid'])).toMatch(/^EU\./);
  });

  it('rejects routes absent from the schemas (404) and wrong methods (405), OVH style, with a query id', async () => {
    expect(await failure(ovh.requestPromised('GET', `${PRO}/mailingList`))).toMatchObject({ error: 404 });
    expect(await failure(ovh.requestPromised('GET', '/email/nothing/here'))).toMatchObject({ error: 404 });
    // E-mail Pro has no account creation: POST is not a method of /email/pro/{service}/account
    expect(await failure(ovh.requestPromised('POST', `${PRO}/account`, { login: 'x', domain: 'pro-domain.ovh' }))).toMatchObject({ error: 405 });
    const notFound = await raw(sim, 'GET', `${PRO}/nope`);
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ class: 'Client::NotFound' });
    expect(notFound.headers['x-ovh-queryid']).toBeTruthy();
    const wrongMethod = await raw(sim, 'DELETE', PRO);
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.class).toBe('Client::MethodNotAllowed');
    const missingService = await raw(sim, 'GET', '/email/pro/no-such-service');
    expect(missingService.status).toBe(404);
    expect(missingService.body.message).toContain('no-such-service');
  });

  it('rejects a bad signature, an unknown application key, an unknown consumer key and a skewed clock', async () => {
    sim.clearRequests();
    const badSecret = clientFor(sim, { appSecret: 'not-the-secret' });
    expect(await failure(badSecret.requestPromised('GET', '/email/pro'))).toEqual({ error: 400, message: 'Invalid signature' });
    expect(sim.requests.at(-1)).toMatchObject({ status: 400, errorCode: 'INVALID_SIGNATURE' });

    const badKey = clientFor(sim, { appKey: 'unknown-app' });
    expect(await failure(badKey.requestPromised('GET', '/email/pro'))).toMatchObject({ error: 403 });
    expect(sim.requests.at(-1)).toMatchObject({ status: 403, errorCode: 'INVALID_KEY' });

    const badConsumer = clientFor(sim, { consumerKey: 'unknown-consumer' });
    expect(await failure(badConsumer.requestPromised('GET', '/email/pro'))).toEqual({ error: 403, message: 'This credential is not valid' });
    expect(sim.requests.at(-1)).toMatchObject({ status: 403, errorCode: 'INVALID_CREDENTIAL' });

    const skewed = clientFor(sim, { apiTimeDiff: 3600 });
    expect(await failure(skewed.requestPromised('GET', '/email/pro'))).toMatchObject({ error: 400 });
    expect(sim.requests.at(-1)).toMatchObject({ status: 400, errorCode: 'QUERY_TIME_OUT' });

    const unsigned = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      https
        .get({ host: sim.host, port: sim.port, path: '/1.0/email/pro', ca: sim.caCertificate, headers: { 'X-Ovh-Application': sim.credentials.appKey } }, (res) => {
          let data = '';
          res.on('data', (c) => (data += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) }));
        })
        .on('error', reject);
    });
    expect(unsigned.status).toBe(401);
    expect(unsigned.body).toMatchObject({ errorCode: 'NOT_CREDENTIAL', httpCode: '401 Unauthorized' });
  });

  it('validates path, query and body parameters against the schema', async () => {
    const cases: [string, string, Record<string, unknown> | undefined, RegExp][] = [
      ['POST', `${PRO}/account/alice@pro-domain.ovh/alias`, {}, /\[alias\] Property is mandatory/],
      ['POST', `${PRO}/account/alice@pro-domain.ovh/alias`, { alias: 42 }, /\[alias\].*not valid for type string/],
      ['POST', `${PRO}/account/alice@pro-domain.ovh/alias`, { alias: 'a@pro-domain.ovh', color: 'red' }, /\[color\] Unknown parameter/],
      ['POST', `${PRO}/account/alice@pro-domain.ovh/fullAccess`, { allowedAccountId: 'abc' }, /\[allowedAccountId\].*type long/],
      ['POST', `${PRO}/account/alice@pro-domain.ovh/sendAs`, { allowedAccountId: 1 }, /\[allowedAccountId\] Unknown parameter/],
      ['POST', `${PRO}/domain`, { name: 'x.ovh', type: 'sortOf' }, /\[type\].*DomainTypeEnum enumeration/],
      ['POST', `${PRO}/domain`, { name: 'x.ovh', type: 'nonAuthoritative', configureMx: 'yes' }, /\[configureMx\].*type boolean/],
      ['PUT', `${PRO}/account/alice@pro-domain.ovh`, { login: 'alice', nickname: 'al' }, /\[nickname\] Unknown property/],
      ['PUT', `${PRO}/account/alice@pro-domain.ovh`, { hiddenFromGAL: 'no' }, /\[hiddenFromGAL\].*type boolean/],
      ['GET', `${EX}/account`, { id: 'abc' }, /\[id\].*type long/],
      ['GET', `${EX}/account`, { accountLicense: 'gold' }, /\[accountLicense\].*OvhLicenceEnum enumeration/],
      ['GET', `${EX}/account`, { colour: 'blue' }, /\[colour\] Unknown parameter/],
      ['GET', `${PRO}/domain`, { state: 'sleeping' }, /\[state\].*ObjectStateEnum enumeration/],
      ['GET', `${PRO}/task/not-a-number`, undefined, /\[id\].*type long/],
      ['POST', `${LEGACY}/responder`, { account: 'info', content: 'away', copy: false, from: 'tomorrow' }, /\[from\].*type datetime/],
      ['POST', `${EX}/domain/mydomain.ovh/disclaimer`, { content: 42 }, /\[content\].*type text/],
      ['POST', `${PRO}/account/alice@pro-domain.ovh/changePassword`, { password: ['x'] }, /\[password\].*type password/],
      ['POST', `${LEGACY}/account`, { accountName: 'newone' }, /\[password\] Property is mandatory/],
      ['POST', `${LEGACY}/account`, { accountName: 'newone', password: 'Legacy-Pass-99', size: 1.5 }, /\[size\].*type long/],
    ];
    for (const [method, path, params, message] of cases) {
      const result = await failure(ovh.requestPromised(method, path, params ? { ...params } : undefined));
      expect({ method, path, params, result }).toMatchObject({ result: { error: 400, message: expect.stringMatching(message) } });
    }
    // a well-formed call to a route without behaviour passes validation, then answers OVH-style
    const responder = await raw(sim, 'POST', `${LEGACY}/responder`, { account: 'info', content: 'away', copy: false, from: '2026-12-01T00:00:00+01:00' });
    expect(responder.status).toBe(501);
    expect(responder.body.class).toBe('Server::NotImplemented');
    expect(await ovh.requestPromised('GET', `${LEGACY}/responder`)).toEqual([]);
    const body = await raw(sim, 'POST', `${PRO}/account/alice@pro-domain.ovh/alias`, { alias: 42 });
    expect(body.body).toMatchObject({ class: 'Client::BadRequest', message: expect.stringMatching(/^\[alias\]/) });
  });

  it('holds what does not migrate on the Exchange source: aliases, delegations, external contacts, group, footer', async () => {
    const jane = (await ovh.requestPromised('GET', `${EX}/account/jane.doe@mydomain.ovh`)) as { id: number };
    const john = `${EX}/account/john.smith@mydomain.ovh`;
    expect(await ovh.requestPromised('GET', `${john}/alias`)).toEqual(['john@mydomain.ovh', 'j.smith@mydomain.ovh']);
    for (const kind of ['fullAccess', 'sendAs', 'sendOnBehalfTo']) expect(await ovh.requestPromised('GET', `${john}/${kind}`)).toEqual([jane.id]);
    expect(await ovh.requestPromised('GET', `${EX}/externalContact`)).toEqual(['partner@example.com', 'supplier@example.org']);
    expect(await ovh.requestPromised('GET', `${EX}/mailingList`)).toEqual(['team@mydomain.ovh']);
    expect(await ovh.requestPromised('GET', `${EX}/domain/mydomain.ovh/disclaimer`)).toMatchObject({ content: expect.stringContaining('mydomain.ovh') });
    expect(await failure(ovh.requestPromised('GET', `${PRO}/domain/pro-domain.ovh/disclaimer`))).toMatchObject({ error: 404 });
  });

  it('accepts non-ASCII bodies as the client escapes and signs them', async () => {
    expect(await ovh.requestPromised('PUT', `${PRO}/account/bob@pro-domain.ovh`, { displayName: 'Bob Éloïse Durand' })).toBeNull();
    expect(await ovh.requestPromised('GET', `${PRO}/account/bob@pro-domain.ovh`)).toMatchObject({ displayName: 'Bob Éloïse Durand' });
  });

  it('filters account lists like OVH (primaryEmailAddress "like" with %)', async () => {
    const slots = (await ovh.requestPromised('GET', `${EX}/account`, { primaryEmailAddress: '%@configureme.me' })) as string[];
    expect(slots).toHaveLength(2);
    expect(slots.every((s) => s.endsWith('@configureme.me'))).toBe(true);
    expect(await ovh.requestPromised('GET', `${EX}/account`, { primaryEmailAddress: 'john.smith@mydomain.ovh' })).toEqual(['john.smith@mydomain.ovh']);
    expect(await ovh.requestPromised('GET', `${LEGACY}/account`, { accountName: 'in%' })).toEqual(['info']);
  });

  it('tells E-mail Pro from MX Plan the way the control panel does (billingMigrated fails for MX Plan)', async () => {
    expect(await ovh.requestPromised('GET', `${PRO}/billingMigrated`)).toBe(true);
    expect(await failure(ovh.requestPromised('GET', '/email/pro/mxplan-sb33333-1/billingMigrated'))).toMatchObject({ error: 404 });
  });

  it('issues consumer keys through POST /auth/credential, limited to their access rules', async () => {
    const unauth = clientFor(sim, { consumerKey: undefined });
    const credential = (await unauth.requestPromised('POST', '/auth/credential', {
      accessRules: [
        { method: 'GET', path: '/email/pro' },
        { method: 'GET', path: '/email/pro/*' },
      ],
    })) as { consumerKey: string; state: string; validationUrl: string };
    expect(credential.state).toBe('pendingValidation');
    expect(credential.validationUrl).toMatch(/^https:\/\//);
    const limited = clientFor(sim, { consumerKey: credential.consumerKey });
    expect(await limited.requestPromised('GET', '/email/pro')).toEqual(['emailpro-sb22222-1']);
    expect(await failure(limited.requestPromised('GET', '/email/exchange'))).toMatchObject({ error: 403 });
    expect(sim.requests.at(-1)).toMatchObject({ errorCode: 'NOT_GRANTED_CALL' });
    expect(await failure(unauth.requestPromised('POST', '/auth/credential', { accessRules: [{ method: 'FETCH', path: '/*' }] }))).toMatchObject({ error: 400 });
  });

  it('shows the DNS diagnostic of a domain with the expected values', async () => {
    const d = (await ovh.requestPromised('GET', `${EX}/domain/mydomain.ovh`)) as Record<string, any>;
    expect(d).toMatchObject({ mxIsValid: true, srvIsValid: true, spfIsValid: true, domainValidated: true });
    expect(d.expectedMX).toContain('mx1.mail.ovh.net');
    expect(d.expectedSPF).toMatch(/^IN ([A-Z]*) (v=spf.*all)/i);
    expect(d.dkimDiagnostics.state).toBeTruthy();
    const mx = (await ovh.requestPromised('GET', `${MX}/domain/mydomain.ovh`)) as Record<string, any>;
    expect(mx.srvIsValid).toBe(false);
    expect('expectedSPF' in mx).toBe(false);
  });
});
