import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import type { ImapEndpoint } from './endpoint.js';
import type { AppendSession, AppendSessionOptions, OpenAppendSession } from './append/append-session.js';
import { closeImap, connectImap } from './imap-client.js';

/**
 * One lane of the parallel copy: a source connection (scans and body fetches), an append session on the
 * destination, and a destination connection for scans and STORE (shared with other lanes when the server's
 * connection limit is tight). Opened lazily and reopened after `reset()` (a dropped connection).
 */
export class CopyLane {
  private sourceClient: ImapFlow | undefined;
  private connecting: Promise<ImapFlow> | undefined;
  private appendSession: AppendSession | undefined;
  private closed = false;

  constructor(
    readonly id: number,
    private readonly from: ImapEndpoint,
    private readonly to: ImapEndpoint,
    private readonly openAppendSession: OpenAppendSession | undefined,
    private readonly appendOptions: AppendSessionOptions,
    readonly destination: ControlConnection,
    private readonly logger?: Logger,
  ) {}

  async source(): Promise<ImapFlow> {
    this.assertOpen();
    if (this.sourceClient?.usable) return this.sourceClient;
    // One connection attempt at a time, so warm-up and first use never open two.
    this.connecting ??= this.connectSource().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Starts connecting now (in parallel with other work); failures surface on the next source() call. */
  warmUp(): void {
    if (!this.closed) this.source().catch(() => undefined);
  }

  private async connectSource(): Promise<ImapFlow> {
    this.sourceClient?.close();
    const client = await connectImap(this.from, this.logger);
    // Primes imapflow's folder cache: otherwise every first SELECT of a folder costs one or two LISTs.
    await client.list({ listOnly: true });
    if (this.closed) {
      client.close();
      throw new Error('copy lane closed');
    }
    this.sourceClient = client;
    return client;
  }

  async session(): Promise<AppendSession> {
    this.assertOpen();
    if (!this.openAppendSession) throw new Error('no append session opener: this lane only scans');
    this.appendSession ??= await this.openAppendSession(this.to, this.appendOptions);
    return this.appendSession;
  }

  /** The clients whose state tells whether an error was a dropped connection. */
  get clients(): Array<{ usable: boolean } | undefined> {
    return [this.sourceClient, this.destination];
  }

  /** Drops both connections (after a failure); the next call reconnects. */
  async reset(): Promise<void> {
    const client = this.sourceClient;
    const session = this.appendSession;
    this.sourceClient = undefined;
    this.appendSession = undefined;
    client?.close();
    await session?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.sourceClient;
    const session = this.appendSession;
    this.sourceClient = undefined;
    this.appendSession = undefined;
    await Promise.allSettled([closeImap(client), session?.close()]);
  }

  /** Abort path: cut the sockets now so pending commands reject at once. */
  destroy(): void {
    this.closed = true;
    this.sourceClient?.close();
    void this.appendSession?.close().catch(() => undefined);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('copy lane closed');
  }
}

/** A destination connection for listing, CREATE, scans, STORE and verification, reopened when dropped. */
export class ControlConnection {
  private client: ImapFlow | undefined;
  private connecting: Promise<ImapFlow> | undefined;
  private closed = false;

  constructor(
    private readonly endpoint: ImapEndpoint,
    private readonly logger?: Logger,
  ) {}

  async get(): Promise<ImapFlow> {
    if (this.closed) throw new Error('control connection closed');
    if (this.client?.usable) return this.client;
    // Lanes may share this connection: one reconnection for all of them.
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<ImapFlow> {
    this.client?.close();
    const client = await connectImap(this.endpoint, this.logger);
    await client.list({ listOnly: true });
    if (this.closed) {
      client.close();
      throw new Error('control connection closed');
    }
    this.client = client;
    return client;
  }

  get usable(): boolean {
    return this.client?.usable ?? true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await closeImap(this.client);
    this.client = undefined;
  }

  destroy(): void {
    this.closed = true;
    this.client?.close();
  }
}
