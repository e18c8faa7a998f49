import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { hostname } from 'node:os';
import ntlm from '@ewsjs/ntlm-client';
import type { Logger } from 'pino';
import { describeEwsEndpoint, isLoopbackHost, type EwsEndpoint } from './endpoint.js';
import { EwsAuthenticationFailed, EwsConfigurationError, EwsConnectionLost, EwsError, EwsHttpError, EwsOutcomeUnknown, EwsRequestFailed, EwsRetriesExhausted } from './errors.js';

/**
 * HTTP for EWS: each mailbox gets `maxInFlight` lanes (default 2, what Exchange expects of one client), each
 * lane a keep-alive agent holding ONE socket, so NTLM (which authenticates a connection, not a request) runs its
 * three-message handshake on that socket and later requests on it need no further authentication. Basic is the
 * fallback when the server offers no NTLM. Retries: `ErrorServerBusy` waits the server's `BackOffMilliseconds`
 * and holds every request of this mailbox meanwhile; other transient codes, HTTP 503 and dropped connections
 * back off exponentially (with jitter). A call that changes the mailbox is never re-sent after its bytes left:
 * if the connection drops then, its caller gets `EwsOutcomeUnknown` and looks at the mailbox instead.
 */

export interface RetryPolicy {
  /** Tries per call, the first included (default 8). */
  attempts: number;
  /** First pause of the exponential back-off (default 500 ms), doubled each time up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest `BackOffMilliseconds` honoured as such (default 10 minutes); beyond it the call fails, retryable. */
  maxBackOffMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 500, maxDelayMs: 30_000, maxBackOffMs: 10 * 60_000 };

export interface TransportOptions {
  maxInFlight?: number;
  /** No byte for this long on a request: the socket is dropped (default 120 s). */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  logger?: Logger;
  signal?: AbortSignal;
  /** Largest answer accepted (default 256 MiB). */
  maxResponseBytes?: number;
}

interface Lane {
  id: number;
  agent: HttpsAgent | HttpAgent;
  /** The one socket of the lane's agent, as last seen. */
  socket?: Socket;
  busy: boolean;
  lastUsed: number;
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  socket: Socket;
}

