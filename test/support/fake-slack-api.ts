import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Slack's Web API (https://slack.com/api/...), for tests: the app's WebClient is pointed here
 * with `clientOptions.slackApiUrl`. It records every call, keeps the messages it was given (so a test can read a
 * message's latest state after edits), refuses Block Kit payloads over Slack's limits exactly like Slack does
 * (`ok: false, error: 'invalid_blocks'`), serves uploaded files at their `url_private`, answers `response_url`
 * posts, and can be told to answer 429 with `Retry-After` or to fail a method.
 *
 * The limits are checked by code written for this fake, independently of `src/slack/blocks/limits.ts`.
 */

export interface RecordedCall {
  method: string;
  params: Record<string, any>;
  headers: IncomingHttpHeaders;
  /** HTTP status answered (429 when rate limited). */
  status: number;
  /** The JSON body answered. */
  response: Record<string, unknown>;
  at: number;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: any[];
  /** Message metadata as posted (`{ event_type, event_payload }`), returned by conversations.replies. */
  metadata?: any;
  edits: number;
}

export interface FakeFile {
  id: string;
  name: string;
  content: string;
  mimetype?: string;
}

const TOKEN = /^Bearer (xoxb-[\w-]+)$/;

export interface FakeSlackApi {
  /** Base for `slackApiUrl`, ending with `/api/`. */
  url: string;
  origin: string;
  calls: RecordedCall[];
  callsOf(method: string): RecordedCall[];
  messages: Map<string, StoredMessage>;
  message(channel: string, ts: string): StoredMessage | undefined;
  /** Messages in a thread (replies only), oldest first. */
  thread(channel: string, ts: string): StoredMessage[];
  userGroups: Map<string, string[]>;
  /** The Home tab each user was last given (`views.publish`). */
  homes: Map<string, any>;
  addFile(file: FakeFile): { id: string; url_private: string };
  /** The next `times` calls of `method` get HTTP 429 with `Retry-After: seconds`. */
  rateLimit(method: string, times: number, seconds: number): void;
  /** The next call of `method` answers `{ ok: false, error }`. */
  failNext(method: string, error: string): void;
  /** Everything posted to `response_url`s. */
  responses: { path: string; body: Record<string, any> }[];
  responseUrl(id: string): string;
  /** What `apps.connections.open` answers (Socket Mode); unset: an error. */
  setSocketModeUrl(url: string): void;
  close(): Promise<void>;
}

// ---- Slack's Block Kit limits, as this fake enforces them ------------------------------------------------

type Kind = 'message' | 'modal';

export function blockKitViolations(blocks: unknown, kind: Kind): string[] {
  const problems: string[] = [];
  const max = (what: string, value: unknown, limit: number) => {
    if (typeof value === 'string' && value.length > limit) problems.push(`${what} longer than ${limit} (${value.length})`);
  };
  const textObj = (what: string, t: any, limit: number) => {
    if (t === undefined) return;
    if (!t || typeof t.text !== 'string') problems.push(`${what} is not a text object`);
    else {
      max(what, t.text, limit);
      if (t.text.length === 0) problems.push(`${what} is empty`);
    }
  };
  const option = (o: any) => {
    textObj('option text', o?.text, 75);
    max('option value', o?.value, 75);
    if (o?.description) textObj('option description', o.description, 75);
  };
  const confirm = (c: any) => {
    if (!c) return;
    textObj('confirm title', c.title, 100);
    textObj('confirm text', c.text, 300);
    textObj('confirm button', c.confirm, 30);
    textObj('deny button', c.deny, 30);
  };
  const element = (e: any) => {
    if (!e) return;
    max('action_id', e.action_id, 255);
    if (e.placeholder) textObj('placeholder', e.placeholder, 150);
    confirm(e.confirm);
    switch (e.type) {
      case 'button':
        textObj('button text', e.text, 75);
        max('button value', e.value, 2000);
        max('button url', e.url, 3000);
        break;
      case 'static_select':
      case 'multi_static_select':
      case 'checkboxes':
      case 'radio_buttons':
      case 'overflow':
        if (Array.isArray(e.options)) {
          if (e.options.length > 100) problems.push(`more than 100 options (${e.options.length})`);
          e.options.forEach(option);
        }
        if (Array.isArray(e.option_groups) && e.option_groups.length > 100) problems.push('more than 100 option groups');
        if (e.initial_option) option(e.initial_option);
        break;
      case 'external_select':
        if (e.initial_option) option(e.initial_option);
        break;
      case 'plain_text_input':
        max('initial_value', e.initial_value, 3000);
        if (typeof e.max_length === 'number' && e.max_length > 3000) problems.push('max_length over 3000');
        break;
      case 'file_input':
        if (typeof e.max_files === 'number' && (e.max_files < 1 || e.max_files > 10)) problems.push('max_files out of 1..10');
        break;
      default:
        break;
    }
  };

  if (!Array.isArray(blocks)) return ['blocks is not an array'];
  const limit = kind === 'message' ? 50 : 100;
  if (blocks.length > limit) problems.push(`more than ${limit} blocks (${blocks.length})`);
  let totalText = 0;
  const count = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(count);
    else if (node && typeof node === 'object') {
      for (const [k, v] of Object.entries(node)) {
        if (k === 'text' && typeof v === 'string') totalText += v.length;
        else count(v);
      }
    }
  };
  count(blocks);
  if (kind === 'message' && totalText > 12_000) problems.push(`msg_blocks_too_long: ${totalText} characters of text`);

  const ids = new Set<string>();
  for (const b of blocks as any[]) {
    if (b.block_id !== undefined) {
      max('block_id', b.block_id, 255);
      if (ids.has(b.block_id)) problems.push(`duplicate block_id ${b.block_id}`);
      ids.add(b.block_id);
    }
    switch (b.type) {
      case 'section':
        if (b.text === undefined && b.fields === undefined) problems.push('section without text or fields');
        textObj('section text', b.text, 3000);
        if (Array.isArray(b.fields)) {
          if (b.fields.length > 10) problems.push(`more than 10 fields (${b.fields.length})`);
          b.fields.forEach((f: any) => textObj('field', f, 2000));
        }
        element(b.accessory);
        break;
      case 'header':
        textObj('header text', b.text, 150);
        if (b.text?.type !== 'plain_text') problems.push('header text must be plain_text');
        break;
      case 'context':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 10) problems.push('context needs 1..10 elements');
        else b.elements.forEach((e: any) => e.type !== 'image' && textObj('context text', e, 3000));
        break;
      case 'actions':
        if (!Array.isArray(b.elements) || b.elements.length === 0 || b.elements.length > 25) problems.push('actions needs 1..25 elements');
        else b.elements.forEach(element);
        break;
      case 'input':
        if (kind === 'message') problems.push('input blocks only in modals');
        textObj('input label', b.label, 2000);
        if (b.hint) textObj('input hint', b.hint, 2000);
        element(b.element);
        break;
      case 'divider':
      case 'image':
      case 'rich_text':
        break;
      default:
        problems.push(`unknown block type ${String(b.type)}`);
    }
  }
  return problems;
}

