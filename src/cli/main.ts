#!/usr/bin/env node
import { ConfigError } from '../config/config.js';

/**
 * `migrate-mailbox COMMAND ...`: each command lives in its own module under ./commands and exports
 * `run(argv: string[]): Promise<number>` (the exit code) and `summary` (one line for the help).
 */
const COMMANDS = ['copy', 'migrate', 'batch', 'sandbox', 'start', 'worker', 'ovh-login', 'demo'] as const;
type CommandName = (typeof COMMANDS)[number];

interface CommandModule {
  summary: string;
  run(argv: string[]): Promise<number>;
}

async function load(name: CommandName): Promise<CommandModule | undefined> {
  try {
    return (await import(`./commands/${name}.js`)) as CommandModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(`commands/${name}`)) {
      return undefined;
    }
    throw error;
  }
}

async function help(): Promise<void> {
  const lines = ['usage: migrate-mailbox COMMAND [options]', '', 'commands:'];
  for (const name of COMMANDS) {
    const command = await load(name);
    if (command) lines.push(`  ${name.padEnd(10)} ${command.summary}`);
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
  if (!(COMMANDS as readonly string[]).includes(name)) {
    process.stderr.write(`migrate-mailbox: unknown command ${JSON.stringify(name)}; run migrate-mailbox --help\n`);
    return 2;
  }
  const command = await load(name as CommandName);
  if (!command) {
    process.stderr.write(`migrate-mailbox: ${name} is not available in this build\n`);
    return 2;
  }
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
