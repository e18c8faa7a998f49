/**
 * A quick local measurement of the append side alone (not a test): 5,000 small messages into a fresh Dovecot
 * in each mode, on loopback and through the bench's delay proxy (10 ms each way), plus imapflow's one-at-a-time
 * append() for comparison. Run: npx tsx test/imap/append/measure-append.ts [MODE COUNT DELAY_MS]
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { DovecotServer } from '../../../src/sandbox/dovecot.js';
import { openAppendSession } from '../../../src/imap/append/open-append-session.js';
import type { AppendItem } from '../../../src/imap/append/append-session.js';
import { DelayProxy } from '../../../bench/delay-proxy.js';

const run = promisify(execFile);
const DELAY_MS = Number(process.env.DELAY_MS ?? 10);
const USER = 'measure@example.org';
const PASSWORD = 'secret';

function* smallMessages(count: number): Generator<AppendItem> {
  for (let i = 0; i < count; i++) {
    const words = 300 + ((i * 7919) % 700); // 2 to 7 KB
    const body = Array.from({ length: words }, (_, w) => `word${(w * 31 + i) % 997}`).join(' ').replace(/(.{1,72})( |$)/g, '$1\r\n');
    yield {
      raw: Buffer.from(`From: a@example.org\r\nTo: b@example.org\r\nSubject: small ${i}\r\nMessage-ID: <m${i}@measure>\r\nDate: Mon, 1 Mar 2021 10:00:00 +0000\r\n\r\n${body}`),
      flags: i % 2 ? ['\\Seen'] : i % 5 ? ['\\Seen', 'Work'] : [],
      internalDate: new Date(Date.UTC(2021, 0, 1) + i * 3_600_000),
    };
  }
}

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

async function runOurs(mode: 'multiappend' | 'pipelined' | 'plain', count: number, delayMs: number): Promise<string> {
  const server = await DovecotServer.start({});
  await server.addUser(USER, { password: PASSWORD });
  const proxy = delayMs ? await DelayProxy.start({ targetHost: server.host, targetPort: server.port, delayMs }) : undefined;
  try {
    const session = await openAppendSession({ host: '127.0.0.1', port: proxy?.port ?? server.port, security: 'plain', user: USER, password: PASSWORD }, { mode });
    peakRss = process.memoryUsage().rss;
    const startRss = peakRss;
    const started = performance.now();
    const cpu = process.cpuUsage();
    let bytes = 0;
    let failed = 0;
    const outstanding = new Set<Promise<void>>();
    let batch: AppendItem[] = [];
    const flush = async () => {
      await session.ready();
      const work = session.append('INBOX', batch).then((outcomes) => void (failed += outcomes.filter((o) => !o.ok).length));
      outstanding.add(work);
      const forget = () => void outstanding.delete(work);
      work.then(forget, forget);
      batch = [];
    };
    for (const message of smallMessages(count)) {
      bytes += message.raw.length;
      batch.push(message);
      if (batch.length === 100) await flush();
    }
    if (batch.length) await flush();
    await Promise.all(outstanding);
    const seconds = (performance.now() - started) / 1000;
    const { commands } = session.stats;
    const used = process.cpuUsage(cpu);
    const clientCpu = (used.user + used.system) / 1e6;
    await session.close();
    if (failed) throw new Error(`${failed} failed`);
    return `${mode.padEnd(11)} ${delayMs ? `${2 * delayMs} ms RTT` : 'loopback  '} ${String(count).padStart(5)} msgs ${(bytes / 1048576).toFixed(1)} MiB  ${seconds.toFixed(2)} s  ${Math.round(count / seconds)} msg/s  ${commands} APPEND commands  client CPU ${clientCpu.toFixed(1)} s  RSS ${Math.round(startRss / 1048576)} -> peak ${Math.round(peakRss / 1048576)} MB`;
  } finally {
    await proxy?.close();
    await server.destroy();
  }
}

async function runImapflowOneByOne(count: number, delayMs: number): Promise<string> {
  const server = await DovecotServer.start({});
  await server.addUser(USER, { password: PASSWORD });
  const proxy = delayMs ? await DelayProxy.start({ targetHost: server.host, targetPort: server.port, delayMs }) : undefined;
  try {
    const client = new ImapFlow({ host: server.host, port: proxy?.port ?? server.port, secure: false, doSTARTTLS: false, auth: { user: USER, pass: PASSWORD }, logger: false });
    await client.connect();
    const started = performance.now();
    for (const message of smallMessages(count)) await client.append('INBOX', message.raw, message.flags, message.internalDate);
    const seconds = (performance.now() - started) / 1000;
    await client.logout();
    return `imapflow append() one at a time, ${delayMs ? `${2 * delayMs} ms RTT` : 'loopback'} ${count} msgs  ${seconds.toFixed(2)} s  ${Math.round(count / seconds)} msg/s`;
  } finally {
    await proxy?.close();
    await server.destroy();
  }
}

const [modeArg, countArg, delayArg] = process.argv.slice(2);
if (modeArg === 'imapflow') {
  console.log(await runImapflowOneByOne(Number(countArg), Number(delayArg ?? 0)));
} else if (modeArg) {
  console.log(await runOurs(modeArg as 'multiappend' | 'pipelined' | 'plain', Number(countArg), Number(delayArg ?? 0)));
} else {
  // Each configuration in its own process, so peak RSS is its own.
  const runs: [string, number, number][] = [
    ['multiappend', 5_000, 0],
    ['pipelined', 5_000, 0],
    ['plain', 5_000, 0],
    ['multiappend', 5_000, DELAY_MS],
    ['pipelined', 5_000, DELAY_MS],
    ['plain', 500, DELAY_MS],
    ['imapflow', 1_000, 0],
    ['imapflow', 500, DELAY_MS],
  ];
  for (const [mode, count, delay] of runs) {
    const before = loadavg()[0]!.toFixed(1);
    const { stdout } = await run(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), mode, String(count), String(delay)]);
    console.log(`${stdout.trim()}  (load ${before})`);
  }
}
clearInterval(sampler);
