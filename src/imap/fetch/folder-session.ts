import type { ImapEndpoint } from '../endpoint.js';
import { ImapHandshake } from '../wire/imap-handshake.js';
import { ImapCommandFailed, type ImapResponseUnreadable } from '../wire/imap-errors.js';
import { mailboxArgument } from '../wire/imap-syntax.js';
import { commandVerb, type ImapResponse } from '../wire/imap-response.js';
import { unreadableResponse } from '../wire/response-cursor.js';
import type { ImapWireConnection } from '../wire/imap-wire-connection.js';
import { ownCopy, type ArenaSlot } from '../body-arena.js';
import { parseFetchResponse, type FetchedMessage } from './fetch-response.js';

export interface SelectedFolder {
  path: string;
  exists: number;
  uidValidity?: number;
  /** PERMANENTFLAGS, when the server sent them; `\*` means any keyword may be created. */
  permanentFlags?: string[];
}

/** A fetched message as the consumer gets it: the body kept where the fetch's `keepBody` put it. */
export interface StreamedMessage extends Omit<FetchedMessage, 'body'> {
  body?: ArenaSlot;
}

/** Copies a body out of the receive buffer (which is reused as soon as the response is parsed). */
export type KeepBody = (view: Buffer) => ArenaSlot;

export interface FolderSessionOptions {
  greetingTimeoutMs?: number;
  loginTimeoutMs?: number;
  /** Server silence while a command is pending (and we are reading) that counts as a lost connection. */
  responseTimeoutMs?: number;
}

/** Fetched data held before the consumer takes it; above this the socket stops being read (TCP backpressure). */
export const FETCH_BUFFER_BYTES = 2 * 1024 * 1024;
/** What a fetched message costs besides its literals (objects, flags), so header-only scans stay bounded too. */
const PER_MESSAGE_OVERHEAD = 256;

/**
 * One IMAP connection for reading folders: SELECT/EXAMINE, streamed `UID FETCH` and `UID STORE`, on our own
 * wire connection. FETCH responses are parsed from the received bytes (message bodies stay views, never
 * decoded), and the socket is paused while the consumer is behind, so a folder of any size streams in bounded
 * memory.
 */
export class FolderSession {
  /** Settles when the current inFolder() user is done. */
  private turn: Promise<void> = Promise.resolve();

  private constructor(
    private readonly connection: ImapWireConnection,
    /** Upper-cased, as the server lists them after login. */
    readonly capabilities: ReadonlySet<string>,
  ) {}

  /**
   * Connects and logs in. A failure is the handshake's own typed error (see ImapHandshake.establish): it names the
   * account, says what to check and whether a retry can help; it is not wrapped, so that verdict survives.
   */
  static async open(endpoint: ImapEndpoint, options: FolderSessionOptions = {}): Promise<FolderSession> {
    const { connection, capabilities } = await new ImapHandshake(endpoint, {
      greetingMs: options.greetingTimeoutMs ?? 15_000,
      loginMs: options.loginTimeoutMs ?? 30_000,
    }).establish();
    connection.setResponseTimeout(options.responseTimeoutMs ?? 120_000);
    return new FolderSession(connection, capabilities);
  }

  /** False once the connection is gone: every command then rejects with ImapConnectionLost. */
  get usable(): boolean {
    return !this.connection.lost;
  }

  /**
   * Runs `work` with `path` selected (SELECT, or EXAMINE when read-only), alone on this connection: copy lanes
   * that share a connection take turns, so one lane's FETCH never runs in another lane's folder.
   * Throws ImapCommandFailed when the folder cannot be selected.
   */
  async inFolder<T>(path: string, options: { readOnly: boolean }, work: (folder: SelectedFolder) => Promise<T>): Promise<T> {
    const previous = this.turn;
    let done!: () => void;
    this.turn = new Promise<void>((resolve) => (done = resolve));
    await previous;
    try {
      return await work(await this.select(path, options));
    } finally {
      done();
    }
  }

  private async select(path: string, options: { readOnly: boolean }): Promise<SelectedFolder> {
    const folder: SelectedFolder = { path, exists: 0 };
    await this.command(`${options.readOnly ? 'EXAMINE' : 'SELECT'} ${mailboxArgument(path)}`, (response) => readSelectData(response, folder));
    return folder;
  }

  /**
   * Any other command (LIST, CREATE, GETQUOTAROOT...): `onUntagged` sees the untagged responses that arrive
   * until it completes (`raw` valid during the call only). Throws ImapCommandFailed on NO or BAD, and
   * ImapResponseUnreadable (once the command is answered, the connection still usable) when `onUntagged` threw on
   * a response it could not read.
   */
  async command(line: string, onUntagged?: (response: ImapResponse, raw: Buffer) => void): Promise<ImapResponse> {
    let unreadable: ImapResponseUnreadable | undefined;
    const stop = onUntagged
      ? this.connection.onUntagged((response, raw) => {
          if (unreadable) return;
          try {
            onUntagged(response, raw);
          } catch (error) {
            unreadable = unreadableResponse(this.connection.where, commandVerb(line), raw, error);
          }
        })
      : undefined;
    try {
      const response = await this.run(line);
      if (unreadable) throw unreadable;
      return response;
    } finally {
      stop?.();
    }
  }

