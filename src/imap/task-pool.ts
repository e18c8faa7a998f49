/**
 * Runs tasks over a fixed set of workers (one per lane): each worker takes the next task when it is free.
 * The first error stops handing out tasks and is rethrown once running tasks have finished.
 */
export async function runOnWorkers<T, W>(tasks: readonly T[], workers: readonly W[], run: (task: T, worker: W) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  await Promise.all(
    workers.map(async (worker) => {
      while (!failure && next < tasks.length) {
        const task = tasks[next++];
        try {
          await run(task, worker);
        } catch (error) {
          failure ??= { error };
        }
      }
    }),
  );
  if (failure) throw failure.error;
}

/** Bounds how many times a run may reconnect, with a growing pause between attempts. */
export class ReconnectBudget {
  private used = 0;

  constructor(
    readonly max: number,
    private readonly onExhausted: (attempts: number, cause: unknown) => Error,
    private readonly baseDelayMs = 200,
  ) {}

  get attempts(): number {
    return this.used;
  }

  async spend(cause: unknown, signal?: AbortSignal): Promise<void> {
    this.used++;
    if (this.used > this.max) throw this.onExhausted(this.used, cause);
    const delay = Math.min(5000, this.baseDelayMs * 2 ** (this.used - 1));
    signal?.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      // The listener goes with the pause: one left behind per reconnect piled up on the caller's signal.
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, delay);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
