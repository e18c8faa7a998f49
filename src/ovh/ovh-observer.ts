import type { HttpMethod } from './routes.js';

/**
 * What the OVH client tells whoever watches it (the ops layer's metrics), without knowing who that is. Routes are
 * given as their TEMPLATE from routes.ts (`/email/pro/{service}/account/{email}`), never as the path sent: a
 * mailbox address or a service name never leaves the client this way.
 */

/** One HTTP attempt: `status` is the HTTP status, or `network` when no answer came (timeout, reset, refused). */
export interface OvhCallEvent {
  route: string;
  method: HttpMethod | string;
  status: number | 'network';
  seconds: number;
}

/** Why the client sends a call again by itself. */
export type OvhRetryReason = 'rate-limited' | 'server-error' | 'network' | 'clock-resync';

export interface OvhRetryEvent {
  route: string;
  method: HttpMethod | string;
  reason: OvhRetryReason;
}

export interface OvhObserver {
  call(event: OvhCallEvent): void;
  retry(event: OvhRetryEvent): void;
}

/** The default: nothing watches. */
export const NO_OVH_OBSERVER: OvhObserver = Object.freeze({ call() {}, retry() {} });
