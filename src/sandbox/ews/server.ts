import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { selfSignedCertificate } from '../certificate.js';
import { parseXml } from '../../ews/responses.js';
import { EwsResponseUnreadable } from '../../ews/errors.js';
import { el, esc, NS, text } from '../../ews/xml.js';
import { BatchedValidator, type SchemaViolation } from './schema.js';
import { EwsFaults } from './faults.js';
import { challengeFor, readAuthenticate, verifyNtlmV2 } from './ntlm.js';
import * as ops from './operations.js';
import { MailboxStore, type MailboxLanguage } from './store.js';

/**
 * An HTTPS server that behaves like Exchange's EWS endpoint (`/EWS/Exchange.asmx`) for the operations the
 * collaborative-data migration uses, over in-memory mailboxes (`MailboxStore`). It authenticates with NTLM (the
 * handshake must stay on one connection, which then stays authenticated) and optionally Basic, answers SOAP
 * faults and per-item errors as Exchange does, injects faults (`faults`), logs every request, counts requests in
 * flight per mailbox, and checks every request it receives and every answer it sends against the EWS schemas
 * (in batches, in the background): `schemaViolations()` lists what broke them, and `stop()` fails when anything
 * did, so a test whose client or double strays from the schemas fails.
 */

export interface EwsAccount {
  /** The login as the client sends it (OVH: the e-mail address). */
  username: string;
  password: string;
  /** The mailbox's current SMTP address. */
  mailbox: string;
  /** What keeps the mailbox's content across renames (default: the address). */
  storeKey?: string;
}

/** Who may log in, looked up at each authentication (the sandbox binds it to the OVH simulator's accounts). */
export interface EwsDirectory {
  account(username: string): EwsAccount | undefined;
}

export interface EwsDoubleOptions {
  directory?: EwsDirectory;
  /** Offer Basic besides NTLM (default false: OVH's Exchange is known to offer NTLM). */
  basic?: boolean;
  /** Offer NTLM (default true); false with `basic` makes a Basic-only server. */
  ntlm?: boolean;
  /** Check every request and answer against the schemas (default true). */
  validate?: boolean;
  /** Largest request accepted, like IIS's maxAllowedContentLength (default 64 MiB). */
  maxRequestBytes?: number;
  /** What rule actions and recipients destinations refuse (see RulePolicy). */
  rulePolicy?: Partial<ops.RulePolicy>;
  /** Time each request takes to be served, like a real server's work (default 0): makes concurrency visible. */
  processingMs?: number;
  port?: number;
  logger?: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void; error(obj: object, msg?: string): void };
  certificate?: { cert: string; key: string };
}

export interface EwsRequestLog {
  at: number;
  /** When the answer left (or the connection was dropped). */
  endedAt?: number;
  mailbox?: string;
  operation?: string;
  status: number;
  /** Response codes of the answer's messages (or the fault's). */
  codes: string[];
  /** Items in the request (ids to export, items to upload, changes...). */
  items: number;
  bytesIn: number;
  bytesOut: number;
  socket: number;
}

interface SocketState {
  id: number;
  challenge?: { challenge: Buffer; unicode: boolean };
  user?: EwsAccount;
}

const SERVER_VERSION_HEADER = el('h:ServerVersionInfo', { MajorVersion: 15, MinorVersion: 1, MajorBuildNumber: 2507, MinorBuildNumber: 6, Version: 'V2017_07_11', 'xmlns:h': NS.types });
const VERSIONS = new Set(['Exchange2007', 'Exchange2007_SP1', 'Exchange2010', 'Exchange2010_SP1', 'Exchange2010_SP2', 'Exchange2013', 'Exchange2013_SP1', 'Exchange2015', 'Exchange2016']);

let certificateOnce: Promise<{ cert: string; key: string }> | undefined;

/** The certificate (for 127.0.0.1) every EWS double of this process presents, made once. */
export function ewsDoubleCertificate(): Promise<{ cert: string; key: string }> {
  return (certificateOnce ??= selfSignedCertificate('127.0.0.1'));
}

