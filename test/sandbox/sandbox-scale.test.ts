import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { isFreeSlot } from '../../src/domain/address.js';
import { loadConfig } from '../../src/config/config.js';
import { createMailPlatformFactoryFromConfig } from '../../src/ovh/platform-factory.js';
import { addScaleMailboxes, sandboxFixture, scaleMailbox, secondExchangeService } from '../../src/sandbox/ovh-simulator/fixture.js';

const ROOT = resolve(import.meta.dirname, '../..');

describe('scale fixtures', () => {
  it('scaleMailbox: exactly M messages over INBOX, Sent and Archive, each with its own Message-ID', () => {
    const folders = scaleMailbox('load0001@mydomain.ovh', 25);
    expect(folders.map((f) => [f.path ?? f.specialUse, f.messages.length])).toEqual([
      ['INBOX', 17],
      ['sent', 5],
      ['archive', 3],
    ]);
    const ids = folders.flatMap((f) => f.messages.map((m) => /^Message-ID: (.+)$/m.exec(String(m.raw))![1]));
    expect(new Set(ids).size).toBe(25);
  });

  it('addScaleMailboxes: N sources alternating Exchange and E-mail Pro, and one more free slot per mailbox on its destination', () => {
    const fixture = sandboxFixture();
    fixture.services.push(secondExchangeService());
    const [exchange, pro] = [fixture.services[0]!, fixture.services[1]!];
    const second = fixture.services.at(-1)!;
    const before = { exchange: exchange.accounts.length, pro: pro.accounts.length, proSlots: pro.freeSlots!, secondSlots: second.freeSlots! };
    const rows = addScaleMailboxes(fixture, { mailboxes: 3, messages: 10 });
    expect(rows).toEqual([
      { source: 'load0001@mydomain.ovh', destinationService: 'emailpro-sb22222-1' },
      { source: 'load0002@pro-domain.ovh', destinationService: 'hosted-sb55555-1/hosted-sb55555-1' },
      { source: 'load0003@mydomain.ovh', destinationService: 'emailpro-sb22222-1' },
    ]);
    expect(exchange.accounts.length).toBe(before.exchange + 2);
    expect(pro.accounts.length).toBe(before.pro + 1);
    expect(pro.freeSlots).toBe(before.proSlots + 2);
    expect(second.freeSlots).toBe(before.secondSlots + 1);
    expect(exchange.accounts.at(-1)!.mailbox!.reduce((n, f) => n + f.messages.length, 0)).toBe(10);
  });
});

/** `migrate-mailbox sandbox ...` as a process; its first stdout line is the JSON the README describes. */
function sandbox(args: string[], dataDir: string) {
  const child = spawn(process.execPath, [join(ROOT, 'scripts/cli.mjs'), 'sandbox', ...args], {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  const line = new Promise<string>((done, fail) => {
    createInterface({ input: child.stdout! }).once('line', done);
    void exited.then((code) => fail(new Error(`sandbox exited ${code} before its JSON line:\n${stderr}`)));
  });
  // runs that are expected to stop early never print it
  line.catch(() => undefined);
  return { child, exited, line, stderr: () => stderr };
}

interface SandboxLine {
  env: Record<string, string>;
  mailboxes: { address: string; platform: string; service: string; messages: number | null }[];
  scale?: { mailboxes: number; messages: number; taskDelayMs: number; batchCsv: string };
}

describe('sandbox --mailboxes N --messages M --task-delay-ms MS', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('seeds N more mailboxes of M messages (counted by Dovecot), the slots to take them, and OVH tasks that last MS', async () => {
    // short: Dovecot's sockets live below it
    const dataDir = await mkdtemp('/tmp/mmsc-');
    dirs.push(dataDir);
    const run = sandbox(['--mailboxes', '3', '--messages', '12', '--task-delay-ms', '1500'], dataDir);
    try {
      const out = JSON.parse(await run.line) as SandboxLine;
      const seeded = out.mailboxes.filter((m) => m.address.startsWith('load'));
      expect(seeded.map((m) => [m.address, m.platform, m.messages])).toEqual([
        ['load0001@mydomain.ovh', 'exchange', 12],
        ['load0003@mydomain.ovh', 'exchange', 12],
        ['load0002@pro-domain.ovh', 'emailpro', 12],
      ]);
      expect(out.scale).toEqual({
        mailboxes: 3,
        messages: 12,
        taskDelayMs: 1500,
        batchCsv: 'source,destination_service\nload0001@mydomain.ovh,emailpro-sb22222-1\nload0002@pro-domain.ovh,hosted-sb55555-1/hosted-sb55555-1\nload0003@mydomain.ovh,emailpro-sb22222-1\n',
      });

      // through the OVH API, as the pipeline sees the services
      const factory = createMailPlatformFactoryFromConfig(loadConfig(out.env));
      const slots = async (service: string) => (await (await factory((await factory.discoverServices()).find((s) => s.name === service)!)).listAccounts()).filter(isFreeSlot).length;
      expect(await slots('emailpro-sb22222-1')).toBe(3 + 2);
      expect(await slots('hosted-sb55555-1/hosted-sb55555-1')).toBe(2 + 1);

      // a rename is an OVH task: it cannot be over before the delay asked for
      const found = await factory.findAccount('load0002@pro-domain.ovh');
      const platform = await factory(found!.service);
      const started = Date.now();
      await platform.renameAccount('load0002@pro-domain.ovh', 'load0002x@pro-domain.ovh');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
      expect(await platform.listAccounts()).toContain('load0002x@pro-domain.ovh');
    } finally {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    }

    // the saved sandbox keeps its scale: asking for another one needs --reset
    const again = sandbox(['--mailboxes', '5'], dataDir);
    expect(await again.exited).toBe(2);
    expect(again.stderr()).toContain('was seeded with 3 extra mailboxes of 12 messages; add --reset to start afresh with 5');
  }, 180_000);

  it('refuses counts it cannot use, before starting anything', async () => {
    const dataDir = await mkdtemp('/tmp/mmsc-');
    dirs.push(dataDir);
    for (const [args, message] of [
      [['--mailboxes=-2'], '--mailboxes must be an integer from 0 to 2000'],
      [['--mailboxes', '2', '--messages', '0'], '--messages must be an integer from 1 to 100000'],
      [['--messages', '50'], '--messages goes with --mailboxes N'],
      [['--task-delay-ms', 'soon'], '--task-delay-ms must be an integer'],
    ] as const) {
      const run = sandbox([...args], dataDir);
      expect(await run.exited, args.join(' ')).toBe(2);
      expect(run.stderr()).toContain(message);
    }
  }, 60_000);
});
