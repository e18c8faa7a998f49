import { createHmac } from 'node:crypto';

/** Exactly this content type: Bolt compares it as a string (no charset), see reference/slack-bolt.md §2.3. */
export const FORM = 'application/x-www-form-urlencoded';

export interface SignOptions {
  /** Seconds since the epoch; default now. */
  timestamp?: number;
  /** Override the signature (forgery tests). */
  signature?: string;
  headers?: Record<string, string>;
}

export function sign(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** POSTs to Bolt's `/slack/events` the way Slack does: v0 signature over the exact bytes sent. */
export async function signedPost(base: string, secret: string, body: string, options: SignOptions = {}): Promise<Response> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  return fetch(`${base}/slack/events`, {
    method: 'POST',
    body,
    headers: {
      'content-type': FORM,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? sign(secret, timestamp, body),
      ...options.headers,
    },
  });
}

export const commandBody = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
export const interactionBody = (payload: unknown) => new URLSearchParams({ payload: JSON.stringify(payload) }).toString();

let trigger = 0;

export function slashCommand(input: { text?: string; user?: string; channel?: string; responseUrl: string }): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: 'T1',
    team_domain: 'test',
    channel_id: input.channel ?? 'C-REQUESTS',
    channel_name: 'mail-migrations',
    user_id: input.user ?? 'U-REQUESTER',
    user_name: 'requester',
    command: '/migrate-mailbox',
    text: input.text ?? '',
    api_app_id: 'A1',
    response_url: input.responseUrl,
    trigger_id: `${++trigger}.1.trigger`,
  };
}

let actionSeq = 0;

/** What every interaction payload carries: workspace, app, verification token and the acting user. */
function interactionEnvelope(userId: string, username: string): Record<string, unknown> {
  return {
    team: { id: 'T1', domain: 'test' },
    user: { id: userId, username, team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
  };
}

/** A button click on a message, as Slack sends it. */
export function buttonClick(input: {
  actionId: string;
  value: string;
  user: string;
  channel: string;
  message: { ts: string; text?: string; blocks?: unknown[] };
  actionTs?: string;
  responseUrl?: string;
}): Record<string, unknown> {
  const actionTs = input.actionTs ?? `${1_760_000_000 + ++actionSeq}.000${actionSeq}`;
  return {
    type: 'block_actions',
    ...interactionEnvelope(input.user, input.user),
    container: { type: 'message', message_ts: input.message.ts, channel_id: input.channel, is_ephemeral: false },
    trigger_id: `${actionSeq}.2.trigger`,
    channel: { id: input.channel, name: 'mail-migrations' },
    message: { type: 'message', ts: input.message.ts, text: input.message.text ?? '', blocks: input.message.blocks ?? [], user: 'UBOT', bot_id: 'BBOT' },
    response_url: input.responseUrl ?? 'http://127.0.0.1:9/respond/none',
    actions: [{ type: 'button', action_id: input.actionId, block_id: 'b', value: input.value, action_ts: actionTs, text: { type: 'plain_text', text: 'x' } }],
  };
}

/** A modal submission; `values` is `state.values` (block id -> action id -> value). */
export function viewSubmission(input: {
  callbackId: string;
  values: Record<string, Record<string, unknown>>;
  privateMetadata: string;
  user?: string;
  viewId?: string;
}): Record<string, unknown> {
  return {
    type: 'view_submission',
    ...interactionEnvelope(input.user ?? 'U-REQUESTER', 'requester'),
    trigger_id: '9.3.trigger',
    view: {
      id: input.viewId ?? 'V-SUBMIT',
      team_id: 'T1',
      type: 'modal',
      callback_id: input.callbackId,
      private_metadata: input.privateMetadata,
      hash: 'h1',
      blocks: [],
      state: { values: input.values },
      title: { type: 'plain_text', text: 'Migrate a mailbox' },
    },
  };
}

/** An options request for an external select, as Slack sends it while the user types. */
export function optionsRequest(input: { actionId: string; value: string; blockId?: string; user?: string }): Record<string, unknown> {
  return {
    type: 'block_suggestion',
    user: { id: input.user ?? 'U-REQUESTER', name: 'requester', team_id: 'T1' },
    team: { id: 'T1', domain: 'test' },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    action_id: input.actionId,
    block_id: input.blockId ?? 'source',
    value: input.value,
    container: { type: 'view', view_id: 'V1' },
    view: { id: 'V1', type: 'modal', callback_id: 'migrate_mailbox', private_metadata: '{}', state: { values: {} } },
  };
}

/** A choice made in a modal input that dispatches its actions (block_actions from a view). */
export function viewAction(input: {
  actionId: string;
  blockId: string;
  selected: string;
  values: Record<string, Record<string, unknown>>;
  privateMetadata: string;
  user?: string;
  viewId?: string;
  hash?: string;
}): Record<string, unknown> {
  const actionTs = `${1_760_100_000 + ++actionSeq}.000${actionSeq}`;
  return {
    type: 'block_actions',
    ...interactionEnvelope(input.user ?? 'U-REQUESTER', 'requester'),
    container: { type: 'view', view_id: input.viewId ?? 'V1' },
    trigger_id: `${actionSeq}.4.trigger`,
    view: {
      id: input.viewId ?? 'V1',
      type: 'modal',
      callback_id: 'migrate_mailbox',
      private_metadata: input.privateMetadata,
      hash: input.hash ?? 'hash-1',
      blocks: [],
      state: { values: input.values },
    },
    actions: [{ type: 'external_select', action_id: input.actionId, block_id: input.blockId, selected_option: { value: input.selected }, action_ts: actionTs }],
  };
}

/** The button with `actionId` in a message's blocks (as the fake Slack API holds them). */
export function buttonIn(blocks: unknown[] | undefined, actionId: string): { action_id: string; value: string; confirm?: any; text: { text: string } } | undefined {
  for (const block of (blocks ?? []) as { type: string; elements?: { action_id?: string }[] }[]) {
    if (block.type !== 'actions') continue;
    const found = block.elements?.find((e) => e.action_id === actionId);
    if (found) return found as never;
  }
  return undefined;
}

/**
 * Every `<…>` sequence in a Slack text (mrkdwn, and the top-level fallback text) that is live markup other than
 * what the app writes on purpose (user and channel mentions, dates): `<!channel>`, `<!here>`, links. Empty when the
 * text is safe.
 */
export function liveMarkup(value: unknown): string[] {
  const texts: string[] = [];
  // what Slack renders: `text` fields (not ids, values or URLs); plain_text objects (headers, buttons, modal
  // texts) are shown as they are, Slack parses no markup in them
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object' && (node as { type?: unknown }).type !== 'plain_text') {
      for (const [key, child] of Object.entries(node)) {
        if (key === 'text' && typeof child === 'string') texts.push(child);
        else walk(child);
      }
    }
  };
  walk(value);
  const allowed = [/^<@[A-Z0-9-]+>$/, /^<#[A-Z0-9-]+>$/, /^<!subteam\^[A-Z0-9-]+>$/, /^<!date\^\d+\^[^|>]*\|[^<>]*>$/];
  return texts.flatMap((t) => [...t.matchAll(/<[^>]*>?/g)].map((m) => m[0]).filter((m) => !allowed.some((re) => re.test(m))));
}