export class EwsDouble {
  readonly host = '127.0.0.1';
  port = 0;
  readonly faults = new EwsFaults();
  readonly mailboxes = new Map<string, MailboxStore>();
  readonly requests: EwsRequestLog[] = [];
  /** Largest number of requests seen in flight at once, per mailbox. */
  readonly maxInFlight = new Map<string, number>();
  /** Back-off windows handed out with ErrorServerBusy, per mailbox (for tests: did the client wait?). */
  readonly backOffs: Array<{ mailbox: string; from: number; until: number }> = [];
  private readonly inFlight = new Map<string, number>();
  private readonly sockets = new WeakMap<Socket, SocketState>();
  private readonly openSockets = new Set<Socket>();
  private socketSerial = 0;
  private readonly validator: BatchedValidator | undefined;
  private server: Server | undefined;
  private readonly accounts = new Map<string, EwsAccount>();
  private readonly policy: ops.RulePolicy;

  private constructor(
    private readonly options: EwsDoubleOptions,
    readonly caCertificate: string,
  ) {
    this.validator = options.validate === false ? undefined : new BatchedValidator({ onViolation: (violation) => options.logger?.error({ violation }, 'EWS double: schema violation') });
    this.policy = { unsupportedActions: options.rulePolicy?.unsupportedActions ?? ['SendSMSAlertToRecipients'], unknownRecipients: (options.rulePolicy?.unknownRecipients ?? []).map((a) => a.toLowerCase()) };
  }

  static async start(options: EwsDoubleOptions = {}): Promise<EwsDouble> {
    const certificate = options.certificate ?? (await ewsDoubleCertificate());
    const double = new EwsDouble(options, certificate.cert);
    double.server = createServer({ cert: certificate.cert, key: certificate.key, keepAliveTimeout: 60_000 }, (req, res) => void double.handle(req, res));
    double.server.on('connection', (socket: Socket) => {
      double.openSockets.add(socket);
      socket.once('close', () => double.openSockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      double.server!.once('error', reject);
      double.server!.listen(options.port ?? 0, double.host, () => resolve());
    });
    const address = double.server.address();
    if (address && typeof address === 'object') double.port = address.port;
    return double;
  }

  get url(): string {
    return `https://${this.host}:${this.port}/EWS/Exchange.asmx`;
  }

  /** Adds a mailbox and its login (username = address unless given). */
  addMailbox(address: string, password: string, options: { username?: string; language?: MailboxLanguage } = {}): MailboxStore {
    const store = new MailboxStore(address, options.language);
    this.mailboxes.set(address.toLowerCase(), store);
    this.accounts.set((options.username ?? address).toLowerCase(), { username: options.username ?? address, password, mailbox: address });
    return store;
  }

  mailbox(address: string): MailboxStore {
    const store = this.mailboxes.get(address.toLowerCase());
    if (!store) throw new Error(`no mailbox ${address} in the EWS double`);
    return store;
  }

  /** Mailbox stores are created on first use for directory accounts (the sandbox's accounts). */
  storeFor(account: EwsAccount): MailboxStore {
    const key = (account.storeKey ?? account.mailbox).toLowerCase();
    let store = this.mailboxes.get(key);
    if (!store) {
      store = new MailboxStore(account.mailbox);
      this.mailboxes.set(key, store);
    }
    // A renamed account keeps its mailbox under its new address (Exchange keeps the mailbox, not the name).
    store.address = account.mailbox;
    return store;
  }

  private account(username: string): EwsAccount | undefined {
    return this.options.directory?.account(username) ?? this.accounts.get(username.toLowerCase());
  }

  /** Every schema violation found so far (waits for the pending checks). */
  async schemaViolations(): Promise<SchemaViolation[]> {
    return this.validator ? this.validator.drain() : [];
  }

  /** Documents checked against the schemas so far. */
  async schemaChecked(): Promise<number> {
    await this.validator?.drain();
    return this.validator?.checked ?? 0;
  }

  clearLog(): void {
    this.requests.length = 0;
    this.maxInFlight.clear();
    this.backOffs.length = 0;
  }

  /** Requests that arrived during a back-off window of their mailbox, later than `graceMs` after it was handed out. */
  backOffViolations(graceMs = 0): EwsRequestLog[] {
    return this.requests.filter((request) => this.backOffs.some((window) => window.mailbox === request.mailbox && request.at > window.from + graceMs && request.at < window.until));
  }

  // ------------------------------------------------------------------------------------------ HTTP

  private socketState(socket: Socket): SocketState {
    let state = this.sockets.get(socket);
    if (!state) {
      state = { id: ++this.socketSerial };
      this.sockets.set(socket, state);
    }
    return state;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const state = this.socketState(req.socket);
    const entry: EwsRequestLog = { at, status: 0, codes: [], items: 0, bytesIn: 0, bytesOut: 0, socket: state.id };
    const chunks: Buffer[] = [];
    const limit = this.options.maxRequestBytes ?? 64 * 1024 * 1024;
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size <= limit) chunks.push(chunk as Buffer);
    }
    entry.bytesIn = size;
    if (size > limit) return this.reply(res, entry, 413, 'text/plain', 'Request Entity Too Large');
    if ((req.url ?? '').split('?')[0].toLowerCase() !== '/ews/exchange.asmx') return this.reply(res, entry, 404, 'text/plain', 'Not Found');
    if (req.method !== 'POST') return this.reply(res, entry, 405, 'text/plain', 'Method Not Allowed', { Allow: 'POST' });

