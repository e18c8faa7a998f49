import { describeEndpoint, isLoopback, type ImapEndpoint } from '../endpoint.js';
import { AWAIT_CONTINUATION, ImapWireConnection, type CommandSegment } from './imap-wire-connection.js';
import {
  ImapAuthenticationFailed,
  ImapCommandFailed,
  ImapConnectFailed,
  ImapConnectionLost,
  ImapProtocolError,
  ImapTimeout,
  LOGIN_TRY_LATER_CODES,
  PlaintextLoginRefused,
  StartTlsDowngradeRefused,
} from './imap-errors.js';
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

  /** The plain-text policy: clear text only to loopback, or anywhere when the user allowed it (--allow-plaintext). */
  static plaintextAllowed(endpoint: ImapEndpoint): boolean {
    return endpoint.allowPlaintext === true || isLoopback(endpoint.host);
  }

  /** Throws PlaintextLoginRefused when this endpoint would send a password in clear to a remote host. */
  static assertPlaintextAllowed(endpoint: ImapEndpoint, reason: string): void {
    if (ImapHandshake.plaintextAllowed(endpoint)) return;
    throw new PlaintextLoginRefused(
      `refusing to send the password for ${describeEndpoint(endpoint)} unencrypted (${reason}); ` +
        'use imaps:// (port 993) or a server that offers STARTTLS, or allow plain text explicitly (--allow-plaintext)',
    );
  }

  /**
   * Errors say what to check and whether a retry can help (`retryable`): ImapTimeout, ImapConnectFailed,
   * ImapAuthenticationFailed, ImapCommandFailed (a login the server defers), PlaintextLoginRefused,
   * StartTlsDowngradeRefused, ImapProtocolError, ImapConnectionLost.
   */
  async establish(): Promise<AuthenticatedConnection> {
    try {
      return await this.handshake();
    } catch (error) {
      // The transport only knows host:port; say which account it was for.
      if (error instanceof ImapConnectFailed) {
        throw new ImapConnectFailed(`cannot log in to ${describeEndpoint(this.endpoint)}: ${error.message}`, { cause: error.cause });
      }
      throw error;
    }
  }

  private async handshake(): Promise<AuthenticatedConnection> {
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
      // The server went away before a word: retryable, unless we cut it over garbage (the lost error says which).
      const retryable = !(error instanceof ImapConnectionLost) || error.retryable;
      throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} closed the connection before greeting: ${(error as Error).message}`, { cause: error, retryable });
    }
    if (greeting.kind !== 'untagged' || !['OK', 'PREAUTH'].includes(greeting.status ?? '')) {
      connection.destroy();
      // A BYE greeting is the server turning connections away for now (too many, shutting down): try later.
      const bye = greeting.status === 'BYE';
      const text = bye ? `refused the connection: ${greeting.text}` : `sent an unexpected greeting: ${greeting.text}`;
      throw new ImapProtocolError(`${describeEndpoint(this.endpoint)} ${text}`, { retryable: bye });
    }
    const preauthenticated = greeting.status === 'PREAUTH';
    if (preauthenticated && !connection.secure && !ImapHandshake.plaintextAllowed(this.endpoint)) {
      // RFC 3501/9051 6.2.1: after PREAUTH, STARTTLS can no longer be negotiated. Someone in the middle answering
      // PREAUTH strips TLS; hang up before writing a single byte.
      connection.destroy();
      throw new StartTlsDowngradeRefused(
        `${describeEndpoint(this.endpoint)} greeted with PREAUTH on an unencrypted connection: the session would be ` +
          'authenticated without TLS and STARTTLS can no longer be negotiated, which is how a machine in the middle ' +
          'strips encryption; refused without sending anything. Use imaps:// on port 993 (implicit TLS); only if this server ' +
          'really pre-authenticates plain connections on a network you trust, allow plain text explicitly (--allow-plaintext)',
      );
    }
    const capabilities = codeName(greeting.code) === 'CAPABILITY' ? parseCapabilities(greeting.code!) : undefined;
    return { connection, capabilities, preauthenticated };
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
    const credentials = this.credentials(capabilities);
    const response = await connection.command(credentials);
    if (response.status !== 'OK') {
      const where = describeEndpoint(this.endpoint);
      const code = codeName(response.code);
      if (code && LOGIN_TRY_LATER_CODES.has(code)) {
        // Not the credentials: the server cannot log anyone in right now (its authentication service is down, or
        // the user has too many connections open, Dovecot's [LIMIT]).
        const verb = commandVerb(credentials);
        throw new ImapCommandFailed(verb, response.status ?? '?', response.text, response.code, {
          retryable: true,
          message:
            `IMAP login to ${where} was deferred by the server (${response.status} [${response.code}] ${response.text}): ` +
            'it cannot log this account in right now (too many connections, or its authentication service is unavailable); retry later',
        });
      }
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

/** `AUTHENTICATE` or `LOGIN`, without the credentials. */
function commandVerb(segments: CommandSegment[]): string {
  const first = segments[0];
  return Buffer.isBuffer(first) && first.toString('latin1').startsWith('AUTHENTICATE') ? 'AUTHENTICATE' : 'LOGIN';
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
