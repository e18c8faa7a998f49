/**
 * Memory of the collaborative copy on a mailbox of a few thousand items: `npx tsx bench/ews-memory.ts [--items N]`.
 * The EWS double runs in a child process (its in-memory mailboxes are not ours to measure); this process copies
 * N contacts and N appointments (~4 KB each) and samples its heap and RSS before every export batch. Memory must
 * not grow with N: batches are bounded (100 items / 20 MB) and at most two are held at once. Prints one JSON line.
 * Run with `node --expose-gc --import tsx bench/ews-memory.ts` to sample retained memory only.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { copyCollaborative } from '../src/ews/index.js';

const MB = 1024 * 1024;

async function serve(count: number): Promise<void> {
  const { EwsDouble, bulkCollaborativeData, seedMailbox } = await import('../src/sandbox/ews/index.js');
  const double = await EwsDouble.start({ validate: false });
  seedMailbox(double.addMailbox('bench.source@example.org', 'Bench-1'), bulkCollaborativeData(count, 4096));
  double.addMailbox('bench.dest@example.org', 'Bench-2');
  process.send!({ url: double.url, ca: double.caCertificate });
}

async function measure(count: number): Promise<void> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', String(count)], { execArgv: ['--import', 'tsx'] });
  const { url, ca } = await new Promise<{ url: string; ca: string }>((resolve) => child.once('message', (m) => resolve(m as { url: string; ca: string })));
  const samples: Array<{ heap: number; rss: number }> = [];
  const started = Date.now();
  try {
    const outcome = await copyCollaborative({
      from: { url, username: 'bench.source@example.org', password: 'Bench-1', mailbox: 'bench.source@example.org', ca },
      to: { url, username: 'bench.dest@example.org', password: 'Bench-2', mailbox: 'bench.dest@example.org', ca },
      rules: false,
      oof: false,
      onBatch: () => {
        // With --expose-gc, what is retained (not garbage waiting for a collection).
        (globalThis as { gc?: () => void }).gc?.();
        const usage = process.memoryUsage();
        samples.push({ heap: usage.heapUsed, rss: usage.rss });
      },
    });
    const third = Math.max(1, Math.floor(samples.length / 3));
    const early = samples.slice(0, third);
    const late = samples.slice(-third);
    const peak = (list: typeof samples, key: 'heap' | 'rss') => Math.round(Math.max(...list.map((s) => s[key])) / MB);
    process.stdout.write(
      JSON.stringify({
        items: outcome.report.contacts.total + outcome.report.calendar.total,
        copied: outcome.report.contacts.copied + outcome.report.calendar.copied,
        mib: Math.round(outcome.report.bytes / MB),
        seconds: (Date.now() - started) / 1000,
        batches: samples.length,
        heapMiB: { firstThirdPeak: peak(early, 'heap'), lastThirdPeak: peak(late, 'heap') },
        rssMiB: { firstThirdPeak: peak(early, 'rss'), lastThirdPeak: peak(late, 'rss'), peak: Math.round(Math.max(...samples.map((s) => s.rss)) / MB) },
      }) + '\n',
    );
  } finally {
    child.kill();
  }
}

const args = process.argv.slice(2);
if (args[0] === '--serve') await serve(Number(args[1]));
else await measure(Number(args[args.indexOf('--items') + 1] || 2500));
