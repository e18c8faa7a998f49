import { readFileSync } from 'node:fs';
import https from 'node:https';
import querystring from 'node:querystring';
import createOvh, { type OvhApi } from 'ovh';
import ovhEndpoints from 'ovh/lib/endpoints.js';
import { z } from 'zod';
import type { Config } from '../config/config.js';
import { trustingSystemRootsAnd } from '../config/trusted-ca.js';
import type { Logger } from '../log/logger.js';
import { mapOvhError, OvhError, OvhRateLimited, OvhTimeout } from './errors.js';
import { NO_OVH_OBSERVER, type OvhObserver, type OvhRetryReason } from './ovh-observer.js';
import { AUTH, fillPath, type AccessRule, type PathParams, type Route } from './routes.js';

/**
 * The OVH API client.
 *
 * Why our own transport rather than `ovh.requestPromised`: the `ovh` package 2.x throws away everything but the
 * HTTP status and `message` of an error (no `errorCode`, no `X-OVH-QUERYID`, no `Retry-After`), treats any
 * non-200 answer as an error, sends requests through `https.globalAgent` (so trusting the simulator's CA would
 * mean mutating process-wide state), inserts path parameters without URL-encoding and skips signing any path
 * containing `/auth` (e.g. Exchange `.../authorizedIp`). So requests go through node's `https` here, with a
 * private agent that trusts OVH_CA_FILE in addition to the system CAs; the `ovh` package still provides what it
 * does well and what must match OVH byte for byte: the `$1$` request signature (`signRequest`) and the table of
 * named endpoints. The signed URL is built exactly as the package builds it: `https://HOST/1.0/PATH[?QUERY]`
 * (no port), the body is the JSON sent with non-ASCII characters escaped as `\uXXXX`.
 */

export type OvhEndpointName = 'ovh-eu' | 'ovh-ca' | 'ovh-us';

export interface OvhClientOptions {
  /** Named OVH endpoint; ignored when `host` is given. */
  endpoint?: OvhEndpointName;
  /** Custom API host (the simulator). */
  host?: string;
  port?: number;
  basePath?: string;
  appKey: string;
  appSecret: string;
  consumerKey?: string;
  /** Extra CA certificate(s) (PEM) to trust for this API only. */
  ca?: string | Buffer;
  /** Per attempt, milliseconds (default 30 s). */
  timeoutMs?: number;
  /**
   * Extra attempts (default 4): for any method after a 429 (OVH refused it before doing anything); for safe (GET)
   * calls only after a 5xx, a timeout or a network error (a POST may have taken effect).
   */
  retries?: number;
  /** First backoff delay (default 500 ms), doubled each attempt, capped at `maxDelayMs` (default 20 s), with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Longest `Retry-After` waited out here (default 120 s). A longer one is thrown at once as OvhRateLimited with
   * `retryAfterMs`, for the job queue to retry at that time.
   */
  maxRetryAfterMs?: number;
  /** How the client waits between attempts (tests record the delays instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
  logger?: Logger;
  /** Told of every attempt (route template, method, status, latency) and every retry; nothing by default. */
  observer?: OvhObserver;
}

export interface RequestOptions<T> {
  /** Zod schema of the answer; the parsed value is returned. */
  schema: z.ZodType<T>;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

export interface CredentialRequest {
  accessRules: AccessRule[];
  redirection?: string;
  allowedIPs?: string[];
}

const credentialSchema = z.object({
  validationUrl: z.string(),
  consumerKey: z.string(),
  state: z.string(),
});
export type Credential = z.infer<typeof credentialSchema>;

/** A successful answer that does not match the model we expect. */
export class OvhResponseInvalid extends Error {
  readonly retryable = false;
  readonly nextStep = 'OVH answered with an unexpected shape: the API may have changed; report it with this message';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly issues: string,
  ) {
    super(`OVH ${method} ${path}: unexpected answer: ${issues}`);
    this.name = 'OvhResponseInvalid';
  }
}

interface RawResponse {
  status: number;
  body: unknown;
  queryId?: string;
  retryAfterMs?: number;
}

const SAFE_METHODS = new Set(['GET']);

export class OvhClient {
  readonly host: string;
  readonly port: number;
  readonly basePath: string;
  readonly appKey: string;
  private readonly consumerKey?: string;
  private readonly signer: OvhApi;
  private readonly agent: https.Agent;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly maxRetryAfterMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly logger?: Logger;
  private readonly observer: OvhObserver;
  private timeDiff: Promise<number> | undefined;

