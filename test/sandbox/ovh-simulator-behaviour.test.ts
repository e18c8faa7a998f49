import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImapFlow } from 'imapflow';
import { OvhSimulator, QUOTA_UNIT_BYTES, USAGE_UNIT_BYTES, bytesToUsageKb, quotaGbToBytes } from '../../src/sandbox/ovh-simulator/index.js';
import { clientFor, failure, waitFor, type OvhClient } from './ovh-simulator-client.js';

const EX = '/email/exchange/hosted-sb11111-1/service/hosted-sb11111-1';
const PRO = '/email/pro/emailpro-sb22222-1';
const MX = '/email/mxplan/mxplan-sb33333-1';
const LEGACY = '/email/domain/legacy-domain.ovh';

type Task = { id: number; status: string; function: string; finishDate: string | null };

/** Logs in over IMAPS to the Dovecot behind the address's service; resolves the INBOX count or rejects. */
async function imapLogin(sim: OvhSimulator, serviceKey: string, user: string, pass: string): Promise<{ inbox: number; folders: string[] }> {
  const endpoint = sim.imapEndpointOfService(serviceKey);
  const client = new ImapFlow({ host: endpoint.host, port: endpoint.port, secure: true, tls: { ca: [endpoint.ca] }, auth: { user, pass }, logger: false });
  await client.connect();
  try {
    const status = await client.status('INBOX', { messages: true });
    const folders = (await client.list()).map((f) => f.path);
    return { inbox: (status && status.messages) || 0, folders };
  } finally {
    await client.logout();
  }
}

async function canLogin(sim: OvhSimulator, serviceKey: string, user: string, pass: string): Promise<boolean> {
  return imapLogin(sim, serviceKey, user, pass).then(
    () => true,
    () => false,
  );
}

async function waitTask(ovh: OvhClient, path: string, seen?: Set<string>): Promise<Task> {
  return waitFor(`task ${path}`, async () => {
    const task = (await ovh.requestPromised('GET', path)) as Task;
    seen?.add(task.status);
    return ['done', 'error', 'cancelled'].includes(task.status) ? task : undefined;
  }, 20_000, 40);
}

