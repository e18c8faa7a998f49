import { describeEndpoint, isLoopback, type ImapEndpoint } from '../endpoint.js';
import { AWAIT_CONTINUATION, ImapWireConnection, type CommandSegment } from './imap-wire-connection.js';
import { ImapAuthenticationFailed, ImapProtocolError, ImapTimeout, PlaintextLoginRefused } from './imap-errors.js';
import { codeName, parseCapabilities, type ImapResponse } from './imap-response.js';

export interface HandshakeTimeouts {
  /** TCP connect, TLS handshake and the server greeting. */
  greetingMs: number;
  /** STARTTLS, authentication and the capability list. */
  loginMs: number;
}

export interface AuthenticatedConnection {
  connection: ImapWireConnection;
  /** Capabilities after login (servers may advertise more, or less, once authenticated). */
  capabilities: Set<string>;
}

/**
 * Takes an endpoint to an authenticated IMAP connection: transport, greeting, STARTTLS when asked for,
 * the plain-text policy, then AUTHENTICATE PLAIN (or LOGIN), and the post-login capabilities.
 */
export class ImapHandshake {
  /** The connection being greeted, so a timeout can close it; `abandoned` closes one that opens too late. */
  private opened: ImapWireConnection | undefined;
  private abandoned = false;

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly timeouts: HandshakeTimeouts,
  ) {}

  /** Throws PlaintextLoginRefused when this endpoint would send a password in clear to a remote host. */
  static assertPlaintextAllowed(endpoint: ImapEndpoint, reason: string): void {
    if (endpoint.allowPlaintext || isLoopback(endpoint.host)) return;
    throw new PlaintextLoginRefused(
      `refusing to send the password for ${describeEndpoint(endpoint)} unencrypted (${reason}); ` +
        'use imaps:// (port 993) or a server that offers STARTTLS, or allow plain text explicitly (--allow-plaintext)',
    );
  }

  async establish(): Promise<AuthenticatedConnection> {
    if (this.endpoint.security === 'plain') ImapHandshake.assertPlaintextAllowed(this.endpoint, 'security is plain');
    const where = describeEndpoint(this.endpoint);
    const connection = await withTimeout(
      this.connectAndGreet(),
      this.timeouts.greetingMs,
      () => {
        this.abandoned = true;
        this.opened?.destroy();
        return new ImapTimeout(
          `no IMAP greeting from ${where} within ${seconds(this.timeouts.greetingMs)}: check the host and port, and that ` +
            (this.endpoint.security === 'tls' ? 'the port expects implicit TLS (imaps, usually 993)' : 'the port is not an implicit-TLS port (993 needs imaps://)'),
        );
      },
    );
    try {
      const capabilities = await withTimeout(
        this.login(connection.connection, connection.capabilities, connection.preauthenticated),
        this.timeouts.loginMs,
        () => new ImapTimeout(`IMAP login to ${where} did not complete within ${seconds(this.timeouts.loginMs)}`),
      );
      return { connection: connection.connection, capabilities };
    } catch (error) {
      connection.connection.destroy();
      throw error;
    }
  }

  private async connectAndGreet(): Promise<{ connection: ImapWireConnection; capabilities: Set<string> | undefined; preauthenticated: boolean }> {
    const { host, port, ca } = this.endpoint;
    const connection = await ImapWireConnection.open({ host, port, ca }, this.endpoint.security === 'tls');
    this.opened = connection;
    if (this.abandoned) {
      connection.destroy();
      throw new ImapTimeout('connection opened after the greeting timeout');
    }
    let greeting: ImapResponse;
    try {
      greeting = await connection.greeting;
    } catch (error) {
      throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} closed the connection before greeting: ${(error as Error).message}`, { cause: error });
    }
    if (greeting.kind !== 'untagged' || !['OK', 'PREAUTH'].includes(greeting.status ?? '')) {
      connection.destroy();
      const text = greeting.status === 'BYE' ? `refused the connection: ${greeting.text}` : `sent an unexpected greeting: ${greeting.text}`;
      throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} ${text}`);
    }
    const capabilities = codeName(greeting.code) === 'CAPABILITY' ? parseCapabilities(greeting.code!) : undefined;
    return { connection, capabilities, preauthenticated: greeting.status === 'PREAUTH' };
  }

  private async login(connection: ImapWireConnection, announced: Set<string> | undefined, preauthenticated: boolean): Promise<Set<string>> {
    let capabilities = announced ?? (await this.capability(connection));
    if (preauthenticated) return capabilities;
    if (!connection.secure && this.endpoint.security === 'starttls') {
      if (capabilities.has('STARTTLS')) {
        await this.startTls(connection);
        capabilities = await this.capability(connection);
      } else {
        ImapHandshake.assertPlaintextAllowed(this.endpoint, 'the server does not offer STARTTLS');
      }
    }
    if (capabilities.has('LOGINDISABLED')) {
      throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} does not allow logging in on this connection (LOGINDISABLED): use TLS`);
    }
    const response = await connection.command(this.credentials(capabilities));
    if (response.status !== 'OK') {
      const where = describeEndpoint(this.endpoint);
      throw new ImapAuthenticationFailed(
        `IMAP login to ${where} failed (${response.status}${response.code ? ` [${response.code}]` : ''} ${response.text}): ` +
          'check the user name (usually the full e-mail address), the password, and that IMAP access is enabled for this mailbox',
        response.text,
      );
    }
    // Servers usually list the post-login capabilities in the OK; ask otherwise.
    if (codeName(response.code) === 'CAPABILITY') return parseCapabilities(response.code!);
    return this.capability(connection);
  }

  private async startTls(connection: ImapWireConnection): Promise<void> {
    const response = await connection.simple('STARTTLS');
    if (response.status !== 'OK') throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} refused STARTTLS: ${response.text}`);
    await connection.upgradeToTls();
  }

  private async capability(connection: ImapWireConnection): Promise<Set<string>> {
    let found: Set<string> | undefined;
    const stop = connection.onUntagged((untagged) => {
      if (untagged.status === 'CAPABILITY') found = parseCapabilities(untagged.text);
    });
    try {
      const response = await connection.simple('CAPABILITY');
      if (response.status !== 'OK' || !found) throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} did not list its capabilities: ${response.text}`);
      return found;
    } finally {
      stop();
    }
  }

  /** AUTHENTICATE PLAIN carries any UTF-8 user name and password; LOGIN is the fallback. */
  private credentials(capabilities: Set<string>): CommandSegment[] {
    const { user, password } = this.endpoint;
    if (capabilities.has('AUTH=PLAIN')) {
      const token = Buffer.from(`\0${user}\0${password}`, 'utf8').toString('base64');
      if (capabilities.has('SASL-IR')) return [Buffer.from(`AUTHENTICATE PLAIN ${token}\r\n`, 'latin1')];
      return [Buffer.from('AUTHENTICATE PLAIN\r\n', 'latin1'), AWAIT_CONTINUATION, Buffer.from(`${token}\r\n`, 'latin1')];
    }
    return [Buffer.from('LOGIN ', 'latin1'), ...astring(user), Buffer.from(' ', 'latin1'), ...astring(password), Buffer.from('\r\n', 'latin1')];
  }
}

/** A quoted string when it can be one, else a synchronising literal. */
function astring(value: string): CommandSegment[] {
  if (/^[\x20-\x7e]*$/.test(value)) return [Buffer.from(`"${value.replace(/(["\\])/g, '\\$1')}"`, 'latin1')];
  const bytes = Buffer.from(value, 'utf8');
  return [Buffer.from(`{${bytes.length}}\r\n`, 'latin1'), AWAIT_CONTINUATION, bytes];
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

async function withTimeout<T>(
  work: Promise<T>,
  ms: number,
  timeoutError: () => Error,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timeoutError()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