  constructor(options: OvhClientOptions) {
    if (!options.appKey || !options.appSecret) throw new Error('OVH client: OVH_APP_KEY and OVH_APP_SECRET are required');
    const named = options.endpoint ? ovhEndpoints[options.endpoint] : undefined;
    if (options.endpoint && !named) throw new Error(`OVH client: unknown endpoint ${options.endpoint}`);
    this.host = options.host ?? named?.host ?? ovhEndpoints['ovh-eu']!.host;
    this.port = options.port ?? 443;
    this.basePath = options.basePath ?? '/1.0';
    this.appKey = options.appKey;
    this.consumerKey = options.consumerKey;
    // Only the signature is used from this object: no endpoint (it would override `host`), no requests.
    this.signer = createOvh({ appKey: options.appKey, appSecret: options.appSecret, consumerKey: options.consumerKey ?? null });
    this.agent = new https.Agent({
      keepAlive: true,
      maxSockets: 8,
      ...(options.ca ? { secureContext: trustingSystemRootsAnd(options.ca.toString()) } : {}),
    });
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.retries = options.retries ?? 4;
    this.baseDelayMs = options.baseDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 20_000;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 120_000;
    this.sleep = options.sleep ?? sleep;
    this.logger = options.logger;
    this.observer = options.observer ?? NO_OVH_OBSERVER;
  }

  /** From the OVH_* settings. `overrides` win (tests shorten timeouts and delays). */
  static fromConfig(config: Config, overrides: Partial<OvhClientOptions> = {}): OvhClient {
    if (!config.OVH_APP_KEY || !config.OVH_APP_SECRET) {
      throw new Error('OVH_APP_KEY and OVH_APP_SECRET are required: create an application at https://eu.api.ovh.com/createApp/ (or your region\'s)');
    }
    return new OvhClient({
      endpoint: config.OVH_HOST ? undefined : config.OVH_ENDPOINT,
      host: config.OVH_HOST,
      port: config.OVH_PORT,
      appKey: config.OVH_APP_KEY,
      appSecret: config.OVH_APP_SECRET,
      consumerKey: config.OVH_CONSUMER_KEY,
      ca: config.OVH_CA_FILE ? readFileSync(config.OVH_CA_FILE) : undefined,
      ...overrides,
    });
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  get<P extends string, T>(route: Route<P> & { method: 'GET' }, params: Record<PathParams<P>, string | number>, options: RequestOptions<T>): Promise<T> {
    return this.request(route, params, options);
  }

  /**
   * Calls a route: fills and URL-encodes its path parameters, signs, sends, retries what may be retried (see
   * `retries`), maps errors and parses the answer with `options.schema`. Every OvhError thrown says whether a
   * later retry may succeed (`retryable`) and, when OVH said, after how long (`retryAfterMs`).
   */
  async request<P extends string, T>(route: Route<P>, params: Record<PathParams<P>, string | number>, options: RequestOptions<T>): Promise<T> {
    const path = fillPath(route.path, params as Record<string, string | number>);
    const raw = await this.send(route.method, path, options.query, options.body, route.api !== 'auth', route.path);
    const parsed = options.schema.safeParse(raw);
    if (!parsed.success) {
      throw new OvhResponseInvalid(route.method, path, z.prettifyError(parsed.error).replace(/\n/g, ' '));
    }
    return parsed.data;
  }

  /** `POST /auth/credential` (unsigned): asks OVH for a consumer key with these access rules. */
  async requestCredential(request: CredentialRequest): Promise<Credential> {
    return this.request(AUTH.credential, {}, { schema: credentialSchema, body: request });
  }

  /** Server time minus local time, in seconds, fetched once (`GET /auth/time`, unsigned). */
  private async serverTimeDiff(): Promise<number> {
    this.timeDiff ??= this.send('GET', AUTH.time.path, undefined, undefined, false, AUTH.time.path).then(
      (time) => {
        const seconds = z.number().int().parse(time);
        return seconds - Math.round(Date.now() / 1000);
      },
      (error: unknown) => {
        this.timeDiff = undefined;
        throw error;
      },
    );
    return this.timeDiff;
  }

  /** `template`: the route's path template (routes.ts), the only form of the path the observer is told. */
  private async send(method: string, path: string, query: RequestOptions<unknown>['query'], body: unknown, signed: boolean, template: string): Promise<unknown> {
    const cleanQuery = Object.fromEntries(Object.entries(query ?? {}).filter(([, v]) => v !== undefined && v !== null)) as Record<string, string | number | boolean>;
    const search = Object.keys(cleanQuery).length > 0 ? `?${querystring.stringify(cleanQuery)}` : '';
    const fullPath = `${this.basePath}${path}${search}`;
    const bodyText =
      body === undefined || body === null
        ? undefined
        : JSON.stringify(body).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    const safe = SAFE_METHODS.has(method);
    let resynced = false;

    for (let attempt = 1; ; attempt++) {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'X-Ovh-Application': this.appKey,
      };
      if (signed) {
        const timestamp = String(Math.round(Date.now() / 1000) + (await this.serverTimeDiff()));
        headers['X-Ovh-Timestamp'] = timestamp;
        if (this.consumerKey) {
          headers['X-Ovh-Consumer'] = this.consumerKey;
          headers['X-Ovh-Signature'] = this.signer.signRequest(method, `https://${this.host}${fullPath}`, bodyText ?? '', timestamp);
        }
      }
      const started = Date.now();
      let error: OvhError;
      try {
        const response = await this.once(method, fullPath, headers, bodyText);
        this.observe({ route: template, method, status: response.status, seconds: (Date.now() - started) / 1000 });
        this.logger?.debug({ method, path, status: response.status, ms: Date.now() - started, queryId: response.queryId, attempt }, 'OVH API call');
        if (response.status >= 200 && response.status < 300) return response.body;
        error = mapOvhError({ ...response, method, path });
      } catch (cause) {
        if (cause instanceof OvhError) error = cause;
        else throw cause;
        this.observe({ route: template, method, status: 'network', seconds: (Date.now() - started) / 1000 });
        this.logger?.debug({ method, path, ms: Date.now() - started, attempt, err: error.message }, 'OVH API call failed');
      }
      if (error.errorCode === 'QUERY_TIME_OUT' && !resynced) {
        // Our clock moved since /auth/time was read: OVH refused before doing anything, so any method may retry.
        resynced = true;
        this.timeDiff = undefined;
        this.observeRetry(template, method, 'clock-resync');
        continue;
      }
      if (!error.retryable) throw error;
      // A 429 was refused before anything happened: any method may repeat. A 5xx or a missing answer may hide a
      // change that did happen: only safe methods repeat; the error still says retryable for whoever decides.
      const repeatable = error instanceof OvhRateLimited || safe;
      if (!repeatable || attempt > this.retries) throw error;
      const delay = this.retryDelay(attempt, error);
      // Retry-After beyond what we wait here: the error carries retryAfterMs for the job queue.
      if (delay === undefined) throw error;
      this.logger?.warn({ method, path, status: error.status, attempt, delayMs: Math.round(delay) }, 'OVH API: retrying');
      this.observeRetry(template, method, error instanceof OvhRateLimited ? 'rate-limited' : error.status >= 500 ? 'server-error' : 'network');
      await this.sleep(delay);
    }
  }

