import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DovecotServer, type DovecotUser } from '../dovecot.js';
import type { FixtureFolder } from './fixture.js';
import { addressOf, PLACEHOLDER_DOMAIN, type SimAccount, type SimService } from './state.js';
import { quotaGbToBytes } from './units.js';

const DISABLED_SALT = randomBytes(12).toString('hex');

/**
 * One real Dovecot per simulated service, and the rule that keeps it in step with the API state:
 * an IMAP login exists exactly for accounts that are configured, have a password, are not being deleted,
 * and (Exchange) have IMAP enabled. `reconcile()` applies that rule after every completed task.
 */
export class DovecotBinding {
  private readonly servers = new Map<string, DovecotServer>();
  private readonly dirs = new Map<string, string>();
  /** What this process last wrote for each user (password, quota), per service. */
  private readonly applied = new Map<string, Map<string, DovecotUser>>();
  /** One queue per service: Dovecot user changes are serialised. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    private readonly certificate: { cert: string; key: string },
    private readonly dataDir?: string,
  ) {}

  /** Desired Dovecot user for an account, or undefined when no IMAP login should work. */
  static desired(service: SimService, account: SimAccount): DovecotUser | undefined {
    if (account.hidden || !account.configured || !account.password) return undefined;
    if (account.domain === PLACEHOLDER_DOMAIN || account.state === 'deleting') return undefined;
    const quotaBytes = service.platform === 'mxplan-legacy' ? account.quota : quotaGbToBytes(account.quota);
    // IMAP switched off (Exchange protocol settings): the login is refused, as OVH's IMAP front end does.
    const password = account.protocol.IMAP ? account.password : `imap-disabled-${DISABLED_SALT}-${account.id}`;
    return { password, quotaBytes };
  }

  /** Starts the Dovecot of each service with its initial users already in place (no per-user reload wait). */
  async start(services: SimService[], fresh: boolean): Promise<void> {
    if (this.dataDir) {
      // Dovecot's auth process runs as its own user: it must be able to traverse down to the passwd-file.
      await mkdir(join(this.dataDir, 'dovecot'), { recursive: true });
      for (const dir of [this.dataDir, join(this.dataDir, 'dovecot')]) {
        const { mode } = await stat(dir);
        await chmod(dir, (mode & 0o7777) | 0o011);
      }
    }
    await Promise.all(
      services.map(async (service) => {
        const dir = this.dataDir ? join(this.dataDir, 'dovecot', service.key.replace(/[^\w.-]+/g, '_')) : await mkdtemp(join(tmpdir(), 'ovhsim-dovecot-'));
        await mkdir(dir, { recursive: true });
        this.dirs.set(service.key, dir);
        if (!existsSync(join(dir, 'cert.pem'))) {
          await writeFile(join(dir, 'cert.pem'), this.certificate.cert);
          await writeFile(join(dir, 'key.pem'), this.certificate.key, { mode: 0o600 });
        }
        const applied = new Map<string, DovecotUser>();
        if (fresh) {
          for (const account of service.accounts) {
            const user = DovecotBinding.desired(service, account);
            if (user) applied.set(addressOf(account), user);
          }
          await writeFile(join(dir, 'users.json'), JSON.stringify(Object.fromEntries(applied)), { mode: 0o600 });
        }
        this.applied.set(service.key, applied);
        const server = await DovecotServer.start({
          dir,
          tls: true,
          authPenalty: false,
          separator: service.mailbox.separator,
          prefix: service.mailbox.prefix,
          specialUse: service.mailbox.specialUse,
        });
        this.servers.set(service.key, server);
        if (this.servers.size === 1) process.once('exit', this.onExit);
        if (!fresh) for (const name of server.userNames()) if (!applied.has(name)) applied.set(name, { password: '' });
      }),
    );
  }

  /**
   * Kills the Dovecot masters synchronously if the process exits without `stop()` (a crashed test run, a
   * closed pipe): they would otherwise outlive it.
   */
  private readonly onExit = (): void => {
    for (const dir of this.dirs.values()) {
      try {
        const pid = Number(readFileSync(join(dir, 'run', 'master.pid'), 'utf8').trim());
        if (pid > 0) process.kill(pid, 'SIGTERM');
      } catch {
        // not running
      }
    }
  };

  server(serviceKey: string): DovecotServer {
    const server = this.servers.get(serviceKey);
    if (!server) throw new Error(`no Dovecot for service ${serviceKey}`);
    return server;
  }

  /** The IMAP folder name of a fixture folder on this service's Dovecot. */
  folderName(service: SimService, folder: FixtureFolder): string {
    const server = this.server(service.key);
    if (folder.specialUse) return server.specialFolder(folder.specialUse);
    const path = folder.path ?? 'INBOX';
    if (path.toUpperCase() === 'INBOX') return 'INBOX';
    return service.mailbox.prefix + path.split('/').join(service.mailbox.separator);
  }

