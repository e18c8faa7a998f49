/**
 * A migration worker in its own process, for the kill -9 tests: reads its settings from WORKER_CHILD (JSON, see
 * Harness.childConfig), prints "ready" once it takes jobs, and runs until killed. With CRASH_AT it kills itself
 * (SIGKILL, no clean-up of any kind) at that exact point, so a test does not depend on timing:
 * - `copy`: right after the first messages of the copy are on the destination (progress reported per message).
 * - `copy-call:N`: at the first progress report of the Nth copy pass this process runs (e.g. a staged migration's
 *   final delta, which may have nothing to copy).
 */
import { copyMailbox } from '../../src/imap/copy-mailbox.js';
import { createLogger } from '../../src/log/logger.js';
import type { Copier } from '../../src/pipeline/dependencies.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { buildDeps, type ChildConfig } from './harness.js';

const config = JSON.parse(process.env.WORKER_CHILD!) as ChildConfig & { connection: { host: string; port: number }; prefix: string };
const crashAt = process.env.CRASH_AT;
const { deps } = buildDeps(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));

function crash(): never {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
}

const crashingCopier: Copier = (options) =>
  copyMailbox({
    ...options,
    progressIntervalMs: 0,
    onProgress: (progress) => {
      if (progress.phase === 'copying' && progress.messagesDone > 0) crash();
      options.onProgress?.(progress);
    },
  });

let copyCalls = 0;
const callToCrash = crashAt?.startsWith('copy-call:') ? Number(crashAt.slice('copy-call:'.length)) : undefined;
const crashingOnCall: Copier = (options) => {
  const call = ++copyCalls;
  return copyMailbox({
    ...options,
    progressIntervalMs: 0,
    onProgress: (progress) => {
      if (call === callToCrash) crash();
      options.onProgress?.(progress);
    },
  });
};

await MigrationWorker.start({
  connection: config.connection,
  prefix: config.prefix,
  tuning: config.tuning,
  deps: crashAt === 'copy' ? { ...deps, copier: crashingCopier } : callToCrash ? { ...deps, copier: crashingOnCall } : deps,
  concurrency: 1,
});
process.stdout.write('ready\n');
