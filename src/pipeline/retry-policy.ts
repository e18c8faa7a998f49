import { isTransient, retryAfterMs } from './errors.js';
import type { Checkpoint } from './job-data.js';
import type { QueueTuning } from './queue-names.js';

/**
 * When to try again after a failure, counted in the checkpoint; undefined when a retry cannot help, or once
 * failures in a row have lasted the retry budget (OVH_RETRY_MINUTES). OVH's Retry-After is honoured as given;
 * otherwise exponential backoff with jitter.
 */
export function retryTime(checkpoint: Checkpoint, error: unknown, tuning: Pick<QueueTuning, 'retryBudgetMs' | 'backoffMs' | 'maxBackoffMs'>): number | undefined {
  if (!isTransient(error)) return undefined;
  const now = Date.now();
  const retrying = (checkpoint.retrying ??= { since: new Date(now).toISOString(), attempts: 0 });
  retrying.attempts += 1;
  const deadline = Date.parse(retrying.since) + tuning.retryBudgetMs;
  const asked = retryAfterMs(error);
  const backoff = Math.min(tuning.maxBackoffMs, tuning.backoffMs * 2 ** (retrying.attempts - 1));
  const delay = asked ?? Math.round(backoff * (0.8 + Math.random() * 0.4));
  if (now + delay > deadline) return undefined;
  return now + delay;
}