/** An Events API delivery (`event_callback`), as Slack POSTs it: JSON, signed like the rest. */
export function eventBody(event: Record<string, unknown>, eventId = `Ev${Date.now()}${++actionSeq}`): string {
  return JSON.stringify({
    token: 'legacy-verification-token',
    team_id: 'T1',
    api_app_id: 'A1',
    event: { event_ts: `${1_760_200_000 + actionSeq}.000100`, ...event },
    type: 'event_callback',
    event_id: eventId,
    event_time: 1_760_200_000 + actionSeq,
    authorizations: [{ team_id: 'T1', user_id: 'UBOT', is_bot: true }],
  });
}

/** The user opened the app's Home tab (or its Messages tab). */
export function appHomeOpened(user: string, tab: 'home' | 'messages' = 'home'): Record<string, unknown> {
  return { type: 'app_home_opened', user, channel: `D${user.replace(/^U-?/, '')}`, tab };
}

/** A button click on a user's Home tab: the container is the view, there is no channel and no message. */
export function homeButtonClick(input: { actionId: string; value: string; user: string; actionTs?: string }): Record<string, unknown> {
  const actionTs = input.actionTs ?? `${1_760_300_000 + ++actionSeq}.000${actionSeq}`;
  return {
    type: 'block_actions',
    ...interactionEnvelope(input.user, input.user),
    container: { type: 'view', view_id: `VH-${input.user}` },
    trigger_id: `${actionSeq}.5.trigger`,
    view: { id: `VH-${input.user}`, type: 'home', callback_id: 'migrate_mailbox_home', private_metadata: '', hash: 'h', blocks: [], state: { values: {} } },
    actions: [{ type: 'button', action_id: input.actionId, block_id: 'b', value: input.value, action_ts: actionTs, text: { type: 'plain_text', text: 'x' } }],
  };
}