    const user = this.authenticate(req, res, state, entry);
    if (!user) return;
    const body = Buffer.concat(chunks).toString('utf8');
    if (body.length === 0) return this.reply(res, entry, 200, 'text/plain', ''); // the end of an NTLM handshake without payload
    entry.mailbox = user.mailbox.toLowerCase();
    const mailbox = entry.mailbox;
    // In flight from now until the answer is gone (or the connection dropped).
    const inFlight = (this.inFlight.get(mailbox) ?? 0) + 1;
    this.inFlight.set(mailbox, inFlight);
    this.maxInFlight.set(mailbox, Math.max(this.maxInFlight.get(mailbox) ?? 0, inFlight));
    res.once('close', () => this.inFlight.set(mailbox, (this.inFlight.get(mailbox) ?? 1) - 1));
    if (this.options.processingMs) await new Promise((resolve) => setTimeout(resolve, this.options.processingMs));
    await this.soap(req, res, body, user, entry, inFlight);
  }

  /** NTLM (and Basic when offered): the account, or undefined when a 401 was answered. */
  private authenticate(req: IncomingMessage, res: ServerResponse, state: SocketState, entry: EwsRequestLog): EwsAccount | undefined {
    const header = req.headers.authorization;
    const offerNtlm = this.options.ntlm !== false;
    const challenges = [...(offerNtlm ? ['NTLM', 'Negotiate'] : []), ...(this.options.basic ? ['Basic realm="ews-double"'] : [])];
    const refuse = () => {
      state.challenge = undefined;
      this.reply(res, entry, 401, 'text/plain', 'Unauthorized', { 'WWW-Authenticate': challenges });
      return undefined;
    };
    if (state.user && !header) return state.user;
    if (!header) return refuse();
    const [scheme, token = ''] = header.split(/\s+/, 2);
    if (/^basic$/i.test(scheme) && this.options.basic) {
      const decoded = Buffer.from(token, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const account = colon > 0 ? this.account(decoded.slice(0, colon)) : undefined;
      if (!account || account.password !== decoded.slice(colon + 1)) return refuse();
      return account;
    }
    if (/^(ntlm|negotiate)$/i.test(scheme) && offerNtlm) {
      const message = Buffer.from(token, 'base64');
      const type = message.length >= 12 ? message.readUInt32LE(8) : 0;
      try {
        if (type === 1) {
          const challenge = challengeFor(token, /^negotiate$/i.test(scheme) ? 'Negotiate' : 'NTLM');
          state.user = undefined;
          state.challenge = { challenge: challenge.challenge, unicode: challenge.unicode };
          this.reply(res, entry, 401, 'text/plain', 'Unauthorized', { 'WWW-Authenticate': challenge.header });
          return undefined;
        }
        if (type === 3 && state.challenge) {
          const authenticate = readAuthenticate(token, state.challenge.unicode);
          const login = authenticate.domain ? `${authenticate.domain}\\${authenticate.user}` : authenticate.user;
          const account = this.account(authenticate.user) ?? this.account(login);
          if (!account || !verifyNtlmV2(authenticate, state.challenge.challenge, account.password)) return refuse();
          state.challenge = undefined;
          state.user = account;
          return account;
        }
      } catch {
        return refuse();
      }
      // A Type 3 on a connection that got no challenge: the handshake did not stay on one socket.
      return refuse();
    }
    return refuse();
  }

  private async soap(req: IncomingMessage, res: ServerResponse, body: string, user: EwsAccount, entry: EwsRequestLog, inFlight: number): Promise<void> {
    let operation = 'unknown';
    let responseBody: string;
    let crash = false;
    let hold: Promise<void> | undefined;
    try {
      let document: Record<string, unknown>;
      try {
        document = parseXml(body);
      } catch (error) {
        throw new ops.EwsFault('ErrorSchemaValidation', `The request is not XML: ${(error as EwsResponseUnreadable).message}`);
      }
      const envelope = document.Envelope as Record<string, unknown> | undefined;
      const soapBody = envelope?.Body as Record<string, unknown> | undefined;
      const names = soapBody && typeof soapBody === 'object' ? Object.keys(soapBody).filter((key) => !key.startsWith('@')) : [];
      if (names.length !== 1) throw new ops.EwsFault('ErrorSchemaValidation', 'The request failed schema validation: the SOAP body must hold one operation.');
      operation = names[0].replace(/Request$/, '');
      entry.operation = operation;
      this.validator?.add({ label: `request ${this.requests.length + 1} (${operation}, ${user.mailbox})`, xml: body });
      const version = ((envelope?.Header as Record<string, unknown> | undefined)?.RequestServerVersion as Record<string, unknown> | undefined)?.['@Version'];
      if (version !== undefined && !VERSIONS.has(String(version))) throw new ops.EwsFault('ErrorInvalidServerVersion', 'The specified server version is invalid.');
      const http = this.faults.httpFor(operation, user.mailbox);
      if (http) {
        entry.codes.push(`HTTP ${http.status}`);
        return this.reply(res, entry, http.status, 'text/html', `<html><body>HTTP Error ${http.status}. The service is unavailable.</body></html>`);
      }
      const busy = this.faults.busyFor(operation, user.mailbox);
      if (busy) {
        this.backOffs.push({ mailbox: user.mailbox.toLowerCase(), from: Date.now(), until: Date.now() + busy.backOffMs });
        throw new ops.EwsFault('ErrorServerBusy', 'The server cannot service this request right now. Try again later.', busy.backOffMs);
      }
      if (this.faults.maxConcurrentPerUser !== undefined && inFlight > this.faults.maxConcurrentPerUser) {
        throw new ops.EwsFault('ErrorExceededConnectionCount', 'You have exceeded the available concurrent connections for your account. Try again once your other requests have completed.');
      }
      const request = soapBody![names[0]] as Record<string, unknown>;
      const store = this.storeFor(user);
      entry.items = countItems(operation, request);
      switch (operation) {
        case 'FindFolder':
          responseBody = ops.findFolder(store, request);
          break;
        case 'GetFolder':
          responseBody = ops.getFolder(store, request);
          break;
        case 'CreateFolder':
          responseBody = ops.createFolder(store, request);
          break;
        case 'FindItem':
          responseBody = ops.findItem(store, request);
          break;
        case 'ExportItems':
          responseBody = ops.exportItems(store, request, this.faults, user.mailbox);
          break;
        case 'UploadItems': {
          const result = ops.uploadItems(store, request, this.faults, user.mailbox);
          responseBody = result.xml;
          crash = result.created.length > 0 && this.faults.crashFor(user.mailbox);
          break;
        }
        case 'UpdateItem':
          responseBody = ops.updateItem(store, request, this.faults, user.mailbox);
          break;
        case 'GetInboxRules':
          responseBody = ops.getInboxRules(store, request);
          break;
        case 'UpdateInboxRules':
          responseBody = ops.updateInboxRules(store, request, this.policy);
          break;
        case 'GetUserOofSettings':
          responseBody = ops.getUserOofSettings(store, request);
          break;
        case 'SetUserOofSettings':
          responseBody = ops.setUserOofSettings(store, request);
          break;
        default:
          throw new ops.EwsFault('ErrorInvalidRequest', `The EWS double does not implement ${operation}.`);
      }
      hold = this.faults.holdFor(operation, user.mailbox);
    } catch (error) {
      if (!(error instanceof ops.EwsFault)) {
        this.options.logger?.error({ err: error, operation }, 'EWS double: handler failed');
        return this.fault(res, entry, operation, 'ErrorInternalServerError', `EWS double bug: ${(error as Error).message}`);
      }
      return this.fault(res, entry, operation, error.code, error.message, error.backOffMs);
    }
    if (hold) await hold;
    if (crash || hold) {
      // The work is done; the answer never leaves (a server crash, or a test that killed its client meanwhile).
      entry.status = 0;
      entry.codes.push('connection dropped');
      entry.endedAt = Date.now();
      this.requests.push(entry);
      req.socket.destroy();
      return;
    }
    entry.codes.push(...[...responseBody.matchAll(/<m:ResponseCode>([^<]*)<\/m:ResponseCode>/g)].map((m) => m[1]));
    this.sendEnvelope(res, entry, 200, operation, responseBody);
  }

  private fault(res: ServerResponse, entry: EwsRequestLog, operation: string, code: string, message: string, backOffMs?: number): void {
    entry.codes.push(code);
    const detail =
      el('e:ResponseCode', { 'xmlns:e': NS.errors }, esc(code)) +
      el('e:Message', { 'xmlns:e': NS.errors }, esc(message)) +
      (backOffMs !== undefined ? el('t:MessageXml', {}, el('t:Value', { Name: 'BackOffMilliseconds' }, esc(backOffMs))) : '');
    const faultCode = code === 'ErrorSchemaValidation' || code === 'ErrorInvalidServerVersion' ? 'soap:Client' : `a:${code}`;
    const body = el('soap:Fault', {}, el('faultcode', code.startsWith('Error') && faultCode.startsWith('a:') ? { 'xmlns:a': NS.types } : {}, esc(faultCode)) + text('faultstring', message) + el('detail', {}, detail));
    this.sendEnvelope(res, entry, 500, operation, body);
  }

  private sendEnvelope(res: ServerResponse, entry: EwsRequestLog, status: number, operation: string, body: string): void {
    const xml =
      '<?xml version="1.0" encoding="utf-8"?>' +
      `<soap:Envelope xmlns:soap="${NS.soap}" xmlns:m="${NS.messages}" xmlns:t="${NS.types}">` +
      `<soap:Header>${SERVER_VERSION_HEADER}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;
    this.validator?.add({ label: `answer to request ${this.requests.length + 1} (${operation}, ${entry.mailbox ?? '?'})`, xml });
    this.reply(res, entry, status, 'text/xml; charset=utf-8', xml);
  }

  private reply(res: ServerResponse, entry: EwsRequestLog, status: number, contentType: string, body: string, headers: Record<string, string | string[]> = {}): void {
    entry.status = status;
    const payload = Buffer.from(body, 'utf8');
    entry.bytesOut = payload.length;
    entry.endedAt = Date.now();
    this.requests.push(entry);
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': payload.length, ...headers });
    res.end(payload);
  }

  async stop(options: { ignoreSchemaViolations?: boolean } = {}): Promise<void> {
    this.faults.clear();
    if (this.server) {
      const server = this.server;
      this.server = undefined;
      for (const socket of this.openSockets) socket.destroy();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const violations = await this.schemaViolations();
    if (violations.length > 0 && !options.ignoreSchemaViolations) {
      throw new Error(`the EWS double saw ${violations.length} document(s) breaking the EWS schemas:\n${violations.slice(0, 5).map((v) => `${v.label}: ${v.errors.join('; ')}\n  ${v.excerpt.slice(0, 300)}`).join('\n')}`);
    }
  }
}

function countItems(operation: string, request: Record<string, unknown>): number {
  const count = (value: unknown) => (value === undefined ? 0 : Array.isArray(value) ? value.length : 1);
  switch (operation) {
    case 'ExportItems':
      return count((request.ItemIds as Record<string, unknown> | undefined)?.ItemId);
    case 'UploadItems':
      return count((request.Items as Record<string, unknown> | undefined)?.Item);
    case 'UpdateItem':
      return count((request.ItemChanges as Record<string, unknown> | undefined)?.ItemChange);
    default:
      return 1;
  }
}
