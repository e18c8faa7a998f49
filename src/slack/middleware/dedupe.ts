import { createHash } from 'node:crypto';
import type { AllMiddlewareArgs, AnyMiddlewareArgs, Middleware } from '@slack/bolt';

interface Body {
  type?: string;
  trigger_id?: string;
  user?: { id?: string };
  user_id?: string;
  actions?: { action_id?: string; action_ts?: string }[];
  container?: { message_ts?: string; view_id?: string };
  view?: { id?: string; state?: unknown };
  event_id?: string;
}

/** A stable identity for one user gesture, the same on every delivery of it. */
export function deliveryKey(body: Body): string | undefined {
  if (body.event_id) return `event:${body.event_id}`;
  if (body.type === 'block_actions') {
    const action = body.actions?.[0];
    if (!action?.action_ts) return undefined;
    return `action:${body.user?.id}:${action.action_id}:${action.action_ts}:${body.container?.message_ts ?? body.container?.view_id ?? ''}`;
  }
  if (body.type === 'view_submission' && body.view?.id) {
    const state = createHash('sha256').update(JSON.stringify(body.view.state ?? {})).digest('hex').slice(0, 16);
    return `view:${body.view.id}:${state}`;
  }
  if (body.trigger_id) return `trigger:${body.trigger_id}`;
  return undefined;
}

/**
 * Slack re-sends a request it thinks we missed (`x-slack-retry-num`); a button may also arrive twice. The same
 * gesture is handled once: a re-delivery of something already seen is acknowledged and dropped. A retry of
 * something never seen (the first delivery got lost) is handled normally. Decisions are idempotent in the
 * pipeline as well, so this guard only saves work and duplicate messages; it is not the only line of defence.
 */
export function dedupeDeliveries(options: { ttlMs?: number; now?: () => number } = {}): Middleware<AnyMiddlewareArgs> {
  const seen = new Map<string, number>();
  const ttl = options.ttlMs ?? 10 * 60_000;
  const now = options.now ?? Date.now;
  return async (args) => {
    const { body, context, next } = args as AnyMiddlewareArgs & AllMiddlewareArgs;
    const key = deliveryKey(body as Body);
    if (key) {
      const t = now();
      for (const [k, until] of seen) if (until <= t) seen.delete(k);
      const retried = (context.retryNum ?? 0) > 0;
      const isClick = (body as Body).type === 'block_actions';
      if (seen.has(key) && (retried || isClick)) {
        const ack = (args as { ack?: (response?: unknown) => Promise<void> }).ack;
        if (ack) await ack();
        context.logger?.debug?.(`dropped a repeated delivery ${key}`);
        return;
      }
      seen.set(key, t + ttl);
    }
    await next();
  };
}
