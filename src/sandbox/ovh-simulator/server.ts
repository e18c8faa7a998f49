import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { selfSignedCertificate } from '../certificate.js';
import type { DovecotServer } from '../dovecot.js';
import { Authenticator, randomCredentials, type SimulatorCredentials } from './auth.js';
import { DovecotBinding } from './dovecot-binding.js';
import { badRequest, classError, notFound, OvhApiError } from './errors.js';
import { Faults } from './faults.js';
import { sandboxFixture, type SimulatorFixture } from './fixture.js';
import { stateFromFixture } from './load-fixture.js';
import { fallbackHandler, implementedRoutes, type HandlerContext, type RouteTable } from './routes/index.js';
import { ovhSchemaIndex, type SchemaIndex } from './schema.js';
import { addressOf, SimulatorState, type SimPlatform, type SimulatorStateData } from './state.js';
import { TaskEngine } from './tasks.js';
import { Validator } from './validation.js';

export interface SimulatorLogger {
  debug?(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface OvhSimulatorOptions {
  fixture?: SimulatorFixture;
  /** Time a task spends in `todo` then `doing` (ms). Default 300. */
  taskDelayMs?: number;
  /** Time an account rename / slot configuration takes (ms). Default: taskDelayMs. */
  renameDelayMs?: number;
  /** Keep Dovecot mail, state, credentials and certificate here across restarts (the CLI sandbox). */
  dataDir?: string;
  /** HTTPS port (default: any free port). */
  port?: number;
  logger?: SimulatorLogger;
}

export interface RequestLogEntry {
  method: string;
  /** Path after `/1.0`, percent-decoded (`@`, not `%40`). */
  path: string;
  /** The schema template it matched, when it matched one. */
  route?: string;
  query: Record<string, string | string[]>;
  body: unknown;
  status: number;
  errorCode?: string;
  at: Date;
}

export interface ImapEndpointInfo {
  host: string;
  /** Implicit TLS port (the simulator's "993"). */
  port: number;
  security: 'tls';
  /** Plain port with STARTTLS. */
  plainPort: number;
  /** PEM to trust (the same self-signed certificate as the HTTPS API). */
  ca: string;
  /** The service's `hostname` field, the key of IMAP_ENDPOINTS. */
  hostname: string;
}

export const BASE_PATH = '/1.0';
/** One key pair per process: RSA generation is the slowest part of a start. */
let certificateOnce: Promise<{ cert: string; key: string }> | undefined;
/** Host name of the legacy MX Plan IMAP server in public docs; mapped to the legacy Dovecot in IMAP_ENDPOINTS. */
export const LEGACY_MXPLAN_IMAP_HOST = 'ssl0.ovh.net';

/**
 * A local, faithful-enough OVH API 1.0 for the e-mail platforms, over HTTPS, backed by one real Dovecot per
 * service. See the report in the commit history / README for what it does and what it invents.
 */
export class OvhSimulator {
  readonly host = '127.0.0.1';
  readonly faults = new Faults();
  readonly requests: RequestLogEntry[] = [];
  readonly state: SimulatorState;
  private readonly auth: Authenticator;
  private readonly validator: Validator;
  private readonly routes: RouteTable;
  private readonly tasks: TaskEngine;
  private server: Server | undefined;
  private persistTimer: NodeJS.Timeout | undefined;
  private tempDir: string | undefined;
  private queryCounter = 0;
  port = 0;

  private constructor(
    data: SimulatorStateData,
    readonly credentials: SimulatorCredentials,
    readonly caCertificate: string,
    private readonly certificateKey: string,
    private readonly binding: DovecotBinding,
    private readonly options: Required<Pick<OvhSimulatorOptions, 'taskDelayMs' | 'renameDelayMs'>> & OvhSimulatorOptions,
    readonly schema: SchemaIndex,
  ) {
    this.state = new SimulatorState(data);
    this.auth = new Authenticator(credentials);
    this.validator = new Validator(schema);
    this.routes = implementedRoutes();
    for (const { method, path } of this.routes.handlers) {
      if (!schema.has(method, path)) throw new Error(`simulator route ${method} ${path} is not in the OVH schemas`);
    }
    this.tasks = new TaskEngine(this.state, this.faults, {
      taskDelayMs: options.taskDelayMs,
      onChange: () => this.changed(),
      onError: (task, error) => this.options.logger?.error({ task, err: error }, 'simulated task failed'),
    });
  }

  static async start(options: OvhSimulatorOptions = {}): Promise<OvhSimulator> {
    const taskDelayMs = options.taskDelayMs ?? 300;
    const renameDelayMs = options.renameDelayMs ?? taskDelayMs;
    const dataDir = options.dataDir;
    if (dataDir) await mkdir(dataDir, { recursive: true });
    // Credentials and certificate: kept in dataDir so a restarted sandbox keeps its keys.
    const secretsFile = dataDir ? join(dataDir, 'simulator-secrets.json') : undefined;
    let secrets: { credentials: SimulatorCredentials; cert: string; key: string } | undefined;
    if (secretsFile && existsSync(secretsFile)) secrets = JSON.parse(await readFile(secretsFile, 'utf8'));
    if (!secrets) {
      const { cert, key } = await (certificateOnce ??= selfSignedCertificate('127.0.0.1'));
      secrets = { credentials: randomCredentials(), cert, key };
      if (secretsFile) await writeFile(secretsFile, JSON.stringify(secrets), { mode: 0o600 });
    }
    const stateFile = dataDir ? join(dataDir, 'simulator-state.json') : undefined;
    let data: SimulatorStateData;
    let seeds: ReturnType<typeof stateFromFixture>['seeds'] = [];
    const fresh = !(stateFile && existsSync(stateFile));
    if (!fresh) {
      data = JSON.parse(await readFile(stateFile!, 'utf8'));
      // work that was running when the sandbox stopped is lost: its tasks end in error, its objects go back
      // to their state before the call (as a failed task leaves them)
      for (const task of data.tasks) if (task.status === 'todo' || task.status === 'doing') task.status = 'error';
      for (const service of data.services) {
        service.accounts = service.accounts.filter((a) => !a.hidden);
        for (const account of service.accounts) {
          account.pendingRename = undefined;
          if (account.state === 'creating' || account.state === 'deleting') account.state = 'ok';
          account.taskPendingId = 0;
          account.protocol.taskPendingId = 0;
          for (const alias of account.aliases) alias.taskPendingId = 0;
        }
        for (const domain of service.domains) {
          if (domain.state !== 'ok') domain.state = 'ok';
          domain.taskPendingId = 0;
        }
        // groups whose creation was running are dropped; links keep what they had
        service.mailingLists = service.mailingLists.filter((m) => !m.hidden && m.state !== 'creating');
        for (const list of service.mailingLists) {
          list.state = 'ok';
          list.taskPendingId = 0;
          for (const links of [list.memberAccounts, list.memberContacts, list.managers, list.sendAs, list.sendOnBehalfTo, list.aliases]) {
            for (const link of links ?? []) link.taskPendingId = 0;
          }
        }
      }
    } else {
      ({ data, seeds } = stateFromFixture(options.fixture ?? sandboxFixture()));
    }
    const binding = new DovecotBinding({ cert: secrets.cert, key: secrets.key }, dataDir);
    const sim = new OvhSimulator(data, secrets.credentials, secrets.cert, secrets.key, binding, { ...options, taskDelayMs, renameDelayMs }, ovhSchemaIndex());
    try {
      await binding.start(data.services, fresh);
      await Promise.all(seeds.map((seed) => binding.seed(sim.state.service(seed.serviceKey)!, seed.address, seed.folders)));
      await sim.listen(options.port ?? 0);
      await sim.caFile();
      if (fresh) sim.changed();
    } catch (error) {
      await sim.stop().catch(() => undefined);
      throw error;
    }
    options.logger?.info({ port: sim.port, services: data.services.map((s) => s.key) }, 'OVH API simulator started');
    return sim;
  }

  private async listen(port: number): Promise<void> {
    this.server = createServer({ cert: this.caCertificate, key: this.certificateKey }, (req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, this.host, () => resolve());
    });
    const address = this.server.address();
    if (address && typeof address === 'object') this.port = address.port;
  }

  /** Base URL of the API, e.g. https://127.0.0.1:PORT/1.0 */
  get url(): string {
    return `https://${this.host}:${this.port}${BASE_PATH}`;
  }

  // ------------------------------------------------------------------ request handling

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const queryId = `EU.ext-sim.${Date.now().toString(16)}.${(++this.queryCounter).toString(16)}.${randomBytes(4).toString('hex')}`;
    const entry: RequestLogEntry = { method, path: rawUrl, query: {}, body: undefined, status: 0, at: new Date() };
    let status = 200;
    let payload: unknown = null;
    const headers: Record<string, string> = {};
    try {
      const q = rawUrl.indexOf('?');
      const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
      const search = new URLSearchParams(q < 0 ? '' : rawUrl.slice(q + 1));
      for (const key of new Set(search.keys())) {
        const values = search.getAll(key);
        entry.query[key] = values.length === 1 ? values[0] : values;
      }
      if (rawBody) {
        try {
          entry.body = JSON.parse(rawBody);
        } catch {
          entry.body = rawBody;
        }
      }
      if (rawPath !== BASE_PATH && !rawPath.startsWith(`${BASE_PATH}/`)) {
        throw notFound(`Got an invalid (or empty) URL: ${rawPath} is outside ${BASE_PATH}`);
      }
      let segments: string[];
      try {
        segments = rawPath.slice(BASE_PATH.length).split('/').slice(1).map((s) => decodeURIComponent(s));
      } catch {
        throw badRequest('Malformed percent-encoding in the URL');
      }
      const path = '/' + segments.join('/');
      entry.path = path;
      const match = this.schema.match(method, segments);
      if (match.kind === 'notFound') throw notFound(`Got an invalid (or empty) URL: no ${path} in the API`);
      if (match.kind === 'methodNotAllowed') {
        headers.Allow = match.allowed.join(', ');
        throw classError(405, 'Client::MethodNotAllowed', `Method ${method} is not allowed on ${match.route.path} (allowed: ${match.allowed.join(', ')})`);
      }
      entry.route = match.route.path;
      const hold = this.faults.holdFor({ method, path, template: match.route.path, body: entry.body });
      if (hold) {
        await hold;
        throw classError(503, 'Server::ServiceUnavailable', 'Service temporarily unavailable');
      }
      const fault = this.faults.forRequest(method, path, match.route.path);
      if (fault) throw fault;
      if (!match.operation.noAuthentication) {
        this.auth.check(method, req.headers, rawUrl, rawBody, Math.floor(Date.now() / 1000), path);
      } else if (match.route.path === '/auth/credential') {
        this.auth.checkApplication(req.headers);
      }
      if (rawBody && typeof entry.body === 'string') throw badRequest('Invalid JSON in the request body');
      const validated = this.validator.operation(match.operation, match.params, entry.query, entry.body);
      const handler = this.routes.get(method, match.route.path) ?? fallbackHandler(match.operation);
      const ctx: HandlerContext = {
        state: this.state,
        tasks: this.tasks,
        dovecot: this.binding,
        auth: this.auth,
        renameDelayMs: this.options.renameDelayMs,
        host: req.headers.host ?? `${this.host}:${this.port}`,
        method,
        template: match.route.path,
        path: validated.path,
        query: validated.query,
        body: validated.body,
        rawBody: (entry.body as Record<string, unknown>) ?? {},
        changed: () => this.changed(),
      };
      const result = await handler(ctx);
      payload = this.validator.shape(match.operation.responseType, result);
    } catch (error) {
      if (error instanceof OvhApiError) {
        status = error.status;
        payload = error.body;
        Object.assign(headers, error.headers);
        entry.errorCode = error.errorCode;
      } else {
        status = 500;
        payload = { class: 'Server::InternalServerError', message: `Simulator bug: ${(error as Error).message}` };
        entry.errorCode = 'Server::InternalServerError';
        this.options.logger?.error({ err: error, method, url: rawUrl }, 'simulator handler crashed');
      }
    }
    entry.status = status;
    this.requests.push(entry);
    this.options.logger?.debug?.({ method, path: entry.path, status }, 'OVH API simulator request');
    const text = JSON.stringify(payload);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(text),
      'X-OVH-QUERYID': queryId,
      'Cache-Control': 'no-cache',
      ...headers,
    });
    res.end(text);
  }

  // ------------------------------------------------------------------ public helpers

  clearRequests(): void {
    this.requests.length = 0;
  }

  /**
   * The Dovecot behind a service: `platform:name` (`exchange:ORG/SERVICE`, `emailpro:SERVICE`,
   * `mxplan:SERVICE`, `mxplan-legacy:DOMAIN`) or a `{platform, name}` reference.
   */
  dovecot(service: string | { platform: SimPlatform; name: string }): DovecotServer {
    const key = typeof service === 'string' ? service : `${service.platform}:${service.name}`;
    return this.binding.server(key);
  }

  /**
   * Where the IMAP server of the account with this primary address listens. When the same address exists on
   * two services (mid-migration), the first service in fixture order wins unless `serviceKey` is given.
   */
  imapEndpointFor(address: string, serviceKey?: string): ImapEndpointInfo {
    if (serviceKey) return this.imapEndpointOfService(serviceKey);
    const found = this.state.findAddress(address);
    if (!found) throw new Error(`no account ${address} in the simulator`);
    return this.imapEndpointOfService(found.service.key);
  }

  imapEndpointOfService(serviceKey: string): ImapEndpointInfo {
    const service = this.state.service(serviceKey);
    if (!service) throw new Error(`no service ${serviceKey}`);
    const server = this.binding.server(service.key);
    return { host: server.host, port: server.tlsPort!, security: 'tls', plainPort: server.port, ca: this.caCertificate, hostname: service.hostname };
  }

  /** `{ "<service hostname>": "127.0.0.1:<implicit TLS port>" }`, plus ssl0.ovh.net for the legacy MX Plan. */
  imapEndpoints(): Record<string, string> {
    const map: Record<string, string> = {};
    for (const service of this.state.services) {
      const endpoint = this.imapEndpointOfService(service.key);
      map[service.hostname] = `${endpoint.host}:${endpoint.port}`;
      if (service.platform === 'mxplan-legacy' && !map[LEGACY_MXPLAN_IMAP_HOST]) map[LEGACY_MXPLAN_IMAP_HOST] = map[service.hostname];
    }
    return map;
  }

  /** Writes the CA certificate to a file (dataDir, or a temporary directory) and returns its path. */
  async caFile(): Promise<string> {
    const dir = this.options.dataDir ?? (this.tempDir ??= await mkdtemp(join(tmpdir(), 'ovhsim-')));
    const file = join(dir, 'simulator-ca.pem');
    if (!existsSync(file)) await writeFile(file, this.caCertificate);
    return file;
  }

  /**
   * Environment for the product: OVH_HOST, OVH_PORT, OVH_APP_KEY, OVH_APP_SECRET, OVH_CONSUMER_KEY, OVH_CA_FILE,
   * IMAP_ENDPOINTS (JSON host -> 127.0.0.1:port) and IMAP_CA_FILE (the same certificate: API and Dovecot share it).
   */
  endpointEnv(): Record<string, string> {
    const env: Record<string, string> = {
      OVH_HOST: this.host,
      OVH_PORT: String(this.port),
      OVH_APP_KEY: this.credentials.appKey,
      OVH_APP_SECRET: this.credentials.appSecret,
      OVH_CONSUMER_KEY: this.credentials.consumerKey,
      IMAP_ENDPOINTS: JSON.stringify(this.imapEndpoints()),
    };
    const dir = this.options.dataDir ?? this.tempDir;
    if (dir && existsSync(join(dir, 'simulator-ca.pem'))) {
      env.OVH_CA_FILE = join(dir, 'simulator-ca.pem');
      env.IMAP_CA_FILE = env.OVH_CA_FILE;
    }
    return env;
  }

  /** Replaces part of a domain's simulated DNS zone (what the domain diagnostics compare against). */
  setDnsZone(domain: string, zone: Partial<SimulatorState['zones'][string]>): void {
    Object.assign(this.state.zone(domain), zone);
    this.changed();
  }

  /** Bytes and messages the Dovecot behind this address stores (before any fixture padding). */
  async mailboxUsage(address: string): Promise<{ bytes: number; messages: number }> {
    const found = this.state.findAddress(address);
    if (!found) throw new Error(`no account ${address} in the simulator`);
    return this.binding.usage(found.service, address.toLowerCase());
  }

  /** Resolves once no task is running and Dovecot has caught up. */
  async idle(): Promise<void> {
    await this.tasks.idle();
    await this.binding.idle();
  }

  /** The primary addresses of a service's accounts (for assertions). */
  addresses(serviceKey: string): string[] {
    const service = this.state.service(serviceKey);
    return service ? this.state.accountsOf(service).map((a) => addressOf(a)) : [];
  }

  private changed(): void {
    if (!this.options.dataDir || this.persistTimer) return;
    this.persistTimer = setTimeout(() => {
      this.persistTimer = undefined;
      void this.persist();
    }, 200);
  }

  private async persist(): Promise<void> {
    if (!this.options.dataDir) return;
    const file = join(this.options.dataDir, 'simulator-state.json');
    await writeFile(`${file}.tmp`, JSON.stringify(this.state.data), { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }

  async stop(): Promise<void> {
    this.faults.clear();
    this.tasks.stop();
    if (this.persistTimer) {
      clearTimeout(this.persistTimer);
      this.persistTimer = undefined;
      await this.persist().catch(() => undefined);
    }
    if (this.server) {
      const server = this.server;
      this.server = undefined;
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await this.binding.stop();
    if (this.tempDir) await rm(this.tempDir, { recursive: true, force: true });
  }
}
