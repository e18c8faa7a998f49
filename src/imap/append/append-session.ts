import type { ImapEndpoint } from '../endpoint.js';

/** One message to append: exact bytes, the flags to set (already filtered to what the server accepts), INTERNALDATE. */
export interface AppendItem {
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

export type AppendOutcome =
  | { ok: true; uid?: number }
  /** `permanent`: the server refused this message itself (too big, bad syntax, over quota), retrying will not help. */
  | {
      ok: false;
      reason: string;
      permanent: boolean;
      /** Machine-readable cause when known: `OVERQUOTA`, `TOOBIG`, `TRYCREATE`, `INVALID` (never sent), the server's code... */
      code?: string;
    };

/**
 * The append side of a copy: how messages are written is chosen from the server's capabilities:
 * MULTIAPPEND + LITERAL+ (one APPEND command carrying a batch; MULTIAPPEND alone still batches, waiting for `+`
 * per message), LITERAL+ only (pipelined single APPENDs, as on Exchange), or plain APPENDs (synchronising literals).
 */
export interface AppendSession {
  readonly mode: 'multiappend' | 'pipelined' | 'plain';
  readonly capabilities: ReadonlySet<string>;
  /**
   * Appends to one mailbox (its Unicode name; encoded to modified UTF-7 on the wire). May be called again before
   * earlier calls settle: commands are pipelined. Resolves with one outcome per item, in order; a message the
   * server refuses is reported without failing the others. Rejects only when the connection is lost
   * (ImapConnectionLost): the caller cannot know which in-flight items landed and must re-check the destination.
   */
  append(mailbox: string, items: AppendItem[]): Promise<AppendOutcome[]>;
  /**
   * Resolves when the session has room for more (bytes handed to append() and not yet answered are below
   * maxInFlightBytes). A caller that awaits it before reading the next batch from the source keeps memory flat
   * while keeping the pipeline full.
   */
  ready?(): Promise<void>;
  /** Counters for tests and progress reports. */
  readonly stats?: AppendSessionStats;
  /** Waits for pending appends, sends LOGOUT, closes. Resolves even when the server is gone. */
  close(): Promise<void>;
}

export interface AppendSessionStats {
  /** Bytes of messages given to append() whose outcome is not known yet (including those waiting for room). */
  pendingBytes: number;
  peakPendingBytes: number;
  /** Bytes queued for or written to the server and not yet acknowledged: bounded by maxInFlightBytes. */
  inFlightBytes: number;
  peakInFlightBytes: number;
  /** APPEND commands sent, including retries of halves of a refused MULTIAPPEND batch. */
  commands: number;
  appended: number;
  refused: number;
}

export interface AppendSessionOptions {
  /** Force a mode below what the server offers (tests, or a server that advertises more than it handles). */
  mode?: AppendSession['mode'];
  /** Messages per MULTIAPPEND command. */
  batchSize?: number;
  /** Bytes written but not yet acknowledged, across all commands, before append() waits. */
  maxInFlightBytes?: number;
  /** Bytes per MULTIAPPEND command (a batch ends at batchSize messages or this, whichever comes first). */
  batchBytes?: number;
  /** TCP connect + TLS + server greeting. */
  greetingTimeoutMs?: number;
  /** STARTTLS + authentication + capabilities. */
  loginTimeoutMs?: number;
  /** Server silence while commands are pending that counts as a lost connection. */
  responseTimeoutMs?: number;
  /** Server alerts (`[ALERT]`, untagged NO/BAD warnings), which RFC 3501 says to show to the user. */
  onAlert?: (text: string) => void;
}

export type OpenAppendSession = (endpoint: ImapEndpoint, options?: AppendSessionOptions) => Promise<AppendSession>;
