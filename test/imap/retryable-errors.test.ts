import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DovecotServer } from '../../src/sandbox/dovecot.js';
import { freePort } from '../../src/sandbox/free-port.js';
import {
  copyMailbox,
  ImapAuthenticationFailed,
  ImapCommandFailed,
  ImapConnectFailed,
  ImapConnectionLost,
  ImapProtocolError,
  ImapResponseUnreadable,
  ImapTimeout,
  isRetryable,
  QuotaExceededError,
  StartTlsDowngradeRefused,
  type ImapEndpoint,
} from '../../src/imap/index.js';
import { FolderSession } from '../../src/imap/fetch/folder-session.js';
import { openAppendSession } from '../../src/imap/append/open-append-session.js';
import { ScriptedImapServer, type Script } from './append/scripted-imap-server.js';
import { endpointOf, seedMessages, startServer } from './support.js';

/**
 * What leaves the copier says by its type whether a later run can help (`retryable`): the job queue retries on
 * that, never on the wording of a message.
 */

const CAPABILITIES = 'IMAP4rev1 AUTH=PLAIN SASL-IR';
let scripted: ScriptedImapServer | undefined;
afterEach(async () => {
  await scripted?.stop();
  scripted = undefined;
});

async function script(overrides: Partial<Script> = {}): Promise<ScriptedImapServer> {
  scripted = await ScriptedImapServer.start({ capabilities: CAPABILITIES, onCommand: () => undefined, ...overrides });
  return scripted;
}

const local = (port: number, extra: Partial<ImapEndpoint> = {}): ImapEndpoint => ({ host: '127.0.0.1', port, security: 'plain', user: 'u', password: 'p', ...extra });

const failure = (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );

describe('the retry verdict of handshake and command errors (scripted server)', () => {
  it('a login the server never answers times out as retryable, on scan and append connections alike', async () => {
    const server = await script({ onLogin: () => undefined });
    const scan = await failure(FolderSession.open(local(server.port), { loginTimeoutMs: 300 }));
    expect(scan).toBeInstanceOf(ImapTimeout);
    expect((scan as Error).message).toMatch(/login to imap:\/\/u@127\.0\.0\.1:\d+ did not complete within 0\.3 s/);
    expect(isRetryable(scan)).toBe(true);
    const append = await failure(openAppendSession(local(server.port), { loginTimeoutMs: 300 }));
    expect(append).toBeInstanceOf(ImapTimeout);
    expect(isRetryable(append)).toBe(true);
  });

  it('a login refused for the credentials is final; one deferred by the server ([LIMIT], [UNAVAILABLE]) is retryable', async () => {
    let answer = 'NO [AUTHENTICATIONFAILED] Authentication failed.';
    const server = await script({ onLogin: (command, socket) => void socket.write(`${command.tag} ${answer}\r\n`) });
    const refused = await failure(FolderSession.open(local(server.port)));
    expect(refused).toBeInstanceOf(ImapAuthenticationFailed);
    expect(isRetryable(refused)).toBe(false);

    answer = 'NO [LIMIT] Maximum number of connections from user+IP exceeded (mail_max_userip_connections=10)';
    const limited = await failure(FolderSession.open(local(server.port)));
    expect(limited).toBeInstanceOf(ImapCommandFailed);
    expect(limited).toMatchObject({ command: 'AUTHENTICATE', code: 'LIMIT' });
    expect((limited as Error).message).toMatch(/login to imap:\/\/u@127\.0\.0\.1:\d+ was deferred .*Maximum number of connections.*retry later/);
    expect(isRetryable(limited)).toBe(true);

    answer = 'NO [UNAVAILABLE] Temporary authentication failure.';
    expect(isRetryable(await failure(openAppendSession(local(server.port))))).toBe(true);
  });

  it('a command refused NO is final unless its RFC 5530 code means "try later"', async () => {
    const answers: Record<string, string> = {
      '"Locked"': 'NO [INUSE] Mailbox is locked by another session',
      '"Down"': 'NO [UNAVAILABLE] Storage backend unavailable',
      '"Buggy"': 'NO [SERVERBUG] Internal error occurred. Refer to server log for more information.',
      '"Gone"': 'NO [NONEXISTENT] Mailbox does not exist',
      '"Full"': 'NO [LIMIT] Too many flags in this mailbox',
      '"Plain"': 'NO Permission denied',
    };
    const server = await script({ onCommand: (command, socket) => void socket.write(`${command.tag} ${answers[command.text.split(' ')[1]!] ?? 'OK done'}\r\n`) });
    const session = await FolderSession.open(local(server.port));
    try {
      const verdicts: Record<string, boolean | undefined> = {};
      for (const name of Object.keys(answers)) {
        const error = await failure(session.command(`SELECT ${name}`));
        expect(error).toBeInstanceOf(ImapCommandFailed);
        verdicts[name] = isRetryable(error);
      }
      expect(verdicts).toEqual({ '"Locked"': true, '"Down"': true, '"Buggy"': true, '"Gone"': false, '"Full"': false, '"Plain"': false });
    } finally {
      session.destroy();
    }
  });

  it('a server turning connections away (BYE greeting, closed at once) is retryable; a garbage greeting is not', async () => {
    let server = await script({ greeting: '* BYE Too many connections, try later' });
    const bye = await failure(openAppendSession(local(server.port)));
    expect(bye).toBeInstanceOf(ImapProtocolError);
    expect(isRetryable(bye)).toBe(true);
    await server.stop();

    server = await script({ greeting: 'HTTP/1.1 400 Bad Request' });
    const garbage = await failure(openAppendSession(local(server.port)));
    expect(garbage).toBeInstanceOf(ImapProtocolError);
    expect((garbage as Error).message).toMatch(/unexpected greeting/);
    expect(isRetryable(garbage)).toBe(false);
  });

  it('a connection we cut because the server sent garbage fails as unreadable, naming the command and the line; not retryable', async () => {
    // A literal of 1 TB: more than any response we accept, so the reader gives up on the connection.
    const server = await script({ onCommand: (command, socket) => void socket.write('* 1 FETCH (BODY[] {999999999999}\r\n') });
    const session = await FolderSession.open(local(server.port));
    const error = await failure(session.command('NOOP'));
    expect(error).toBeInstanceOf(ImapResponseUnreadable);
    expect(error).not.toBeInstanceOf(ImapConnectionLost);
    expect((error as Error).message).toMatch(/^127\.0\.0\.1:\d+ answered NOOP with a response this client cannot read \(it announces a 999999999999-byte literal, more than the \d+ accepted\): "\* 1 FETCH \(BODY\[\] \{999999999999\}"/);
    expect(isRetryable(error)).toBe(false);
    expect(session.usable).toBe(false);
  });
});

