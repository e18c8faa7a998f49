import { classError, type OvhApiError } from './errors.js';

/**
 * Fault injection for tests: HTTP errors on matching requests, tasks that end in `error`, slow tasks.
 * A request fault matches on method and on the path after `/1.0` (decoded: `@`, not `%40`), either exactly,
 * as the schema template (`/email/pro/{service}/account`), or by RegExp; `times` (default: forever) counts
 * matching requests. `GET /auth/time` is only hit by a fault whose path names it.
 */

export interface RequestFault {
  method?: string;
  path?: string | RegExp;
  status: 429 | 500 | 503;
  times?: number;
  retryAfterSeconds?: number;
}

export interface TaskFault {
  /** OVH task function, e.g. `addAccount`, `changePassword`, `setAccount`; any when absent. */
  function?: string;
  times?: number;
}

interface Armed<T> {
  fault: T;
  left: number;
}

const BODIES: Record<number, [string, string]> = {
  429: ['Client::TooManyRequests', 'Too many requests, slow down'],
  500: ['Server::InternalServerError', 'Internal server error'],
  503: ['Server::ServiceUnavailable', 'Service temporarily unavailable'],
};

/** A request as a stall predicate sees it. */
export interface SeenRequest {
  method: string;
  /** After `/1.0`, decoded. */
  path: string;
  template: string | undefined;
  body: unknown;
}

interface Stall {
  matches: (request: SeenRequest) => boolean;
  reached: (request: SeenRequest) => void;
}

export class Faults {
  private requestFaults: Armed<RequestFault>[] = [];
  private stalls: Stall[] = [];
  private held: (() => void)[] = [];
  private taskFaults: Armed<TaskFault>[] = [];
  /** When set, every new task takes this long instead of the configured task delay. */
  taskDelayOverrideMs: number | undefined;

  add(fault: RequestFault): void {
    this.requestFaults.push({ fault, left: fault.times ?? Infinity });
  }

  failTasks(fault: TaskFault = {}): void {
    this.taskFaults.push({ fault, left: fault.times ?? Infinity });
  }

  slowTasks(ms: number): void {
    this.taskDelayOverrideMs = ms;
  }

  /**
   * Holds the first request matching `matches` without handling it, and resolves with it: the client is left
   * waiting, nothing changes at the simulator. A test kills the client at that exact point (a crash between two
   * OVH calls); `clear()` lets held requests go on, answered 503 as if the server had failed them.
   */
  stall(matches: (request: SeenRequest) => boolean): Promise<SeenRequest> {
    return new Promise((resolve) => {
      const stall: Stall = {
        matches,
        reached: (request) => {
          this.stalls = this.stalls.filter((s) => s !== stall);
          resolve(request);
        },
      };
      this.stalls.push(stall);
    });
  }

  /** A promise to wait on before handling this request, if a stall holds it. */
  holdFor(request: SeenRequest): Promise<void> | undefined {
    const stall = this.stalls.find((s) => s.matches(request));
    if (!stall) return undefined;
    stall.reached(request);
    return new Promise((release) => this.held.push(release));
  }

  clear(): void {
    this.requestFaults = [];
    this.taskFaults = [];
    this.taskDelayOverrideMs = undefined;
    this.stalls = [];
    for (const release of this.held.splice(0)) release();
  }

  /** The error to answer instead of handling the request, if a fault is armed for it. */
  forRequest(method: string, path: string, template: string | undefined): OvhApiError | undefined {
    for (const armed of this.requestFaults) {
      const { fault } = armed;
      if (armed.left <= 0) continue;
      if (fault.method && fault.method.toUpperCase() !== method.toUpperCase()) continue;
      if (fault.path === undefined) {
        if (path === '/auth/time') continue;
      } else if (fault.path instanceof RegExp) {
        fault.path.lastIndex = 0;
        if (!fault.path.test(path)) continue;
      } else if (fault.path !== path && fault.path !== template) continue;
      armed.left--;
      const [klass, message] = BODIES[fault.status] ?? ['Server::InternalServerError', 'Internal server error'];
      const error = classError(fault.status, klass, message);
      if (fault.retryAfterSeconds !== undefined) error.headers['Retry-After'] = String(fault.retryAfterSeconds);
      return error;
    }
    this.requestFaults = this.requestFaults.filter((a) => a.left > 0);
    return undefined;
  }

  /** True when a task with this function must end in `error` (consumes one use). */
  shouldFailTask(fn: string): boolean {
    for (const armed of this.taskFaults) {
      if (armed.left <= 0) continue;
      if (armed.fault.function && armed.fault.function !== fn) continue;
      armed.left--;
      return true;
    }
    return false;
  }
}
