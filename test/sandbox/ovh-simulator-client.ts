import https from 'node:https';
import { createRequire } from 'node:module';
import type { OvhSimulator } from '../../src/sandbox/ovh-simulator/index.js';

/** The real `ovh` npm client (2.x, untyped), as the product uses it. */
export interface OvhClient {
  requestPromised(method: string, path: string, params?: Record<string, unknown>): Promise<unknown>;
  request(method: string, path: string, params: Record<string, unknown>, callback: (err: unknown, result: unknown) => void): void;
}

const require = createRequire(import.meta.url);
const ovhFactory = require('ovh') as (params: Record<string, unknown>) => OvhClient;

/** A client for the simulator; the simulator's CA is trusted through the global HTTPS agent. */
export function clientFor(sim: OvhSimulator, overrides: Record<string, unknown> = {}): OvhClient {
  const agentOptions = https.globalAgent.options as { ca?: string | string[] };
  agentOptions.ca = sim.caCertificate;
  return ovhFactory({
    appKey: sim.credentials.appKey,
    appSecret: sim.credentials.appSecret,
    consumerKey: sim.credentials.consumerKey,
    host: sim.host,
    port: sim.port,
    basePath: '/1.0',
    ...overrides,
  });
}

/** The `{error, message}` the client rejects with. */
export async function failure(promise: Promise<unknown>): Promise<{ error: unknown; message: unknown }> {
  try {
    const value = await promise;
    throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
  } catch (error) {
    if (error instanceof Error) throw error;
    return error as { error: unknown; message: unknown };
  }
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
