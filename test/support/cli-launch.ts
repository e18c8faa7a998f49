import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');

/** `migrate-mailbox COMMAND` as a process, the way the README starts it; its stderr (the JSON log) kept. */
export function launch(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/cli.mjs'), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  return { child, exited, stderr: () => stderr };
}
