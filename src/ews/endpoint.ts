import { EwsConfigurationError } from './errors.js';

/** Where and as whom to talk EWS. */
export interface EwsEndpoint {
  /** The service URL, e.g. `https://ex5.mail.ovh.net/EWS/Exchange.asmx`. */
  url: string;
  /** The login (OVH: the full e-mail address; `DOMAIN\user` also works for NTLM). */
  username: string;
  password: string;
  /** SMTP address of the mailbox (rules and out-of-office name it). */
  mailbox: string;
  /** `auto` (default): NTLM when the server offers it, else Basic. */
  auth?: 'auto' | 'ntlm' | 'basic';
  /** Extra CA certificates (PEM) to trust, for a test server. */
  ca?: string;
  /** Allow a password over plain HTTP to a host that is not loopback (never by default). */
  allowPlaintext?: boolean;
}

export const EWS_PATH = '/EWS/Exchange.asmx';

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

/**
 * `https://USER@HOST[:PORT][/path]` (USER percent-encoded, e.g. `john%40example.org`) -> an endpoint: the path
 * defaults to `/EWS/Exchange.asmx`, the mailbox is USER when it is an address. `http://` only to loopback.
 */
export function parseEwsUrl(raw: string, password: string, options: { ca?: string; allowPlaintext?: boolean; auth?: EwsEndpoint['auth'] } = {}): EwsEndpoint {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new EwsConfigurationError(`not a URL: ${raw}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new EwsConfigurationError(`use https://USER@HOST (got ${url.protocol}//)`);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !options.allowPlaintext) {
    throw new EwsConfigurationError(`refusing to send a password over plain http:// to ${url.hostname}; use https://`);
  }
  let username: string;
  try {
    username = decodeURIComponent(url.username);
  } catch {
    throw new EwsConfigurationError('the user name in the URL is not valid percent-encoding');
  }
  if (!username) throw new EwsConfigurationError(`name the mailbox's login in the URL: ${url.protocol}//USER@${url.host}`);
  const mailbox = username.includes('\\') ? username.slice(username.indexOf('\\') + 1) : username;
  if (!/^[^@\s]+@[^@\s]+$/.test(mailbox)) throw new EwsConfigurationError(`the login must be the mailbox's e-mail address (got ${username})`);
  const path = url.pathname === '/' || url.pathname === '' ? EWS_PATH : url.pathname;
  return { url: `${url.protocol}//${url.host}${path}`, username, password, mailbox, ca: options.ca, allowPlaintext: options.allowPlaintext, auth: options.auth };
}

/** For logs and messages: the URL and login, never the password. */
export function describeEwsEndpoint(endpoint: EwsEndpoint): string {
  return `${endpoint.username} at ${endpoint.url}`;
}