describe('STARTTLS downgrade', () => {
  // ::ffff:127.0.0.1 reaches loopback but is not a loopback name: it stands in for a remote host, for which the
  // plain-text policy requires TLS.
  const remote = (port: number): ImapEndpoint => ({ host: '::ffff:127.0.0.1', port, security: 'starttls', user: 'u', password: 'p' });

  it('refuses a PREAUTH greeting on a plain connection that must be upgraded, without sending a byte', async () => {
    const server = await script({ greeting: '* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] logged in as u already' });
    const error = await failure(openAppendSession(remote(server.port)));
    if (/EADDRNOTAVAIL|EAFNOSUPPORT|ENETUNREACH/.test(String(error))) return; // no IPv6 on this machine
    expect(error).toBeInstanceOf(StartTlsDowngradeRefused);
    expect((error as Error).message).toMatch(/greeted with PREAUTH on an unencrypted connection.*STARTTLS can no longer be negotiated.*Use imaps:\/\/ on port 993/);
    expect(isRetryable(error)).toBe(false);
    const scan = await failure(FolderSession.open(remote(server.port)));
    expect(scan).toBeInstanceOf(StartTlsDowngradeRefused);
    expect(server.bytesReceived).toBe(0);
    expect(server.received).toEqual([]);
  });

  it('still accepts PREAUTH where the policy allows plain text (loopback, --allow-plaintext)', async () => {
    const server = await script({ greeting: `* PREAUTH [CAPABILITY ${CAPABILITIES}] logged in as u already` });
    const onLoopback = await openAppendSession(local(server.port, { security: 'starttls' }));
    await onLoopback.close();
    const allowed = await openAppendSession({ ...remote(server.port), allowPlaintext: true }).catch((error: unknown) => error);
    if (/EADDRNOTAVAIL|EAFNOSUPPORT|ENETUNREACH/.test(String(allowed))) return;
    expect(allowed).not.toBeInstanceOf(Error);
    await (allowed as Awaited<ReturnType<typeof openAppendSession>>).close();
    // Nothing was ever logged in: PREAUTH means the session is authenticated already.
    expect(server.received.filter((command) => /^(LOGIN|AUTHENTICATE)/i.test(command.text))).toEqual([]);
  });
});

describe('the retry verdict of copyMailbox', () => {
  let server: DovecotServer;
  const FROM = 'retry-source@example.org';
  const SMALL = 'retry-small@example.org';

  beforeAll(async () => {
    server = await startServer({ separator: '/' }, [{ name: FROM }, { name: SMALL, quotaBytes: 20 * 1024 }]);
    await server.seed(FROM, 'INBOX', seedMessages(10, 'quota', {}, 5000));
  });
  afterAll(async () => server?.destroy());

  it('a destination quota too small is final', async () => {
    const error = await failure(copyMailbox({ from: endpointOf(server, FROM), to: endpointOf(server, SMALL) }));
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(isRetryable(error)).toBe(false);
  });

  it('a connection refused (nothing listens) is retryable and names the account', async () => {
    const closed = await freePort();
    const error = await failure(copyMailbox({ from: { ...endpointOf(server, FROM), port: closed }, to: endpointOf(server, SMALL), maxReconnects: 0 }));
    expect(error).toBeInstanceOf(ImapConnectFailed);
    expect((error as Error).message).toMatch(/cannot log in to imap:\/\/retry-source%40example\.org@127\.0\.0\.1:\d+: cannot connect to .*ECONNREFUSED.*check the host and port/);
    expect(isRetryable(error)).toBe(true);
  });

  // Last: Dovecot slows down logins from an address after a failed one.
  it('a wrong password is final', async () => {
    const error = await failure(copyMailbox({ from: { ...endpointOf(server, FROM), password: 'not-the-password' }, to: endpointOf(server, SMALL) }));
    expect(error).toBeInstanceOf(ImapAuthenticationFailed);
    expect((error as Error).message).toMatch(/login to imap:\/\/retry-source%40example\.org@127\.0\.0\.1:\d+ failed \(NO \[AUTHENTICATIONFAILED\]/);
    expect(isRetryable(error)).toBe(false);
  });
});
