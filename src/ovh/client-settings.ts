import type { Platform } from '../domain/platform.js';
import type { ClientSettings } from './mail-platform.js';

/** MX Plan's shared IMAP/SMTP host (OVH guide "Configurer son adresse e-mail MX Plan sur Thunderbird"). */
const MXPLAN_MAIL_HOST = 'ssl0.ovh.net';
/** Webmail when the service gives no `webUrl` (OVH guide "Gérer le quota de son adresse e-mail"). */
const DEFAULT_WEBMAIL_URL = 'https://www.ovhcloud.com/fr/mail/';
const IMAPS_PORT = 993;

/**
 * IMAP host overrides from IMAP_HOSTS: a JSON object whose keys are a service name (`ORG/SERVICE`, `SERVICE`,
 * a legacy domain) or a platform kind (`exchange`, `emailpro`, `mxplan`, `mxplan-legacy`), and whose values are
 * `HOST` or `HOST:PORT`. A service key wins over a platform key.
 */
export type ImapHostOverrides = Record<string, string>;

export function parseImapHosts(json: string | undefined): ImapHostOverrides {
  if (!json) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error('IMAP_HOSTS must be a JSON object such as {"exchange":"ex5.mail.ovh.net"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new Error('IMAP_HOSTS must be a JSON object of strings such as {"exchange":"ex5.mail.ovh.net","my-pro-svc":"pro1.mail.ovh.net:993"}');
  }
  return parsed as ImapHostOverrides;
}

function splitHostPort(value: string): { host: string; port?: number } {
  const match = /^(.*):(\d+)$/.exec(value);
  if (match && !match[1]!.includes(':')) return { host: match[1]!, port: Number(match[2]) };
  return { host: value };
}

/**
 * The one place that decides where users (and our copier) reach a service over IMAP and SMTP.
 * IMAP: override, else the service's `hostname` (as far as public sources show, the IMAP host), else the
 * platform's shared host. Port 993 (implicit TLS) everywhere. SMTP: 587 STARTTLS on the IMAP host for Exchange
 * and E-mail Pro; 465 implicit TLS on ssl0.ovh.net for MX Plan.
 */
export function clientSettingsFor(input: {
  platform: Platform;
  service: string;
  hostname?: string | null;
  webUrl?: string | null;
  overrides?: ImapHostOverrides;
}): ClientSettings {
  const override = input.overrides?.[input.service] ?? input.overrides?.[input.platform];
  const mxplan = input.platform === 'mxplan' || input.platform === 'mxplan-legacy';
  const fallback = mxplan ? MXPLAN_MAIL_HOST : undefined;
  const chosen = override ? splitHostPort(override) : input.hostname ? splitHostPort(input.hostname) : fallback ? { host: fallback } : undefined;
  if (!chosen) {
    throw new Error(`no IMAP host known for ${input.service}: the service has no hostname; set IMAP_HOSTS, e.g. {"${input.service}":"ex5.mail.ovh.net"}`);
  }
  return {
    imap: { host: chosen.host, port: chosen.port ?? IMAPS_PORT, security: 'tls' },
    smtp: mxplan ? { host: MXPLAN_MAIL_HOST, port: 465, security: 'tls' } : { host: chosen.host, port: 587, security: 'starttls' },
    webmailUrl: input.webUrl || DEFAULT_WEBMAIL_URL,
  };
}
