import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ImapFlow } from 'imapflow';
import { DovecotServer } from '../../src/sandbox/dovecot.js';

describe('DovecotServer (test support)', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await DovecotServer.start({ separator: '.', prefix: 'INBOX.', specialUse: { sent: 'Éléments envoyés' }, hideCapabilities: ['MULTIAPPEND'] });
    await server.addUser('john.smith@mydomain.ovh', { password: 'secret-1' });
    await server.seed('john.smith@mydomain.ovh', 'INBOX', [
      { raw: 'Subject: hello\r\n\r\nbody\r\n', flags: ['\\Seen', 'Work'], internalDate: new Date('2020-01-02T03:04:05Z') },
    ]);
    await server.seed('john.smith@mydomain.ovh', 'INBOX.Éléments envoyés', [{ raw: 'Subject: sent\r\n\r\nx\r\n' }, { raw: 'Subject: bare LFs\n\nline 1\nline 2\r\n' }]);
  });
  afterAll(async () => server?.destroy());

  it('serves seeded mail with flags, dates, namespace and special-use folders', async () => {
    const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'john.smith@mydomain.ovh', pass: 'secret-1' }, logger: false, doSTARTTLS: false });
    await client.connect();
    expect(client.capabilities.has('MULTIAPPEND')).toBe(false);
    const folders = await client.list();
    const sent = folders.find((f) => f.specialUse === '\\Sent');
    expect(sent?.path).toBe('INBOX.Éléments envoyés');
    expect(folders.find(f => f.path === 'INBOX')?.delimiter).toBe('.');
    const lock = await client.getMailboxLock('INBOX');
    const messages = [];
    for await (const m of client.fetch('1:*', { flags: true, internalDate: true, source: true })) messages.push(m);
    lock.release();
    expect(messages).toHaveLength(1);
    expect([...messages[0].flags!].filter((f) => f !== '\\Recent').sort()).toEqual(['Work', '\\Seen']);
    expect((messages[0].internalDate as Date).toISOString()).toBe('2020-01-02T03:04:05.000Z');
    await client.logout();
  });

  it('counts the messages of every folder, in a namespace with a prefix (INBOX.) as in one without', async () => {
    expect(await server.messageCount('john.smith@mydomain.ovh')).toBe(3);
    await server.seed('john.smith@mydomain.ovh', 'INBOX.Projets.Été 2024', [{ raw: 'Subject: a\r\n\r\nx\r\n' }, { raw: 'Subject: b\r\n\r\ny\r\n' }]);
    expect(await server.messageCount('john.smith@mydomain.ovh')).toBe(5);
    const flat = await DovecotServer.start({ separator: '/', prefix: '' });
    try {
      await flat.addUser('jane@mydomain.ovh', { password: 'secret-2' });
      await flat.seed('jane@mydomain.ovh', 'INBOX', [{ raw: 'Subject: 1\r\n\r\n1\r\n' }]);
      await flat.seed('jane@mydomain.ovh', 'Archive/2023', [{ raw: 'Subject: 2\r\n\r\n2\r\n' }, { raw: 'Subject: 3\r\n\r\n3\r\n' }]);
      expect(await flat.messageCount('jane@mydomain.ovh')).toBe(3);
    } finally {
      await flat.destroy();
    }
  });

  it('counts 0 for an account that never received mail, and fails with the reason for an unknown user (never a 0 it did not measure)', async () => {
    await server.addUser('new.hire@mydomain.ovh', { password: 'secret-3' });
    expect(await server.messageCount('new.hire@mydomain.ovh')).toBe(0);
    await expect(server.messageCount('nobody@mydomain.ovh')).rejects.toThrow(/^cannot count the messages of nobody@mydomain\.ovh: .*User doesn't exist/);
  });

  it('names seeded files with both sizes, so RFC822.SIZE is exact (CRLF) without reading the message', async () => {
    const client = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'john.smith@mydomain.ovh', pass: 'secret-1' }, logger: false, doSTARTTLS: false });
    await client.connect();
    const lock = await client.getMailboxLock('INBOX.Éléments envoyés');
    const sizes: Array<[number, number]> = [];
    for await (const m of client.fetch('1:*', { size: true, source: true })) sizes.push([m.size!, m.source!.length]);
    lock.release();
    await client.logout();
    expect(sizes).toEqual([
      [20, 20],
      [37, 37],
    ]);
  });

  it('renames a user with their mail, and refuses the old login', async () => {
    await server.renameUser('john.smith@mydomain.ovh', 'john.smith01@mydomain.ovh');
    const old = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'john.smith@mydomain.ovh', pass: 'secret-1' }, logger: false, doSTARTTLS: false });
    await expect(old.connect()).rejects.toThrow();
    const renamed = new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user: 'john.smith01@mydomain.ovh', pass: 'secret-1' }, logger: false, doSTARTTLS: false });
    await renamed.connect();
    const status = await renamed.status('INBOX', { messages: true });
    expect(status).toMatchObject({ messages: 1 });
    await renamed.logout();
  });

  it('applies changes to several users written back to back: once visible, every new password works, every old one is refused, and sessions opened with an old password are closed', async () => {
    // no failed-login penalty: the refused old passwords below would each cost seconds
    const server = await DovecotServer.start({ separator: '/', prefix: '', authPenalty: false });
    onTestFinished(() => server.destroy());
    const login = (user: string, pass: string) =>
      new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false, doSTARTTLS: false });
    const users = ['a1@mydomain.ovh', 'a2@mydomain.ovh', 'a3@mydomain.ovh', 'a4@mydomain.ovh'];
    for (const user of users) await server.addUser(user, { password: `old-${user}` }, { untilVisible: false });
    await server.untilVisible();
    const open = login(users[0]!, `old-${users[0]}`);
    await open.connect();
    const closed = new Promise<void>((resolve) => open.once('close', () => resolve()));
    // written one after the other without waiting for Dovecot to notice each (as the simulator's services do)
    await Promise.all(users.map((user) => server.setPassword(user, `new-${user}`, { untilVisible: false })));
    await server.untilVisible();
    await closed;
    for (const user of users) {
      const fresh = login(user, `new-${user}`);
      await fresh.connect();
      await fresh.logout();
      await expect(login(user, `old-${user}`).connect()).rejects.toThrow();
    }
  });

  it('lets a new login in at once, even right after a refused attempt under that name (nothing kept for a missing passwd-file); a renamed login too', async () => {
    const server = await DovecotServer.start({ separator: '/', prefix: '', authPenalty: false });
    onTestFinished(() => server.destroy());
    const login = (user: string, pass: string) =>
      new ImapFlow({ host: server.host, port: server.port, secure: false, auth: { user, pass }, logger: false, doSTARTTLS: false });
    for (let i = 0; i < 3; i++) {
      const name = `new${i}@mydomain.ovh`;
      await expect(login(name, 'pw').connect()).rejects.toThrow();
      await server.addUser(name, { password: 'pw' });
      const client = login(name, 'pw');
      await client.connect();
      await client.logout();
    }
    await server.renameUser('new0@mydomain.ovh', 'renamed@mydomain.ovh', { untilVisible: false });
    const renamed = login('renamed@mydomain.ovh', 'pw');
    await renamed.connect();
    await renamed.logout();
    await server.untilVisible();
    await expect(login('new0@mydomain.ovh', 'pw').connect()).rejects.toThrow();
  });
});
