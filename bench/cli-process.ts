import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));

/**
 * A `migrate-mailbox` command in its own process, started exactly as `npm run cli` starts it. `ready` settles once a
 * log line (JSON, on stderr) contains `options.ready`, and rejects when the process ends before, with the message
 * `onExit` makes (called on whatever exit, also later); every log line is handed to `onLine`.
 */
export function startCliProcess(options: {
  args: string[];
  /** Options for node itself, before the script (e.g. --cpu-prof, which NODE_OPTIONS does not accept). */
  nodeArgs?: string[];
  env: Record<string, string>;
  ready: string;
  onLine?: (line: string) => void;
  onExit?: (code: number | null, signal: NodeJS.Signals | null) => string;
}): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--max-semi-space-size=2', ...(options.nodeArgs ?? []), 'scripts/cli.mjs', ...options.args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let buffer = '';
  const ready = new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.includes(options.ready)) resolve();
        options.onLine?.(line);
      }
    });
    child.once('exit', (code, signal) => reject(new Error(options.onExit?.(code, signal) ?? `${options.args[0]} exited (${code ?? signal}) before it was ready`)));
  });
  return { child, ready };
}
