import type { Redis } from 'ioredis';
import type { ThreadLedger } from './migration-service.js';
import type { Keys } from './queue-names.js';

/** Marks a job changed: a new, higher mark each time, so that settling an older mark keeps a newer change. */
const MARK = `
local mark = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], mark, ARGV[1])
return mark
`;

const SETTLE = `
local current = redis.call('ZSCORE', KEYS[1], ARGV[1])
if current and tonumber(current) == tonumber(ARGV[2]) then redis.call('ZREM', KEYS[1], ARGV[1]) return 1 end
return 0
`;

/** Called by whatever changes a job (worker, service): its thread (if any) is then brought up to date by a bot. */
export async function markChanged(redis: Redis, keys: Keys, jobId: string): Promise<void> {
  await redis.eval(MARK, 2, keys.changed(), keys.changeSeq(), jobId);
}

/**
 * The ThreadLedger in Redis: one hash per job (`thread:JOB`), and the sorted set of jobs changed since their
 * thread was last reconciled. A claim is HSETNX, so of two bots about to post the same message exactly one does.
 */
export class RedisThreadLedger implements ThreadLedger {
  constructor(private readonly redis: Redis, private readonly keys: Keys) {}

  read(jobId: string): Promise<Record<string, string>> {
    return this.redis.hgetall(this.keys.thread(jobId));
  }

  async claim(jobId: string, key: string, owner: string): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.thread(jobId), key, `claim:${owner}:${Date.now()}`)) === 1;
  }

  async record(jobId: string, key: string, value: string): Promise<void> {
    await this.redis.hset(this.keys.thread(jobId), key, value);
  }

  async beat(owner: string, ttlMs: number): Promise<void> {
    await this.redis.set(this.keys.threadOwner(owner), '1', 'PX', ttlMs);
  }

  async alive(owner: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.threadOwner(owner))) === 1;
  }

  async takeOver(jobId: string, key: string, previous: string, owner: string): Promise<boolean> {
    const swapped = await this.redis.eval(
      "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) return 1 end return 0",
      1,
      this.keys.thread(jobId),
      key,
      previous,
      `claim:${owner}:${Date.now()}`,
    );
    return swapped === 1;
  }

  async changed(limit: number): Promise<{ jobId: string; mark: string }[]> {
    const flat = await this.redis.zrange(this.keys.changed(), 0, limit - 1, 'WITHSCORES');
    const out: { jobId: string; mark: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ jobId: flat[i]!, mark: flat[i + 1]! });
    return out;
  }

  async settle(jobId: string, mark: string): Promise<void> {
    await this.redis.eval(SETTLE, 1, this.keys.changed(), jobId, mark);
  }
}
