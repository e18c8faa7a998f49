import { resolve } from 'node:path';
import type { ConnectionOptions } from 'bullmq';
import { requireConfig, type Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { copyMailbox } from '../imap/copy-mailbox.js';
import { createMailPlatformFactoryFromConfig, type OvhPlatformFactory } from '../ovh/platform-factory.js';
import { openEmbeddedRedis, type EmbeddedRedis } from '../redis/embedded-redis.js';
import type { Copier, PlatformDirectory, StepDeps } from './dependencies.js';
import { createEwsAccess, parseEwsHosts } from './ews-access.js';
import { createImapEndpointResolver, parseImapEndpoints, readCaFile } from './imap-endpoints.js';
import { SecretBox } from './secret-box.js';
import { BullMigrationService } from './bull-migration-service.js';
import { MigrationWorker } from './worker.js';
import type { QueueTuning } from './queue-names.js';
import type { CopyObserver } from '../imap/copy-observer.js';
import type { OvhObserver } from '../ovh/ovh-observer.js';
import type { PipelineObserver } from './pipeline-observer.js';

/** Who watches the OVH calls, the IMAP copies and the worker's steps (the metrics of `start` and `worker`). */
export interface RuntimeObservers {
  ovh?: OvhObserver;
  copy?: CopyObserver;
  pipeline?: PipelineObserver;
}

const SECRETS_KEY_WHY =
  'by every command that queues or runs migrations: it encrypts the migration passwords kept in Redis and signs approvals. ' +
  'Make one with `openssl rand -hex 32`, keep it with the other credentials, and give the same one to the bot and every worker ' +
  '(`sandbox` and `demo` make their own)';

/** The PlatformDirectory over the OVH layer's factory (service discovery and account lookup). */
export function directoryFromFactory(factory: OvhPlatformFactory): PlatformDirectory {
  return {
    listServices: () => factory.discoverServices(),
    open: (service) => factory(service),
    async findAccount(address) {
      const found = await factory.findAccount(address);
      return found ? { platform: await factory(found.service), account: found.account } : undefined;
    },
  };
}

export const defaultCopier: Copier = (options) => copyMailbox(options);

/** Queue timings from configuration. */
export function tuningFromConfig(config: Config): Partial<QueueTuning> {
  return {
    retryBudgetMs: config.OVH_RETRY_MINUTES * 60_000,
    backoffMs: config.JOB_BACKOFF_MS,
    lockDurationMs: config.JOB_LOCK_SECONDS * 1000,
    approvalTimeoutMs: config.APPROVAL_TIMEOUT_HOURS * 3600_000,
    batchConcurrency: config.BATCH_CONCURRENCY,
  };
}

/**
 * Redis: REDIS_URL, or the embedded default: a private redis-server under DATA_DIR, shared by our processes on
 * that DATA_DIR. `server.stop()` is this process leaving it: the process that started it stops it, unless
 * others still use it (see src/redis/embedded-redis.ts); the others never stop it under a live owner.
 */
export async function connectRedis(config: Config, logger: Logger, options: { embedded: boolean }): Promise<{ connection: ConnectionOptions; url: string; server?: EmbeddedRedis }> {
  if (config.REDIS_URL) return { connection: connectionFromUrl(config.REDIS_URL), url: config.REDIS_URL };
  if (!options.embedded) throw new Error('REDIS_URL is not set: point it at the Redis that the bot and the workers share (redis://HOST:6379)');
  const server = await openEmbeddedRedis(resolve(config.DATA_DIR, 'redis'), { logger });
  return { connection: server.connection, url: server.url, server };
}

/**
 * ioredis (BullMQ) options from REDIS_URL: `redis://` and `rediss://` (TLS) for one server, or a Sentinel
 * configuration, `redis+sentinel://[[USER]:PASSWORD@]HOST[:PORT][,HOST[:PORT]...]/MASTER[/DB][?sentinelUsername=U&sentinelPassword=P]`
 * (`rediss+sentinel://`: TLS to the sentinels and to the master): the client asks the sentinels where MASTER is, and
 * asks again after a failover (it listens for the sentinels' +switch-master announcement). USER and PASSWORD are the master's; the sentinels' own credentials go in the query.
 * Ports default to 6379 (a server) and 26379 (a sentinel).
 */
export function connectionFromUrl(url: string): ConnectionOptions {
  const sentinel = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?#@]+)\/([^/?#]+)(?:\/(\d+))?\/?(?:\?([^#]*))?$/.exec(url);
  if (/^rediss?\+sentinel:/i.test(url) && !sentinel) {
    throw new Error('REDIS_URL: a Sentinel configuration looks like redis+sentinel://[:PASSWORD@]HOST:PORT[,HOST:PORT...]/MASTER[/DB]');
  }
  if (sentinel) {
    const [, scheme, auth, hostList, master, db, query] = sentinel;
    const sentinels = hostList!.split(',').map((entry) => {
      const hostPort = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+))(?::(\d{1,5}))?\s*$/.exec(entry);
      if (!hostPort) throw new Error(`REDIS_URL: ${JSON.stringify(entry)} is not HOST:PORT (a sentinel)`);
      return { host: hostPort[1] ?? hostPort[2]!, port: hostPort[3] ? Number(hostPort[3]) : 26379 };
    });
    const colon = auth?.indexOf(':') ?? -1;
    const username = auth ? decodeURIComponent(colon >= 0 ? auth.slice(0, colon) : '') : '';
    const password = auth && colon >= 0 ? decodeURIComponent(auth.slice(colon + 1)) : '';
    const params = new URLSearchParams(query ?? '');
    const tls = scheme === 'rediss';
    return {
      sentinels,
      name: decodeURIComponent(master!),
      // leave the old master as soon as a sentinel announces +switch-master, not only once it is demoted
      failoverDetector: true,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(db ? { db: Number(db) } : {}),
      ...(params.get('sentinelUsername') ? { sentinelUsername: params.get('sentinelUsername')! } : {}),
      ...(params.get('sentinelPassword') ? { sentinelPassword: params.get('sentinelPassword')! } : {}),
      ...(tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
    };
  }
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 6379,
    username: parsed.username ? decodeURIComponent(parsed.username) : undefined,
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}

