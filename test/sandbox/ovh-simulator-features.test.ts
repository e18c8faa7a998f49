import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OvhSimulator, ovhSchemaIndex, sandboxFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { Validator } from '../../src/sandbox/ovh-simulator/validation.js';
import { clientFor, failure, waitFor, type OvhClient } from './ovh-simulator-client.js';

/**
 * The simulator routes that recreating features needs, through the real `ovh` client: Exchange groups with
 * members, contacts, managers, aliases and send rights; external-contact updates; forwarding and spam settings
 * on Exchange accounts; rights on every hosted kind; legacy MX Plan mailing lists with their TaskMl.
 */

const EX = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1';
const EXT = '/email/exchange/{organizationName}/service/{exchangeService}';
const PRO = '/email/pro/emailpro-sb22222-1';
const MX = '/email/mxplan/mxplan-sb33333-1';
const LEGACY = '/email/domain/legacy-domain.ovh';
const TEAM = `${EX}/mailingList/team@mydomain.ovh`;

type Task = { id: number; function: string; status: string };

describe('OVH API simulator: what recreating features needs', () => {
  let sim: OvhSimulator;
  let ovh: OvhClient;
  const index = ovhSchemaIndex();
  const validator = new Validator(index);
  const ids: Record<string, number> = {};

  /** The response of a GET, checked against the schema's response type of its route. */
  async function get(path: string, template: string, query?: Record<string, unknown>): Promise<any> {
    const body = await ovh.requestPromised('GET', path, query);
    const op = index.routes.find((r) => r.path === template)!.operations.get('GET')!;
    expect({ path, problems: validator.checkResponse(op.responseType, body) }).toEqual({ path, problems: [] });
    return body;
  }

  const done = (prefix: string, task: Task) =>
    waitFor(`task ${task.id}`, async () => {
      const current = (await ovh.requestPromised('GET', `${prefix}/task/${task.id}`)) as Task;
      return current.status === 'done' || current.status === 'error' ? current : undefined;
    }, 10_000, 30);

  beforeAll(async () => {
    const fixture = sandboxFixture();
    fixture.services = fixture.services.filter((s) => s.platform !== 'mxplan');
    for (const service of fixture.services) for (const account of service.accounts) delete account.mailbox;
    sim = await OvhSimulator.start({ fixture, taskDelayMs: 60 });
    ovh = clientFor(sim);
    for (const login of ['john.smith', 'jane.doe', 'big.mailbox', 'imap.off']) {
      ids[login] = ((await ovh.requestPromised('GET', `${EX}/account/${login}@mydomain.ovh`)) as { id: number }).id;
    }
    ids.partner = ((await ovh.requestPromised('GET', `${EX}/externalContact/partner@example.com`)) as { id: number }).id;
  });
  afterAll(async () => sim?.stop());

  it('holds the sample group with its links, every item carrying its address, each answer shaped like the schema', async () => {
    expect(await get(`${EX}/mailingList`, `${EXT}/mailingList`)).toEqual(['team@mydomain.ovh']);
    expect(await get(TEAM, `${EXT}/mailingList/{mailingListAddress}`)).toMatchObject({ mailingListAddress: 'team@mydomain.ovh', displayName: 'Team', state: 'ok', departRestriction: 'closed' });
    expect(await get(`${TEAM}/member/account`, `${EXT}/mailingList/{mailingListAddress}/member/account`)).toEqual([ids['john.smith']]);
    expect(await get(`${TEAM}/member/account/${ids['john.smith']}`, `${EXT}/mailingList/{mailingListAddress}/member/account/{memberAccountId}`)).toMatchObject({
      memberAccountId: ids['john.smith'],
      memberContactId: null,
      memberEmailAddress: 'john.smith@mydomain.ovh',
    });
    expect(await get(`${TEAM}/member/contact`, `${EXT}/mailingList/{mailingListAddress}/member/contact`)).toEqual([ids.partner]);
    expect(await get(`${TEAM}/member/contact/${ids.partner}`, `${EXT}/mailingList/{mailingListAddress}/member/contact/{memberContactId}`)).toMatchObject({
      memberContactId: ids.partner,
      memberEmailAddress: 'partner@example.com',
    });
    expect(await get(`${TEAM}/manager/account`, `${EXT}/mailingList/{mailingListAddress}/manager/account`)).toEqual([ids['jane.doe']]);
    expect(await get(`${TEAM}/manager/account/${ids['jane.doe']}`, `${EXT}/mailingList/{mailingListAddress}/manager/account/{managerAccountId}`)).toMatchObject({
      managerEmailAddress: 'jane.doe@mydomain.ovh',
    });
    expect(await get(`${TEAM}/alias`, `${EXT}/mailingList/{mailingListAddress}/alias`)).toEqual(['equipe@mydomain.ovh']);
    await get(`${TEAM}/alias/equipe@mydomain.ovh`, `${EXT}/mailingList/{mailingListAddress}/alias/{alias}`);
    expect(await get(`${TEAM}/sendAs`, `${EXT}/mailingList/{mailingListAddress}/sendAs`)).toEqual([ids['jane.doe']]);
    await get(`${TEAM}/sendAs/${ids['jane.doe']}`, `${EXT}/mailingList/{mailingListAddress}/sendAs/{allowedAccountId}`);
    expect(await get(`${TEAM}/sendOnBehalfTo`, `${EXT}/mailingList/{mailingListAddress}/sendOnBehalfTo`)).toEqual([]);
    // both directions of the sample rights, shared mailboxes, forwarding and spam settings on the account
    expect(await ovh.requestPromised('GET', `${EX}/account/jane.doe@mydomain.ovh/fullAccess`)).toEqual([ids['john.smith']]);
    expect(await get(`${EX}/sharedAccount`, `${EXT}/sharedAccount`)).toEqual(['shared@mydomain.ovh']);
    expect(await get(`${EX}/sharedAccount/shared@mydomain.ovh/fullAccess`, `${EXT}/sharedAccount/{sharedEmailAddress}/fullAccess`)).toEqual([ids['john.smith']]);
    expect(await get(`${EX}/resourceAccount`, `${EXT}/resourceAccount`)).toEqual([]);
    expect(await get(`${EX}/account/john.smith@mydomain.ovh`, `${EXT}/account/{primaryEmailAddress}`)).toMatchObject({
      forwardingEmail: 'john.smith@example.com',
      storeCopyOfEmail: true,
      initial: 'JS',
      litigation: false,
    });
    expect(await failure(ovh.requestPromised('GET', `${EX}/account/john.smith@mydomain.ovh/archive`))).toMatchObject({ error: 404 });
    expect(await get(`${PRO}/externalContact/supplier@example.org`, '/email/pro/{service}/externalContact/{externalEmailAddress}')).toMatchObject({ displayName: 'Supplier (old name)' });
  });

  it('creates a group through a task, then its members, contacts, managers, aliases and send rights; refuses duplicates; deletes', async () => {
    const created = (await ovh.requestPromised('POST', `${EX}/mailingList`, {
      mailingListAddress: 'sales@mydomain.ovh',
      departRestriction: 'open',
      joinRestriction: 'closed',
      displayName: 'Sales',
      hiddenFromGAL: true,
      senderAuthentification: true,
    })) as Task;
    expect(created.function).toBe('addDistributionGroup');
    const SALES = `${EX}/mailingList/sales@mydomain.ovh`;
    expect(await ovh.requestPromised('GET', SALES)).toMatchObject({ state: 'creating', taskPendingId: created.id });
    // busy while it is being created, and its address is taken
    expect(await failure(ovh.requestPromised('POST', `${SALES}/member/account`, { memberAccountId: ids['jane.doe'] }))).toMatchObject({ error: 409 });
    expect(await failure(ovh.requestPromised('POST', `${EX}/mailingList`, { mailingListAddress: 'sales@mydomain.ovh', departRestriction: 'open', joinRestriction: 'open' }))).toMatchObject({ error: 409 });
    expect(await failure(ovh.requestPromised('POST', `${EX}/account/jane.doe@mydomain.ovh/alias`, { alias: 'sales@mydomain.ovh' }))).toMatchObject({ error: 409 });
    expect(await failure(ovh.requestPromised('POST', `${EX}/mailingList`, { mailingListAddress: 'x@not-attached.example', departRestriction: 'open', joinRestriction: 'open' }))).toMatchObject({ error: 400 });
    expect((await done(EX, created)).status).toBe('done');
    expect(await ovh.requestPromised('GET', SALES)).toMatchObject({ state: 'ok', displayName: 'Sales', joinRestriction: 'closed', hiddenFromGAL: true, senderAuthentification: true });

    const tasks = [
      (await ovh.requestPromised('POST', `${SALES}/member/account`, { memberAccountId: ids['jane.doe'] })) as Task,
      (await ovh.requestPromised('POST', `${SALES}/member/contact`, { memberContactId: ids.partner })) as Task,
      (await ovh.requestPromised('POST', `${SALES}/manager/account`, { managerAccountId: ids['john.smith'] })) as Task,
      (await ovh.requestPromised('POST', `${SALES}/alias`, { alias: 'ventes@mydomain.ovh' })) as Task,
      (await ovh.requestPromised('POST', `${SALES}/sendAs`, { allowAccountId: ids['john.smith'] })) as Task,
      (await ovh.requestPromised('POST', `${SALES}/sendOnBehalfTo`, { allowAccountId: ids['jane.doe'] })) as Task,
    ];
    expect(tasks.map((t) => t.function)).toEqual([
      'addDistributionGroupMember',
      'addDistributionGroupMember',
      'addDistributionGroupManager',
      'addAlias',
      'addDistributionGroupSendAs',
      'addDistributionGroupSendOnBehalfTo',
    ]);
    // listed at once, the item naming its pending task
    expect(await ovh.requestPromised('GET', `${SALES}/member/account/${ids['jane.doe']}`)).toMatchObject({ taskPendingId: tasks[0]!.id });
    for (const t of tasks) expect((await done(EX, t)).status).toBe('done');
    expect(await ovh.requestPromised('GET', `${SALES}/member/account/${ids['jane.doe']}`)).toMatchObject({ taskPendingId: 0, memberEmailAddress: 'jane.doe@mydomain.ovh' });
    expect(await ovh.requestPromised('GET', `${SALES}/member/contact`)).toEqual([ids.partner]);
    expect(await ovh.requestPromised('GET', `${SALES}/manager/account`)).toEqual([ids['john.smith']]);
    expect(await ovh.requestPromised('GET', `${SALES}/alias`)).toEqual(['ventes@mydomain.ovh']);
    expect(await ovh.requestPromised('GET', `${SALES}/sendAs`)).toEqual([ids['john.smith']]);
    expect(await ovh.requestPromised('GET', `${SALES}/sendOnBehalfTo`)).toEqual([ids['jane.doe']]);

    // duplicates, unknown accounts and contacts, the wrong member route
    expect(await failure(ovh.requestPromised('POST', `${SALES}/member/account`, { memberAccountId: ids['jane.doe'] }))).toMatchObject({ error: 409 });
    expect(await failure(ovh.requestPromised('POST', `${SALES}/manager/account`, { managerAccountId: 42 }))).toMatchObject({ error: 400 });
    expect(await failure(ovh.requestPromised('POST', `${SALES}/member/contact`, { memberContactId: 42 }))).toMatchObject({ error: 400 });
    expect(await failure(ovh.requestPromised('POST', `${SALES}/member/account`, { memberContactId: ids.partner }))).toMatchObject({ error: 400 });
    expect(await failure(ovh.requestPromised('POST', `${SALES}/alias`, { alias: 'equipe@mydomain.ovh' }))).toMatchObject({ error: 409 });

    // a failed task leaves nothing behind
    sim.faults.failTasks({ function: 'addDistributionGroupMember', times: 1 });
    const failing = (await ovh.requestPromised('POST', `${SALES}/member/account`, { memberAccountId: ids['big.mailbox'] })) as Task;
    expect((await done(EX, failing)).status).toBe('error');
    expect(await ovh.requestPromised('GET', `${SALES}/member/account`)).toEqual([ids['jane.doe']]);

    // deleting a link, then the group
    const removed = (await ovh.requestPromised('DELETE', `${SALES}/member/account/${ids['jane.doe']}`)) as Task;
    expect(removed.function).toBe('deleteDistributionGroupMember');
    await done(EX, removed);
    expect(await ovh.requestPromised('GET', `${SALES}/member/account`)).toEqual([]);
    await done(EX, (await ovh.requestPromised('DELETE', SALES)) as Task);
    expect(await failure(ovh.requestPromised('GET', SALES))).toMatchObject({ error: 404 });
    expect(await ovh.requestPromised('GET', `${EX}/mailingList`)).toEqual(['team@mydomain.ovh']);
  });

  it('updates external contacts in place, and refuses to move one onto an address in use', async () => {
    expect(await ovh.requestPromised('PUT', `${PRO}/externalContact/client@example.net`, { displayName: 'Client (new)', firstName: 'Chloé' })).toBeNull();
    expect(await ovh.requestPromised('GET', `${PRO}/externalContact/client@example.net`)).toMatchObject({ displayName: 'Client (new)', firstName: 'Chloé', lastName: null });
    expect(await failure(ovh.requestPromised('PUT', `${PRO}/externalContact/client@example.net`, { externalEmailAddress: 'partner@example.com' }))).toMatchObject({ error: 409 });
    expect(await failure(ovh.requestPromised('PUT', `${PRO}/externalContact/client@example.net`, { id: 1 }))).toMatchObject({ error: 400 });
    expect(await failure(ovh.requestPromised('PUT', `${PRO}/externalContact/nobody@example.net`, { displayName: 'x' }))).toMatchObject({ error: 404 });
  });

  it('writes forwarding and spam settings on Exchange accounts, not on E-mail Pro ones', async () => {
    const jane = `${EX}/account/jane.doe@mydomain.ovh`;
    expect(await ovh.requestPromised('PUT', jane, { forwardingEmail: 'jane@example.com', storeCopyOfEmail: true, spamAndVirusConfiguration: { checkDKIM: true, checkSPF: true, deleteSpam: true, deleteVirus: true, putInJunk: false, tagSpam: true, tagVirus: true } })).toBeNull();
    expect(await ovh.requestPromised('GET', jane)).toMatchObject({ forwardingEmail: 'jane@example.com', storeCopyOfEmail: true, spamAndVirusConfiguration: { deleteSpam: true, putInJunk: false } });
    expect(await failure(ovh.requestPromised('PUT', jane, { forwardingEmail: 'jane.doe@mydomain.ovh' }))).toMatchObject({ error: 400 });
    // (the `ovh` client drops null parameters: an empty address switches forwarding off too)
    await ovh.requestPromised('PUT', jane, { forwardingEmail: '', storeCopyOfEmail: false });
    expect(await ovh.requestPromised('GET', jane)).toMatchObject({ forwardingEmail: null, storeCopyOfEmail: false });
    // E-mail Pro accounts have no forwarding field at all
    expect(await failure(ovh.requestPromised('PUT', `${PRO}/account/bob@pro-domain.ovh`, { forwardingEmail: 'bob@example.com' }))).toMatchObject({ error: 400 });
  });

  it('grants rights through tasks on E-mail Pro too', async () => {
    const bob = ((await ovh.requestPromised('GET', `${PRO}/account/bob@pro-domain.ovh`)) as { id: number }).id;
    const task = (await ovh.requestPromised('POST', `${PRO}/account/alice@pro-domain.ovh/sendOnBehalfTo`, { allowAccountId: bob })) as Task;
    expect(task.function).toBe('addSendOnBehalfTo');
    await done(PRO, task);
    expect(await ovh.requestPromised('GET', `${PRO}/account/alice@pro-domain.ovh/sendOnBehalfTo`)).toEqual([bob]);
    expect(await get(`${PRO}/account/alice@pro-domain.ovh/sendOnBehalfTo/${bob}`, '/email/pro/{service}/account/{email}/sendOnBehalfTo/{allowedAccountId}')).toMatchObject({ allowedAccountId: bob });
    void MX;
  });

  it('legacy MX Plan: creates a mailing list, subscribers and moderators through TaskMl, pending while readable', async () => {
    const task = (await ovh.requestPromised('POST', `${LEGACY}/mailingList`, {
      name: 'team',
      language: 'en',
      ownerEmail: 'info@legacy-domain.ovh',
      options: { moderatorMessage: false, subscribeByModerator: true, usersPostOnly: false },
    })) as { id: number; action: string; account: string };
    const op = index.routes.find((r) => r.path === '/email/domain/{domain}/mailingList')!.operations.get('POST')!;
    expect(validator.checkResponse(op.responseType, task)).toEqual([]);
    expect(task).toMatchObject({ action: 'addMailingList', account: 'team' });
    expect(await get(`${LEGACY}/task/mailinglist`, '/email/domain/{domain}/task/mailinglist', { account: 'team' })).toEqual([task.id]);
    await get(`${LEGACY}/task/mailinglist/${task.id}`, '/email/domain/{domain}/task/mailinglist/{id}');
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList`)).toEqual(['newsletter']);
    const gone = (id: number) => waitFor(`TaskMl ${id} gone`, async () => failure(ovh.requestPromised('GET', `${LEGACY}/task/mailinglist/${id}`)).then((f) => f.error === 404).catch(() => false), 10_000, 30);
    await gone(task.id);
    expect(await get(`${LEGACY}/mailingList/team`, '/email/domain/{domain}/mailingList/{name}')).toMatchObject({ ownerEmail: 'info@legacy-domain.ovh', language: 'en', nbSubscribers: 0 });
    expect(await failure(ovh.requestPromised('POST', `${LEGACY}/mailingList`, { name: 'team', language: 'en', ownerEmail: 'info@legacy-domain.ovh', options: { moderatorMessage: false, subscribeByModerator: true, usersPostOnly: false } }))).toMatchObject({ error: 409 });
    expect(await failure(ovh.requestPromised('POST', `${LEGACY}/mailingList`, { name: 'sales', language: 'en', ownerEmail: 'info@legacy-domain.ovh', options: { moderatorMessage: false, subscribeByModerator: true, usersPostOnly: false } }))).toMatchObject({ error: 409 });

    const sub = (await ovh.requestPromised('POST', `${LEGACY}/mailingList/team/subscriber`, { email: 'Reader@Example.com' })) as { id: number; action: string };
    const mod = (await ovh.requestPromised('POST', `${LEGACY}/mailingList/team/moderator`, { email: 'sales@legacy-domain.ovh' })) as { id: number; action: string };
    expect([sub.action, mod.action]).toEqual(['addSubscriber', 'addModerator']);
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/team/subscriber`)).toEqual([]);
    await gone(sub.id);
    await gone(mod.id);
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/team/subscriber`, { email: 'reader@example.com' })).toEqual(['reader@example.com']);
    expect(await get(`${LEGACY}/mailingList/team/moderator`, '/email/domain/{domain}/mailingList/{name}/moderator')).toEqual(['sales@legacy-domain.ovh']);
    await get(`${LEGACY}/mailingList/team/moderator/sales@legacy-domain.ovh`, '/email/domain/{domain}/mailingList/{name}/moderator/{email}');

    // a failed TaskMl: gone like a finished one, without its change
    sim.faults.failTasks({ function: 'addSubscriber', times: 1 });
    const lost = (await ovh.requestPromised('POST', `${LEGACY}/mailingList/team/subscriber`, { email: 'lost@example.com' })) as { id: number };
    await gone(lost.id);
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/team/subscriber`)).toEqual(['reader@example.com']);

    const unsub = (await ovh.requestPromised('DELETE', `${LEGACY}/mailingList/team/subscriber/reader@example.com`)) as { id: number; action: string };
    expect(unsub.action).toBe('deleteSubscriber');
    await gone(unsub.id);
    expect(await ovh.requestPromised('GET', `${LEGACY}/mailingList/team/subscriber`)).toEqual([]);
  });
});
