import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SandboxEws } from './ews/ovh-binding.js';
import type { OvhSimulator } from './ovh-simulator/index.js';

/**
 * The environment that points the product at a sandbox: the OVH simulator's endpoints and CA, its Redis, a
 * SECRETS_KEY, DATA_DIR under `dir`, and where each Exchange service's EWS answers (hostname -> 127.0.0.1:port,
 * like IMAP_ENDPOINTS; E-mail Pro hosts map to a web server without EWS) with its CA written under `dir`.
 */
export function sandboxEnv(input: { sim: OvhSimulator; redisUrl: string; secretsKey: string; ews: SandboxEws; dir: string }): Record<string, string> {
  const env: Record<string, string> = {
    ...input.sim.endpointEnv(),
    REDIS_URL: input.redisUrl,
    SECRETS_KEY: input.secretsKey,
    DATA_DIR: join(input.dir, 'app'),
    OVH_MX_RELAY: 'mx1.mail.ovh.net',
    EWS_ENDPOINTS: JSON.stringify(input.ews.endpoints),
  };
  if (input.ews.caCertificate) {
    env.EWS_CA_FILE = join(input.dir, 'ews-ca.pem');
    writeFileSync(env.EWS_CA_FILE, input.ews.caCertificate);
  }
  return env;
}