  /**
   * `UID FETCH set (items)` on the selected folder (call it inside inFolder()), yielding each message as its
   * response arrives. Unsolicited FETCH responses (another session changed flags) are skipped: only those
   * carrying `wanted` are yielded.
   * Bodies are copied out with `keepBody` (e.g. into a BodyArena) the moment they are parsed; the consumer
   * releases each slot when done with it. Stopping the iteration early is safe: the rest of the response is read
   * and dropped, and bodies not yet taken are released.
   */
  async *fetch(uidSet: string, items: string, wanted: (message: FetchedMessage) => boolean, keepBody: KeepBody = ownCopy): AsyncGenerator<StreamedMessage> {
    const queue: StreamedMessage[] = [];
    let head = 0;
    let bufferedBytes = 0;
    let paused = false;
    let finished = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const stop = this.connection.onUntagged((_, raw) => {
      if (failure) return;
      let fetched: FetchedMessage | undefined;
      try {
        fetched = parseFetchResponse(raw);
      } catch (error) {
        // Fail at once: stop reading (the rest of a large FETCH is of no use), and tell why.
        failure = unreadableResponse(this.connection.where, 'UID FETCH', raw, error);
        this.connection.destroy(failure as Error);
        return;
      }
      if (!fetched || !wanted(fetched)) return;
      const { body, headerFields, ...rest } = fetched;
      const message: StreamedMessage = rest;
      if (body) message.body = keepBody(body);
      if (headerFields) message.headerFields = Buffer.from(headerFields);
      queue.push(message);
      bufferedBytes += cost(message);
      // Also when the body store overflowed: the consumer's writes are behind, reading on only makes garbage.
      if (!paused && (bufferedBytes >= FETCH_BUFFER_BYTES || message.body?.overflow)) {
        paused = true;
        this.connection.pause();
      }
      wake?.();
    });
    const done = this.run(`UID FETCH ${uidSet} (${items})`)
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        finished = true;
        wake?.();
      });
    try {
      for (;;) {
        while (head < queue.length) {
          const message = queue[head]!;
          queue[head++] = undefined as unknown as StreamedMessage;
          bufferedBytes -= cost(message);
          yield message;
        }
        queue.length = 0;
        head = 0;
        if (finished) break;
        // The consumer has taken everything and asks for more: it has made room.
        if (paused) {
          paused = false;
          this.connection.resume();
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
      await done;
      if (failure) throw failure;
    } finally {
      stop();
      for (let i = head; i < queue.length; i++) queue[i]?.body?.release();
      if (paused) this.connection.resume();
    }
  }

  /** `UID STORE set FLAGS.SILENT (flags)` on the selected folder (inside inFolder()): replaces their flags. */
  async replaceFlags(uidSet: string, flagList: string): Promise<void> {
    await this.run(`UID STORE ${uidSet} FLAGS.SILENT ${flagList}`);
  }

  /**
   * Removes these messages from the selected folder (inside inFolder()): `UID STORE +FLAGS.SILENT (\Deleted)`,
   * then `UID EXPUNGE` of the same set (UIDPLUS), so that no other message marked deleted goes with them.
   */
  async removeMessages(uidSet: string): Promise<void> {
    if (!this.capabilities.has('UIDPLUS')) throw new TypeError('removeMessages needs UIDPLUS (UID EXPUNGE)');
    await this.run(`UID STORE ${uidSet} +FLAGS.SILENT (\\Deleted)`);
    await this.run(`UID EXPUNGE ${uidSet}`);
  }

  /** LOGOUT (waiting at most a few seconds), then closes the socket. Never throws. */
  async close(): Promise<void> {
    if (!this.usable) return;
    await Promise.race([this.connection.logout().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    this.connection.destroy();
  }

  /** Closes the socket now; pending commands reject with ImapConnectionLost. */
  destroy(): void {
    this.connection.destroy();
  }

  private async run(command: string): Promise<ImapResponse> {
    const response = await this.connection.simple(command);
    if (response.status !== 'OK') throw new ImapCommandFailed(commandVerb(command), response.status ?? '?', response.text, response.code);
    return response;
  }
}

function cost(message: StreamedMessage): number {
  return PER_MESSAGE_OVERHEAD + (message.body?.bytes.length ?? 0) + (message.headerFields?.length ?? 0);
}

/** EXISTS, UIDVALIDITY and PERMANENTFLAGS from the untagged responses of a SELECT/EXAMINE. */
function readSelectData(response: ImapResponse, folder: SelectedFolder): void {
  const exists = /^(\d+) EXISTS$/i.exec(response.text);
  if (exists) {
    folder.exists = Number(exists[1]);
    return;
  }
  const code = response.code ?? '';
  const uidValidity = /^UIDVALIDITY (\d+)$/i.exec(code);
  if (uidValidity) folder.uidValidity = Number(uidValidity[1]);
  const permanent = /^PERMANENTFLAGS \(([^)]*)\)$/i.exec(code);
  if (permanent) folder.permanentFlags = permanent[1]!.split(' ').filter(Boolean);
}
