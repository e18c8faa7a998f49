#!/usr/bin/env node
import { ConfigError } from '../config/config.js';

/**
 * `migrate-mailbox COMMAND ...`: each command lives in its own module under ./commands and exports
 * `run(argv: string[]): Promise<number>` (the exit code) and `summary` (one line for the help). Imports are
 * spelled out so each command loads only what it needs, and the launcher (scripts/cli.mjs) transpiles them.
 */
interface CommandModule {
  summary: string;
  run(argv: string[]): Promise<number>;
}

const COMMANDS = {
  copy: () => import('./commands/copy.js'),
  'copy-collaborative': () => import('./commands/copy-collaborative.js'),
  migrate: () => import('./commands/migrate.js'),
  batch: () => import('./commands/batch.js'),
  audit: () => import('./commands/audit.js'),
  sandbox: () => import('./commands/sandbox.js'),
  start: () => import('./commands/start.js'),
  worker: () => import('./commands/worker.js'),
  'ovh-login': () => import('./commands/ovh-login.js'),
  demo: () => import('./commands/demo.js'),
} satisfies Record<string, () => Promise<CommandModule>>;
type CommandName = keyof typeof COMMANDS;

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

async function help(): Promise<void> {
  const lines = ['usage: migrate-mailbox COMMAND [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const command: CommandModule = await load();
    lines.push(`  ${name.padEnd(18)} ${command.summary}`);
  }
  lines.push('', 'Run `migrate-mailbox COMMAND --help` for a command\'s options.');
  process.stdout.write(lines.join('\n') + '\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    await help();
    return name ? 0 : 2;
  }
  if (!isCommand(name)) {
    process.stderr.write(`migrate-mailbox: unknown command ${JSON.stringify(name)}; run migrate-mailbox --help\n`);
    return 2;
  }
  const command: CommandModule = await COMMANDS[name]();
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError) process.stderr.write(`migrate-mailbox: ${error.message}\n`);
    else process.stderr.write(`migrate-mailbox: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
