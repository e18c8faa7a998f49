import { Redis } from 'ioredis';
import type { ConnectionOptions } from 'bullmq';
import type { MigrationEvent } from './migration-service.js';

/**
 * Migration events over Redis pub/sub: any process (bot, CLI, another worker) subscribes and sees the step,
 * progress and outcome events of every job, whichever worker runs it. Pub/sub is fire-and-forget: the state
 * itself lives in the jobs (status()), events only say "look again / show this now".
 */
export class EventBus {
  private subscriber: Redis | undefined;
  private readonly listeners = new Set<(event: MigrationEvent) => void>();
  private ready: Promise<unknown> | undefined;

  constructor(private readonly publisher: Redis, private readonly connection: ConnectionOptions, private readonly channel: string) {}

  async publish(event: MigrationEvent): Promise<void> {
    await this.publisher.publish(this.channel, JSON.stringify(event));
  }

  /** Resolves once the subscription is active (events published afterwards are received). */
  async subscribe(listener: (event: MigrationEvent) => void): Promise<() => void> {
    this.listeners.add(listener);
    if (!this.subscriber) {
      this.subscriber = newRedis(this.connection);
      this.subscriber.on('message', (_channel: string, message: string) => {
        let event: MigrationEvent;
        try {
          event = JSON.parse(message) as MigrationEvent;
        } catch {
          return;
        }
        for (const l of [...this.listeners]) {
          try {
            l(event);
          } catch {
            // A listener's failure must not stop the others.
          }
        }
      });
      this.ready = this.subscriber.subscribe(this.channel);
    }
    await this.ready;
    return () => {
      this.listeners.delete(listener);
    };
  }

  async close(): Promise<void> {
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
