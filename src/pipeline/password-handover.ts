import { sameActor } from './actors.js';
import type { StoredDecision } from './decisions.js';
import { PermanentError } from './errors.js';
import type { MigrationJobData } from './job-data.js';
import type { Actor, PasswordAcknowledgement, PasswordHandover, PasswordReveal } from './migration-service.js';
import type { QueueHandles } from './queue-handles.js';
import type { SecretBox } from './secret-box.js';
import { SECRET_AAD } from './step-context.js';
import { markChanged } from './thread-ledger.js';

/**
 * The destination's initial password on its way to the person it is handed over to: one Redis hash per job
 * (`sealed`, `recipient`, `readyAt`, then `acknowledgedAt` once the sealed copy is deleted).
 */
export class PasswordHandovers {
  constructor(private readonly handles: QueueHandles, private readonly secrets: SecretBox) {}

  /**
   * The destination account exists with this password: keeps it, sealed, for the requester or for the approver of
   * `decision` (HANDOVER_TO); never overwrites one already kept or acknowledged (a resumed step calls this again).
   */
  async keep(jobId: string, data: MigrationJobData, decision: StoredDecision | undefined, password: string): Promise<void> {
    const { redis, keys } = this.handles;
    const recipient = data.request.handoverTo === 'approver' ? decision?.by : data.request.requester;
    if (!recipient) throw new PermanentError('the destination password goes to the approver, but no approval is recorded');
    const sealed = this.secrets.seal(password, SECRET_AAD.handover(jobId, data.request.nonce));
    await redis.eval(
      "if redis.call('HEXISTS', KEYS[1], 'sealed') == 1 or redis.call('HEXISTS', KEYS[1], 'acknowledgedAt') == 1 then return 0 end " +
        "redis.call('HSET', KEYS[1], 'sealed', ARGV[1], 'recipient', ARGV[2], 'readyAt', ARGV[3]) return 1",
      1,
      keys.handover(jobId),
      sealed,
      JSON.stringify(recipient),
      new Date().toISOString(),
    );
    await markChanged(redis, keys, jobId);
  }

  async reveal(jobId: string, by: Actor): Promise<PasswordReveal> {
    const { queue, redis, keys } = this.handles;
    const job = await queue.getJob(jobId);
    if (!job || job.data.kind !== 'migration') return { ok: false, reason: `no migration ${jobId}` };
    const data = job.data;
    const stored = await redis.hgetall(keys.handover(jobId));
    const recipient = stored.recipient ? (JSON.parse(stored.recipient) as Actor) : undefined;
    if (stored.acknowledgedAt) return { ok: false, reason: `the password was acknowledged on ${stored.acknowledgedAt} and is no longer stored` };
    if (!stored.sealed || !recipient) return { ok: false, reason: 'the destination account does not exist yet: the password is available as soon as it does' };
    if (!sameActor(recipient, by)) return { ok: false, reason: `the password of ${data.plan.destination.address} is handed to ${recipient.kind === 'slack' ? `<@${recipient.id}>` : recipient.id} only` };
    return { ok: true, address: data.plan.destination.address, password: this.secrets.open(stored.sealed, SECRET_AAD.handover(jobId, data.request.nonce)) };
  }

  async acknowledge(jobId: string, by: Actor): Promise<PasswordAcknowledgement> {
    const { redis, keys } = this.handles;
    const key = keys.handover(jobId);
    const stored = await redis.hgetall(key);
    if (stored.acknowledgedAt) return { ok: true, changed: false };
    const recipient = stored.recipient ? (JSON.parse(stored.recipient) as Actor) : undefined;
    if (!stored.sealed || !recipient) return { ok: false, reason: 'there is no password to acknowledge yet' };
    if (!sameActor(recipient, by)) return { ok: false, reason: 'only the person the password is handed to can acknowledge it' };
    const changed = await redis.eval(
      "if redis.call('HEXISTS', KEYS[1], 'acknowledgedAt') == 1 then return 0 end redis.call('HDEL', KEYS[1], 'sealed') redis.call('HSET', KEYS[1], 'acknowledgedAt', ARGV[1]) return 1",
      1,
      key,
      new Date().toISOString(),
    );
    await markChanged(redis, keys, jobId);
    return { ok: true, changed: changed === 1 };
  }
}

/** Where the hand-over stands, for the status: the stored hash, or who it will go to while there is none yet. */
export function handoverOf(data: MigrationJobData, decision: StoredDecision | undefined, stored: Record<string, string>): PasswordHandover {
  const to = data.request.handoverTo;
  const recipient: Actor | undefined = stored.recipient
    ? (JSON.parse(stored.recipient) as Actor)
    : to === 'requester'
      ? data.request.requester
      : decision?.approve
        ? decision.by
        : undefined;
  const state = stored.acknowledgedAt ? 'acknowledged' : stored.sealed ? 'ready' : 'pending';
  return {
    to,
    ...(recipient ? { recipient } : {}),
    typedByRequester: Boolean(data.request.passwordTyped),
    state,
    ...(stored.readyAt ? { readyAt: stored.readyAt } : {}),
    ...(stored.acknowledgedAt ? { acknowledgedAt: stored.acknowledgedAt } : {}),
  };
}
