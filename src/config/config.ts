import { z } from 'zod';

const csv = z
  .string()
  .transform((value) => value.split(/[\s,]+/).filter(Boolean))
  .pipe(z.array(z.string()));

const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => ['true', '1', 'yes'].includes(value));

const PORT_MESSAGE = 'must be a TCP port number from 0 to 65535 (0 picks a free port, which is logged)';

/**
 * Every setting the product reads, from the environment. One schema, parsed once at start-up; a bad value
 * stops the process with a message naming the variable and what it should look like.
 */
export const configSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

  // Redis: without REDIS_URL, `start` runs a private redis-server under DATA_DIR (the embedded default).
  /**
   * redis://HOST:PORT, rediss://HOST:PORT, or a Sentinel configuration:
   * redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB][?sentinelPassword=...] (see connectionFromUrl).
   */
  REDIS_URL: z
    .string()
    .regex(/^rediss?(\+sentinel)?:\/\//, 'must look like redis://HOST:PORT or rediss://HOST:PORT, or redis+sentinel://HOST:PORT[,HOST:PORT...]/MASTER for Sentinel')
    .optional(),
  /** Redis Sentinel without a URL: the sentinels, HOST:PORT[,HOST:PORT...] (port 26379 when left out), with REDIS_SENTINEL_NAME. */
  REDIS_SENTINELS: z
    .string()
    .regex(/^\s*(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?(\s*,\s*(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(:\d{1,5})?)*\s*$/, 'must be HOST:PORT[,HOST:PORT...], e.g. sentinel1:26379,sentinel2:26379')
    .optional(),
  /** The master name the sentinels monitor (`sentinel monitor NAME ...` in their configuration). */
  REDIS_SENTINEL_NAME: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/, 'must be the master name the sentinels monitor (letters, digits, . _ -)').optional(),
  DATA_DIR: z.string().default('.data'),
  QUEUE_PREFIX: z.string().default('migrate-mailbox'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),

  // OVH API 1.0: a named endpoint, or a custom host (the simulator) given as OVH_HOST[:OVH_PORT].
  OVH_ENDPOINT: z.enum(['ovh-eu', 'ovh-ca', 'ovh-us']).default('ovh-eu'),
  OVH_HOST: z.string().optional(),
  OVH_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  OVH_APP_KEY: z.string().min(1).optional(),
  OVH_APP_SECRET: z.string().min(1).optional(),
  OVH_CONSUMER_KEY: z.string().min(1).optional(),
  /** PEM file of an extra CA to trust for OVH_HOST (the simulator's self-signed certificate). */
  OVH_CA_FILE: z.string().optional(),
  /** MX relay used when attaching a domain as non-authoritative (OVH guide: an OVH MX such as mx1.mail.ovh.net). */
  OVH_MX_RELAY: z.string().default('mx1.mail.ovh.net'),

  /** IMAP host override per platform kind, JSON: {"exchange":"ex5.mail.ovh.net"}; default is the service hostname. */
  IMAP_HOSTS: z.string().optional(),
  /** PEM file of extra CAs for IMAP servers (the sandbox's Dovecot). */
  IMAP_CA_FILE: z.string().optional(),
  IMAP_CONNECTIONS: z.coerce.number().int().min(1).max(10).default(4),
  /**
   * Where to actually connect for an IMAP host, JSON {"ex1.sandbox.local":"127.0.0.1:40993"}: like /etc/hosts
   * for the copier (the sandbox prints it); users still see the service's own host name.
   */
  IMAP_ENDPOINTS: z.string().optional(),

  /** EWS host override per platform kind or service, JSON like IMAP_HOSTS; default: the IMAP host of the service. */
  EWS_HOSTS: z.string().optional(),
  /** Where to actually connect for an EWS host, JSON {"ex1.sandbox.local":"127.0.0.1:40443"} (the sandbox prints it). */
  EWS_ENDPOINTS: z.string().optional(),
  /** PEM file of extra CAs for EWS servers (the sandbox's EWS doubles). */
  EWS_CA_FILE: z.string().optional(),

  // Pipeline (queue) tuning
  /** First delay before a transient failure (OVH 5xx, network) is retried, doubled each time up to 5 minutes. */
  JOB_BACKOFF_MS: z.coerce.number().int().min(10).default(5_000),
  /** How long a request waits for Approve/Reject before it expires. */
  APPROVAL_TIMEOUT_HOURS: z.coerce.number().positive().default(168),
  /** Mailboxes of one CSV batch migrated at once. */
  BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(3),
  /** Rows a batch CSV may have; a longer file is refused before anything starts. */
  BATCH_MAX_ROWS: z.coerce.number().int().min(1).max(100_000).default(500),
  /** How long OVH 5xx answers and network errors are retried, with backoff, before a job fails (minutes). */
  OVH_RETRY_MINUTES: z.coerce.number().positive().max(24 * 60).default(30),
  /**
   * How long the audit trail (requests, decisions, follow-ups, password hand-overs) keeps an entry, in days: older
   * entries are trimmed from the stream at each write.
   */
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(1).max(36_500).default(365),
  /**
   * A worker holds each running job under a lock it renews; when it dies, another worker takes the job over
   * once the lock expires: about this long (seconds).
   */
  JOB_LOCK_SECONDS: z.coerce.number().int().min(5).max(3600).default(60),

  /** 32 bytes, base64 or hex: encrypts the migration secrets kept in Redis (AES-256-GCM). */
  SECRETS_KEY: z
    .string()
    .refine((value) => /^[0-9a-f]{64}$/i.test(value) || Buffer.from(value, 'base64').length === 32, {
      message: 'must be 32 bytes as 64 hex digits or base64; make one with: openssl rand -hex 32',
    })
    .optional(),

  // Slack
  SLACK_BOT_TOKEN: z.string().regex(/^xoxb-/, 'must be a bot token starting with xoxb-').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().regex(/^xapp-/, 'must be an app-level token starting with xapp-').optional(),
  SLACK_MODE: z.enum(['socket', 'http']).default('socket'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  SLACK_API_URL: z.string().url().optional(),
  /** Slack user ids (U...) and user-group ids (S...) allowed to approve. */
  APPROVERS: csv.default([]),
  /** Slack user ids and user-group ids allowed to request migrations; default (unset): the approvers. */
  REQUESTERS: csv.optional(),
  /** Who receives the destination's initial password: the requester (default) or the approver who approved. */
  HANDOVER_TO: z.enum(['requester', 'approver']).default('requester'),
  ALLOW_SELF_APPROVAL: booleanFlag.default(false),
  /** Channel where requests are posted; default: the channel where the command was typed. */
  SLACK_REQUESTS_CHANNEL: z.string().optional(),

  // Prometheus metrics, served by `start` and `worker` at /metrics; off unless METRICS_PORT is set.
  /** TCP port of /metrics; 0 picks a free one (logged). */
  METRICS_PORT: z.coerce
    .number({ error: PORT_MESSAGE })
    .int(PORT_MESSAGE)
    .min(0, PORT_MESSAGE)
    .max(65535, PORT_MESSAGE)
    .optional(),
  /** Address /metrics listens on; loopback unless Prometheus scrapes from another machine. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),

  // Queue dashboard (bull-board), served by `start` and `worker`; off unless DASHBOARD_PORT is set.
  /** TCP port of the dashboard; 0 picks a free one (logged). */
  DASHBOARD_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** Address the dashboard listens on; loopback unless you put a TLS proxy (or a trusted network) in front. */
  DASHBOARD_HOST: z.string().min(1).default('127.0.0.1'),
  /** Required with DASHBOARD_PORT: sent as `Authorization: Bearer TOKEN`, or as the password of basic auth (any user name). */
  DASHBOARD_TOKEN: z.string().min(16, 'must be at least 16 characters; make one with: openssl rand -hex 32').optional(),
  /** Lets dashboard users retry, promote, clean and remove jobs; read-only otherwise. */
  DASHBOARD_READ_WRITE: booleanFlag.default(false),
})
  .superRefine((config, ctx) => {
    if (config.REDIS_SENTINELS && config.REDIS_URL) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'set either REDIS_URL or REDIS_SENTINELS with REDIS_SENTINEL_NAME, not both' });
    }
    if (config.REDIS_SENTINELS && !config.REDIS_SENTINEL_NAME) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_NAME'], message: 'required with REDIS_SENTINELS: the master name the sentinels monitor' });
    }
    if (config.REDIS_SENTINEL_NAME && !config.REDIS_SENTINELS && !config.REDIS_URL?.includes('+sentinel:')) {
      ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'required with REDIS_SENTINEL_NAME: the sentinels, HOST:PORT[,HOST:PORT...]' });
    }
    if (config.DASHBOARD_PORT !== undefined && !config.DASHBOARD_TOKEN) {
      ctx.addIssue({
        code: 'custom',
        path: ['DASHBOARD_TOKEN'],
        message: 'required when DASHBOARD_PORT is set: the queue dashboard refuses every request without it. Make one with: openssl rand -hex 32',
      });
    }
  })
  // REDIS_SENTINELS + REDIS_SENTINEL_NAME are one more way to write REDIS_URL: everything downstream reads REDIS_URL.
  .transform((config) =>
    config.REDIS_SENTINELS && config.REDIS_SENTINEL_NAME && !config.REDIS_URL
      ? { ...config, REDIS_URL: `redis+sentinel://${config.REDIS_SENTINELS.split(',').map((s) => s.trim()).join(',')}/${config.REDIS_SENTINEL_NAME}` }
      : config,
  );

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}\nFix these environment variables and start again.`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws a ConfigError listing every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const result = configSchema.safeParse(present);
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`));
  }
  return result.data;
}

/** Like loadConfig, but also requires the variables a command cannot run without. */
export function requireConfig<K extends keyof Config>(config: Config, keys: K[], why: string): Config & Required<Pick<Config, K>> {
  const missing = keys.filter((key) => config[key] === undefined);
  if (missing.length > 0) throw new ConfigError(missing.map((key) => `${String(key)}: required ${why}`));
  return config as Config & Required<Pick<Config, K>>;
}