/** A failure of one HTTP exchange: whether the request's bytes had all left (then a mutating call's outcome is unknown). */
class WireError extends Error {
  constructor(
    message: string,
    readonly sent: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Sockets idle longer than this are not reused: servers close idle keep-alive connections (IIS after 120 s). */
const IDLE_REUSE_MS = 25_000;

export class EwsTransport {
  private readonly lanes: Lane[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly authenticated = new WeakSet<Socket>();
  private readonly url: URL;
  private readonly retry: RetryPolicy;
  private scheme: 'ntlm' | 'negotiate' | 'basic' | undefined;
  /** Until then, no request of this mailbox starts (the server asked us to back off). */
  private pausedUntil = 0;
  private closed = false;
  /** Requests sent over HTTP, for tests and logs. */
  requestsSent = 0;

  constructor(
    readonly endpoint: EwsEndpoint,
    private readonly options: TransportOptions = {},
  ) {
    this.url = new URL(endpoint.url);
    if (this.url.protocol === 'http:' && !isLoopbackHost(this.url.hostname) && !endpoint.allowPlaintext) {
      throw new EwsConfigurationError(`refusing to send a password over plain http:// to ${this.url.hostname}`);
    }
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    if (endpoint.auth === 'basic') this.scheme = 'basic';
    const lanes = Math.max(1, Math.floor(options.maxInFlight ?? 2));
    for (let id = 0; id < lanes; id++) this.lanes.push({ id, agent: this.newAgent(), busy: false, lastUsed: 0 });
  }

  private newAgent(): HttpsAgent | HttpAgent {
    const common = { keepAlive: true, maxSockets: 1, maxFreeSockets: 1, scheduling: 'lifo' as const };
    return this.url.protocol === 'https:' ? new HttpsAgent({ ...common, ca: this.endpoint.ca ? [this.endpoint.ca] : undefined }) : new HttpAgent(common);
  }

  /**
   * Sends one SOAP request and hands the answer's text to `read`, which parses it (throwing EwsRequestFailed for
   * a refused request); retries what is worth retrying. `mutating`: the call changes the mailbox and must not be
   * sent twice.
   */
  async call<T>(operation: string, envelope: string, read: (text: string, status: number) => T, options: { mutating?: boolean } = {}): Promise<T> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      const lane = await this.acquire();
      let delay: number;
      try {
        const response = await this.exchange(lane, operation, envelope);
        return read(response.body, response.status);
      } catch (error) {
        this.options.signal?.throwIfAborted();
        lastError = error;
        if (error instanceof EwsRequestFailed && error.retryable) {
          if (error.backOffMs !== undefined) {
            if (error.backOffMs > this.retry.maxBackOffMs) throw error;
            // The server asked this mailbox to wait: every request waits, not only this one.
            this.pausedUntil = Math.max(this.pausedUntil, Date.now() + error.backOffMs);
            delay = 0;
          } else delay = this.backoff(attempt);
        } else if (error instanceof EwsHttpError && error.retryable) {
          delay = error.retryAfterMs ?? this.backoff(attempt);
        } else if (error instanceof WireError) {
          if (error.sent && options.mutating) throw new EwsOutcomeUnknown(operation, { cause: error.cause ?? error });
          lastError = new EwsConnectionLost(`EWS ${operation} (${describeEwsEndpoint(this.endpoint)}): ${error.message}`, { cause: error.cause ?? error });
          delay = this.backoff(attempt);
        } else {
          throw error;
        }
        this.options.logger?.warn({ operation, attempt, delayMs: delay, pausedMs: Math.max(0, this.pausedUntil - Date.now()), err: lastError }, 'EWS call failed, retrying');
      } finally {
        this.release(lane);
      }
      if (attempt < this.retry.attempts && delay > 0) await this.sleep(delay);
    }
    throw new EwsRetriesExhausted(operation, this.retry.attempts, { cause: lastError });
  }

  private backoff(attempt: number): number {
    const base = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  }

  private sleep(ms: number): Promise<void> {
    const signal = this.options.signal;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A free lane, once the server's back-off (if any) is over. */
  private async acquire(): Promise<Lane> {
    for (;;) {
      this.options.signal?.throwIfAborted();
      if (this.closed) throw new EwsConnectionLost('the EWS client was closed');
      const wait = this.pausedUntil - Date.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      const lane = this.lanes.find((candidate) => !candidate.busy);
      if (lane) {
        lane.busy = true;
        return lane;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private release(lane: Lane): void {
    lane.busy = false;
    lane.lastUsed = Date.now();
    this.waiters.shift()?.();
  }

  /** One request on the lane, authenticating its socket first when needed. */
  private async exchange(lane: Lane, operation: string, envelope: string): Promise<RawResponse> {
    if (lane.lastUsed > 0 && Date.now() - lane.lastUsed > IDLE_REUSE_MS) {
      lane.agent.destroy();
      lane.agent = this.newAgent();
    }
    if (this.scheme === 'basic') {
      const response = await this.send(lane, operation, envelope, `Basic ${Buffer.from(`${this.endpoint.username}:${this.endpoint.password}`).toString('base64')}`);
      if (response.status === 401) throw new EwsAuthenticationFailed(`EWS: the server refused the login ${this.endpoint.username} (Basic); check the password`);
      return this.checked(operation, response);
    }
    // The lane's socket, once NTLM authenticated it, takes requests as they are (the agent hands it out again).
    if (lane.socket && !lane.socket.destroyed && this.authenticated.has(lane.socket)) {
      const response = await this.send(lane, operation, envelope);
      lane.socket = response.socket;
      if (response.status !== 401) return this.checked(operation, response);
    }
    const response = await this.handshake(lane, operation, envelope);
    lane.socket = response.socket;
    return this.checked(operation, response);
  }

  /**
   * NTLM: Type 1 in an empty POST, the server's 401 carries the Type 2 challenge, the request itself goes with the
   * Type 3 answer on the same socket. A server offering only Basic switches this client to Basic.
   */
  private async handshake(lane: Lane, operation: string, envelope: string): Promise<RawResponse> {
    const scheme = this.scheme === 'negotiate' ? 'Negotiate' : 'NTLM';
    const { domain, user } = splitLogin(this.endpoint.username);
    const type1 = ntlm.createType1Message(workstation(), domain).replace(/^NTLM /, `${scheme} `);
    const negotiate = await this.send(lane, operation, '', type1);
    if (negotiate.status !== 401) {
      // No authentication asked for: the socket is usable as it is.
      if (negotiate.status < 400) this.authenticated.add(negotiate.socket);
      return this.send(lane, operation, envelope);
    }
    const offered = authenticateHeaders(negotiate.headers);
    const challenge = offered.find((value) => /^(NTLM|Negotiate) \S+/i.test(value));
    if (!challenge) {
      if (this.endpoint.auth !== 'ntlm' && offered.some((value) => /^Basic\b/i.test(value))) {
        this.scheme = 'basic';
        this.options.logger?.info({ endpoint: describeEwsEndpoint(this.endpoint) }, 'EWS server offers Basic only: using Basic over TLS');
        return this.exchange(lane, operation, envelope);
      }
      if (scheme === 'NTLM' && offered.some((value) => /^Negotiate$/i.test(value)) && !offered.some((value) => /^NTLM$/i.test(value))) {
        this.scheme = 'negotiate';
        return this.handshake(lane, operation, envelope);
      }
      throw new EwsAuthenticationFailed(`EWS: the server offers no authentication this client speaks (${offered.join(', ') || 'none'}); NTLM or Basic is needed`);
    }
    const type2 = ntlm.decodeType2Message(challenge.replace(/^(NTLM|Negotiate) /i, 'NTLM '));
    const type3 = ntlm.createType3Message(type2, user, this.endpoint.password, workstation(), domain).replace(/^NTLM /, `${scheme} `);
    const response = await this.send(lane, operation, envelope, type3, negotiate.socket);
    if (response.status === 401) throw new EwsAuthenticationFailed(`EWS: the server refused the login ${this.endpoint.username} (NTLM); check the password`);
    this.authenticated.add(response.socket);
    return response;
  }

  /** Maps the HTTP status: 200 and SOAP faults (500 with a SOAP body) go to the parser; the rest are errors. */
  private checked(operation: string, response: RawResponse): RawResponse {
    if (response.status === 200) return response;
    const soap = /xml/i.test(String(response.headers['content-type'] ?? '')) && response.body.includes('Envelope');
    if (response.status === 500 && soap) return response;
    if (response.status === 401) throw new EwsAuthenticationFailed(`EWS: the server refused the login ${this.endpoint.username}`);
    const retryAfter = Number(response.headers['retry-after']);
    throw new EwsHttpError(operation, response.status, Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter * 1000 : undefined);
  }

  /**
   * One HTTP POST on the lane's agent. `sameSocket`: the NTLM handshake's continuation must go on the socket that
   * got the challenge (the agent hands it out again when the server kept it alive).
   */
  private send(lane: Lane, operation: string, body: string, authorization?: string, sameSocket?: Socket): Promise<RawResponse> {
    const signal = this.options.signal;
    const payload = Buffer.from(body, 'utf8');
    return new Promise<RawResponse>((resolve, reject) => {
      let sent = false;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const headers: Record<string, string | number> = {
        'Content-Type': 'text/xml; charset=utf-8',
        'Content-Length': payload.length,
        Accept: 'text/xml',
        'User-Agent': 'migrate-mailbox',
        Connection: 'keep-alive',
      };
      if (authorization) headers.Authorization = authorization;
      if (payload.length > 0) headers.SOAPAction = `"http://schemas.microsoft.com/exchange/services/2006/messages/${operation}"`;
      const requestFn = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = requestFn({
        agent: lane.agent,
        method: 'POST',
        hostname: this.url.hostname,
        port: this.url.port || undefined,
        path: this.url.pathname + this.url.search,
        headers,
      });
      const onAbort = () => request.destroy(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      signal?.addEventListener('abort', onAbort, { once: true });
      request.setTimeout(this.options.timeoutMs ?? 120_000, () => request.destroy(new Error(`no answer for ${Math.round((this.options.timeoutMs ?? 120_000) / 1000)} s`)));
      request.on('socket', (socket: Socket) => {
        if (sameSocket && socket !== sameSocket) {
          request.destroy();
          settle(() => reject(new EwsAuthenticationFailed('EWS: the server closed the connection in the middle of the NTLM handshake (keep-alive is needed)')));
          return;
        }
        this.requestsSent++;
        request.end(payload);
      });
      request.on('finish', () => (sent = true));
      request.on('error', (error) => settle(() => reject(signal?.aborted ? signal.reason : new WireError(error.message, sent, { cause: error }))));
      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const limit = this.options.maxResponseBytes ?? 256 * 1024 * 1024;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > limit) {
            request.destroy(new Error(`the answer is larger than ${limit} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('error', (error) => settle(() => reject(new WireError(error.message, true, { cause: error }))));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          chunks.length = 0;
          settle(() => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text, socket: request.socket as Socket }));
        });
      });
    });
  }

  /** Closes the lanes' sockets; calls in progress fail. */
  close(): void {
    this.closed = true;
    for (const lane of this.lanes) lane.agent.destroy();
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}

function authenticateHeaders(headers: IncomingHttpHeaders): string[] {
  const value = headers['www-authenticate'];
  if (value === undefined) return [];
  // Node joins repeated WWW-Authenticate headers with ", " only for some names; this one arrives as an array.
  return (Array.isArray(value) ? value : [value]).flatMap((entry) => entry.split(/,\s*(?=(?:NTLM|Negotiate|Basic|Digest|Bearer)\b)/i)).map((entry) => entry.trim());
}

/** `DOMAIN\user` -> both parts; an e-mail address is the user with an empty domain (what OVH's Exchange expects). */
export function splitLogin(login: string): { domain: string; user: string } {
  const slash = login.indexOf('\\');
  return slash < 0 ? { domain: '', user: login } : { domain: login.slice(0, slash), user: login.slice(slash + 1) };
}

function workstation(): string {
  return hostname().replace(/\..*$/, '').toUpperCase().slice(0, 15) || 'MIGRATE';
}

export { EwsError };
