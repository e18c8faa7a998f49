import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { parseCommandArgs } from '../command-args.js';

export const summary = 'try it: start the sandbox, migrate a sample Exchange mailbox to E-mail Pro, print the report, stop';

const USAGE = `usage: migrate-mailbox demo [--json] [--keep]

Starts \`migrate-mailbox sandbox\` (a local OVH API simulator with one Hosted Exchange, one E-mail Pro, one MX Plan
and one legacy MX Plan, each on its own Dovecot, and a private Redis) in a temporary directory, runs
\`migrate <sample Exchange mailbox> --to <the E-mail Pro service> --yes\` against it, prints the report and stops.
Needs the Debian packages dovecot-imapd and redis-server.

options:
  --json      print migrate's JSON report on stdout
  --keep      keep the temporary directory (Dovecot logs, mailboxes) and say where it is
  -h, --help  show this help
`;

const sandboxLineSchema = z.object({
  env: z.record(z.string(), z.string()),
  services: z.array(z.object({ platform: z.string(), service: z.string() })),
  mailboxes: z.array(z.object({ address: z.string(), platform: z.string(), service: z.string(), messages: z.number() })),
});

/**
 * Runs `sandbox` as a child process and resolves with its JSON line, or rejects with what it said on stderr. The
 * child is this CLI started the way this process was (same node, node flags and script: the launcher
 * scripts/cli.mjs, the package bin, or src/cli/main.ts under tsx in the tests).
 */
function startSandbox(dataDir: string): Promise<{ line: z.infer<typeof sandboxLineSchema>; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1], 'sandbox'], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (text) => {
      try {
        resolve({ line: sandboxLineSchema.parse(JSON.parse(text)), stop });
      } catch (error) {
        void stop();
        reject(new Error(`the sandbox printed something unexpected: ${text.slice(0, 200)}`, { cause: error }));
      }
    });
    void exited.then(() =>
      reject(
        new Error(
          `the sandbox stopped before it was ready:\n${stderr.trim()}\n` +
            'Is Dovecot installed (apt-get install dovecot-imapd redis-server)?',
        ),
      ),
    );
  });
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('demo', USAGE, {
      args: argv,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  // Short path: Dovecot's Unix sockets live below it, and socket paths are limited to 108 bytes.
  const dir = await mkdtemp(join(tmpdir(), 'mm-demo-'));
  const say = (text: string) => process.stderr.write(text + '\n');
  say(`Starting the sandbox in ${dir} (OVH API simulator, four platforms on local Dovecots, Redis)...`);
  const { line, stop } = await startSandbox(dir);
  try {
    const source = line.mailboxes.find((m) => m.platform === 'exchange' && m.messages > 0);
    const destination = line.services.find((s) => s.platform === 'emailpro');
    if (!source || !destination) throw new Error('the sandbox has no Exchange mailbox with mail or no E-mail Pro service');
    say(`Migrating ${source.address} (${source.messages} messages, ${source.service}) to ${destination.service}...\n`);
    Object.assign(process.env, line.env);
    const migrate = await import('./migrate.js');
    return await migrate.run([source.address, '--to', destination.service, '--yes', ...(values.json ? ['--json'] : [])]);
  } finally {
    await stop();
    if (values.keep) say(`Kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
