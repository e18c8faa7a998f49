import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { freePort } from '../../../src/sandbox/free-port.js';
import { openAppendSession } from '../../../src/imap/append/open-append-session.js';
import { ImapConnectionLost } from '../../../src/imap/wire/imap-errors.js';
import { ImapAuthenticationFailed, ImapConnectFailed, ImapProtocolError, ImapTimeout, isRetryable, PlaintextLoginRefused } from '../../../src/imap/wire/imap-errors.js';
import { endpointOf, fetchAll, item } from './support.js';

const USER = 'conn@example.org';
const PASSWORD = 'secret';

/** A TCP server on loopback that runs `onConnection` for each client (a misbehaving IMAP server). */
async function fakeServer(onConnection: (socket: Socket) => void): Promise<{ port: number; server: Server; sockets: Socket[] }> {
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server, sockets };
}

async function stopFake(fake: { server: Server; sockets: Socket[] }): Promise<void> {
  for (const socket of fake.sockets) socket.destroy();
  await new Promise((resolve) => fake.server.close(resolve));
}

describe('connection security, login and loss', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await DovecotServer.start({ tls: true });
    await server.addUser(USER, { password: PASSWORD });
  });
  afterAll(async () => server?.destroy());

  it('upgrades with STARTTLS and trusts the given CA', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD, { security: 'starttls', ca: server.caCertificate }));
    expect(session.mode).toBe('multiappend');
    expect((await session.append('INBOX', [item('starttls-1'), item('starttls-2')])).every((o) => o.ok)).toBe(true);
    await session.close();
  });

  it('speaks implicit TLS on the TLS port', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD, { security: 'tls', port: server.tlsPort!, ca: server.caCertificate }));
    expect((await session.append('INBOX', [item('tls-1')])).every((o) => o.ok)).toBe(true);
    await session.close();
    const landed = await fetchAll(server, USER, PASSWORD, 'INBOX');
    expect(landed.map((m) => m.raw.toString()).filter((r) => /starttls-|tls-1/.test(r))).toHaveLength(3);
  });

  it('refuses an untrusted certificate with a hint, as final', async () => {
    const error = await openAppendSession(endpointOf(server, USER, PASSWORD, { security: 'tls', port: server.tlsPort! })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^cannot log in to imaps:\/\/conn%40example\.org@127\.0\.0\.1:\d+: TLS connection to 127\.0\.0\.1:\d+ failed .*certificate is not trusted/);
    expect(error).toBeInstanceOf(ImapConnectFailed);
    expect(isRetryable(error)).toBe(false);
  });

  it('says to check the port when TLS meets a plain-text port, as final', async () => {
    const error = await openAppendSession(endpointOf(server, USER, PASSWORD, { security: 'tls', ca: server.caCertificate })).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/does not speak TLS/);
    expect(isRetryable(error)).toBe(false);
  });

  it('times out, with a hint, when plain text meets an implicit-TLS port', async () => {
    await expect(
      openAppendSession(endpointOf(server, USER, PASSWORD, { port: server.tlsPort! }), { greetingTimeoutMs: 500 }),
    ).rejects.toThrow(ImapTimeout);
  });

  it('says what to check when the password is wrong', async () => {
    const error = await openAppendSession(endpointOf(server, USER, 'wrong')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImapAuthenticationFailed);
    expect((error as Error).message).toMatch(/login to imap:\/\/conn%40example\.org@127\.0\.0\.1:\d+ failed \(NO \[AUTHENTICATIONFAILED\].*check the user name/);
    expect((error as Error).message).not.toContain('wrong');
    expect(isRetryable(error)).toBe(false);
  });

  it('rejects every pending append with ImapConnectionLost when the server kicks the user, without hanging', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD), { batchSize: 20, maxInFlightBytes: 256 * 1024 });
    await server.createFolder(USER, 'kicked');
    let landed = 0;
    const outstanding: Promise<void>[] = [];
    const failures: unknown[] = [];
    const kicker = (async () => {
      while (landed < 200) await new Promise((resolve) => setTimeout(resolve, 5));
      await server.kick(USER);
    })();
    const started = Date.now();
    for (let batch = 0; failures.length === 0 && Date.now() - started < 20_000; batch++) {
      await session.ready!();
      const items = Array.from({ length: 20 }, (_, i) => item(`kick-${batch}-${i}`, { bodyBytes: 2_000 }));
      // Like a real caller, observe every call's outcome as soon as it is made.
      const work = session.append('kicked', items).then(
        (outcomes) => void (landed += outcomes.length),
        (error: unknown) => void failures.push(error),
      );
      outstanding.push(work);
      if (outstanding.length >= 4) await outstanding.shift();
    }
    await kicker;
    await Promise.all(outstanding);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure).toBeInstanceOf(ImapConnectionLost);
    for (const failure of failures) expect(isRetryable(failure)).toBe(true);
    expect((failures[0] as Error).message).toMatch(/lost: /);
    await expect(session.append('kicked', [item('after')])).rejects.toBeInstanceOf(ImapConnectionLost);
    await session.close();
  });

  it('close() resolves when the server is already gone', async () => {
    const session = await openAppendSession(endpointOf(server, USER, PASSWORD));
    await server.kick(USER);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await session.close();
  });
});

