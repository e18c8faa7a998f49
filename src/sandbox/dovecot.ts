import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { freePort, waitForPort } from './free-port.js';
import { encodeMailboxName } from '../imap/utf7.js';
import { selfSignedCertificate } from './certificate.js';

const run = promisify(execFile);

export type SpecialUse = 'sent' | 'drafts' | 'trash' | 'junk' | 'archive';

const SPECIAL_USE_ATTRIBUTE: Record<SpecialUse, string> = {
  sent: '\\Sent',
  drafts: '\\Drafts',
  trash: '\\Trash',
  junk: '\\Junk',
  archive: '\\Archive',
};

export interface DovecotOptions {
  /** Hierarchy separator of the personal namespace. */
  separator?: '/' | '.';
  /** Personal namespace prefix, e.g. `INBOX.` (Courier/Cyrus style) or '' (Dovecot default). */
  prefix?: string;
  /** Special-use folder names (without prefix), in any language. Defaults to English names. */
  specialUse?: Partial<Record<SpecialUse, string>>;
  /** Capabilities to hide from clients after login (e.g. MULTIAPPEND, LITERAL+). */
  hideCapabilities?: string[];
  /** Serve STARTTLS on the plain port and implicit TLS on a second port, with a self-signed certificate. */
  tls?: boolean;
  /** Largest message the server accepts (bytes); larger APPENDs are refused. */
  maxMessageBytes?: number;
  /** Keep state here (kept across restarts) instead of a fresh temporary directory. */
  dir?: string;
  /** fsync mail files (off by default: tests and benchmarks, not durability). */
  fsync?: boolean;
  /** Dovecot's per user and IP connection limit (Dovecot's default is 10). */
  maxUserIpConnections?: number;
  /**
   * Dovecot's per-IP authentication penalty (anvil), on by default: after failed logins from an IP, every login
   * from it waits 2 to 15 s. `false` turns it off (simulated platforms whose tests expect refused logins).
   */
  authPenalty?: boolean;
}

export interface DovecotUser {
  password: string;
  /** Storage quota in bytes; unlimited when absent. */
  quotaBytes?: number;
}

/** `untilVisible: false`: return once the change is written, before a login is sure to see it (see `untilVisible`). */
export interface VisibilityOption {
  untilVisible?: boolean;
}

export interface SeedMessage {
  raw: Buffer | string;
  /** IMAP system flags (\Seen, \Answered, \Flagged, \Deleted, \Draft) and keywords. */
  flags?: string[];
  internalDate?: Date;
}

/** Post-login capabilities of Dovecot 2.3 with this configuration (imap_capability replaces the whole list). */
const DEFAULT_CAPABILITIES =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS ' +
  'THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ' +
  'I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE ' +
  'SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE QUOTA';

const MAILDIR_FLAG_LETTER: Record<string, string> = {
  '\\draft': 'D',
  '\\flagged': 'F',
  '\\answered': 'R',
  '\\seen': 'S',
  '\\deleted': 'T',
};

/**
 * A real Dovecot IMAP server on loopback, configured from a template, with a passwd-file of users that can be
 * changed while it runs (Dovecot re-reads the file when it changes).
 */
const PORT_ATTEMPTS = 5;

function isAddressInUse(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Address already in use');
}