export interface Runtime {
  config: Config;
  logger: Logger;
  connection: ConnectionOptions;
  secrets: SecretBox;
  directory: PlatformDirectory;
  deps: StepDeps;
  service: BullMigrationService;
  startWorker(concurrency?: number): Promise<MigrationWorker>;
  /** `force`: leave running jobs to be resumed by another worker instead of waiting for them. */
  close(options?: { force?: boolean }): Promise<void>;
}

/**
 * Wires the pipeline from configuration: Redis (shared or embedded), the secrets key, the OVH factory, the
 * copier and the IMAP endpoint lookup. Every command builds on this.
 */
export async function createRuntime(config: Config, logger: Logger, options: { embeddedRedis: boolean; copier?: Copier; observers?: RuntimeObservers }): Promise<Runtime> {
  // before anything starts: a missing key must not leave an embedded redis-server behind
  const secrets = SecretBox.fromText(requireConfig(config, ['SECRETS_KEY'], SECRETS_KEY_WHY).SECRETS_KEY);
  const redis = await connectRedis(config, logger, { embedded: options.embeddedRedis });
  const observers = options.observers ?? {};
  const factory = createMailPlatformFactoryFromConfig(config, { logger, ...(observers.ovh ? { client: { observer: observers.ovh } } : {}) });
  const directory = directoryFromFactory(factory);
  const ews = createEwsAccess({ hosts: parseEwsHosts(config.EWS_HOSTS), endpoints: parseImapEndpoints(config.EWS_ENDPOINTS), ca: readCaFile(config.EWS_CA_FILE) });
  const deps: StepDeps = {
    directory,
    copier: options.copier ?? defaultCopier,
    imapEndpoint: createImapEndpointResolver({ endpoints: parseImapEndpoints(config.IMAP_ENDPOINTS), ca: readCaFile(config.IMAP_CA_FILE) }),
    secrets,
    mxRelay: config.OVH_MX_RELAY,
    imapConnections: config.IMAP_CONNECTIONS,
    logger,
    ews,
    ...(observers.copy ? { copyObserver: observers.copy } : {}),
    ...(observers.pipeline ? { observer: observers.pipeline } : {}),
  };
  const settings = { connection: redis.connection, prefix: config.QUEUE_PREFIX, tuning: tuningFromConfig(config) };
  const service = new BullMigrationService({
    ...settings,
    directory,
    secrets,
    logger,
    ews,
    mxRelay: config.OVH_MX_RELAY,
    handoverTo: config.HANDOVER_TO,
    allowSelfApproval: config.ALLOW_SELF_APPROVAL,
    batchMaxRows: config.BATCH_MAX_ROWS,
    auditRetentionDays: config.AUDIT_RETENTION_DAYS,
  });
  const workers: MigrationWorker[] = [];
  return {
    config,
    logger,
    connection: redis.connection,
    secrets,
    directory,
    deps,
    service,
    async startWorker(concurrency = config.WORKER_CONCURRENCY) {
      const worker = await MigrationWorker.start({ ...settings, deps, concurrency });
      workers.push(worker);
      return worker;
    },
    async close(options = {}) {
      for (const worker of workers) await worker.close(options.force);
      await service.close();
      await redis.server?.stop();
    },
  };
}
