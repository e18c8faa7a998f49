import { parseArgs, type ParseArgsConfig } from 'node:util';

type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/**
 * Parses a command's arguments the way every command answers: a bad argument prints one line naming the command
 * and the problem, then the usage, on stderr (exit 2); `--help` prints the usage on stdout (exit 0). Returns the
 * parsed arguments, or the exit code when the command should stop there.
 */
export function parseCommandArgs<T extends ParseArgsConfig & { options: { help: { type: 'boolean' } } }>(
  command: string,
  usage: string,
  config: T,
): Parsed<T> | number {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs(config);
  } catch (error) {
    process.stderr.write(`migrate-mailbox ${command}: ${(error as Error).message.split('\n')[0]}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    process.stdout.write(usage);
    return 0;
  }
  return parsed;
}
