import type { FixtureAccount, SimulatorFixture } from '../ovh-simulator/fixture.js';
import type { OvhSimulator } from '../ovh-simulator/server.js';
import { addressOf } from '../ovh-simulator/state.js';
import { seedMailbox } from './seed.js';
import { EwsDouble, ewsDoubleCertificate, type EwsDoubleOptions } from './server.js';
import { WebHostWithoutEws } from './web-host-without-ews.js';

/**
 * The EWS doubles of the sandbox: one per Hosted Exchange service of the OVH simulator, each authenticating the
 * service's accounts as the simulator holds them at that moment (address and password, so renames, new
 * accounts and password changes made through the OVH API apply at once). A mailbox's content follows its
 * account across renames. Accounts with `collaborative` data in the fixture are seeded with it. The content
 * lives in memory: a restarted sandbox starts again from the fixture. The E-mail Pro services' hosts answer 404 on
 * every path (WebHostWithoutEws): no EWS there, said at once.
 */
export interface SandboxEws {
  /** Service key (`exchange:ORG/SERVICE`) -> its double. */
  doubles: Map<string, EwsDouble>;
  /** `https://127.0.0.1:PORT/EWS/Exchange.asmx` per service key. */
  urls: Record<string, string>;
  /** `{ "<service hostname>": "127.0.0.1:<port>" }`, like IMAP_ENDPOINTS. */
  endpoints: Record<string, string>;
  /** The certificate the doubles present (PEM), when there is a double. */
  caCertificate: string | undefined;
  stop(): Promise<void>;
}

export async function startSandboxEws(sim: OvhSimulator, fixture: SimulatorFixture, options: Pick<EwsDoubleOptions, 'logger' | 'validate'> = {}): Promise<SandboxEws> {
  const doubles = new Map<string, EwsDouble>();
  const urls: Record<string, string> = {};
  const endpoints: Record<string, string> = {};
  let withoutEws: WebHostWithoutEws | undefined;
  // The sandbox logs schema violations as they happen; stopping never fails because of them.
  const stopAll = () => Promise.allSettled([...[...doubles.values()].map((double) => double.stop({ ignoreSchemaViolations: true })), withoutEws?.stop()]);
  try {
    for (const service of sim.state.servicesOf('exchange')) {
      const key = service.key;
      const double = await EwsDouble.start({
        ...options,
        directory: {
          account(username) {
            const current = sim.state.service(key);
            const account = current ? sim.state.account(current, username) : undefined;
            if (!account || !account.password || !account.configured) return undefined;
            return { username: addressOf(account), password: account.password, mailbox: addressOf(account), storeKey: `${key}#${account.id}` };
          },
        },
      });
      doubles.set(key, double);
      urls[key] = double.url;
      endpoints[service.hostname] = `${double.host}:${double.port}`;
      const seeds = fixture.services.find((s) => s.platform === 'exchange' && `exchange:${s.organization}/${s.service}` === key)?.accounts ?? [];
      for (const seeded of seeds.filter((a): a is FixtureAccount & { collaborative: NonNullable<FixtureAccount['collaborative']> } => !!a.collaborative)) {
        const account = sim.state.account(service, `${seeded.login}@${seeded.domain}`);
        if (!account) continue;
        seedMailbox(double.storeFor({ username: addressOf(account), password: account.password ?? '', mailbox: addressOf(account), storeKey: `${key}#${account.id}` }), seeded.collaborative);
      }
    }
    const emailPro = sim.state.servicesOf('emailpro');
    if (emailPro.length) {
      withoutEws = await WebHostWithoutEws.start();
      for (const service of emailPro) endpoints[service.hostname] = `${withoutEws.host}:${withoutEws.port}`;
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return {
    doubles,
    urls,
    endpoints,
    caCertificate: doubles.size || withoutEws ? (await ewsDoubleCertificate()).cert : undefined,
    async stop() {
      await stopAll();
    },
  };
}
