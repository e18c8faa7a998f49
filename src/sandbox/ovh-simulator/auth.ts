import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { authError } from './errors.js';

/**
 * OVH application authentication: `X-Ovh-Application` (application key), `X-Ovh-Consumer` (consumer key),
 * `X-Ovh-Timestamp` (epoch seconds, close to `/auth/time`) and `X-Ovh-Signature`:
 *   "$1$" + sha1hex(appSecret + "+" + consumerKey + "+" + METHOD + "+" + URL + "+" + body + "+" + timestamp)
 * where URL is `https://` + host + path[?query] exactly as the client built it. The `ovh` npm client signs
 * the host WITHOUT the port, so both `https://host/...` and `https://host:port/...` are accepted.
 */

export interface SimulatorCredentials {
  appKey: string;
  appSecret: string;
  consumerKey: string;
}

export function randomCredentials(): SimulatorCredentials {
  return {
    appKey: `sim${randomBytes(8).toString('hex')}`,
    appSecret: randomBytes(16).toString('hex'),
    consumerKey: randomBytes(16).toString('hex'),
  };
}

export interface AccessRule {
  method: string;
  /** `*` matches anything, e.g. `/email/pro/*`. */
  path: string;
}

function ruleMatches(rule: AccessRule, method: string, path: string): boolean {
  if (rule.method.toUpperCase() !== method.toUpperCase()) return false;
  const pattern = rule.path
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(path);
}

/** Allowed distance between X-Ovh-Timestamp and the server clock. */
const MAX_CLOCK_SKEW_SECONDS = 180;

export function signature(appSecret: string, consumerKey: string, method: string, url: string, body: string, timestamp: string | number): string {
  return '$1$' + createHash('sha1').update([appSecret, consumerKey, method, url, body, String(timestamp)].join('+')).digest('hex');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export class Authenticator {
  /**
   * Consumer keys and their access rules: the configured key may call anything; keys issued by
   * POST /auth/credential are valid at once (the sandbox has no login page) and limited to their rules.
   */
  readonly consumerKeys = new Map<string, AccessRule[] | undefined>();

  constructor(readonly credentials: SimulatorCredentials) {
    this.consumerKeys.set(credentials.consumerKey, undefined);
  }

  issue(rules: AccessRule[]): string {
    const key = randomBytes(16).toString('hex');
    this.consumerKeys.set(key, rules);
    return key;
  }

  /** Checks the application key only (unauthenticated routes such as POST /auth/credential). */
  checkApplication(headers: IncomingHttpHeaders): void {
    const appKey = header(headers, 'x-ovh-application');
    if (!appKey) throw authError(401, 'NOT_CREDENTIAL', 'You must provide an application key (X-Ovh-Application)');
    if (appKey !== this.credentials.appKey) throw authError(403, 'INVALID_KEY', 'This application key is invalid');
  }

  /** Full check of a signed request. `rawUrl` is the request target as received (path and query). */
  check(method: string, headers: IncomingHttpHeaders, rawUrl: string, rawBody: string, nowSeconds: number, path: string): void {
    this.checkApplication(headers);
    const consumerKey = header(headers, 'x-ovh-consumer');
    if (!consumerKey) throw authError(401, 'NOT_CREDENTIAL', 'You must login first');
    if (!this.consumerKeys.has(consumerKey)) throw authError(403, 'INVALID_CREDENTIAL', 'This credential is not valid');
    const timestamp = header(headers, 'x-ovh-timestamp');
    if (!timestamp || !/^\d+$/.test(timestamp)) throw authError(400, 'INVALID_SIGNATURE', 'Missing or malformed X-Ovh-Timestamp');
    if (Math.abs(Number(timestamp) - nowSeconds) > MAX_CLOCK_SKEW_SECONDS) {
      throw authError(400, 'QUERY_TIME_OUT', 'Query out of time: X-Ovh-Timestamp is too far from GET /auth/time');
    }
    const given = header(headers, 'x-ovh-signature');
    if (!given) throw authError(400, 'INVALID_SIGNATURE', 'Invalid signature');
    const hostHeader = header(headers, 'host') ?? '';
    const hostOnly = hostHeader.replace(/:\d+$/, '');
    const candidates = new Set([`https://${hostOnly}${rawUrl}`, `https://${hostHeader}${rawUrl}`]);
    for (const url of candidates) {
      const expected = signature(this.credentials.appSecret, consumerKey, method, url, rawBody, timestamp);
      if (expected.length === given.length && timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
        const rules = this.consumerKeys.get(consumerKey);
        if (rules && !rules.some((rule) => ruleMatches(rule, method, path))) {
          throw authError(403, 'NOT_GRANTED_CALL', 'This call has not been granted');
        }
        return;
      }
    }
    throw authError(400, 'INVALID_SIGNATURE', 'Invalid signature');
  }
}