describe('login policy and misbehaving servers (no Dovecot)', () => {
  const remote = { host: '192.0.2.10', port: 143, user: 'john.smith@mydomain.ovh', password: 'x' } as const;

  it('refuses a plain-text login to a non-loopback host before connecting', async () => {
    const error = await openAppendSession({ ...remote, security: 'plain' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlaintextLoginRefused);
    expect((error as Error).message).toMatch(/unencrypted .*imaps:\/\/.*--allow-plaintext/);
    expect(isRetryable(error)).toBe(false);
  });

  it('lets allowPlaintext through the check (then fails to connect, not to policy)', async () => {
    const fake = await fakeServer((socket) => socket.end('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n'));
    const error = await openAppendSession({ ...remote, host: '127.0.0.1', port: fake.port, security: 'plain', allowPlaintext: true }).catch((e: unknown) => e);
    expect(error).not.toBeInstanceOf(PlaintextLoginRefused);
    await stopFake(fake);
  });

  it('says to check the host and port when nothing listens, as retryable', async () => {
    const port = await freePort();
    const error = await openAppendSession({ ...remote, host: '127.0.0.1', port, security: 'plain' }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/cannot connect to 127\.0\.0\.1:\d+ \(connect ECONNREFUSED.*\): check the host and port/);
    expect(error).toBeInstanceOf(ImapConnectFailed);
    expect(isRetryable(error)).toBe(true);
  });

  it('times out when the server never greets', async () => {
    const fake = await fakeServer(() => undefined);
    const started = Date.now();
    const error = await openAppendSession({ ...remote, host: '127.0.0.1', port: fake.port, security: 'plain' }, { greetingTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImapTimeout);
    expect((error as Error).message).toMatch(/no IMAP greeting from .* within 0\.3 s: check the host and port/);
    expect(isRetryable(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    await stopFake(fake);
  });

  it('times out when login never completes', async () => {
    const fake = await fakeServer((socket) => socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN SASL-IR] hi\r\n'));
    const error = await openAppendSession({ ...remote, host: '127.0.0.1', port: fake.port, security: 'plain' }, { loginTimeoutMs: 300 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImapTimeout);
    expect((error as Error).message).toMatch(/login .* did not complete within 0\.3 s/);
    expect(isRetryable(error)).toBe(true);
    await stopFake(fake);
  });

  it('reports a server that refuses the connection in its greeting', async () => {
    const fake = await fakeServer((socket) => socket.end('* BYE Too many connections\r\n'));
    await expect(openAppendSession({ ...remote, host: '127.0.0.1', port: fake.port, security: 'plain' })).rejects.toThrow(
      /refused the connection: Too many connections/,
    );
    await stopFake(fake);
  });

  it('refuses a LOGINDISABLED server (final) and a connection closed before the greeting (retryable)', async () => {
    const disabled = await fakeServer((socket) => socket.write('* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] hi\r\n'));
    const refused = await openAppendSession({ ...remote, host: '127.0.0.1', port: disabled.port, security: 'plain' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ImapProtocolError);
    expect(isRetryable(refused)).toBe(false);
    await stopFake(disabled);
    const closing = await fakeServer((socket) => socket.destroy());
    const closed = await openAppendSession({ ...remote, host: '127.0.0.1', port: closing.port, security: 'plain' }).catch((e: unknown) => e);
    expect((closed as Error).message).toMatch(/before greeting/);
    expect(isRetryable(closed)).toBe(true);
    await stopFake(closing);
  });

  it('checks the certificate against the host after STARTTLS, not against anything else', async () => {
    const other = await generate([{ name: 'commonName', value: 'other.example' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'other.example' }] }],
    });
    const fake = await fakeServer((socket) => {
      socket.write('* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] hi\r\n');
      socket.once('data', (line: Buffer) => {
        const tag = line.toString().split(' ')[0];
        socket.write(`${tag} OK begin TLS\r\n`);
        const secure = new TLSSocket(socket, { isServer: true, cert: other.cert, key: other.private });
        secure.on('error', () => undefined);
      });
    });
    const error = await openAppendSession({ ...remote, host: '127.0.0.1', port: fake.port, security: 'starttls', ca: other.cert }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/TLS connection to 127\.0\.0\.1:\d+ failed .*not trusted for this host/);
    await stopFake(fake);
  });

  it('refuses plain text when a remote server does not offer STARTTLS', async () => {
    // ::ffff:127.0.0.1 reaches loopback but is not a loopback name, so it stands in for a remote host here.
    const fake = await fakeServer((socket) => socket.write('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n'));
    const error = await openAppendSession({ ...remote, host: '::ffff:127.0.0.1', port: fake.port, security: 'starttls' }).catch((e: unknown) => e);
    await stopFake(fake);
    if (/EADDRNOTAVAIL|EAFNOSUPPORT|ENETUNREACH/.test(String(error))) return; // no IPv6 on this machine
    expect(error).toBeInstanceOf(PlaintextLoginRefused);
    expect((error as Error).message).toMatch(/does not offer STARTTLS/);
    expect(isRetryable(error)).toBe(false);
  });
});