  /** A watcher that throws must not fail the call it watches. */
  private observe(event: Parameters<OvhObserver['call']>[0]): void {
    try {
      this.observer.call(event);
    } catch {
      // metrics are not worth a failed OVH call
    }
  }

  private observeRetry(route: string, method: string, reason: OvhRetryReason): void {
    try {
      this.observer.retry({ route, method, reason });
    } catch {
      // as above
    }
  }

  /**
   * OVH's Retry-After exactly, plus a little jitter (at most a tenth of it, at most 1 s) so clients told the same
   * time do not come back together; undefined when it is longer than `maxRetryAfterMs`. Otherwise exponential
   * backoff with jitter.
   */
  private retryDelay(attempt: number, error: OvhError): number | undefined {
    if (error instanceof OvhRateLimited && error.retryAfterMs !== undefined) {
      const ms = error.retryAfterMs;
      if (ms > this.maxRetryAfterMs) return undefined;
      return ms + Math.random() * Math.min(1000, ms / 10);
    }
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return ceiling / 2 + (Math.random() * ceiling) / 2;
  }

  private once(method: string, fullPath: string, headers: Record<string, string>, body: string | undefined): Promise<RawResponse> {
    const path = fullPath.slice(this.basePath.length).replace(/\?.*$/, '');
    return new Promise<RawResponse>((resolve, reject) => {
      const request = https.request(
        {
          host: this.host,
          port: this.port,
          method,
          path: fullPath,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', (cause) => reject(networkError(method, path, cause)));
          response.on('end', () => {
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = null;
            if (text.length > 0) {
              try {
                parsed = JSON.parse(text);
              } catch {
                parsed = text;
              }
            }
            resolve({
              status: response.statusCode ?? 0,
              body: parsed,
              queryId: header(response.headers['x-ovh-queryid']),
              retryAfterMs: secondsToMs(parseRetryAfter(header(response.headers['retry-after']))),
            });
          });
        },
      );
      const timer = setTimeout(() => {
        request.destroy(new OvhTimeout({ status: 0, message: `no answer within ${this.timeoutMs} ms`, method, path }));
      }, this.timeoutMs);
      request.on('error', (cause) => {
        clearTimeout(timer);
        reject(cause instanceof OvhTimeout ? cause : networkError(method, path, cause));
      });
      if (body !== undefined) request.write(body);
      request.end();
    });
  }
}

function networkError(method: string, path: string, cause: Error): OvhTimeout {
  const code = (cause as NodeJS.ErrnoException).code;
  return new OvhTimeout({ status: 0, message: `network error: ${code ?? ''} ${cause.message}`.trim(), method, path });
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `Retry-After`: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.ceil((date - now) / 1000));
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds === undefined ? undefined : Math.round(seconds * 1000);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
