import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import { trustingSystemRootsAnd } from '../../config/trusted-ca.js';
import { ImapConnectFailed, ImapConnectionLost, ImapProtocolError, ImapResponseUnreadable, quoteServerLine } from './imap-errors.js';
import { commandVerb, parseResponse, type ImapResponse } from './imap-response.js';
import { FramingError, ResponseReader } from './response-reader.js';
import { unreadableResponse } from './response-cursor.js';

const READ_BUFFER_BYTES = 64 * 1024;

/** In a command's segments: stop writing until the server sends a `+` continuation request. */
export const AWAIT_CONTINUATION: unique symbol = Symbol('await continuation');
export type CommandSegment = Buffer | typeof AWAIT_CONTINUATION;

export interface WireAddress {
  host: string;
  port: number;
  /** Extra CA (PEM) to trust besides the system's. */
  ca?: string;
}

interface PendingCommand {
  tag: string;
  segments: CommandSegment[];
  settled: boolean;
  resolve(response: ImapResponse): void;
  reject(error: Error): void;
}

/**
 * One IMAP connection: TCP or TLS, a serial writer that pipelines tagged commands (each written whole before
 * the next, pausing only where a command waits for a continuation request), and a dispatcher that settles each
 * command from its tagged response. It knows nothing of what the commands mean.
 */
export class ImapWireConnection {
  private socket: Socket | TLSSocket;
  private reader = new ResponseReader();
  private readonly writeQueue: PendingCommand[] = [];
  private readonly awaitingResponse = new Map<string, PendingCommand>();
  private writing = false;
  private continuation: { command: PendingCommand; proceed(go: boolean): void } | undefined;
  private tagCounter = 0;
  private lostError: ImapConnectionLost | undefined;
  private readonly lostSignal: Promise<void>;
  private signalLost!: () => void;
  private byeText: string | undefined;
  private readonly untaggedListeners = new Set<(response: ImapResponse, raw: Buffer) => void>();
  private greetingSettlers: { resolve(r: ImapResponse): void; reject(e: Error): void } | undefined;
  readonly greeting: Promise<ImapResponse>;
  private responseTimeoutMs = 0;
  private loggingOut = false;

  private constructor(
    socket: Socket | TLSSocket,
    readonly address: WireAddress,
    private secureTransport: boolean,
    dataEvents: boolean,
  ) {
    this.socket = socket;
    this.lostSignal = new Promise((resolve) => (this.signalLost = resolve));
    this.greeting = new Promise((resolve, reject) => (this.greetingSettlers = { resolve, reject }));
    this.greeting.catch(() => undefined);
    this.bind(socket, dataEvents);
  }

