import { ImapFlow } from 'imapflow';
import type { OvhSimulator } from '../../src/sandbox/ovh-simulator/index.js';
import { OvhClient, type OvhClientOptions } from '../../src/ovh/ovh-client.js';
import { createMailPlatformFactory, type FactoryOptions } from '../../src/ovh/platform-factory.js';

/** Fast polling for tests. */
export const FAST_WAIT = { initialDelayMs: 30, maxDelayMs: 200, timeoutMs: 20_000 };

export function clientFor(sim: OvhSimulator, overrides: Partial<OvhClientOptions> = {}): OvhClient {
  const env = sim.endpointEnv();
  return new OvhClient({
    host: env.OVH_HOST,
    port: Number(env.OVH_PORT),
    appKey: env.OVH_APP_KEY!,
    appSecret: env.OVH_APP_SECRET!,
    consumerKey: env.OVH_CONSUMER_KEY,
    ca: sim.caCertificate,
    baseDelayMs: 20,
    maxDelayMs: 200,
    ...overrides,
  });
}

export function factoryFor(sim: OvhSimulator, options: FactoryOptions = {}, client = clientFor(sim)) {
  return createMailPlatformFactory(client, { taskWait: FAST_WAIT, stateWait: FAST_WAIT, ...options });
}

/** Whether an IMAP LOGIN with this password works on the Dovecot behind the account's service. */
export async function imapLoginWorks(sim: OvhSimulator, address: string, password: string): Promise<boolean> {
  // The simulator applies account changes to Dovecot asynchronously: let it catch up first.
  await sim.idle();
  const endpoint = sim.imapEndpointFor(address);
  const client = new ImapFlow({
    host: endpoint.host,
    port: endpoint.port,
    secure: true,
    tls: { ca: [endpoint.ca] },
    auth: { user: address, pass: password },
    logger: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.logout();
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}
