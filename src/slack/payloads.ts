import { z } from 'zod';
import type { Logger } from '../log/logger.js';

/**
 * What the listeners read of Slack's payloads, checked with zod before anything is done with them. Slack signs its
 * requests, but a payload can still be of a shape the code does not expect (another Slack version, a client bug, a
 * replayed or crafted request from someone holding the signing secret): such a payload is logged (its shape, never
 * its values) and acknowledged without side effects. Only the fields the listeners use are declared; zod drops
 * the rest.
 */

/** Slack ids: users (U…/W…), channels (C…/D…/G…), teams, views. Nothing in them can be markup. */
const slackId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'not a Slack id');

const user = z.object({ id: slackId });

/** A slash command (form fields). */
export const commandPayload = z.object({
  user_id: slackId,
  channel_id: slackId,
  text: z.string().max(4000).default(''),
  trigger_id: z.string().min(1).max(255),
});
export type CommandPayload = z.infer<typeof commandPayload>;

const messageBlock = z.record(z.string(), z.unknown());

/** A button click, on a message (in a channel or ephemeral). */
export const buttonPayload = z.object({
  type: z.literal('block_actions'),
  user,
  trigger_id: z.string().min(1).max(255).optional(),
  channel: z.object({ id: slackId }).optional(),
  container: z
    .object({
      channel_id: slackId.optional(),
      message_ts: z.string().max(64).optional(),
      is_ephemeral: z.boolean().optional(),
    })
    .optional(),
  message: z
    .object({
      ts: z.string().min(1).max(64),
      text: z.string().optional(),
      blocks: z.array(messageBlock).max(100).optional(),
    })
    .optional(),
  response_url: z.string().url().optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string().min(1).max(255),
        value: z.string().min(1).max(2000),
      }),
    )
    .min(1),
});
export type ButtonPayload = z.infer<typeof buttonPayload>;

/** One input's state in a modal (`view.state.values[block][action]`). */
const inputState = z.object({
  value: z.string().max(3000).nullable().optional(),
  selected_option: z.object({ value: z.string().max(150) }).nullable().optional(),
  selected_options: z.array(z.object({ value: z.string().max(150) })).max(100).optional(),
  files: z.array(z.object({ id: slackId })).max(10).optional(),
});
export type InputState = z.infer<typeof inputState>;

const stateValues = z.record(z.string().max(255), z.record(z.string().max(255), inputState));
export type StateValues = z.infer<typeof stateValues>;

const view = z.object({
  id: slackId,
  callback_id: z.string().max(255),
  private_metadata: z.string().max(3000).default(''),
  hash: z.string().max(255).optional(),
  state: z.object({ values: stateValues }),
});

/** A modal submission. */
export const viewSubmissionPayload = z.object({
  type: z.literal('view_submission'),
  user,
  view,
});
export type ViewSubmissionPayload = z.infer<typeof viewSubmissionPayload>;

/** A choice made in a modal's input that dispatches its actions (the request modal's selects). */
export const viewActionPayload = z.object({
  type: z.literal('block_actions'),
  user,
  view,
  actions: z.array(z.object({ action_id: z.string().min(1).max(255) })).min(1),
});
export type ViewActionPayload = z.infer<typeof viewActionPayload>;

/** An external select asking for options while the user types. */
export const optionsPayload = z.object({
  type: z.literal('block_suggestion'),
  user,
  action_id: z.string().min(1).max(255),
  value: z.string().max(500),
});
export type OptionsPayload = z.infer<typeof optionsPayload>;

/**
 * The payload as `schema` reads it, or undefined (logged: where it is wrong, never what it holds) when it does not
 * fit. The caller then acknowledges it and does nothing else.
 */
export function parsePayload<T>(schema: z.ZodType<T>, body: unknown, what: string, logger: Pick<Logger, 'warn'>): T | undefined {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.slice(0, 10).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.code}`);
  logger.warn({ payload: what, issues }, 'malformed Slack payload ignored');
  return undefined;
}