  /**
   * Opens TCP (and TLS when `tls`), resolving once the transport is up; the greeting follows in `greeting`.
   * Rejects with ImapConnectFailed (retryable for network trouble, not for TLS that cannot be trusted).
   */
  static async open(address: WireAddress, tls: boolean): Promise<ImapWireConnection> {
    const where = `${address.host}:${address.port}`;
    // Reads land in one reused buffer (the reader copies what it keeps), not in a fresh 64 KiB Buffer per read:
    // a copy moves hundreds of MB, and that garbage is what made the process grow with the mailbox.
    let opened: ImapWireConnection | undefined;
    const early: Buffer[] = [];
    const onread = {
      buffer: Buffer.allocUnsafeSlow(READ_BUFFER_BYTES),
      callback: (bytes: number, buffer: Uint8Array) => {
        const chunk = Buffer.from(buffer.buffer, buffer.byteOffset, bytes);
        if (opened) opened.receive(chunk);
        else early.push(Buffer.from(chunk));
        return true;
      },
    };
    const socket = tls
      ? connectTls({ port: address.port, ...tlsOptions(address), onread } as ConnectionOptions)
      : connectTcp({ host: address.host, port: address.port, onread });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        socket.destroy();
        reject(tls ? describeTlsFailure(error, where) : new ImapConnectFailed(`cannot connect to ${where} (${error.message}): check the host and port`, { cause: error }));
      };
      socket.once('error', fail);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        socket.removeListener('error', fail);
        socket.on('error', () => undefined); // until the connection binds its own handler, an error must not crash
        resolve();
      });
    });
    socket.setKeepAlive(true, 30_000);
    socket.setNoDelay(true);
    opened = new ImapWireConnection(socket, address, tls, false);
    for (const chunk of early) opened.receive(chunk);
    return opened;
  }

  get secure(): boolean {
    return this.secureTransport;
  }

  get where(): string {
    return `${this.address.host}:${this.address.port}`;
  }

  /** Set once the connection is gone; every later command rejects with it. */
  get lost(): ImapConnectionLost | undefined {
    return this.lostError;
  }

  /** Commands written or queued whose tagged response has not arrived. */
  get pendingCommands(): number {
    return this.awaitingResponse.size;
  }

  /** While commands are pending, a silence this long from the server counts as a lost connection (0: never). */
  setResponseTimeout(ms: number): void {
    this.responseTimeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  onLost(listener: (error: ImapConnectionLost) => void): void {
    void this.lostSignal.then(() => listener(this.lostError!));
  }

  /**
   * Stops reading from the socket (TCP backpressure reaches the server) until resume(): a consumer of streamed
   * untagged responses (FETCH bodies) calls it when it holds as much as it should.
   */
  pause(): void {
    this.socket.pause();
    // The server is silent because we stopped reading, not because it is gone.
    this.socket.setTimeout(0);
  }

  resume(): void {
    this.socket.setTimeout(this.responseTimeoutMs);
    this.socket.resume();
  }

  /** `raw` (the response's bytes, literals included) is valid only during the call: copy what you keep. */
  onUntagged(listener: (response: ImapResponse, raw: Buffer) => void): () => void {
    this.untaggedListeners.add(listener);
    return () => this.untaggedListeners.delete(listener);
  }

  /**
   * Queues a command (without tag: this adds it) and resolves with its tagged response, whatever its status.
   * Rejects with ImapConnectionLost when the connection goes away, or with ImapResponseUnreadable when it was
   * closed because the server sent something this client cannot read.
   */
  command(segments: CommandSegment[]): Promise<ImapResponse> {
    if (this.lostError) return Promise.reject(this.lostError);
    const tag = `A${++this.tagCounter}`;
    return new Promise<ImapResponse>((resolve, reject) => {
      const command: PendingCommand = { tag, segments, settled: false, resolve, reject };
      this.awaitingResponse.set(tag, command);
      this.writeQueue.push(command);
      void this.pump();
    });
  }

  /** A one-line command without literals, e.g. `CAPABILITY`. */
  simple(line: string): Promise<ImapResponse> {
    return this.command([Buffer.from(`${line}\r\n`, 'utf8')]);
  }

  /** LOGOUT: the BYE that precedes its OK is expected, not a loss. */
  logout(): Promise<ImapResponse> {
    this.loggingOut = true;
    return this.simple('LOGOUT');
  }

  /**
   * Switches to TLS after the server accepted STARTTLS. Anything the server sent after its OK would have come
   * in plain text: refuse it (RFC 3501 section 6.2.1, response injection).
   */
  async upgradeToTls(): Promise<void> {
    if (this.reader.buffered > 0) throw new ImapProtocolError(`${this.where} sent data after accepting STARTTLS; refusing the connection`);
    const plain = this.socket;
    plain.removeAllListeners('data');
    plain.removeAllListeners('close');
    plain.removeAllListeners('timeout');
    const tls = connectTls({ socket: plain, ...tlsOptions(this.address) });
    await new Promise<void>((resolve, reject) => {
      const fail = (error: Error) => {
        tls.destroy();
        reject(describeTlsFailure(error, this.where));
      };
      tls.once('error', fail);
      tls.once('secureConnect', () => {
        tls.removeListener('error', fail);
        resolve();
      });
    }).catch((error: Error) => {
      this.markLost(error);
      throw error;
    });
    plain.removeAllListeners('error');
    plain.on('error', () => undefined);
    this.socket = tls;
    this.secureTransport = true;
    this.reader = new ResponseReader();
    // Wrapping an existing socket ignores `onread`: this one delivers 'data' events.
    this.bind(tls, true);
  }

  /** Closes the socket now; pending commands reject with ImapConnectionLost. */
  destroy(cause?: Error): void {
    this.markLost(cause);
    this.socket.destroy();
  }

  private bind(socket: Socket | TLSSocket, dataEvents: boolean): void {
    if (dataEvents) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error: Error) => this.destroy(error));
    socket.on('close', () => this.markLost());
    socket.on('timeout', () => {
      if (this.awaitingResponse.size > 0) {
        this.destroy(new Error(`no response from the server for ${Math.round(this.responseTimeoutMs / 1000)} s`));
      }
    });
    if (this.responseTimeoutMs) socket.setTimeout(this.responseTimeoutMs);
  }

  private receive(chunk: Buffer): void {
    if (this.lostError) return;
    try {
      this.reader.push(chunk, (raw) => {
        if (!this.lostError) this.dispatch(parseResponse(raw), raw);
      });
    } catch (error) {
      // The stream cannot be framed, or a listener could not read a response: either way nothing on this connection
      // can be trusted any more. Close it, and tell the commands waiting on it why (not a mere loss: no reconnecting).
      const unreadable =
        error instanceof ImapResponseUnreadable
          ? error
          : error instanceof FramingError
            ? new ImapResponseUnreadable(this.where, this.pendingVerbs(), error.message, quoteServerLine(error.head), { cause: error })
            : new ImapResponseUnreadable(this.where, this.pendingVerbs(), (error as Error)?.message ?? String(error), '(no line)', { cause: error });
      this.destroy(unreadable);
    }
  }

  /** The verbs of the commands waiting for an answer (`UID FETCH`, `APPEND`), for error messages. */
  private pendingVerbs(): string | undefined {
    const verbs = new Set<string>();
    for (const command of this.awaitingResponse.values()) {
      const first = command.segments[0];
      if (Buffer.isBuffer(first)) verbs.add(commandVerb(first.toString('latin1', 0, Math.min(first.length, 64))));
    }
    return verbs.size > 0 ? [...verbs].join(', ') : undefined;
  }

  private dispatch(response: ImapResponse, raw: Buffer): void {
    if (this.greetingSettlers) {
      const { resolve } = this.greetingSettlers;
      this.greetingSettlers = undefined;
      resolve(response);
      return;
    }
    if (response.kind === 'continuation') {
      const waiting = this.continuation;
      this.continuation = undefined;
      waiting?.proceed(true);
      return;
    }
    if (response.kind === 'tagged') {
      const command = this.awaitingResponse.get(response.tag!);
      if (!command) return;
      this.awaitingResponse.delete(command.tag);
      command.settled = true;
      if (this.continuation?.command === command) {
        const waiting = this.continuation;
        this.continuation = undefined;
        waiting.proceed(false);
      }
      command.resolve(response);
      return;
    }
    for (const listener of this.untaggedListeners) {
      try {
        listener(response, raw);
      } catch (error) {
        throw error instanceof ImapResponseUnreadable ? error : unreadableResponse(this.where, this.pendingVerbs(), raw, error);
      }
    }
    if (response.status === 'BYE' && !this.loggingOut) {
      // No tagged response will follow a BYE: do not wait for the server to close the socket.
      this.byeText = response.text;
      this.destroy();
    }
  }

  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.writeQueue.length > 0 && !this.lostError) {
        await this.write(this.writeQueue.shift()!);
      }
    } catch (error) {
      this.destroy(error as Error);
    } finally {
      this.writing = false;
    }
  }

  private async write(command: PendingCommand): Promise<void> {
    const socket = this.socket;
    let full = false;
    socket.cork();
    full = !socket.write(`${command.tag} `, 'latin1');
    for (const segment of command.segments) {
      if (this.lostError) return;
      if (segment !== AWAIT_CONTINUATION) {
        if (!socket.write(segment)) full = true;
        continue;
      }
      socket.uncork();
      // The server may refuse the command instead of inviting the literal: then the rest is not sent.
      if (!(await this.continuationFor(command))) return;
      socket.cork();
    }
    socket.uncork();
    if (full && !this.lostError) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), this.lostSignal]);
  }

  private continuationFor(command: PendingCommand): Promise<boolean> {
    if (command.settled || this.lostError) return Promise.resolve(false);
    return new Promise((proceed) => (this.continuation = { command, proceed }));
  }

  private markLost(cause?: Error): void {
    if (this.lostError) return;
    const detail = this.byeText !== undefined ? `the server said "${this.byeText}"` : cause ? cause.message : 'the server closed it';
    this.lostError = new ImapConnectionLost(`IMAP connection to ${this.where} lost: ${detail}`, { cause });
    this.signalLost();
    this.greetingSettlers?.reject(this.lostError);
    this.greetingSettlers = undefined;
    this.continuation?.proceed(false);
    this.continuation = undefined;
    this.writeQueue.length = 0;
    const pending = [...this.awaitingResponse.values()];
    this.awaitingResponse.clear();
    // Cut because the server's answer cannot be read: the waiting commands fail with that, not with a mere loss.
    const rejection = cause instanceof ImapProtocolError && !cause.retryable ? cause : this.lostError;
    for (const command of pending) {
      command.settled = true;
      command.reject(rejection);
    }
  }
}

/** The certificate is checked against `host` (also on a STARTTLS upgrade, where no host is passed otherwise). */
function tlsOptions(address: WireAddress): { host: string; servername?: string; secureContext?: SecureContext } {
  return {
    host: address.host,
    servername: isIP(address.host) ? undefined : address.host,
    ...(address.ca ? { secureContext: trustingSystemRootsAnd(address.ca) } : {}),
  };
}

function describeTlsFailure(error: Error, where: string): ImapConnectFailed {
  const code = (error as NodeJS.ErrnoException).code ?? '';
  let hint = '';
  if (/wrong version number|unknown protocol|packet length too long/i.test(error.message)) {
    hint = ': the port does not speak TLS; use imaps:// with port 993, or imap:// (STARTTLS) with port 143';
  } else if (/CERT|SELF_SIGNED|UNABLE_TO|ALTNAME|HOSTNAME/i.test(code + error.message)) {
    hint = ': the server certificate is not trusted for this host; check the host name, or give its CA certificate (IMAP_CA_FILE)';
  } else if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT/.test(code)) {
    hint = ': check the host and port';
  }
  return new ImapConnectFailed(`TLS connection to ${where} failed (${error.message})${hint}`, { cause: error });
}