export class DovecotServer {
  readonly host = '127.0.0.1';
  private readonly users = new Map<string, DovecotUser>();
  private child: ChildProcess | undefined;
  private stopped = false;
  /** Last mtime given to each user's passwd-file, for every user that ever had one in this process. */
  private readonly usersStamps = new Map<string, number>();
  private usersWrite: Promise<void> = Promise.resolve();
  /** When a passwd-file Dovecot may have read was last changed, or deleted (ms). */
  private changedAt = 0;
  private removedAt = 0;
  /** Users whose password changed: their sessions are closed once the new password is the one that works. */
  private readonly kickWhenVisible = new Set<string>();

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number | undefined,
    readonly caCertificate: string | undefined,
    readonly options: Required<Pick<DovecotOptions, 'separator' | 'prefix'>> & DovecotOptions,
    private readonly mailUid: number,
    private readonly mailGid: number,
  ) {}

  static async start(options: DovecotOptions = {}): Promise<DovecotServer> {
    const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'dovecot-')));
    await mkdir(dir, { recursive: true });
    await chmod(dir, 0o755);
    const asRoot = process.getuid?.() === 0;
    const mailUid = asRoot ? 65534 : userInfo().uid;
    const mailGid = asRoot ? 65534 : userInfo().gid;
    let caCertificate: string | undefined;
    if (options.tls) {
      const existing = join(dir, 'cert.pem');
      if (!existsSync(existing)) {
        const { cert, key } = await selfSignedCertificate('127.0.0.1');
        await writeFile(join(dir, 'cert.pem'), cert);
        await writeFile(join(dir, 'key.pem'), key, { mode: 0o600 });
      }
      caCertificate = await readFile(existing, 'utf8');
    }
    for (const sub of ['run', 'state', 'home']) await mkdir(join(dir, sub), { recursive: true });
    await chown(join(dir, 'home'), mailUid, mailGid);
    // freePort() closes its probe before Dovecot binds, so a parallel test can take the port in between:
    // pick fresh ports and launch again rather than fail the caller.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      const tlsPort = options.tls ? await freePort() : undefined;
      const server = new DovecotServer(
        dir,
        port,
        tlsPort,
        caCertificate,
        { separator: '/', prefix: '', ...options },
        mailUid,
        mailGid,
      );
      if (existsSync(join(dir, 'users.json'))) {
        const saved = JSON.parse(await readFile(join(dir, 'users.json'), 'utf8')) as Record<string, DovecotUser>;
        for (const [name, user] of Object.entries(saved)) server.users.set(name, user);
      }
      // Dovecot is not running yet: every user's file is written afresh
      await rm(join(dir, 'users.d'), { recursive: true, force: true });
      await mkdir(join(dir, 'users.d'), { mode: 0o755 });
      await server.persistUsers(server.users.keys());
      await writeFile(join(dir, 'dovecot.conf'), server.config(asRoot));
      try {
        await server.launch();
        return server;
      } catch (error) {
        if (attempt >= PORT_ATTEMPTS || !isAddressInUse(error)) throw error;
      }
    }
  }

  get configPath(): string {
    return join(this.dir, 'dovecot.conf');
  }

  get separator(): string {
    return this.options.separator;
  }

  get prefix(): string {
    return this.options.prefix;
  }

  /** The full IMAP name (prefix included) of a special-use folder. */
  specialFolder(use: SpecialUse): string {
    return this.prefix + this.specialNames()[use];
  }

  private specialNames(): Record<SpecialUse, string> {
    return { sent: 'Sent', drafts: 'Drafts', trash: 'Trash', junk: 'Junk', archive: 'Archive', ...this.options.specialUse };
  }

  private config(asRoot: boolean): string {
    const o = this.options;
    const me = userInfo().username;
    const mailboxes = Object.entries(this.specialNames())
      .map(
        ([use, name]) =>
          `  mailbox "${name}" {\n    special_use = ${SPECIAL_USE_ATTRIBUTE[use as SpecialUse]}\n    auto = subscribe\n  }`,
      )
      .join('\n');
    const hidden = new Set((o.hideCapabilities ?? []).map((c) => c.toUpperCase()));
    const capabilities = DEFAULT_CAPABILITIES.split(' ')
      .filter((c) => !hidden.has(c))
      .join(' ');
    const quotaPlugin = [
      'mail_plugins = $mail_plugins quota',
      'protocol imap {',
      '  mail_plugins = $mail_plugins imap_quota',
      `  imap_capability = ${capabilities}`,
      '}',
      'plugin {',
      '  quota = maildir:User quota',
      o.maxMessageBytes !== undefined ? `  quota_max_mail_size = ${o.maxMessageBytes}B` : '',
      '}',
    ].join('\n');
    return `# generated by migrate-mailbox test support
base_dir = ${this.dir}/run
state_dir = ${this.dir}/state
instance_name = dovecot-${this.port}
log_path = ${this.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = ${o.tls ? 'yes' : 'no'}
${o.tls ? `ssl_cert = <${this.dir}/cert.pem\nssl_key = <${this.dir}/key.pem` : ''}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
${asRoot ? '' : `default_internal_user = ${me}\ndefault_login_user = ${me}\n`}first_valid_uid = 1
mail_fsync = ${o.fsync ? 'optimized' : 'never'}
mail_max_userip_connections = ${o.maxUserIpConnections ?? 10}
mail_location = maildir:~/Maildir:LAYOUT=fs:INBOX=~/Maildir/INBOX
namespace inbox {
  inbox = yes
  separator = ${o.separator}
  prefix = ${o.prefix}
${mailboxes}
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${this.dir}/users.d/%u
}
userdb {
  driver = passwd-file
  args = username_format=%u ${this.dir}/users.d/%u
  default_fields = uid=${this.mailUid} gid=${this.mailGid} home=${this.dir}/home/%u
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${this.port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${this.tlsPort ?? 0}
  }
}
service anvil {
  chroot =
${o.authPenalty === false ? '  unix_listener anvil-auth-penalty {\n    mode = 0\n  }\n' : ''}}
service stats {
  unix_listener stats-writer {
    mode = 0666
  }
}
${quotaPlugin}
`;
  }

  private async launch(): Promise<void> {
    this.child = spawn('dovecot', ['-F', '-c', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<never>((_, reject) => {
      this.child?.once('exit', (code) => {
        reject(new Error(`dovecot exited with code ${code}: ${stderr.trim()} (config ${this.configPath})`));
      });
    });
    await Promise.race([waitForPort(this.port), exited]);
    if (this.tlsPort) await Promise.race([waitForPort(this.tlsPort), exited]);
    this.child.removeAllListeners('exit');
  }

  /**
   * Writes the passwd-file of each named user as it is now (one file per user: `users.d/NAME`), or deletes it
   * when the user is gone. Writes are chained so that the last file written for a user is its latest state.
   * What a login sees next (see `untilVisible`): a file for a name that never had one is read at once (Dovecot
   * keeps nothing for a path it found missing); a changed or deleted file may be noticed only from the next
   * second of wall time (Dovecot stats a passwd-file at most once a second, by mtime in whole seconds and size).
   */
  private persistUsers(names: Iterable<string>): Promise<void> {
    const changed = [...new Set(names)];
    const write = this.usersWrite.then(async () => {
      for (const name of changed) {
        const file = join(this.dir, 'users.d', name);
        const user = this.users.get(name);
        const seenBefore = this.usersStamps.has(name);
        if (user) {
          const extra = user.quotaBytes !== undefined ? `userdb_quota_rule=*:storage=${user.quotaBytes}B` : '';
          await writeFile(`${file}.tmp`, `${name}:{PLAIN}${user.password}::::::${extra}\n`, { mode: 0o644 });
          // every version of a user's file gets its own mtime second, even several within one second of wall time
          const stamp = Math.max((this.usersStamps.get(name) ?? 0) + 1, Math.floor(Date.now() / 1000));
          this.usersStamps.set(name, stamp);
          await utimes(`${file}.tmp`, stamp, stamp);
          await rename(`${file}.tmp`, file);
          if (seenBefore) this.changedAt = Date.now();
        } else {
          await rm(file, { force: true });
          if (seenBefore) this.removedAt = Date.now();
        }
      }
      await writeFile(join(this.dir, 'users.json'), JSON.stringify(Object.fromEntries(this.users)), { mode: 0o600 });
    });
    this.usersWrite = write.catch(() => undefined);
    return write;
  }

  /**
   * Resolves once logins see what was written: new passwords and quotas, and (unless `refusals` is false)
   * removed users refused. Then closes the sessions opened with a password that changed.
   */
  async untilVisible(options: { refusals?: boolean } = {}): Promise<void> {
    if (!this.child) return;
    const writtenAt = Math.max(this.changedAt, options.refusals === false ? 0 : this.removedAt);
    if (writtenAt > 0) {
      const wait = Math.floor(writtenAt / 1000) * 1000 + 1000 + 20 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const kicks = [...this.kickWhenVisible];
    this.kickWhenVisible.clear();
    await Promise.all(kicks.map((name) => this.kick(name)));
  }

  private async writeUsers(names: string[], options: VisibilityOption): Promise<void> {
    await this.persistUsers(names);
    if (options.untilVisible !== false) await this.untilVisible();
  }

  userNames(): string[] {
    return [...this.users.keys()];
  }

  hasUser(name: string): boolean {
    return this.users.has(name);
  }

  async addUser(name: string, user: DovecotUser, options: VisibilityOption = {}): Promise<void> {
    if (/[:\s/]/.test(name)) throw new Error(`user name ${JSON.stringify(name)} cannot contain ':', '/' or spaces`);
    this.users.set(name, user);
    await this.writeUsers([name], options);
  }

  async setPassword(name: string, password: string, options: VisibilityOption = {}): Promise<void> {
    const user = this.requireUser(name);
    this.users.set(name, { ...user, password });
    // sessions opened with the old password go once a login can no longer use it (see untilVisible)
    this.kickWhenVisible.add(name);
    await this.writeUsers([name], options);
  }

  async setQuota(name: string, quotaBytes: number | undefined, options: VisibilityOption = {}): Promise<void> {
    const user = this.requireUser(name);
    this.users.set(name, { ...user, quotaBytes });
    await this.writeUsers([name], options);
  }

  /** Renames a login and moves its mail storage with it, as a hosted platform does. */
  async renameUser(from: string, to: string, options: VisibilityOption = {}): Promise<void> {
    const user = this.requireUser(from);
    if (this.users.has(to)) throw new Error(`user ${to} exists already`);
    await this.kick(from);
    this.users.delete(from);
    this.users.set(to, user);
    if (existsSync(this.userHome(from))) await rename(this.userHome(from), this.userHome(to));
    await this.writeUsers([from, to], options);
  }

  /** Deletes a login and its mail. */
  async removeUser(name: string, options: VisibilityOption = {}): Promise<void> {
    this.requireUser(name);
    await this.kick(name);
    this.users.delete(name);
    await this.persistUsers([name]);
    await rm(this.userHome(name), { recursive: true, force: true });
    if (options.untilVisible !== false) await this.untilVisible();
  }

  userHome(name: string): string {
    return join(this.dir, 'home', name);
  }

  private requireUser(name: string): DovecotUser {
    const user = this.users.get(name);
    if (!user) throw new Error(`no user ${name} on the Dovecot at port ${this.port}`);
    return user;
  }

  /** Disconnects every IMAP session of a user. */
  async kick(name: string): Promise<void> {
    await run('doveadm', ['-c', this.configPath, 'kick', name]).catch(() => undefined);
  }

  /** Creates a folder (full IMAP name, prefix included) and subscribes it. */
  async createFolder(user: string, folder: string): Promise<void> {
    await this.doveadm(['mailbox', 'create', '-s', '-u', user, folder]).catch((error: Error) => {
      if (!/exists/i.test(error.message)) throw error;
    });
  }

  /**
   * Messages stored in every folder of a user, as Dovecot counts them (`doveadm mailbox status`). Throws, with
   * the reason, when they cannot be counted (no such user, doveadm failing, output it does not recognise):
   * a count is measured or it is an error, never a 0 standing in for "unknown".
   * The masks follow the namespace: `*` alone matches nothing in a namespace with a prefix (`INBOX.`), which is
   * how the sandbox printed 0 for every E-mail Pro and MX Plan mailbox.
   */
  async messageCount(user: string): Promise<number> {
    const counts = await this.folderCounts(user, ['INBOX', `${this.prefix}*`]);
    // With several masks doveadm leaves out folders not created on disk yet, INBOX included (an account that
    // never received mail): asked alone, INBOX is always answered.
    if (!counts.has('INBOX')) for (const [folder, count] of await this.folderCounts(user, ['INBOX'])) counts.set(folder, count);
    if (!counts.has('INBOX')) throw new Error(`cannot count the messages of ${user}: doveadm did not report its INBOX`);
    return [...counts.values()].reduce((sum, count) => sum + count, 0);
  }

  /** `doveadm mailbox status messages` for these masks: folder -> count. */
  private async folderCounts(user: string, masks: string[]): Promise<Map<string, number>> {
    let out: string;
    try {
      out = await this.doveadm(['-f', 'tab', 'mailbox', 'status', '-u', user, 'messages', ...masks]);
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
      throw new Error(`cannot count the messages of ${user}: ${stderr.split('\n').pop() || (error as Error).message}`);
    }
    const [header, ...rows] = out.split('\n').filter((line) => line !== '');
    if (header !== 'mailbox\tmessages') throw new Error(`cannot count the messages of ${user}: doveadm printed ${JSON.stringify(out.slice(0, 200))}`);
    const counts = new Map<string, number>();
    for (const row of rows) {
      const tab = row.lastIndexOf('\t');
      const count = tab < 0 ? NaN : Number(row.slice(tab + 1));
      if (!Number.isInteger(count) || count < 0) throw new Error(`cannot count the messages of ${user}: doveadm printed ${JSON.stringify(row)}`);
      // A folder matched by two masks is listed once.
      counts.set(row.slice(0, tab), count);
    }
    return counts;
  }

  async doveadm(args: string[]): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { stdout } = await run('doveadm', ['-c', this.configPath, ...args], { maxBuffer: 64 * 1024 * 1024 });
        return stdout;
      } catch (error) {
        // doveadm tells nothing but its stderr: a master that is (re)starting refuses its auth socket for a moment
        // (seen under load in CI: "connect(.../auth-userdb) failed: Connection refused"); that alone is retried
        const stderr = String((error as { stderr?: unknown }).stderr ?? '');
        if (attempt >= 10 || !/connect\([^)]*auth-(userdb|master)\) failed: (Connection refused|No such file or directory)/.test(stderr)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
      }
    }
  }

  /**
   * Writes messages straight into the user's Maildir (fast, and independent of any IMAP client): the file's
   * mtime is the INTERNALDATE, its name carries the system flags, `dovecot-keywords` the keywords.
   */
  async seed(user: string, folder: string, messages: Iterable<SeedMessage>): Promise<number> {
    this.requireUser(user);
    await this.createFolder(user, folder);
    const count = await this.writeMessages(user, folder, messages);
    await run('chown', ['-R', `${this.mailUid}:${this.mailGid}`, this.userHome(user)]);
    return count;
  }

  /**
   * Like `seed` for several folders at once, with one `doveadm` call and one `chown` for all of them (seeding
   * many small mailboxes is dominated by process start-up otherwise). Returns the number of messages written.
   */
  async seedFolders(user: string, folders: { folder: string; messages: Iterable<SeedMessage> }[]): Promise<number> {
    this.requireUser(user);
    const names = [...new Set(folders.map((f) => f.folder).filter((f) => f.toUpperCase() !== 'INBOX'))];
    if (names.length) {
      await this.doveadm(['mailbox', 'create', '-s', '-u', user, ...names]).catch(async (error: Error) => {
        if (!/exists/i.test(error.message)) throw error;
        for (const name of names) await this.createFolder(user, name);
      });
    }
    let count = 0;
    for (const { folder, messages } of folders) count += await this.writeMessages(user, folder, messages);
    await run('chown', ['-R', `${this.mailUid}:${this.mailGid}`, this.userHome(user)]);
    return count;
  }

  private async writeMessages(user: string, folder: string, messages: Iterable<SeedMessage>): Promise<number> {
    const dir = this.maildirOf(user, folder);
    for (const sub of ['cur', 'new', 'tmp']) await mkdir(join(dir, sub), { recursive: true });
    const keywordsFile = join(dir, 'dovecot-keywords');
    const keywords: string[] = existsSync(keywordsFile)
      ? (await readFile(keywordsFile, 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((line) => line.split(' ').slice(1).join(' '))
      : [];
    const unique = randomBytes(4).toString('hex');
    let count = 0;
    for (const message of messages) {
      let letters = '';
      for (const flag of message.flags ?? []) {
        const system = MAILDIR_FLAG_LETTER[flag.toLowerCase()];
        if (system) {
          letters += system;
          continue;
        }
        let index = keywords.indexOf(flag);
        if (index < 0) {
          if (keywords.length >= 26) throw new Error(`more than 26 keywords in ${folder}`);
          keywords.push(flag);
          index = keywords.length - 1;
        }
        letters += String.fromCharCode(97 + index);
      }
      const raw = typeof message.raw === 'string' ? Buffer.from(message.raw) : message.raw;
      const sortedLetters = [...letters].sort().join('');
      // S= and W= (physical and CRLF sizes) as Dovecot's own deliveries name files: without W= every RFC822.SIZE
      // would make the server read the whole message.
      const name = `${Date.now()}.M${count}P${unique}.seed,S=${raw.length},W=${crlfSize(raw)}:2,${sortedLetters}`;
      const path = join(dir, 'cur', name);
      await writeFile(path, raw);
      const date = message.internalDate ?? new Date();
      await utimes(path, date, date);
      count++;
    }
    await writeFile(keywordsFile, keywords.map((k, i) => `${i} ${k}`).join('\n') + (keywords.length ? '\n' : ''));
    return count;
  }

  /** The Maildir directory behind a folder's full IMAP name. */
  maildirOf(user: string, folder: string): string {
    let name = folder;
    if (name.toUpperCase() === 'INBOX') name = 'INBOX';
    else if (this.prefix && name.startsWith(this.prefix)) name = name.slice(this.prefix.length);
    const parts = name.split(this.separator).map((part) => encodeMailboxName(part));
    return join(this.userHome(user), 'Maildir', ...parts);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Stops the server and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    if (!this.options.dir) await rm(this.dir, { recursive: true, force: true });
  }
}

/** The message's size with every bare LF counted as CRLF (IMAP's RFC822.SIZE). */
function crlfSize(raw: Buffer): number {
  let size = raw.length;
  for (let at = raw.indexOf(0x0a); at >= 0; at = raw.indexOf(0x0a, at + 1)) {
    if (at === 0 || raw[at - 1] !== 0x0d) size++;
  }
  return size;
}