  async seed(service: SimService, address: string, folders: FixtureFolder[]): Promise<void> {
    const server = this.server(service.key);
    await server.seedFolders(
      address,
      folders.map((folder) => ({ folder: this.folderName(service, folder), messages: folder.messages })),
    );
  }

  /**
   * Runs a change in the service's queue, then waits, outside the queue, until logins see it: the next change
   * to the service need not wait for Dovecot to notice this one (that made a service take one change a second).
   */
  private async visibleAfter(service: SimService, job: () => Promise<{ refusals: boolean }>): Promise<void> {
    const wait = await this.enqueue(service.key, job);
    await this.server(service.key).untilVisible(wait);
  }

  private enqueue<T>(serviceKey: string, job: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(serviceKey) ?? Promise.resolve();
    const next = previous.then(job, job);
    this.queues.set(
      serviceKey,
      next.then(
        () => undefined,
        () => undefined,
      ),
    );
    return next;
  }

  /**
   * Brings the service's Dovecot in line with an account. `previousAddress`: the address its mail lived
   * under before (rename, reset), whose storage moves or goes.
   */
  reconcile(service: SimService, target: SimAccount | (() => SimAccount), previousAddress?: string): Promise<void> {
    const now = { untilVisible: false };
    return this.visibleAfter(service, async () => {
      // evaluated when the job runs, so that it sees changes queued before it
      const account = typeof target === 'function' ? target() : target;
      const server = this.server(service.key);
      const applied = this.applied.get(service.key)!;
      const address = addressOf(account);
      const desired = DovecotBinding.desired(service, account);
      let renamed = false;
      if (previousAddress && previousAddress !== address && server.hasUser(previousAddress)) {
        if (desired && !server.hasUser(address)) {
          await server.renameUser(previousAddress, address, now);
          renamed = true;
          applied.set(address, applied.get(previousAddress) ?? { password: '' });
        } else {
          await server.removeUser(previousAddress, now);
        }
        applied.delete(previousAddress);
      }
      const current = applied.get(address);
      if (!desired) {
        if (server.hasUser(address)) await server.removeUser(address, now);
        applied.delete(address);
        return { refusals: true };
      }
      if (!server.hasUser(address)) {
        await server.addUser(address, desired, now);
      } else if (current?.password !== desired.password) {
        await server.setPassword(address, desired.password, now);
        if (current?.quotaBytes !== desired.quotaBytes) await server.setQuota(address, desired.quotaBytes, now);
      } else if (current?.quotaBytes !== desired.quotaBytes) {
        await server.setQuota(address, desired.quotaBytes, now);
      }
      applied.set(address, desired);
      // a rename is done once the new login works; the old one is refused within a second (Dovecot's re-read)
      return { refusals: !renamed };
    });
  }

  /** Wipes a mailbox's storage and login (reset). */
  remove(service: SimService, address: string): Promise<void> {
    return this.visibleAfter(service, async () => {
      const server = this.server(service.key);
      if (server.hasUser(address)) await server.removeUser(address, { untilVisible: false });
      this.applied.get(service.key)?.delete(address);
      return { refusals: true };
    });
  }

  /** Bytes and messages stored for a user (walks its Maildir: cheap for sandbox-sized mailboxes). */
  async usage(service: SimService, address: string): Promise<{ bytes: number; messages: number }> {
    const server = this.servers.get(service.key);
    if (!server || !server.hasUser(address)) return { bytes: 0, messages: 0 };
    const root = join(server.userHome(address), 'Maildir');
    let bytes = 0;
    let messages = 0;
    const walk = async (dir: string): Promise<void> => {
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const full = join(dir, entry.name);
        if (entry.isDirectory()) {
          await walk(full);
        } else if (entry.isFile() && /[/\\](cur|new)$/.test(dir)) {
          const size = /,S=(\d+)/.exec(entry.name);
          bytes += size ? Number(size[1]) : (await stat(full)).size;
          messages++;
        }
      }
    };
    await walk(root);
    return { bytes, messages };
  }

  /** Waits for pending Dovecot changes. */
  async idle(): Promise<void> {
    await Promise.all([...this.queues.values()]);
    await Promise.all([...this.servers.values()].map((s) => s.untilVisible()));
  }

  async stop(): Promise<void> {
    await this.idle().catch(() => undefined);
    process.removeListener('exit', this.onExit);
    await Promise.all([...this.servers.values()].map((s) => s.stop()));
    if (!this.dataDir) await Promise.all([...this.dirs.values()].map((d) => rm(d, { recursive: true, force: true })));
    this.servers.clear();
  }

  keys(): string[] {
    return [...this.servers.keys()];
  }
}
