import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, Server } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { Queue, type ConnectionOptions } from 'bullmq';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_QUEUE_NAME } from '../pipeline/queue-names.js';
import { listening, type Listening } from './listening.js';

/**
 * The operators' view of the queue: bull-board (a maintained dashboard for BullMQ) on the queues this deployment
 * uses, served over HTTP by `start` and `worker` on DASHBOARD_PORT. Every request needs DASHBOARD_TOKEN, as a
 * bearer token or as the password of basic auth (what a browser asks for); anything else gets 401. Read-only unless
 * DASHBOARD_READ_WRITE: bull-board hides its buttons and refuses its actions then, and this server refuses every
 * method other than GET and HEAD before bull-board sees it. Job data is shown with every sealed secret masked.
 */

export interface DashboardOptions {
  connection: ConnectionOptions;
  /** QUEUE_PREFIX. */
  prefix: string;
  /** The queues to show; the pipeline's one by default. */
  queueNames?: readonly string[];
  port: number;
  host: string;
  token: string;
  readWrite: boolean;
  logger: Logger;
}

/** `url` is `http://HOST:PORT/`. */
export type Dashboard = Listening;

const REALM = 'migrate-mailbox queue dashboard';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Is `Authorization` the token? `Bearer TOKEN`, or `Basic base64(USER:TOKEN)` with any user name. Compared in
 * constant time (over digests, so the length leaks nothing either).
 */
export function authorized(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const match = /^\s*(Bearer|Basic)\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  let offered: string;
  if (match[1]!.toLowerCase() === 'bearer') {
    offered = match[2]!;
  } else {
    const decoded = Buffer.from(match[2]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    offered = decoded.slice(colon + 1);
  }
  return timingSafeEqual(digest(offered), digest(token));
}

/** A browser sending a state-changing request from another site (read-write mode only): refused. */
function crossSite(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (typeof site === 'string' && site !== 'same-origin' && site !== 'none') return true;
  const origin = headers.origin;
  if (typeof origin !== 'string' || origin === '') return false;
  try {
    return new URL(origin).host !== headers.host;
  } catch {
    return true;
  }
}

const SECRET_FIELD = /password|sealed|secret|token/i;

/** Job data as shown: sealed secrets (destination and migration passwords, hand-overs) replaced by a mark. */
export function maskSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, item]) => [
      key,
      SECRET_FIELD.test(key) && item !== null && item !== undefined && typeof item !== 'boolean' ? '[sealed]' : maskSecrets(item, depth + 1),
    ]),
  );
}

export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const names = options.queueNames ?? [DEFAULT_QUEUE_NAME];
  const queues = names.map((name) => new Queue(name, { connection: options.connection, prefix: options.prefix }));
  const adapters = queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, {
      readOnlyMode: !options.readWrite,
      description: `jobs ${options.prefix}:${queue.name}: one per mailbox (mig-ADDRESS), one per CSV batch`,
    });
    adapter.setFormatter('data', (data: unknown) => maskSecrets(data));
    adapter.setFormatter('returnValue', (data: unknown) => maskSecrets(data));
    return adapter;
  });
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath('/');
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: { uiConfig: { boardTitle: 'migrate-mailbox' } },
  });

  const app = express();
  app.disable('x-powered-by');
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (!authorized(req.headers.authorization, options.token)) {
      res.setHeader('WWW-Authenticate', [`Basic realm="${REALM}", charset="UTF-8"`, `Bearer realm="${REALM}"`]);
      res.status(401).type('text/plain').send('authentication required: DASHBOARD_TOKEN as a bearer token, or as the password of basic auth\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (!options.readWrite) {
        res.setHeader('Allow', 'GET, HEAD');
        res.status(405).type('text/plain').send('the dashboard is read-only (DASHBOARD_READ_WRITE=true allows changes)\n');
        return;
      }
      if (crossSite(req.headers)) {
        res.status(403).type('text/plain').send('refused: a change requested from another site\n');
        return;
      }
    }
    next();
  });
  app.use('/', serverAdapter.getRouter());

  const server: Server = await new Promise((resolve, reject) => {
    const listening = app.listen(options.port, options.host, (error?: Error) => (error ? reject(error) : resolve(listening)));
    listening.once('error', reject);
  });
  const endpoint = listening(server, options.host, '/', () => Promise.all(queues.map((queue) => queue.close().catch(() => undefined))));
  options.logger.info({ url: endpoint.url, readWrite: options.readWrite, queues: names.map((n) => `${options.prefix}:${n}`) }, 'queue dashboard listening');
  return endpoint;
}

/** The dashboard of `start` and `worker`: off (undefined) unless DASHBOARD_PORT is set; the config check demands a token then. */
export async function startDashboardFromConfig(config: Config, connection: ConnectionOptions, logger: Logger): Promise<Dashboard | undefined> {
  if (config.DASHBOARD_PORT === undefined) return undefined;
  if (!config.DASHBOARD_TOKEN) throw new Error('DASHBOARD_TOKEN: required when DASHBOARD_PORT is set');
  return startDashboard({
    connection,
    prefix: config.QUEUE_PREFIX,
    port: config.DASHBOARD_PORT,
    host: config.DASHBOARD_HOST,
    token: config.DASHBOARD_TOKEN,
    readWrite: config.DASHBOARD_READ_WRITE,
    logger: logger.child({ component: 'dashboard' }),
  });
}