describe('OVH API simulator: behaviour over real Dovecot', () => {
  let sim: OvhSimulator;
  let ovh: OvhClient;
  beforeAll(async () => {
    sim = await OvhSimulator.start({ taskDelayMs: 200, renameDelayMs: 1000 });
    ovh = clientFor(sim);
  });
  afterAll(async () => sim?.stop());

  it('moves tasks todo -> doing -> done, lists them while pending and keeps them readable', async () => {
    sim.faults.slowTasks(1200);
    const task = (await ovh.requestPromised('POST', `${EX}/account/john.smith@mydomain.ovh/alias`, { alias: 'smith@mydomain.ovh' })) as Task;
    sim.faults.clear();
    expect(task).toMatchObject({ function: 'addAlias', status: 'todo', finishDate: null });
    expect(await ovh.requestPromised('GET', `${EX}/task`)).toContain(task.id);
    expect(await ovh.requestPromised('GET', `${EX}/account/john.smith@mydomain.ovh/tasks`)).toContain(task.id);
    const seen = new Set<string>();
    const done = await waitTask(ovh, `${EX}/task/${task.id}`, seen);
    expect(done.status).toBe('done');
    expect(done.finishDate).toBeTruthy();
    expect(seen.has('doing')).toBe(true);
    expect(await ovh.requestPromised('GET', `${EX}/account/john.smith@mydomain.ovh/tasks/${task.id}`)).toMatchObject({ status: 'done' });
    expect(await ovh.requestPromised('GET', `${EX}/task`)).not.toContain(task.id);
    expect(await ovh.requestPromised('GET', `${EX}/account/john.smith@mydomain.ovh/alias`)).toContain('smith@mydomain.ovh');
    // an alias already in use is refused
    expect(await failure(ovh.requestPromised('POST', `${EX}/account/jane.doe@mydomain.ovh/alias`, { alias: 'john@mydomain.ovh' }))).toMatchObject({ error: 409 });
  });

  it('renames an account after renameDelayMs: the old address disappears, IMAP follows the new name with its mail', async () => {
    const key = 'exchange:hosted-sb11111-1/hosted-sb11111-1';
    expect(await imapLogin(sim, key, 'john.smith@mydomain.ovh', 'Exchange-Pass-01')).toMatchObject({ inbox: 14 });
    const started = Date.now();
    expect(await ovh.requestPromised('PUT', `${EX}/account/john.smith@mydomain.ovh`, { login: 'john.smith01' })).toBeNull();
    const pending = (await ovh.requestPromised('GET', `${EX}/account/john.smith@mydomain.ovh`)) as { taskPendingId: number; primaryEmailAddress: string };
    expect(pending.taskPendingId).toBeGreaterThan(0);
    expect(await failure(ovh.requestPromised('GET', `${EX}/account/john.smith01@mydomain.ovh`))).toMatchObject({ error: 404 });
    // a second change while the first is pending is refused
    expect(await failure(ovh.requestPromised('PUT', `${EX}/account/john.smith@mydomain.ovh`, { login: 'john.smith02' }))).toMatchObject({ error: 409 });
    const renamed = await waitFor('rename', async () =>
      ovh.requestPromised('GET', `${EX}/account/john.smith01@mydomain.ovh`).then(
        (a) => a as { state: string; taskPendingId: number; id: number },
        () => undefined,
      ),
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(renamed).toMatchObject({ state: 'ok', taskPendingId: 0 });
    expect(await failure(ovh.requestPromised('GET', `${EX}/account/john.smith@mydomain.ovh`))).toMatchObject({ error: 404 });
    expect(await ovh.requestPromised('GET', `${EX}/account/john.smith01@mydomain.ovh/alias`)).toContain('john@mydomain.ovh');
    expect(await imapLogin(sim, key, 'john.smith01@mydomain.ovh', 'Exchange-Pass-01')).toMatchObject({ inbox: 14 });
    expect(await canLogin(sim, key, 'john.smith@mydomain.ovh', 'Exchange-Pass-01')).toBe(false);
    expect(sim.imapEndpointFor('john.smith01@mydomain.ovh').hostname).toBe('ex1.sandbox.local');
  });

  it('attaches a domain as non-authoritative, then configures a free slot: slot consumed, Dovecot user created', async () => {
    sim.faults.slowTasks(1500); // leaves room to see the domain not ready yet, even on a busy machine
    const task = (await ovh.requestPromised('POST', `${PRO}/domain`, { name: 'mydomain.ovh', type: 'nonAuthoritative', mxRelay: 'mx1.mail.ovh.net' })) as Task;
    sim.faults.clear();
    expect(task.function).toBe('addDomain');
    expect(await ovh.requestPromised('GET', `${PRO}/domain/mydomain.ovh`)).toMatchObject({ state: 'creating', taskPendingId: task.id });
    // configuring on a domain that is not ready yet is refused
    const slots = (await ovh.requestPromised('GET', `${PRO}/account`, { primaryEmailAddress: '%@configureme.me' })) as string[];
    expect(slots).toHaveLength(3);
    expect(await failure(ovh.requestPromised('PUT', `${PRO}/account/${slots[0]}`, { login: 'john.smith', domain: 'mydomain.ovh' }))).toMatchObject({ error: 400 });
    await waitTask(ovh, `${PRO}/task/${task.id}`);
    const domain = (await ovh.requestPromised('GET', `${PRO}/domain/mydomain.ovh`)) as Record<string, unknown>;
    expect(domain).toMatchObject({ state: 'ok', type: 'nonAuthoritative', mxRelay: 'mx1.mail.ovh.net', srvIsValid: false });
    expect(domain.expectedAutodiscoverSRV).toContain('pro1.sandbox.local');

    const slot = (await ovh.requestPromised('GET', `${PRO}/account/${slots[0]}`)) as { configured: boolean; id: number };
    expect(slot.configured).toBe(false);
    await ovh.requestPromised('PUT', `${PRO}/account/${slots[0]}`, { primaryEmailAddress: slots[0], login: 'john.smith', domain: 'mydomain.ovh', displayName: 'John Smith' });
    expect(await ovh.requestPromised('GET', `${PRO}/account/${slots[0]}`)).toMatchObject({ state: 'creating' });
    // E-mail Pro panel: the password goes to the new address, retried until the rename is done
    const pwTask = await waitFor('new address', () =>
      ovh.requestPromised('POST', `${PRO}/account/john.smith@mydomain.ovh/changePassword`, { password: 'New-Pro-Pass-1' }).then(
        (t) => t as Task,
        () => undefined,
      ),
    );
    expect(await failure(ovh.requestPromised('POST', `${PRO}/account/john.smith@mydomain.ovh/changePassword`, { password: 'short' }))).toMatchObject({ error: 400 });
    expect((await waitTask(ovh, `${PRO}/account/john.smith@mydomain.ovh/tasks/${pwTask.id}`)).status).toBe('done');
    const account = (await ovh.requestPromised('GET', `${PRO}/account/john.smith@mydomain.ovh`)) as Record<string, unknown>;
    expect(account).toMatchObject({ configured: true, state: 'ok', id: slot.id, quota: 10, displayName: 'John Smith' });
    expect(await ovh.requestPromised('GET', `${PRO}/account`, { primaryEmailAddress: '%@configureme.me' })).toHaveLength(2);
    const login = await imapLogin(sim, 'emailpro:emailpro-sb22222-1', 'john.smith@mydomain.ovh', 'New-Pro-Pass-1');
    expect(login.inbox).toBe(0);
    expect(login.folders).toContain('INBOX.Éléments envoyés');
  });

  it('configures a new MX Plan slot only on its fixed domain and with a quota from its capabilities', async () => {
    const [slot] = (await ovh.requestPromised('GET', `${MX}/account`, { primaryEmailAddress: '%@configureme.me' })) as string[];
    expect(await ovh.requestPromised('GET', `${MX}/account/${slot}/capabilities`)).toEqual({ quotas: [1, 2.5, 5] });
    expect(await failure(ovh.requestPromised('PUT', `${MX}/account/${slot}`, { login: 'x', domain: 'pro-domain.ovh' }))).toMatchObject({ error: 400 });
    expect(await failure(ovh.requestPromised('PUT', `${MX}/account/${slot}`, { login: 'x', domain: 'mydomain.ovh', quota: 3 }))).toMatchObject({ error: 400 });
    await ovh.requestPromised('PUT', `${MX}/account/${slot}`, { login: 'newbie', domain: 'mydomain.ovh', quota: 2.5 });
    const task = await waitFor('MX Plan rename', () =>
      ovh.requestPromised('POST', `${MX}/account/newbie@mydomain.ovh/changePassword`, { password: 'MxPlan-Pass-77' }).then(
        (t) => t as Task,
        () => undefined,
      ),
    );
    await waitTask(ovh, `${MX}/account/newbie@mydomain.ovh/task/${task.id}`);
    expect(await ovh.requestPromised('GET', `${MX}/account/newbie@mydomain.ovh`)).toMatchObject({ quota: 2.5, configured: true });
    expect(await canLogin(sim, 'mxplan:mxplan-sb33333-1', 'newbie@mydomain.ovh', 'MxPlan-Pass-77')).toBe(true);
  });

  it('resets a hosted account: the mailbox is wiped and the slot goes back to ...@configureme.me', async () => {
    const key = 'exchange:hosted-sb11111-1/hosted-sb11111-1';
    const before = (await ovh.requestPromised('GET', `${EX}/account/jane.doe@mydomain.ovh`)) as { id: number };
    expect(await canLogin(sim, key, 'jane.doe@mydomain.ovh', 'Exchange-Pass-02')).toBe(true);
    await ovh.requestPromised('PUT', `${EX}/account/jane.doe@mydomain.ovh`, { hiddenFromGAL: true, displayName: 'Jane' });
    const task = (await ovh.requestPromised('DELETE', `${EX}/account/jane.doe@mydomain.ovh`)) as Task;
    expect(task.function).toBe('deleteAccount');
    expect(await ovh.requestPromised('GET', `${EX}/account/jane.doe@mydomain.ovh`)).toMatchObject({ state: 'deleting', taskPendingId: task.id });
    await waitTask(ovh, `${EX}/task/${task.id}`);
    expect(await failure(ovh.requestPromised('GET', `${EX}/account/jane.doe@mydomain.ovh`))).toMatchObject({ error: 404 });
    const slots = (await ovh.requestPromised('GET', `${EX}/account`, { primaryEmailAddress: '%@configureme.me', id: before.id })) as string[];
    expect(slots).toHaveLength(1);
    expect(await ovh.requestPromised('GET', `${EX}/account/${slots[0]}`)).toMatchObject({ configured: false, state: 'ok', id: before.id, hiddenFromGAL: false, displayName: null });
    expect(await canLogin(sim, key, 'jane.doe@mydomain.ovh', 'Exchange-Pass-02')).toBe(false);
    expect(sim.dovecot(key).hasUser('jane.doe@mydomain.ovh')).toBe(false);
    // configured again under the same address, the mailbox starts empty: the reset wiped it
    await ovh.requestPromised('PUT', `${EX}/account/${slots[0]}`, { login: 'jane.doe', domain: 'mydomain.ovh' });
    const pw = (await ovh.requestPromised('POST', `${EX}/account/${slots[0]}/changePassword`, { password: 'Exchange-Pass-22' })) as Task;
    await waitTask(ovh, `${EX}/task/${pw.id}`);
    await waitFor('jane again', () => ovh.requestPromised('GET', `${EX}/account/jane.doe@mydomain.ovh`).then(() => true, () => false));
    await sim.idle();
    expect(await imapLogin(sim, key, 'jane.doe@mydomain.ovh', 'Exchange-Pass-22')).toMatchObject({ inbox: 0 });
    // hosted Exchange cannot create accounts: it configures slots
    expect(
      await failure(ovh.requestPromised('POST', `${EX}/account`, { login: 'x', domain: 'mydomain.ovh', password: 'Some-Pass-123', license: 'standard' })),
    ).toMatchObject({ error: 403 });
  });

  it('switches IMAP per Exchange mailbox through the protocol route', async () => {
    const key = 'exchange:hosted-sb11111-1/hosted-sb11111-1';
    expect(await ovh.requestPromised('GET', `${EX}/account/imap.off@mydomain.ovh/protocol`)).toMatchObject({ IMAP: false });
    expect(await canLogin(sim, key, 'imap.off@mydomain.ovh', 'Exchange-Pass-04')).toBe(false);
    expect(await ovh.requestPromised('PUT', `${EX}/account/imap.off@mydomain.ovh/protocol`, { IMAP: true })).toBeNull();
    const { taskPendingId } = (await ovh.requestPromised('GET', `${EX}/account/imap.off@mydomain.ovh/protocol`)) as { taskPendingId: number };
    await waitTask(ovh, `${EX}/task/${taskPendingId}`);
    expect(await ovh.requestPromised('GET', `${EX}/account/imap.off@mydomain.ovh/protocol`)).toMatchObject({ IMAP: true, taskPendingId: 0 });
    expect(await canLogin(sim, key, 'imap.off@mydomain.ovh', 'Exchange-Pass-04')).toBe(true);
  });

  it('creates, refuses to rename and deletes legacy MX Plan accounts (TaskPop, sizes in bytes)', async () => {
    const key = 'mxplan-legacy:legacy-domain.ovh';
    expect(await failure(ovh.requestPromised('POST', `${LEGACY}/account`, { accountName: 'john.smith', password: 'Pässwort-123' }))).toMatchObject({ error: 400 });
    expect(await failure(ovh.requestPromised('POST', `${LEGACY}/account`, { accountName: 'john.smith', password: 'Legacy-Pass-9', size: 123 }))).toMatchObject({ error: 400 });
    const task = (await ovh.requestPromised('POST', `${LEGACY}/account`, { accountName: 'john.smith', password: 'Legacy-Pass-9', size: 1_000_000_000 })) as { id: number; action: string; name: string };
    expect(task).toMatchObject({ action: 'addAccount', name: 'john.smith', domain: 'legacy-domain.ovh' });
    expect(await ovh.requestPromised('GET', `${LEGACY}/task/account`, { name: 'john.smith' })).toEqual([task.id]);
    await waitFor('legacy task gone', async () => ((await ovh.requestPromised('GET', `${LEGACY}/task/account`)) as number[]).length === 0);
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/task/account/${task.id}`))).toMatchObject({ error: 404 });
    expect(await ovh.requestPromised('GET', `${LEGACY}/account/john.smith`)).toEqual({
      accountName: 'john.smith',
      description: '',
      domain: 'legacy-domain.ovh',
      email: 'john.smith@legacy-domain.ovh',
      isBlocked: false,
      size: 1_000_000_000,
    });
    expect(await canLogin(sim, key, 'john.smith@legacy-domain.ovh', 'Legacy-Pass-9')).toBe(true);
    expect(await failure(ovh.requestPromised('PUT', `${LEGACY}/account/john.smith`, { accountName: 'john.smith01' }))).toMatchObject({
      error: 400,
      message: expect.stringContaining('cannot be renamed'),
    });
    const del = (await ovh.requestPromised('DELETE', `${LEGACY}/account/john.smith`)) as { id: number };
    await waitFor('legacy delete', async () => ((await ovh.requestPromised('GET', `${LEGACY}/task/account`)) as number[]).length === 0);
    expect(del.id).toBeGreaterThan(task.id);
    expect(await failure(ovh.requestPromised('GET', `${LEGACY}/account/john.smith`))).toMatchObject({ error: 404 });
    expect(await canLogin(sim, key, 'john.smith@legacy-domain.ovh', 'Legacy-Pass-9')).toBe(false);
  });

  it('reports quota in GB and currentUsage in KB (legacy usage in bytes), consistent with Dovecot', async () => {
    expect(QUOTA_UNIT_BYTES).toBe(1024 ** 3);
    expect(USAGE_UNIT_BYTES).toBe(1024);
    expect(quotaGbToBytes(10)).toBe(10 * 1024 ** 3);
    const alice = (await ovh.requestPromised('GET', `${PRO}/account/alice@pro-domain.ovh`)) as { quota: number; currentUsage: number };
    const stored = await sim.mailboxUsage('alice@pro-domain.ovh');
    expect(stored.bytes).toBeGreaterThan(1000);
    expect(alice.currentUsage).toBe(bytesToUsageKb(stored.bytes));
    expect(alice.currentUsage * USAGE_UNIT_BYTES).toBeLessThan(alice.quota * QUOTA_UNIT_BYTES);
    const big = (await ovh.requestPromised('GET', `${EX}/account/big.mailbox@mydomain.ovh`)) as { quota: number; currentUsage: number };
    expect(big.currentUsage * USAGE_UNIT_BYTES).toBeGreaterThan(10 * QUOTA_UNIT_BYTES);
    expect(big.currentUsage * USAGE_UNIT_BYTES).toBeLessThan(big.quota * QUOTA_UNIT_BYTES);
    const usage = (await ovh.requestPromised('GET', `${LEGACY}/account/info/usage`)) as { quota: number; emailCount: number };
    expect(usage.emailCount).toBeGreaterThan(5);
    expect(usage.quota).toBeGreaterThan(1000);
  });
});
