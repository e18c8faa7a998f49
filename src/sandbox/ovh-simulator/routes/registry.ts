import type { Authenticator } from '../auth.js';
import type { DovecotBinding } from '../dovecot-binding.js';
import type { SimulatorState } from '../state.js';
import type { TaskEngine } from '../tasks.js';

/** What a route handler gets: the simulator's parts and the request's validated parameters. */
export interface HandlerContext {
  state: SimulatorState;
  tasks: TaskEngine;
  dovecot: DovecotBinding;
  auth: Authenticator;
  renameDelayMs: number;
  /** Host as the client reached us (for URLs we hand out). */
  host: string;
  method: string;
  template: string;
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
  /** The raw JSON body (before validation), to tell a missing field from a null one. */
  rawBody: Record<string, unknown>;
  /** Called after any state change (persistence). */
  changed(): void;
}

export type Handler = (ctx: HandlerContext) => unknown | Promise<unknown>;

export interface RouteHandler {
  method: string;
  path: string;
  handler: Handler;
}

/** A table of behaviourally implemented routes, each a (method, schema path template) pair. */
export class RouteTable {
  readonly handlers: RouteHandler[] = [];
  private readonly byKey = new Map<string, Handler>();

  on(method: string, path: string, handler: Handler): void {
    const key = `${method.toUpperCase()} ${path}`;
    if (this.byKey.has(key)) throw new Error(`route ${key} registered twice`);
    this.byKey.set(key, handler);
    this.handlers.push({ method: method.toUpperCase(), path, handler });
  }

  get(method: string, path: string): Handler | undefined {
    return this.byKey.get(`${method.toUpperCase()} ${path}`);
  }
}
