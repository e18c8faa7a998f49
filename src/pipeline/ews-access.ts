import { request as httpsRequest } from 'node:https';
import { EWS_PATH, type EwsEndpoint } from '../ews/index.js';
import type { MailPlatform } from '../ovh/mail-platform.js';
import { parseImapEndpoints } from './imap-endpoints.js';

/** Where a platform's EWS is, whether it answers, and how a mailbox logs in to it. */
export interface EwsAccess {
  /** `https://HOST/EWS/Exchange.asmx` of the service (Exchange and E-mail Pro), undefined for MX Plan. */
  url(platform: MailPlatform): Promise<string | undefined>;
  /** Does it answer as Exchange does without credentials (401 offering NTLM or Basic)? */
  probe(platform: MailPlatform): Promise<{ ok: true; url: string } | { ok: false; reason: string }>;
  endpoint(platform: MailPlatform, address: string, password: string): Promise<EwsEndpoint | undefined>;
}

export interface EwsAccessOptions {
  /** EWS_HOSTS: host per service name or platform kind, like IMAP_HOSTS; default the service's IMAP host. */
  hosts?: Record<string, string>;
  /** EWS_ENDPOINTS: where to really connect for a host (`host` -> `ip:port`), like IMAP_ENDPOINTS. */
  endpoints?: Record<string, string>;
  /** EWS_CA_FILE contents. */
  ca?: string;
  probeTimeoutMs?: number;
}

export function parseEwsHosts(text: string | undefined): Record<string, string> {
  if (!text) return {};
  try {
    return parseImapEndpoints(text);
  } catch {
    throw new Error('EWS_HOSTS must be a JSON object of "service or platform": "host" strings, e.g. {"exchange":"ex5.mail.ovh.net"}');
  }
}

const EWS_PLATFORMS = new Set(['exchange', 'emailpro']);

/**
 * The EWS of a service is `https://{host}/EWS/Exchange.asmx`, the host being the service's own (its IMAP host,
 * the `hostname` OVH gives) unless EWS_HOSTS says otherwise; EWS_ENDPOINTS then maps that host to the address
 * really dialled (the sandbox's doubles). Credentials are the same per-mailbox ones the IMAP copy uses.
 */
export function createEwsAccess(options: EwsAccessOptions = {}): EwsAccess {
  const url = async (platform: MailPlatform): Promise<string | undefined> => {
    if (!EWS_PLATFORMS.has(platform.platform)) return undefined;
    const host = options.hosts?.[platform.service] ?? options.hosts?.[platform.platform] ?? (await platform.clientSettings()).imap.host;
    const dialled = options.endpoints?.[host] ?? host;
    return `https://${dialled}${EWS_PATH}`;
  };
  return {
    url,
    async probe(platform) {
      const where = await url(platform);
      if (!where) return { ok: false, reason: `${platform.platform} has no Exchange Web Services` };
      const answer = await challenge(where, options.ca, options.probeTimeoutMs ?? 5_000);
      return answer.ok ? { ok: true, url: where } : { ok: false, reason: `EWS of ${platform.service} (${where}) ${answer.reason}` };
    },
    async endpoint(platform, address, password) {
      const where = await url(platform);
      return where ? { url: where, username: address, password, mailbox: address, ...(options.ca ? { ca: options.ca } : {}) } : undefined;
    },
  };
}

/** One unauthenticated POST: Exchange answers 401 with WWW-Authenticate NTLM (or Negotiate, Basic). */
function challenge(url: string, ca: string | undefined, timeoutMs: number): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const request = httpsRequest(url, { method: 'POST', headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': 0 }, ...(ca ? { ca } : {}), timeout: timeoutMs }, (response) => {
      response.resume();
      const offered = ([] as string[]).concat(response.headers['www-authenticate'] ?? []).join(', ');
      if (response.statusCode === 401 && /\b(NTLM|Negotiate|Basic)\b/i.test(offered)) resolve({ ok: true });
      else resolve({ ok: false, reason: `answered HTTP ${response.statusCode}${offered ? ` (${offered})` : ''}, not an Exchange login challenge` });
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    request.on('error', (error) => resolve({ ok: false, reason: `does not answer: ${error.message}` }));
    request.end();
  });
}
