import { resolve, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { loadConfig } from '../../config/config.js';
import { createLogger } from '../../log/logger.js';
import { RedisServer } from '../../redis/redis-server.js';
import { OvhSimulator, sandboxFixture, secondExchangeService } from '../../sandbox/ovh-simulator/index.js';
import { addScaleMailboxes, type ScaleRow } from '../../sandbox/ovh-simulator/fixture.js';
import { startSandboxEws, type SandboxEws } from '../../sandbox/ews/ovh-binding.js';
import { sandboxEnv } from '../../sandbox/sandbox-env.js';
import type { Platform } from '../../domain/platform.js';
import { parseCommandArgs } from '../command-args.js';

export const summary = 'run a local OVH API simulator with sample platforms (each on its own Dovecot) and a Redis, to try everything safely';

const USAGE = `usage: migrate-mailbox sandbox [--port N] [--reset] [--mailboxes N [--messages M]] [--task-delay-ms MS]

Starts the OVH API simulator (one Hosted Exchange, one E-mail Pro, one new MX Plan and one legacy MX Plan, each
backed by a real local Dovecot, with seeded mailboxes and free slots) and a redis-server, then prints ONE JSON
line on stdout:

  {"env":{...variables to export...},"services":[{"platform","service"}],"mailboxes":[{"address","platform","service","messages"}]}

("messages" is what the mailbox's Dovecot counts; null, with "messagesError" saying why, when it cannot be counted)

and stays up until Ctrl-C / SIGTERM. State is kept under DATA_DIR/sbx (--reset starts afresh). In another
shell: eval "$(migrate-mailbox sandbox | jq -r '.env | to_entries[] | "export \\(.key)=\\(.value|@sh)"')" & ... or
copy the variables, then run migrate, batch or start against it.

With --mailboxes N it also seeds N more source mailboxes (load0001@mydomain.ovh on Hosted Exchange, load0002@pro-domain.ovh
on E-mail Pro, alternately) of about M messages each, with one more free slot per mailbox on its destination; the JSON
line then carries "scale":{"mailboxes","messages","taskDelayMs","batchCsv"}, batchCsv being a batch CSV that moves them all
(Exchange ones to E-mail Pro, E-mail Pro ones to the second Hosted Exchange).

options:
  --port N            HTTPS port of the simulated API (default: a free one)
  --reset             forget the saved sandbox state first
  --mailboxes N       extra source mailboxes to seed (0-2000; default 0)
  --messages M        messages in each of them (1-100000; default 200)
  --task-delay-ms MS  how long each simulated OVH task takes, renames included (default 300)
  -h, --help          show this help
`;

/** What a sandbox's saved state was seeded with: a later start asking for another scale must --reset. */
interface SandboxScale {
  mailboxes: number;
  messages: number;
}

function integerOption(name: string, raw: string | undefined, min: number, max: number): number | undefined | string {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(value) || value < min || value > max) return `--${name} must be an integer from ${min} to ${max}`;
  return value;
}

