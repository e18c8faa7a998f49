import { z } from 'zod';

/** How the TCP connection is secured: implicit TLS (imaps, 993), STARTTLS when offered (imap), or none. */
export type ImapSecurity = 'tls' | 'starttls' | 'plain';

/** Where and as whom to log in over IMAP. The password never comes from a URL or a command line. */
export interface ImapEndpoint {
  host: string;
  port: number;
  security: ImapSecurity;
  user: string;
  password: string;
  /** Extra CA certificates (PEM) to trust, e.g. a test server's self-signed certificate. */
  ca?: string;
  /** Allow a plain-text login to a host other than loopback. */
  allowPlaintext?: boolean;
}

const urlSchema = z
  .string()
  .regex(/^imaps?:\/\//i, 'must start with imap:// or imaps://, e.g. imaps://john.smith%40mydomain.ovh@ex5.mail.ovh.net:993');

/**
 * Parses `imap[s]://USER@HOST[:PORT]`. USER is percent-encoded like any URL user (`john.smith%40mydomain.ovh`).
 * `imap://` means STARTTLS when the server offers it; `imaps://` implicit TLS.
 */
export function parseImapUrl(url: string, password: string, options: { allowPlaintext?: boolean; ca?: string } = {}): ImapEndpoint {
  const checked = urlSchema.safeParse(url);
  if (!checked.success) throw new Error(`${JSON.stringify(url)} ${checked.error.issues[0]?.message}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${JSON.stringify(url)} is not a valid URL; write imap[s]://USER@HOST:PORT with @ in USER as %40`);
  }
  if (parsed.password) throw new Error('do not put the password in the URL: set it in the environment instead');
  if (!parsed.username) throw new Error(`${JSON.stringify(url)} has no user: write imap[s]://USER@HOST:PORT`);
  const secure = parsed.protocol.toLowerCase() === 'imaps:';
  const port = parsed.port ? Number(parsed.port) : secure ? 993 : 143;
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    security: secure ? 'tls' : 'starttls',
    user: decodeURIComponent(parsed.username),
    password,
    allowPlaintext: options.allowPlaintext,
    ca: options.ca,
  };
}

/** True for 127.0.0.0/8, ::1 and localhost: the only hosts a plain-text login may go to without --allow-plaintext. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** USER@HOST:PORT for logs and reports (never the password). */
export function describeEndpoint(endpoint: ImapEndpoint): string {
  return `${endpoint.security === 'tls' ? 'imaps' : 'imap'}://${encodeURIComponent(endpoint.user)}@${endpoint.host}:${endpoint.port}`;
}
