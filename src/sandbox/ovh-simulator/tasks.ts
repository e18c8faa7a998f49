import type { Faults } from './faults.js';
import { nowIso, type SimAccount, type SimService, type SimTask, type SimulatorState } from './state.js';

/**
 * OVH asynchronous tasks: `todo` for the first half of the delay, `doing` for the second half and while the work
 * runs (the work's state changes land at the end of `doing`), then `done` — or `error` when a task fault is armed, in which case `rollback` undoes the intermediate
 * states. The task is `done` only once its work (Dovecot included) is finished, so whatever a client does after
 * seeing `done` sees the change. Finished tasks stay readable by id.
 */

export interface TaskWork {
  apply?: () => Promise<void> | void;
  rollback?: () => Promise<void> | void;
  /** Overrides the engine's delay (renames use `renameDelayMs`). */
  durationMs?: number;
}

export interface TaskEngineOptions {
  taskDelayMs: number;
  onChange?: () => void;
  onError?: (task: SimTask, error: unknown) => void;
}

export class TaskEngine {
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly running = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly state: SimulatorState,
    private readonly faults: Faults,
    private readonly options: TaskEngineOptions,
  ) {}

  create(service: SimService, fn: string, account: SimAccount | undefined, work: TaskWork = {}, legacy?: SimTask['legacy']): SimTask {
    const task: SimTask = {
      id: this.state.nextId(),
      serviceKey: service.key,
      accountId: account?.id,
      function: fn,
      status: 'todo',
      todoDate: nowIso(),
      finishDate: null,
      legacy,
    };
    this.state.tasks.push(task);
    const duration = this.faults.taskDelayOverrideMs ?? work.durationMs ?? this.options.taskDelayMs;
    const fail = this.faults.shouldFailTask(fn);
    const run = this.lifecycle(task, duration, fail, work).catch((error) => {
      task.status = 'error';
      task.finishDate = nowIso();
      this.options.onError?.(task, error);
    });
    this.running.add(run);
    void run.finally(() => {
      this.running.delete(run);
      this.options.onChange?.();
    });
    this.options.onChange?.();
    return task;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.stopped) return resolve();
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, Math.max(0, ms));
      this.timers.set(timer, resolve);
    });
  }

  private async lifecycle(task: SimTask, duration: number, fail: boolean, work: TaskWork): Promise<void> {
    await this.sleep(duration / 2);
    if (this.stopped) return;
    task.status = 'doing';
    this.options.onChange?.();
    if (fail) {
      await this.sleep(duration / 2);
      if (this.stopped) return;
      await work.rollback?.();
      task.status = 'error';
      task.finishDate = nowIso();
      return;
    }
    await this.sleep(duration / 2);
    if (this.stopped) return;
    await work.apply?.();
    task.status = 'done';
    task.finishDate = nowIso();
  }

  /** True while any task is not finished. */
  get busy(): boolean {
    return this.running.size > 0;
  }

  /** Resolves when every task started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  stop(): void {
    this.stopped = true;
    for (const [timer, resolve] of this.timers) {
      clearTimeout(timer);
      resolve();
    }
    this.timers.clear();
  }
}

export function isPending(task: SimTask): boolean {
  return task.status === 'todo' || task.status === 'doing';
}