/** The EWS doubles' certificate, for clients to trust (EWS_CA_FILE). */
/** The mailbox's message count as its Dovecot reports it, or null with the reason: never a 0 that was not measured. */
async function messageCount(sim: OvhSimulator, serviceKey: string, address: string): Promise<{ messages: number } | { messages: null; messagesError: string }> {
  try {
    return { messages: await sim.dovecot(serviceKey).messageCount(address) };
  } catch (error) {
    return { messages: null, messagesError: (error as Error).message };
  }
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('sandbox', USAGE, {
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        reset: { type: 'boolean', default: false },
        mailboxes: { type: 'string' },
        messages: { type: 'string' },
        'task-delay-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const mailboxCount = integerOption('mailboxes', values.mailboxes, 0, 2000);
  const messagesOption = integerOption('messages', values.messages, 1, 100_000);
  const taskDelayMs = integerOption('task-delay-ms', values['task-delay-ms'], 0, 600_000);
  for (const problem of [mailboxCount, messagesOption, taskDelayMs]) {
    if (typeof problem === 'string') {
      process.stderr.write(`migrate-mailbox sandbox: ${problem}\n`);
      return 2;
    }
  }
  if (messagesOption !== undefined && mailboxCount === undefined) {
    process.stderr.write('migrate-mailbox sandbox: --messages goes with --mailboxes N (the mailboxes to seed)\n');
    return 2;
  }
  const scale: SandboxScale = { mailboxes: (mailboxCount as number | undefined) ?? 0, messages: (messagesOption as number | undefined) ?? 200 };
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // Short names: Dovecot's Unix sockets live below this directory and socket paths are limited to 108 bytes.
  const dir = resolve(config.DATA_DIR, 'sbx');
  if (values.reset) {
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  // Dovecot's auth process runs as another user and must traverse down to the sandbox's passwd files.
  for (const path of [resolve(config.DATA_DIR), dir]) chmodSync(path, statSync(path).mode | 0o011);
  // A key of its own, kept with the sandbox, so jobs queued before a restart can still open their secrets.
  const keyFile = join(dir, 'secrets.key');
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  const secretsKey = readFileSync(keyFile, 'utf8').trim();

  // the sample platforms, and a second Hosted Exchange service so that Exchange -> Exchange can be tried too
  const fixture = sandboxFixture();
  fixture.services.push(secondExchangeService());
  // The simulator seeds from the fixture only when it starts without saved state: a saved sandbox keeps its scale.
  const scaleFile = join(dir, 'scale.json');
  const saved = existsSync(join(dir, 'o', 'simulator-state.json'));
  const savedScale: SandboxScale = existsSync(scaleFile) ? (JSON.parse(readFileSync(scaleFile, 'utf8')) as SandboxScale) : { mailboxes: 0, messages: 200 };
  if (saved && mailboxCount !== undefined && (savedScale.mailboxes !== scale.mailboxes || (scale.mailboxes > 0 && savedScale.messages !== scale.messages))) {
    process.stderr.write(
      `migrate-mailbox sandbox: the saved sandbox under ${dir} was seeded with ${savedScale.mailboxes} extra mailboxes` +
        (savedScale.mailboxes ? ` of ${savedScale.messages} messages` : '') +
        `; add --reset to start afresh with ${scale.mailboxes}\n`,
    );
    return 2;
  }
  const seeded = saved ? savedScale : scale;
  const rows: ScaleRow[] = addScaleMailboxes(fixture, seeded);
  const redis = await RedisServer.start({ dir: join(dir, 'redis') });
  let sim: OvhSimulator;
  try {
    sim = await OvhSimulator.start({
      dataDir: join(dir, 'o'),
      port: values.port ? Number(values.port) : undefined,
      logger,
      fixture,
      ...(taskDelayMs !== undefined ? { taskDelayMs: taskDelayMs as number, renameDelayMs: taskDelayMs as number } : {}),
    });
    if (!saved) writeFileSync(scaleFile, JSON.stringify(seeded) + '\n');
  } catch (error) {
    await redis.stop();
    throw error;
  }

  // One EWS double per Hosted Exchange service, its mailboxes seeded with contacts, calendars, tasks, rules, OOF.
  let ews: SandboxEws;
  try {
    ews = await startSandboxEws(sim, fixture, { logger });
  } catch (error) {
    await sim.stop();
    await redis.stop();
    throw error;
  }
  const services = sim.state.services.map((s) => ({ platform: s.platform as Platform, service: s.name, ...(ews.urls[s.key] ? { ews: ews.urls[s.key] } : {}) }));
  const mailboxes: Array<{ address: string; platform: Platform; service: string } & Awaited<ReturnType<typeof messageCount>>> = [];
  for (const service of sim.state.services) {
    for (const address of sim.addresses(service.key)) {
      if (address.endsWith('@configureme.me')) continue;
      mailboxes.push({ address, platform: service.platform as Platform, service: service.name, ...(await messageCount(sim, service.key, address)) });
    }
  }
  const env = sandboxEnv({ sim, redisUrl: redis.url, secretsKey, ews, dir });
  const scaleOut =
    seeded.mailboxes > 0
      ? {
          scale: {
            mailboxes: seeded.mailboxes,
            messages: seeded.messages,
            taskDelayMs: (taskDelayMs as number | undefined) ?? 300,
            batchCsv: ['source,destination_service', ...rows.map((row) => `${row.source},${row.destinationService}`)].join('\n') + '\n',
          },
        }
      : {};
  process.stdout.write(JSON.stringify({ env, services, mailboxes, ...scaleOut }) + '\n');
  logger.info({ api: sim.url, redis: redis.url }, 'sandbox ready; Ctrl-C to stop');

  await new Promise<void>((done) => {
    const stop = () => done();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  logger.info('sandbox stopping');
  await ews.stop();
  await sim.stop();
  await redis.stop();
  return 0;
}