/** A Home tab view (`views.publish`): no title or buttons of its own, up to 100 blocks. */
export function homeViewViolations(view: any): string[] {
  const problems: string[] = [];
  if (!view || view.type !== 'home') return ['view is not a home view'];
  for (const field of ['title', 'submit', 'close']) if (view[field] !== undefined) problems.push(`a home view has no ${field}`);
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) problems.push('private_metadata longer than 3000');
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) problems.push('callback_id longer than 255');
  if ((view.blocks ?? []).some((b: any) => b.type === 'input')) problems.push('input blocks only in modals');
  return [...problems, ...blockKitViolations(view.blocks ?? [], 'modal')];
}

export function viewViolations(view: any): string[] {
  const problems: string[] = [];
  if (!view || view.type !== 'modal') return ['view is not a modal'];
  const short = (what: string, t: any) => {
    if (t !== undefined && (typeof t?.text !== 'string' || t.text.length > 24)) problems.push(`${what} longer than 24`);
  };
  short('title', view.title);
  short('submit', view.submit);
  short('close', view.close);
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) problems.push('private_metadata longer than 3000');
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) problems.push('callback_id longer than 255');
  if ((view.blocks ?? []).some((b: any) => b.type === 'input') && !view.submit) problems.push('a modal with inputs needs submit');
  return [...problems, ...blockKitViolations(view.blocks ?? [], 'modal')];
}

