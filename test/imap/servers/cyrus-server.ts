import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../src/sandbox/free-port.js';

/** Where .ci/run unpacks Debian's cyrus-common and cyrus-imapd (they conflict with dovecot-imapd as packages). */
export const CYRUS_PREFIX = process.env.CYRUS_PREFIX ?? '/opt/cyrus-imapd';

export interface CyrusOptions {
  /** `/` instead of Cyrus's default `.` as the hierarchy separator (unixhierarchysep). */
  unixHierarchySeparator?: boolean;
}

/**
 * A real Cyrus IMAP 3 server on loopback, started as a child (`master`, in the foreground) from the unpacked
 * Debian packages with a private configuration under a temporary directory, like DovecotServer does for
 * Dovecot. Any password is accepted (SASL `alwaystrue`), and a user's INBOX is created at the first login with
 * Drafts, Sent, Trash and Junk carrying their special-use attributes. Cyrus logs only to syslog.
 */
export class CyrusServer {
  readonly host = '127.0.0.1';
  private stopped = false;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly child: ChildProcess,
  ) {}

  static installed(): boolean {
    return existsSync(join(CYRUS_PREFIX, 'usr/lib/cyrus/bin/master'));
  }

  static async start(options: CyrusOptions = {}): Promise<CyrusServer> {
    const bin = join(CYRUS_PREFIX, 'usr/lib/cyrus/bin');
    if (!CyrusServer.installed()) {
      throw new Error(`Cyrus IMAP is not unpacked under ${CYRUS_PREFIX} (no usr/lib/cyrus/bin/master): run .ci/run, or set CYRUS_PREFIX`);
    }
    const libraries = libraryDirectory();
    const dir = await mkdtemp(join(tmpdir(), 'cyrus-'));
    // Cyrus drops to its own user (nobody, as root): it must be able to reach its directories and read its config.
    await chmod(dir, 0o755);
    for (const sub of ['conf', 'spool', 'run', 'sieve']) await mkdir(join(dir, sub), { recursive: true });
    // imapd refuses to run as root ("must run as the Cyrus user"): as root, master drops to nobody.
    const asRoot = process.getuid?.() === 0;
    const user = asRoot ? 'nobody' : userInfo().username;
    if (asRoot) for (const sub of ['conf', 'spool', 'run', 'sieve']) await chown(join(dir, sub), 65534, 65534);
    const config = join(dir, 'imapd.conf');
    const attempts = 5;
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      await writeFile(
        config,
        [
          `configdirectory: ${dir}/conf`,
          `proc_path: ${dir}/run/proc`,
          `mboxname_lockpath: ${dir}/run/lock`,
          'defaultpartition: default',
          `partition-default: ${dir}/spool`,
          `sievedir: ${dir}/sieve`,
          `lmtpsocket: ${dir}/run/lmtp`,
          `idlesocket: ${dir}/run/idle`,
          `notifysocket: ${dir}/run/notify`,
          `cyrus_user: ${user}`,
          'syslog_prefix: cyrus-test',
          'altnamespace: no',
          `unixhierarchysep: ${options.unixHierarchySeparator ? 'yes' : 'no'}`,
          'autocreate_quota: 0',
          'autocreate_inbox_folders: Drafts | Sent | Trash | Junk',
          'autocreate_subscribe_folders: Drafts | Sent | Trash | Junk',
          'xlist-drafts: Drafts',
          'xlist-sent: Sent',
          'xlist-trash: Trash',
          'xlist-junk: Junk',
          'allowplaintext: yes',
          'sasl_pwcheck_method: alwaystrue',
          'sasl_mech_list: PLAIN LOGIN',
          '',
        ].join('\n'),
      );
      await writeFile(
        join(dir, 'cyrus.conf'),
        `START {\n  recover cmd="${bin}/ctl_cyrusdb -C ${config} -r"\n}\nSERVICES {\n  imap cmd="${bin}/imapd -C ${config}" listen="127.0.0.1:${port}" prefork=0\n}\nEVENTS {\n}\n`,
      );
      // -D: in the foreground, stdio kept (without it master detaches from us).
      const child = spawn(join(bin, 'master'), ['-D', '-C', config, '-M', join(dir, 'cyrus.conf'), '-p', join(dir, 'run/master.pid')], {
        env: { ...process.env, LD_LIBRARY_PATH: libraries },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const server = new CyrusServer(dir, port, child);
      try {
        await server.waitForGreeting(() =>
          child.exitCode !== null || child.signalCode !== null ? `master exited (${child.exitCode ?? child.signalCode}): ${stderr.trim()}` : undefined,
        );
        return server;
      } catch (error) {
        await server.stop();
        if (attempt >= attempts) {
          await rm(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  /** Polls the port until an IMAP greeting comes back (imapd is spawned per connection once master listens). */
  private async waitForGreeting(exited: () => string | undefined): Promise<void> {
    const deadline = Date.now() + 15_000;
    let last = '';
    while (Date.now() < deadline) {
      const problem = exited();
      if (problem) throw new Error(`Cyrus did not start: ${problem}`);
      last = await new Promise<string>((resolve) => {
        const socket = connect(this.port, this.host);
        let text = '';
        socket.setTimeout(2000, () => socket.destroy());
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('\r\n')) {
            socket.end('a LOGOUT\r\n');
            resolve(text);
          }
        });
        socket.on('error', () => resolve(''));
        socket.on('close', () => resolve(text));
      });
      if (last.startsWith('* OK')) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`Cyrus did not greet on 127.0.0.1:${this.port} within 15 s (last: ${JSON.stringify(last)}); it logs only to syslog`);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** The directory of Cyrus's own shared libraries (libcyrus*.so) inside the prefix, whatever the architecture. */
function libraryDirectory(): string {
  const base = join(CYRUS_PREFIX, 'usr/lib');
  for (const entry of readdirSync(base)) {
    const candidate = join(base, entry);
    if (existsSync(join(candidate, 'libcyrus.so.0'))) return candidate;
  }
  throw new Error(`no libcyrus.so.0 under ${base}`);
}
