import { spawn, type ChildProcess } from 'node:child_process';
import { ImapFlow } from 'imapflow';
import { randomBytes, randomUUID } from 'node:crypto';
import { createLogger } from '../../src/log/logger.js';
import { OvhClient } from '../../src/ovh/ovh-client.js';
import { createMailPlatformFactory, type OvhPlatformFactory } from '../../src/ovh/platform-factory.js';
import type { Copier, StepDeps } from '../../src/pipeline/dependencies.js';
import { createImapEndpointResolver } from '../../src/pipeline/imap-endpoints.js';
import type { MigrationEvent } from '../../src/pipeline/migration-service.js';
import type { QueueTuning } from '../../src/pipeline/queue-names.js';
import { defaultCopier, directoryFromFactory, type RuntimeObservers } from '../../src/pipeline/runtime.js';
import { SecretBox } from '../../src/pipeline/secret-box.js';
import { BullMigrationService } from '../../src/pipeline/bull-migration-service.js';
import { MigrationWorker, type MigrationWorkerOptions } from '../../src/pipeline/worker.js';
import { RedisServer } from '../../src/redis/redis-server.js';
import { OvhSimulator, sandboxFixture, type SimulatorFixture } from '../../src/sandbox/ovh-simulator/index.js';
import { startSandboxEws, type SandboxEws } from '../../src/sandbox/ews/ovh-binding.js';
import { createEwsAccess } from '../../src/pipeline/ews-access.js';

export const FAST_TUNING: Partial<QueueTuning> = {
  retryBudgetMs: 1_500,
  backoffMs: 100,
  maxBackoffMs: 400,
  approvalTimeoutMs: 60_000,
  lockDurationMs: 3_000,
  stalledIntervalMs: 1_000,
  progressIntervalMs: 100,
  batchConcurrency: 2,
};

const FAST_WAIT = { initialDelayMs: 20, maxDelayMs: 150, timeoutMs: 20_000 };

export const CLI: { kind: 'cli'; id: string } = { kind: 'cli', id: 'tester' };

/** Real parts for pipeline tests: a redis-server, the OVH simulator with its Dovecots, the OVH layer, the copier. */
export class Harness {
  readonly logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
  /** Hex, so that a worker in a child process can share it. */
  readonly secretsKey = randomBytes(32).toString('hex');
  readonly secrets = SecretBox.fromText(this.secretsKey);
  ovh!: { host: string; port: number; appKey: string; appSecret: string; consumerKey?: string };
  factory!: OvhPlatformFactory;
  deps!: StepDeps;
  private readonly closers: (() => Promise<unknown>)[] = [];

  /** The EWS doubles beside the simulator's Exchange services, when started with `ews: true`. */
  ews?: SandboxEws;

  private constructor(readonly redis: RedisServer, readonly sim: OvhSimulator) {}

  static async start(options: { fixture?: SimulatorFixture; taskDelayMs?: number; ews?: boolean } = {}): Promise<Harness> {
    const fixture = options.fixture ?? sandboxFixture();
    const [redis, sim] = await Promise.all([
      RedisServer.start(),
      OvhSimulator.start({ fixture, taskDelayMs: options.taskDelayMs ?? 30, renameDelayMs: options.taskDelayMs ?? 30 }),
    ]);
    const harness = new Harness(redis, sim);
    if (options.ews) harness.ews = await startSandboxEws(sim, fixture);
    const env = sim.endpointEnv();
    harness.ovh = { host: env.OVH_HOST!, port: Number(env.OVH_PORT), appKey: env.OVH_APP_KEY!, appSecret: env.OVH_APP_SECRET!, consumerKey: env.OVH_CONSUMER_KEY };
    const built = buildDeps({ ovh: harness.ovh, ca: sim.caCertificate, endpoints: sim.imapEndpoints(), secretsKey: harness.secretsKey, ...(harness.ews ? { ews: { endpoints: harness.ews.endpoints, ca: harness.ews.caCertificate } } : {}) }, harness.logger);
    harness.factory = built.factory;
    harness.deps = built.deps;
    return harness;
  }

