import { readFileSync } from 'node:fs';
import type { ImapEndpoint } from '../imap/endpoint.js';
import type { MailPlatform } from '../ovh/mail-platform.js';
import type { ImapEndpointResolver } from './dependencies.js';

export interface ImapEndpointOptions {
  /** IMAP_ENDPOINTS: where to really connect for a host name (`host` -> `ip:port`), like /etc/hosts. */
  endpoints?: Record<string, string>;
  /** IMAP_CA_FILE contents. */
  ca?: string;
}

/** Parses IMAP_ENDPOINTS (`{"ex1.sandbox.local":"127.0.0.1:40993"}`) with a readable error. */
export function parseImapEndpoints(text: string | undefined): Record<string, string> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('IMAP_ENDPOINTS must be JSON such as {"ex1.sandbox.local":"127.0.0.1:40993"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.values(value).every((v) => typeof v === 'string')) {
    throw new Error('IMAP_ENDPOINTS must be a JSON object of "host": "ip:port" strings');
  }
  return value as Record<string, string>;
}

/**
 * Where the copier logs in: the platform's client settings (the OVH layer decides the host, IMAP_HOSTS
 * included), then IMAP_ENDPOINTS maps that host to the address really dialled (the sandbox's Dovecot).
 */
export function createImapEndpointResolver(options: ImapEndpointOptions = {}): ImapEndpointResolver {
  return async (platform: MailPlatform, address: string, password: string): Promise<ImapEndpoint> => {
    const settings = await platform.clientSettings();
    let host = settings.imap.host;
    let port = settings.imap.port;
    const mapped = options.endpoints?.[`${host}:${port}`] ?? options.endpoints?.[host];
    if (mapped) {
      const match = /^(.*):(\d+)$/.exec(mapped);
      host = match ? match[1]! : mapped;
      if (match) port = Number(match[2]);
    }
    return { host, port, security: settings.imap.security, user: address, password, ca: options.ca };
  };
}

export function readCaFile(path: string | undefined): string | undefined {
  return path ? readFileSync(path, 'utf8') : undefined;
}
