/**
 * A migration worker in its own process, for the kill -9 test: reads its settings from WORKER_CHILD (JSON, see
 * Harness.childConfig), prints "ready" once it takes jobs, and runs until killed.
 */
import { createLogger } from '../../src/log/logger.js';
import { MigrationWorker } from '../../src/pipeline/worker.js';
import { buildDeps, type ChildConfig } from './harness.js';

const config = JSON.parse(process.env.WORKER_CHILD!) as ChildConfig & { connection: { host: string; port: number }; prefix: string };
const { deps } = buildDeps(config, createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'));
await MigrationWorker.start({ connection: config.connection, prefix: config.prefix, tuning: config.tuning, deps, concurrency: 1 });
process.stdout.write('ready\n');
