import type { ImapEndpoint } from './endpoint.js';
import type { AppendSession, AppendSessionOptions, OpenAppendSession } from './append/append-session.js';
import { FolderSession } from './fetch/folder-session.js';

interface Closable {
  readonly usable: boolean;
}

/**
 * A connection that reopens on the next `get()` once it has dropped. Users sharing it trigger one reconnection
 * between them; after `close()` or `destroy()` it opens nothing any more.
 */
export class Reconnecting<T extends Closable> {
  private current: T | undefined;
  private connecting: Promise<T> | undefined;
  private closed = false;

  constructor(
    private readonly what: string,
    private readonly connection: { open(): Promise<T>; close(current: T): Promise<void>; destroy(current: T): void },
  ) {}

  async get(): Promise<T> {
    this.assertOpen();
    if (this.current?.usable) return this.current;
    this.connecting ??= this.reconnect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Starts connecting now (in parallel with other work); failures surface on the next get(). */
  warmUp(): void {
    if (!this.closed) this.get().catch(() => undefined);
  }

  /** Drops the connection (after a failure); the next get() reconnects. */
  async reset(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current) this.connection.destroy(current);
  }

  async close(): Promise<void> {
    this.closed = true;
    const current = this.current;
    this.current = undefined;
    if (current) await this.connection.close(current);
  }

  /** Abort path: cut the socket now so pending commands reject at once. */
  destroy(): void {
    this.closed = true;
    if (this.current) this.connection.destroy(this.current);
  }

  private async reconnect(): Promise<T> {
    if (this.current) this.connection.destroy(this.current);
    this.current = undefined;
    const opened = await this.connection.open();
    if (this.closed) {
      this.connection.destroy(opened);
      throw new Error(`${this.what} closed`);
    }
    this.current = opened;
    return opened;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`${this.what} closed`);
  }
}

/** Our own connection for SELECT, streamed FETCH and STORE (see FolderSession). */
export function folderConnection(endpoint: ImapEndpoint, what: string): Reconnecting<FolderSession> {
  return new Reconnecting(what, {
    open: () => FolderSession.open(endpoint),
    close: (session) => session.close(),
    destroy: (session) => session.destroy(),
  });
}

/**
 * One lane of the parallel copy: a source connection (scans and body fetches), an append session on the
 * destination, and a destination connection for scans and STORE (shared with other lanes when the server's
 * connection limit is tight).
 */
export class CopyLane {
  readonly source: Reconnecting<FolderSession>;
  private appendSession: AppendSession | undefined;
  private closed = false;

  constructor(
    readonly id: number,
    from: ImapEndpoint,
    private readonly to: ImapEndpoint,
    private readonly openAppendSession: OpenAppendSession | undefined,
    private readonly appendOptions: AppendSessionOptions,
    readonly destination: Reconnecting<FolderSession>,
  ) {
    this.source = folderConnection(from, `source connection of lane ${id}`);
  }

  async session(): Promise<AppendSession> {
    if (this.closed) throw new Error('copy lane closed');
    if (!this.openAppendSession) throw new Error('no append session opener: this lane only scans');
    this.appendSession ??= await this.openAppendSession(this.to, this.appendOptions);
    return this.appendSession;
  }

  /** Drops the lane's own connections (after a failure); the next call reconnects. */
  async reset(): Promise<void> {
    const session = this.appendSession;
    this.appendSession = undefined;
    await this.source.reset();
    await session?.close().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.appendSession;
    this.appendSession = undefined;
    await Promise.allSettled([this.source.close(), session?.close()]);
  }

  /** Abort path: cut the sockets now so pending commands reject at once. */
  destroy(): void {
    this.closed = true;
    this.source.destroy();
    void this.appendSession?.close().catch(() => undefined);
  }
}
