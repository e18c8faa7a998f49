import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { ConnectionOptions } from 'bullmq';
import type { MigrationEvent, SubscribeOptions } from './migration-service.js';

/** A group member's liveness key lives this long; it is refreshed every third of it. */
const ALIVE_MS = 10_000;
/** How long a job's (or batch's) owner is remembered without any event: only to let Redis forget old ones. */
const OWNER_TTL_MS = 24 * 3600_000;

/**
 * Claims a partition (one job, or one batch) for member ARGV[1], unless another member that is still alive owns
 * it; refreshes the claimant's own liveness on the way. Returns 1 when ARGV[1] owns the partition now.
 * KEYS[1] the partition's owner key; ARGV[2] owner TTL; ARGV[3] liveness TTL; ARGV[4] the liveness key prefix
 * (same prefix as KEYS[1], so one hash slot when the queue prefix carries a hash tag).
 */
const CLAIM = `
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] and redis.call('EXISTS', ARGV[4] .. owner) == 1 then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('SET', ARGV[4] .. ARGV[1], '1', 'PX', ARGV[3])
return 1
`;

/** Which events a group member takes together: every event of one job, or of one batch. */
export function partitionOf(event: MigrationEvent): string {
  return event.type === 'batch' ? `batch:${event.batchId}` : `job:${event.jobId}`;
}

/**
 * One subscriber of a group. Why an owner per job rather than a claim per event (SET NX on an event id), or a
 * Redis stream with a consumer group: both of those spread the events of ONE job over several processes, so
 * two step replies a few milliseconds apart could reach Slack out of order, and the live progress message (its
 * ts, its pending edit, its rate limit) would be edited by several processes, an older edit landing after a newer
 * one. With one owner per job, the owner handles that job's events in order, as a single bot does, and the
 * latest progress still wins. Each event is delivered to exactly one live member: the claim is one atomic script,
 * so of two members evaluating it for the same event, exactly one gets 1. A member that unsubscribes drops its
 * liveness key, so another one takes its jobs at their next event; a member that dies loses them after ALIVE_MS
 * (events of its jobs within that window are lost, as pub/sub events are while no subscriber runs).
 */
class GroupMember {
  readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly redis: Redis, private readonly base: string) {}

  private get aliveKey(): string {
    return `${this.base}:alive:${this.id}`;
  }

  async start(): Promise<void> {
    this.timer = setInterval(() => void this.redis.set(this.aliveKey, '1', 'PX', ALIVE_MS).catch(() => undefined), Math.floor(ALIVE_MS / 3));
    this.timer.unref();
    await this.redis.set(this.aliveKey, '1', 'PX', ALIVE_MS);
  }

  async claim(event: MigrationEvent): Promise<boolean> {
    const owner = `${this.base}:owner:${partitionOf(event)}`;
    return (await this.redis.eval(CLAIM, 1, owner, this.id, OWNER_TTL_MS, ALIVE_MS, `${this.base}:alive:`)) === 1;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.redis.del(this.aliveKey);
  }
}

interface Subscription {
  listener: (event: MigrationEvent) => void;
  member?: GroupMember;
}

/**
 * Migration events over Redis pub/sub: any process (bot, CLI, another worker) subscribes and sees the step,
 * progress and outcome events of every job, whichever worker runs it. Pub/sub is fire-and-forget: the state
 * itself lives in the jobs (status()), events only say "look again / show this now". Subscribers of a group
 * (every Slack bot on this Redis) split the events instead: see GroupMember.
 */
export class EventBus {
  private subscriber: Redis | undefined;
  private readonly subscriptions = new Set<Subscription>();
  private ready: Promise<unknown> | undefined;

  constructor(private readonly publisher: Redis, private readonly connection: ConnectionOptions, private readonly channel: string) {}

  async publish(event: MigrationEvent): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  /** Resolves once the subscription is active (events published afterwards are received). */
  async subscribe(listener: (event: MigrationEvent) => void, options: SubscribeOptions = {}): Promise<() => void> {
    const subscription: Subscription = { listener, ...(options.group ? { member: new GroupMember(this.publisher, `${this.channel}:group:${options.group}`) } : {}) };
    this.subscriptions.add(subscription);
    if (!this.subscriber) {
      this.subscriber = newRedis(this.connection);
      this.subscriber.on('message', (_channel: string, message: string) => {
        let event: MigrationEvent;
        try {
          event = JSON.parse(message) as MigrationEvent;
        } catch {
          return;
        }
        for (const s of [...this.subscriptions]) this.dispatch(s, event);
      });
      this.ready = this.subscriber.subscribe(this.channel);
    }
    await Promise.all([this.ready, subscription.member?.start()]);
    return () => {
      if (this.subscriptions.delete(subscription)) void subscription.member?.stop().catch(() => undefined);
    };
  }

  /** subscribe() without waiting for the subscription to be active. */
  listen(listener: (event: MigrationEvent) => void, options: SubscribeOptions = {}): () => void {
    let unsubscribe: (() => void) | undefined;
    let cancelled = false;
    void this.subscribe(listener, options).then((off) => {
      if (cancelled) off();
      else unsubscribe = off;
    });
    return () => {
      cancelled = true;
      unsubscribe?.();
    };
  }

  /**
   * Claims go out on one connection in the order the events came in, and Redis answers in order: a member
   * still sees its jobs' events in order.
   */
  private dispatch(subscription: Subscription, event: MigrationEvent): void {
    const deliver = () => {
      if (!this.subscriptions.has(subscription)) return;
      try {
        subscription.listener(event);
      } catch {
        // A listener's failure must not stop the others.
      }
    };
    if (!subscription.member) return deliver();
    subscription.member.claim(event).then(
      (mine) => mine && deliver(),
      // Redis could not say who owns it: better posted twice than never.
      deliver,
    );
  }

  async close(): Promise<void> {
    const members = [...this.subscriptions].flatMap((s) => (s.member ? [s.member] : []));
    this.subscriptions.clear();
    await Promise.all(members.map((m) => m.stop().catch(() => undefined)));
    this.subscriber?.disconnect();
    this.subscriber = undefined;
  }
}

/** An ioredis client from BullMQ-style connection options (or an existing client's options). */
export function newRedis(connection: ConnectionOptions): Redis {
  if (connection instanceof Redis) return connection.duplicate();
  return new Redis({ ...(connection as object), maxRetriesPerRequest: null } as never);
}

/** Drops progress events that come faster than `intervalMs`, always letting the last phase ('done') through. */
export function rateLimiter(intervalMs: number): (force?: boolean) => boolean {
  let last = 0;
  return (force = false) => {
    const now = Date.now();
    if (!force && now - last < intervalMs) return false;
    last = now;
    return true;
  };
}