// ---- the server ------------------------------------------------------------------------------------------

const JSON_FIELDS = ['blocks', 'view', 'attachments', 'users', 'metadata'];

export async function startFakeSlackApi(options: { token?: string } = {}): Promise<FakeSlackApi> {
  const token = options.token ?? 'xoxb-test-token';
  const calls: RecordedCall[] = [];
  const messages = new Map<string, StoredMessage>();
  const userGroups = new Map<string, string[]>();
  const homes = new Map<string, any>();
  const files = new Map<string, FakeFile>();
  const limited = new Map<string, { times: number; seconds: number }>();
  const failures = new Map<string, string[]>();
  const responses: { path: string; body: Record<string, any> }[] = [];
  let clock = 1_760_000_000;
  let seq = 0;
  const nextTs = () => `${clock++}.${String(++seq).padStart(6, '0')}`;
  let viewSeq = 0;
  let origin = '';
  let socketUrl: string | undefined;

  const answer = (method: string, params: Record<string, any>): Record<string, unknown> => {
    const fail = failures.get(method);
    if (fail && fail.length > 0) return { ok: false, error: fail.shift() };
    const blockCheck = (kind: Kind) => {
      if (params.blocks === undefined) return undefined;
      const problems = blockKitViolations(params.blocks, kind);
      return problems.length > 0 ? { ok: false, error: 'invalid_blocks', errors: problems } : undefined;
    };
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', user: 'migrate-mailbox', team: 'Test' };
      case 'chat.postMessage': {
        const refused = blockCheck('message');
        if (refused) return refused;
        if (!params.channel) return { ok: false, error: 'channel_not_found' };
        const ts = nextTs();
        const stored: StoredMessage = {
          channel: params.channel,
          ts,
          text: params.text,
          blocks: params.blocks,
          edits: 0,
          ...(params.thread_ts ? { thread_ts: params.thread_ts } : {}),
          ...(params.metadata ? { metadata: params.metadata } : {}),
        };
        messages.set(`${params.channel}/${ts}`, stored);
        return { ok: true, channel: params.channel, ts, message: { text: params.text, ts, blocks: params.blocks } };
      }
      case 'chat.update': {
        const refused = blockCheck('message');
        if (refused) return refused;
        const stored = messages.get(`${params.channel}/${params.ts}`);
        if (!stored) return { ok: false, error: 'message_not_found' };
        stored.text = params.text;
        if (params.blocks !== undefined) stored.blocks = params.blocks;
        stored.edits++;
        return { ok: true, channel: params.channel, ts: params.ts, text: params.text };
      }
      case 'chat.postEphemeral': {
        const refused = blockCheck('message');
        if (refused) return refused;
        if (!params.user) return { ok: false, error: 'user_not_found' };
        return { ok: true, message_ts: nextTs() };
      }
      case 'conversations.replies': {
        // the parent first, then its replies, oldest first; metadata only with include_all_metadata
        const parent = messages.get(`${params.channel}/${params.ts}`);
        if (!parent) return { ok: false, error: 'thread_not_found' };
        const withMetadata = String(params.include_all_metadata) === 'true';
        const shown = [parent, ...[...messages.values()].filter((m) => m.channel === params.channel && m.thread_ts === params.ts)].map((m) => ({
          type: 'message',
          ts: m.ts,
          text: m.text,
          ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
          ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
        }));
        return { ok: true, messages: shown, has_more: false };
      }
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(params.users).replace(/^U/, '')}` } };
      case 'views.open':
      case 'views.push':
      case 'views.update': {
        const view = params.view;
        const problems = viewViolations(view);
        if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
        if (method === 'views.open' && !params.trigger_id) return { ok: false, error: 'invalid_trigger_id' };
        const id = params.view_id ?? `V${++viewSeq}`;
        return { ok: true, view: { ...view, id, hash: `${id}.${nextTs()}` } };
      }
      case 'views.publish': {
        if (!params.user_id) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['user_id is required'] } };
        const problems = homeViewViolations(params.view);
        if (problems.length > 0) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
        homes.set(params.user_id, params.view);
        return { ok: true, view: { ...params.view, id: `VH-${params.user_id}`, hash: `VH.${nextTs()}` } };
      }
      case 'usergroups.users.list': {
        const users = userGroups.get(params.usergroup);
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'files.info': {
        const file = files.get(params.file);
        if (!file) return { ok: false, error: 'file_not_found' };
        return {
          ok: true,
          file: {
            id: file.id,
            name: file.name,
            size: Buffer.byteLength(file.content),
            mimetype: file.mimetype ?? 'text/csv',
            filetype: 'csv',
            url_private: `${origin}/files-pri/T1-${file.id}/${file.name}`,
            url_private_download: `${origin}/files-pri/T1-${file.id}/download/${file.name}`,
          },
        };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const url = new URL(req.url ?? '/', 'http://fake');

    if (req.method === 'GET' && url.pathname.startsWith('/files-pri/')) {
      const id = url.pathname.split('/')[2]?.replace(/^T1-/, '') ?? '';
      const file = files.get(id);
      const auth = TOKEN.exec(String(req.headers.authorization ?? ''));
      calls.push({ method: 'GET url_private', params: { path: url.pathname }, headers: req.headers, status: 200, response: {}, at: Date.now() });
      if (!file || !auth || auth[1] !== token) {
        // what Slack does without a valid token: a sign-in web page, HTTP 200
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>Sign in to Slack</body></html>');
        return;
      }
      res.writeHead(200, { 'content-type': file.mimetype ?? 'text/csv' });
      res.end(file.content);
      return;
    }
    if (url.pathname.startsWith('/respond/')) {
      let body: Record<string, any> = {};
      try {
        body = JSON.parse(raw || '{}');
      } catch {
        body = { raw };
      }
      responses.push({ path: url.pathname, body });
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
      return;
    }

    const method = url.pathname.replace(/^\/api\//, '');
    const contentType = String(req.headers['content-type'] ?? '');
    const params: Record<string, any> = contentType.startsWith('application/json')
      ? JSON.parse(raw || '{}')
      : Object.fromEntries(new URLSearchParams(raw));
    for (const field of JSON_FIELDS) {
      if (typeof params[field] === 'string' && /^[[{]/.test(params[field])) {
        try {
          params[field] = JSON.parse(params[field]);
        } catch {
          // left as sent
        }
      }
    }

    const limit = limited.get(method);
    if (limit && limit.times > 0) {
      limit.times--;
      const response = { ok: false, error: 'ratelimited' };
      calls.push({ method, params, headers: req.headers, status: 429, response, at: Date.now() });
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(limit.seconds) });
      res.end(JSON.stringify(response));
      return;
    }
    let response: Record<string, unknown>;
    if (method === 'apps.connections.open') {
      // Socket Mode: called with the app-level token, answers the WebSocket URL to connect to
      const appToken = /^Bearer (xapp-[\w-]+)$/.exec(String(req.headers.authorization ?? ''));
      response = !appToken ? { ok: false, error: 'invalid_auth' } : socketUrl ? { ok: true, url: socketUrl } : { ok: false, error: 'socket_mode_not_set_up' };
    } else {
      const auth = TOKEN.exec(String(req.headers.authorization ?? ''));
      response = auth && auth[1] === token ? answer(method, params) : { ok: false, error: 'invalid_auth' };
    }
    calls.push({ method, params, headers: req.headers, status: 200, response, at: Date.now() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(response));
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/api/`,
    origin,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    messages,
    message: (channel, ts) => messages.get(`${channel}/${ts}`),
    thread: (channel, ts) => [...messages.values()].filter((m) => m.channel === channel && m.thread_ts === ts),
    userGroups,
    homes,
    addFile(file) {
      files.set(file.id, file);
      return { id: file.id, url_private: `${origin}/files-pri/T1-${file.id}/${file.name}` };
    },
    rateLimit(method, times, seconds) {
      limited.set(method, { times, seconds });
    },
    failNext(method, error) {
      failures.set(method, [...(failures.get(method) ?? []), error]);
    },
    responses,
    responseUrl: (id) => `${origin}/respond/${id}`,
    setSocketModeUrl(url) {
      socketUrl = url;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
