/**
 * Runs the OVH API simulator on its own until Ctrl-C, printing the environment the product needs:
 *   npx tsx src/sandbox/ovh-simulator/main.ts [--data-dir .data/sandbox] [--port 8443] [--task-delay-ms 300]
 * With --data-dir, accounts, mail, keys and certificate survive restarts.
 */
import { parseArgs } from 'node:util';
import { OvhSimulator } from './server.js';

const { values } = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    port: { type: 'string' },
    'task-delay-ms': { type: 'string' },
    'rename-delay-ms': { type: 'string' },
  },
});

const number = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new Error(`--${name} must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
};

const sim = await OvhSimulator.start({
  dataDir: values['data-dir'],
  port: number('port', values.port),
  taskDelayMs: number('task-delay-ms', values['task-delay-ms']),
  renameDelayMs: number('rename-delay-ms', values['rename-delay-ms']),
});
const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
for (const [key, value] of Object.entries(sim.endpointEnv())) process.stdout.write(`export ${key}=${quote(value)}\n`);
process.stderr.write(`OVH API simulator on ${sim.url} (Ctrl-C to stop)\n`);
for (const service of sim.state.services) {
  const endpoint = sim.imapEndpointOfService(service.key);
  process.stderr.write(`  ${service.key.padEnd(48)} IMAP ${service.hostname} -> ${endpoint.host}:${endpoint.port} (TLS), ${endpoint.plainPort} (STARTTLS)\n`);
}
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void sim.stop().then(() => process.exit(0));
  });
}
