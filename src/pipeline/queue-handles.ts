import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { EventBus } from './events.js';
import type { JobData } from './job-data.js';
import type { Keys } from './queue-names.js';

/** One deployment's queue and Redis, opened once by the service (or a worker) and shared by its parts. */
export interface QueueHandles {
  queue: Queue<JobData>;
  /** The connection for our keys beside the jobs (`keys`) and for publishing events. */
  redis: Redis;
  keys: Keys;
  bus: EventBus;
}
