/**
 * mbsync (Debian `isync`) as the reference contender: an IMAP-to-IMAP channel pulling every folder of the far
 * (source) account into the near (destination) account, creating folders and keeping arrival dates.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const MBSYNC = process.env.MBSYNC ?? '/usr/bin/mbsync';

export interface MbsyncStore {
  host: string;
  port: number;
  user: string;
  password: string;
}

export interface MbsyncConfigOptions {
  far: MbsyncStore;
  near: MbsyncStore;
  /** Directory for SyncState (fresh per run). */
  stateDir: string;
  /** mbsync's PipelineDepth; undefined keeps mbsync's default (unlimited). */
  pipelineDepth?: number;
  authMech?: 'LOGIN' | 'PLAIN';
  /**
   * Folder names ('/'-separated, no prefix) to leave out. A fresh destination already has its special-use
   * folders (Sent, Trash...) that the source lacks; with `Create Near` only, mbsync reports those as errors.
   */
  exclude?: string[];
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The text of an mbsync configuration file for one Far -> Near pull channel named `bench`. */
export function mbsyncConfig(options: MbsyncConfigOptions): string {
  const store = (name: string, s: MbsyncStore): string =>
    [
      `IMAPStore ${name}`,
      `Host ${s.host}`,
      `Port ${s.port}`,
      `User ${quote(s.user)}`,
      `Pass ${quote(s.password)}`,
      'SSLType None',
      `AuthMechs ${options.authMech ?? 'LOGIN'}`,
      ...(options.pipelineDepth !== undefined ? [`PipelineDepth ${options.pipelineDepth}`] : []),
      '',
    ].join('\n');
  return [
    store('far', options.far),
    store('near', options.near),
    'Channel bench',
    'Far :far:',
    'Near :near:',
    `Patterns *${(options.exclude ?? []).map((name) => ' ' + quote('!' + name)).join('')}`,
    'Create Near',
    'Sync Pull',
    'Expunge None',
    'Remove None',
    'CopyArrivalDate yes',
    `SyncState ${options.stateDir.endsWith('/') ? options.stateDir : options.stateDir + '/'}`,
    '',
  ].join('\n');
}

/** Writes a config (mode 0600) and a fresh state directory; returns the arguments to run mbsync with. */
export async function prepareMbsync(
  options: Omit<MbsyncConfigOptions, 'stateDir'> & { workDir?: string },
): Promise<{ args: string[]; configPath: string; stateDir: string }> {
  const dir = options.workDir ?? (await mkdtemp(join(tmpdir(), 'bench-mbsync-')));
  const stateDir = join(dir, 'state');
  await mkdir(stateDir, { recursive: true });
  const configPath = join(dir, 'mbsyncrc');
  await writeFile(configPath, mbsyncConfig({ ...options, stateDir }), { mode: 0o600 });
  return { args: ['-c', configPath, 'bench'], configPath, stateDir };
}

export async function mbsyncVersion(): Promise<string> {
  try {
    const { stdout } = await run(MBSYNC, ['--version']);
    return stdout.trim();
  } catch {
    return 'not installed';
  }
}