  /** A service and a worker on a fresh queue prefix. */
  async pipeline(options: { tuning?: Partial<QueueTuning>; copier?: Copier; worker?: boolean; concurrency?: number } = {}) {
    const prefix = `t${randomUUID().slice(0, 8)}`;
    const tuning = { ...FAST_TUNING, ...options.tuning };
    const settings = { connection: this.redis.connection, prefix, tuning };
    const service = new BullMigrationService({ ...settings, directory: this.deps.directory, secrets: this.secrets, logger: this.logger, ...(this.deps.ews ? { ews: this.deps.ews } : {}) });
    this.closers.push(() => service.close());
    const events: MigrationEvent[] = [];
    const off = await service.subscribeReady((event) => events.push(event));
    this.closers.push(async () => off());
    let worker: MigrationWorker | undefined;
    if (options.worker !== false) {
      worker = await MigrationWorker.start({ ...settings, deps: { ...this.deps, copier: options.copier ?? this.deps.copier }, concurrency: options.concurrency ?? 2 });
      this.closers.push(() => worker!.close(true));
    }
    return { prefix, service, worker, events, settings };
  }

  /**
   * A worker in a child process (worker-child.ts; `crashAt` sets its CRASH_AT), once it takes jobs; `exited`
   * settles with the signal that ended it. The caller kills it in its `finally`.
   */
  async workerChild(settings: { connection: unknown; prefix: string; tuning: Partial<QueueTuning> }, crashAt?: string): Promise<{ child: ChildProcess; exited: Promise<NodeJS.Signals | null> }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/pipeline/worker-child.ts'], {
      env: { ...process.env, WORKER_CHILD: JSON.stringify(this.childConfig(settings)), ...(crashAt ? { CRASH_AT: crashAt } : {}) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker child exited with ${code} before it was ready`)));
      });
      await within(ready, 60_000, () => 'the worker child never said "ready"');
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return { child, exited };
  }

  /** Another worker (in this process) takes `jobId` over and runs it to its end; returns how it ended. */
  async rescue(service: BullMigrationService, settings: Pick<MigrationWorkerOptions, 'connection' | 'prefix' | 'tuning'>, jobId: string, timeoutMs = 90_000) {
    const rescuer = await MigrationWorker.start({ ...settings, deps: this.deps, concurrency: 1 });
    let ended: Awaited<ReturnType<typeof waitForState>>;
    try {
      ended = await waitForState(service, jobId, ['done', 'failed'], timeoutMs);
    } catch (error) {
      // a job that never ends would also keep a gentle close() waiting: say where it stands, and close by force
      const [status] = await service.status({ jobId }).catch(() => []);
      await rescuer.close(true);
      throw new Error(`${(error as Error).message}; the job stands at ${JSON.stringify({ state: status?.state, steps: status?.steps.map((s) => [s.name, s.status, s.run, s.detail]) })}`, { cause: error });
    }
    await rescuer.close();
    return ended;
  }

  /** What a worker in a child process needs to join this harness (see worker-child.ts). */
  childConfig(settings: { connection: unknown; prefix: string; tuning: Partial<QueueTuning> }): ChildConfig {
    return {
      ...settings,
      ovh: this.ovh,
      ca: this.sim.caCertificate,
      endpoints: this.sim.imapEndpoints(),
      secretsKey: this.secretsKey,
      ...(this.ews ? { ews: { endpoints: this.ews.endpoints, ca: this.ews.caCertificate } } : {}),
    };
  }

  async stop(): Promise<void> {
    while (this.closers.length) await this.closers.pop()!().catch(() => undefined);
    await this.ews?.stop();
    await Promise.all([this.sim.stop(), this.redis.stop()]);
  }

  /**
   * Every message of a mailbox as `message-id|flags|internaldate`, sorted (folder names differ across platforms).
   * A read the server cut (a session kicked by a rename, a killed worker's connections not yet reaped under load:
   * imapflow's NoConnection) is read again from the start, a few times: this only looks, so a retry hides nothing.
   */
  async messages(address: string, password: string): Promise<string[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.readMessages(address, password);
      } catch (error) {
        if (attempt >= 5 || (error as { code?: string }).code !== 'NoConnection') throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
      }
    }
  }

  private async readMessages(address: string, password: string): Promise<string[]> {
    const endpoint = this.sim.imapEndpointFor(address);
    const client = new ImapFlow({ host: endpoint.host, port: endpoint.port, secure: true, tls: { ca: [endpoint.ca] }, auth: { user: address, pass: password }, logger: false });
    client.on('error', () => undefined);
    await client.connect();
    const out: string[] = [];
    try {
      for (const folder of await client.list()) {
        if (folder.flags.has('\\Noselect')) continue;
        const lock = await client.getMailboxLock(folder.path, { readOnly: true });
        try {
          if ((client.mailbox as { exists: number }).exists === 0) continue;
          for await (const m of client.fetch('1:*', { envelope: true, flags: true, internalDate: true })) {
            const flags = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort().join(' ');
            out.push(`${m.envelope?.messageId}|${flags}|${new Date(m.internalDate as Date).toISOString()}`);
          }
        } finally {
          lock.release();
        }
      }
    } finally {
      await client.logout().catch(() => client.close());
    }
    return out.sort();
  }
}

/** The destination's initial password, as its recipient (the CLI requester here) sees it. */
export async function destinationPassword(service: BullMigrationService, jobId: string, by: { kind: 'cli' | 'slack'; id: string } = CLI): Promise<string> {
  const revealed = await service.revealDestinationPassword(jobId, by);
  if (!revealed.ok) throw new Error(`no password for ${jobId}: ${revealed.reason}`);
  return revealed.password;
}

/** Resolves with the first event matching, or rejects after timeoutMs. */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `promise`, or an error naming `what` if it has not settled within `ms` (a hang says where, not just "timed out"). */
export async function within<T>(promise: Promise<T>, ms: number, what: () => string | Promise<string>): Promise<T> {
  const LATE = Symbol('late');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => (timer = setTimeout(() => resolve(LATE), ms)));
  try {
    const first = await Promise.race([promise, late]);
    if (first === LATE) throw new Error(`nothing after ${ms} ms: ${await what()}`);
    return first as T;
  } finally {
    clearTimeout(timer);
  }
}

/** The request a stall holds, once the worker sent it; else an error with where the job stands. */
export function heldRequest<T>(held: Promise<T>, service: BullMigrationService, jobId: string): Promise<T> {
  return within(held, 60_000, async () => `the worker never sent the held request; the job: ${JSON.stringify((await service.status({ jobId }))[0]?.steps)}`);
}

export async function waitForState(service: BullMigrationService, jobId: string, states: string[], timeoutMs = 40_000) {
  return waitFor(
    async () => {
      const [status] = await service.status({ jobId });
      return status && states.includes(status.state) ? status : undefined;
    },
    timeoutMs,
    `${jobId} to reach ${states.join('/')}`,
  );
}

export interface ChildConfig {
  connection?: unknown;
  prefix?: string;
  tuning?: Partial<QueueTuning>;
  ovh: { host: string; port: number; appKey: string; appSecret: string; consumerKey?: string };
  ca: string;
  endpoints: Record<string, string>;
  secretsKey: string;
  /** EWS_ENDPOINTS and the doubles' CA, when the harness runs them. */
  ews?: { endpoints: Record<string, string>; ca?: string };
}

/** The OVH layer, the copier and the IMAP lookup, wired for tests (fast polling). */
export function buildDeps(config: ChildConfig, logger: StepDeps['logger'], observers: RuntimeObservers = {}): { factory: OvhPlatformFactory; deps: StepDeps } {
  const client = new OvhClient({ ...config.ovh, ca: config.ca, baseDelayMs: 20, maxDelayMs: 200, ...(observers.ovh ? { observer: observers.ovh } : {}) });
  const factory = createMailPlatformFactory(client, { taskWait: FAST_WAIT, stateWait: FAST_WAIT, cacheMs: 60_000 });
  return {
    factory,
    deps: {
      directory: directoryFromFactory(factory),
      copier: defaultCopier,
      imapEndpoint: createImapEndpointResolver({ endpoints: config.endpoints, ca: config.ca }),
      secrets: SecretBox.fromText(config.secretsKey),
      mxRelay: 'mx1.mail.ovh.net',
      imapConnections: 2,
      logger,
      ...(config.ews ? { ews: createEwsAccess({ endpoints: config.ews.endpoints, ...(config.ews.ca ? { ca: config.ews.ca } : {}) }) } : {}),
      ...(observers.copy ? { copyObserver: observers.copy } : {}),
      ...(observers.pipeline ? { observer: observers.pipeline } : {}),
    },
  };
}
