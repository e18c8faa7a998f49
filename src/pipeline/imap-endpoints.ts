import { readFileSync } from 'node:fs';
import type { Platform } from '../domain/platform.js';
import type { ImapEndpoint } from '../imap/endpoint.js';
import type { MailPlatform } from '../ovh/mail-platform.js';
import type { ImapEndpointResolver } from './types.js';

export interface ImapEndpointOptions {
  /** IMAP_HOSTS: host override per platform kind. */
  hosts?: Partial<Record<Platform, string>>;
  /** IMAP_CA_FILE contents. */
  ca?: string;
}

/** Parses IMAP_HOSTS (`{"exchange":"ex5.mail.ovh.net"}`); a readable error when it is not that shape. */
export function parseImapHosts(text: string | undefined): Partial<Record<Platform, string>> {
  if (!text) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('IMAP_HOSTS must be JSON such as {"exchange":"ex5.mail.ovh.net"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('IMAP_HOSTS must be a JSON object');
  return value as Partial<Record<Platform, string>>;
}

/**
 * The one place that decides where to log in over IMAP: the platform's client settings (the service
 * `hostname`, port 993 with TLS), unless IMAP_HOSTS overrides the host for that platform kind.
 */
export function createImapEndpointResolver(options: ImapEndpointOptions = {}): ImapEndpointResolver {
  return async (platform: MailPlatform, address: string, password: string): Promise<ImapEndpoint> => {
    const settings = await platform.clientSettings();
    return {
      host: options.hosts?.[platform.platform] ?? settings.imap.host,
      port: settings.imap.port,
      security: settings.imap.security,
      user: address,
      password,
      ca: options.ca,
    };
  };
}

export function readCaFile(path: string | undefined): string | undefined {
  return path ? readFileSync(path, 'utf8') : undefined;
}
