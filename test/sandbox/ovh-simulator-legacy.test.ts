import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvhSimulator, ovhSchemaIndex, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { Validator } from '../../src/sandbox/ovh-simulator/validation.js';
import { clientFor, failure, waitFor, type OvhClient } from './ovh-simulator-client.js';

const LEGACY = '/email/domain/legacy-domain.ovh';
const OVH_ZONE = { mx: ['mx1.mail.ovh.net.', 'mx2.mail.ovh.net.', 'mx3.mail.ovh.net.'], spf: ['v=spf1 include:mx.ovh.com ~all'] };

type TaskSpecial = { id: string; action: string; type: string; account: string; domain: string; date: string };

describe('OVH API simulator: legacy MX Plan DNS helpers, redirections, delegations, subscribers', () => {
  let sim: OvhSimulator;
  let ovh: OvhClient;
  let validator: Validator;
  const index = ovhSchemaIndex();

  /** The response of a GET, checked against the schema's response type of its route. */
  async function get(path: string, template: string, query?: Record<string, unknown>): Promise<any> {
    const body = await ovh.requestPromised('GET', path, query);
    const op = index.routes.find((r) => r.path === template)!.operations.get('GET')!;
    expect({ path, problems: validator.checkResponse(op.responseType, body) }).toEqual({ path, problems: [] });
    return body;
  }

  const listed = async (query?: Record<string, unknown>) => (await ovh.requestPromised('GET', `${LEGACY}/redirection`, query)) as string[];
  const taskGone = (id: string) =>
    waitFor(`redirection task ${id} gone`, async () => {
      const pending = (await ovh.requestPromised('GET', `${LEGACY}/task/redirection`)) as string[];
      return !pending.includes(id);
    }, 10_000, 40);

  beforeAll(async () => {
    // only the legacy MX Plan service, without mail: one Dovecot, quick start
    const fixture = sandboxFixture();
    fixture.services = fixture.services.filter((s) => s.platform === 'mxplan-legacy');
    for (const service of fixture.services) for (const account of service.accounts) delete account.mailbox;
    sim = await OvhSimulator.start({ fixture, taskDelayMs: 300 });
    ovh = clientFor(sim);
    validator = new Validator(index);
  });
  afterAll(async () => sim?.stop());

  it('answers dnsMXRecords, dnsMXFilter, recommendedDNSRecords and the MX/SPF checks from the simulated zone', async () => {
    expect(await get(`${LEGACY}/dnsMXRecords`, '/email/domain/{domain}/dnsMXRecords')).toEqual(OVH_ZONE.mx);
    expect(await get(`${LEGACY}/dnsMXRecords`, '/email/domain/{domain}/dnsMXRecords', { subDomain: 'www' })).toEqual([]);
    expect(await ovh.requestPromised('GET', `${LEGACY}/dnsMXFilter`)).toBe('FULL_FILTERING');
    const recommended = await get(`${LEGACY}/recommendedDNSRecords`, '/email/domain/{domain}/recommendedDNSRecords');
    expect(recommended.filter((r: any) => r.fieldType === 'MX').map((r: any) => r.target)).toEqual(['1 mx1.mail.ovh.net.', '5 mx2.mail.ovh.net.', '100 mx3.mail.ovh.net.']);
    expect(recommended.find((r: any) => r.fieldType === 'TXT')).toMatchObject({ subDomain: '', target: '"v=spf1 include:mx.ovh.com ~all"', zone: 'legacy-domain.ovh' });
    expect(await get(LEGACY, '/email/domain/{domain}')).toMatchObject({ isMXValid: 'valid', isSPFValid: 'valid' });

    try {
      sim.setDnsZone('legacy-domain.ovh', { mx: ['mx.other-host.example.'], spf: ['v=spf1 include:_spf.other-host.example ~all'] });
      expect(await ovh.requestPromised('GET', `${LEGACY}/dnsMXRecords`)).toEqual(['mx.other-host.example.']);
      expect(await ovh.requestPromised('GET', `${LEGACY}/dnsMXFilter`)).toBe('CUSTOM');
      expect(await ovh.requestPromised('GET', LEGACY)).toMatchObject({ isMXValid: 'invalid', isSPFValid: 'invalid' });
      sim.setDnsZone('legacy-domain.ovh', { mx: [], spf: [] });
      expect(await ovh.requestPromised('GET', LEGACY)).toMatchObject({ isMXValid: 'none', isSPFValid: 'none' });
      sim.setDnsZone('legacy-domain.ovh', { mx: ['redirect.ovh.net.'] });
      expect(await ovh.requestPromised('GET', `${LEGACY}/dnsMXFilter`)).toBe('REDIRECT');
      // recommendations do not depend on the zone
      expect(await ovh.requestPromised('GET', `${LEGACY}/recommendedDNSRecords`)).toEqual(recommended);
    } finally {
      sim.setDnsZone('legacy-domain.ovh', OVH_ZONE);
    }
  });

  it('lists and reads the fixture redirection, with from/to filters', async () => {
    const ids = await get(`${LEGACY}/redirection`, '/email/domain/{domain}/redirection');
    expect(ids).toHaveLength(1);
    expect(await get(`${LEGACY}/redirection/${ids[0]}`, '/email/domain/{domain}/redirection/{id}')).toEqual({
      id: ids[0],
      from: 'contact@legacy-domain.ovh',
      to: 'info@legacy-domain.ovh',
    });
    expect(await listed({ to: 'info@legacy-domain.ovh' })).toEqual(ids);
    expect(await listed({ from: 'contact@%' })).toEqual(ids);
    expect(await listed({ to: 'sales@legacy-domain.ovh' })).toEqual([]);
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/redirection/999`))).toMatchObject({ error: 404 });
    expect(await ovh.requestPromised('GET', `${LEGACY}/summary`)).toMatchObject({ redirection: 1 });
  });

  it('creates a redirection through a TaskSpecialAccount that is listed while pending and gone once done', async () => {
    const before = await listed();
    const task = (await ovh.requestPromised('POST', `${LEGACY}/redirection`, { from: 'hello@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false })) as TaskSpecial;
    const op = index.routes.find((r) => r.path === '/email/domain/{domain}/redirection')!.operations.get('POST')!;
    expect(validator.checkResponse(op.responseType, task)).toEqual([]);
    expect(task).toMatchObject({ id: expect.stringMatching(/^\d+$/), action: 'add', type: 'alias', account: 'hello', domain: 'legacy-domain.ovh' });
    // pending: the task is readable and listed, the redirection is not there yet; account tasks are not involved
    expect(await get(`${LEGACY}/task/redirection`, '/email/domain/{domain}/task/redirection')).toContain(task.id);
    expect(await ovh.requestPromised('GET', `${LEGACY}/task/redirection`, { account: 'hello' })).toEqual([task.id]);
    expect(await ovh.requestPromised('GET', `${LEGACY}/task/redirection`, { account: 'sales' })).toEqual([]);
    expect(await get(`${LEGACY}/task/redirection/${task.id}`, '/email/domain/{domain}/task/redirection/{id}')).toEqual(task);
    expect(await ovh.requestPromised('GET', `${LEGACY}/task/account`)).toEqual([]);
    expect(await listed()).toEqual(before);
    // the same redirection again, while the first is pending: conflict
    expect(await failure(ovh.requestPromised('POST', `${LEGACY}/redirection`, { from: 'hello@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false }))).toMatchObject({ error: 409 });

    await taskGone(task.id);
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/task/redirection/${task.id}`))).toMatchObject({ error: 404 });
    const created = await listed({ from: 'hello@legacy-domain.ovh' });
    expect(created).toHaveLength(1);
    expect(await ovh.requestPromised('GET', `${LEGACY}/redirection/${created[0]}`)).toEqual({ id: created[0], from: 'hello@legacy-domain.ovh', to: 'info@legacy-domain.ovh' });
    expect(await ovh.requestPromised('GET', `${LEGACY}/summary`)).toMatchObject({ redirection: before.length + 1 });

    // a forward of an existing account, keeping a local copy
    const forward = (await ovh.requestPromised('POST', `${LEGACY}/redirection`, { from: 'sales@legacy-domain.ovh', to: 'boss@example.com', localCopy: true })) as TaskSpecial;
    expect(forward).toMatchObject({ action: 'add', type: 'forward', account: 'sales' });
    await taskGone(forward.id);
    expect(await listed({ from: 'sales@legacy-domain.ovh' })).toHaveLength(1);

    // deletion: its own task, the redirection stays until the task is done
    const del = (await ovh.requestPromised('DELETE', `${LEGACY}/redirection/${created[0]}`)) as TaskSpecial;
    expect(del).toMatchObject({ action: 'delete', type: 'alias', account: 'hello' });
    expect(await listed({ from: 'hello@legacy-domain.ovh' })).toEqual(created);
    expect(await failure(ovh.requestPromised('DELETE', `${LEGACY}/redirection/${created[0]}`))).toMatchObject({ error: 409 });
    await taskGone(del.id);
    expect(await listed({ from: 'hello@legacy-domain.ovh' })).toEqual([]);
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/redirection/${created[0]}`))).toMatchObject({ error: 404 });
  });

  it('refuses bad redirections: missing fields, another domain, a loop, a local copy without a mailbox', async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ from: 'x@legacy-domain.ovh', to: 'info@legacy-domain.ovh' }, 400, /\[localCopy\] Property is mandatory/],
      [{ from: 'x@other.example', to: 'info@legacy-domain.ovh', localCopy: false }, 400, /\[from\]/],
      [{ from: 'x@legacy-domain.ovh', to: 'not-an-address', localCopy: false }, 400, /\[to\]/],
      [{ from: 'info@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false }, 400, /\[to\]/],
      [{ from: 'nobody@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: true }, 400, /\[localCopy\]/],
      [{ from: 'contact@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false }, 409, /already redirects/],
    ];
    for (const [body, error, message] of cases) {
      const result = await failure(ovh.requestPromised('POST', `${LEGACY}/redirection`, body));
      expect({ body, result }).toMatchObject({ body, result: { error, message: expect.stringMatching(message) } });
    }
    expect(await failure(ovh.requestPromised('POST', '/email/domain/unknown.example/redirection', { from: 'a@unknown.example', to: 'b@example.com', localCopy: false }))).toMatchObject({ error: 404 });
  });

  it('rolls a failed redirection task back: the task disappears and the redirection never appears', async () => {
    sim.faults.failTasks({ function: 'addRedirection', times: 1 });
    try {
      const task = (await ovh.requestPromised('POST', `${LEGACY}/redirection`, { from: 'lost@legacy-domain.ovh', to: 'info@legacy-domain.ovh', localCopy: false })) as TaskSpecial;
      await taskGone(task.id);
      await sim.idle();
      expect(await listed({ from: 'lost@legacy-domain.ovh' })).toEqual([]);
    } finally {
      sim.faults.clear();
    }
  });

  it('lists account delegations and mailing-list subscribers', async () => {
    expect(await get(`${LEGACY}/account/info/delegation`, '/email/domain/{domain}/account/{accountName}/delegation')).toEqual(['ab12345-ovh']);
    expect(await get(`${LEGACY}/account/info/delegation/ab12345-ovh`, '/email/domain/{domain}/account/{accountName}/delegation/{accountId}')).toEqual({ accountId: 'ab12345-ovh' });
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/account/info/delegation/zz99999-ovh`))).toMatchObject({ error: 404 });
    expect(await ovh.requestPromised('GET', `${LEGACY}/account/sales/delegation`)).toEqual([]);
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/account/nobody/delegation`))).toMatchObject({ error: 404 });

    const subscribers = '/email/domain/{domain}/mailingList/{name}/subscriber';
    expect(await get(`${LEGACY}/mailingList/newsletter/subscriber`, subscribers)).toEqual(['info@legacy-domain.ovh', 'reader@example.com']);
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/newsletter/subscriber`, { email: 'INFO@legacy-domain.ovh' })).toEqual(['info@legacy-domain.ovh']);
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/newsletter/subscriber`, { email: 'sales@legacy-domain.ovh' })).toEqual([]);
    expect(await get(`${LEGACY}/mailingList/newsletter/subscriber/reader@example.com`, `${subscribers}/{email}`)).toEqual({
      domain: 'legacy-domain.ovh',
      email: 'reader@example.com',
      mailinglist: 'newsletter',
    });
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/mailingList/newsletter/subscriber/sales@legacy-domain.ovh`))).toMatchObject({ error: 404 });
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/mailingList/nolist/subscriber`))).toMatchObject({ error: 404 });
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/newsletter`)).toMatchObject({ nbSubscribers: 2, ownerEmail: 'info@legacy-domain.ovh' });
  });
});
