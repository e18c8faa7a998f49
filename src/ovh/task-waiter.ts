import { OvhNotFound, OvhTaskFailed, OvhWaitTimeout } from './errors.js';
import { sleep } from './ovh-client.js';
import type { HostedTask } from './models/common.js';

/** How long and how often to poll. Production defaults; tests pass small values. */
export interface WaitOptions {
  /** Give up after this long (default 15 min: OVH account tasks can take minutes). */
  timeoutMs?: number;
  /** First pause between two polls (default 1 s). */
  initialDelayMs?: number;
  /** Longest pause between two polls (default 15 s). */
  maxDelayMs?: number;
  /** Growth of the pause (default 1.5). */
  factor?: number;
}

const DEFAULT_WAIT: Required<WaitOptions> = { timeoutMs: 15 * 60_000, initialDelayMs: 1000, maxDelayMs: 15_000, factor: 1.5 };

export type Probe<T> = () => Promise<{ done: true; value: T } | { done: false; seen?: string }>;

/**
 * Polls `probe` with growing pauses (and a little jitter) until it reports done, and throws an OvhWaitTimeout
 * naming `what` and the last state seen when `timeoutMs` passes. Errors thrown by the probe propagate.
 */
export async function pollUntil<T>(what: string, probe: Probe<T>, options: WaitOptions = {}): Promise<T> {
  const { timeoutMs, initialDelayMs, maxDelayMs, factor } = { ...DEFAULT_WAIT, ...options };
  const started = Date.now();
  let delay = initialDelayMs;
  let lastSeen: string | undefined;
  for (;;) {
    const result = await probe();
    if (result.done) return result.value;
    lastSeen = result.seen ?? lastSeen;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) throw new OvhWaitTimeout(what, elapsed, lastSeen);
    const pause = Math.min(delay * (0.85 + Math.random() * 0.3), timeoutMs - elapsed);
    await sleep(Math.max(pause, 0));
    delay = Math.min(delay * factor, maxDelayMs);
  }
}

/**
 * Waits for an Exchange / E-mail Pro / MX Plan task (`todo` -> `doing` -> `done` | `error` | `cancelled`).
 * `readTask` reads `GET .../task/{id}`. A task that disappears (404) is taken as finished: whether OVH keeps
 * finished tasks readable is undocumented, so callers check the effect (account state) afterwards.
 */
export async function waitForHostedTask(
  task: HostedTask,
  readTask: (id: number) => Promise<HostedTask>,
  context: { service: string; what?: string },
  options: WaitOptions = {},
): Promise<HostedTask> {
  const label = `OVH task ${task.id} (${task.function}) on ${context.service}${context.what ? ` to ${context.what}` : ''}`;
  const settle = (current: HostedTask) => {
    if (current.status === 'done') return { done: true as const, value: current };
    if (current.status === 'error' || current.status === 'cancelled') {
      throw new OvhTaskFailed(current.id, current.function, current.status, context.service);
    }
    return { done: false as const, seen: `status ${current.status}` };
  };
  const first = settle(task);
  if (first.done) return first.value;
  return pollUntil(
    label,
    async () => {
      let current: HostedTask;
      try {
        current = await readTask(task.id);
      } catch (error) {
        if (error instanceof OvhNotFound) return { done: true, value: { ...task, status: 'done' } };
        throw error;
      }
      return settle(current);
    },
    options,
  );
}

/**
 * Legacy MX Plan `TaskPop` has no status: it is pending while `GET /email/domain/{d}/task/account/{id}`
 * answers, and finished once it is gone (404).
 */
export async function waitForLegacyTask(
  taskId: number,
  action: string,
  taskExists: (id: number) => Promise<boolean>,
  context: { service: string; what?: string },
  options: WaitOptions = {},
): Promise<void> {
  await pollUntil(
    `OVH task ${taskId} (${action}) on ${context.service}${context.what ? ` to ${context.what}` : ''}`,
    async () => ((await taskExists(taskId)) ? { done: false, seen: 'still pending' } : { done: true, value: undefined }),
    options,
  );
}
