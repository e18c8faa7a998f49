/**
 * A process for the embedded-Redis tests, driven by lines on stdin, answering JSON lines on stdout.
 *
 *   connect DATA_DIR   waits for `go`, then connectRedis() as `start`/`migrate`/`batch` do without REDIS_URL
 *   server DIR         RedisServer.start({ dir }) on a TCP port, as `sandbox` does
 *
 * Then: `set KEY VALUE`, `get KEY`, `ping`, `stop` (closes the client, then the server handle, and ends), `quit` (ends
 * without stopping anything, like a command that failed halfway).
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import type { Config } from '../../src/config/config.js';
import { createLogger } from '../../src/log/logger.js';
import { connectRedis } from '../../src/pipeline/runtime.js';
import { RedisServer } from '../../src/redis/redis-server.js';

const [mode, dir] = process.argv.slice(2);
const say = (event: Record<string, unknown>): void => void process.stdout.write(JSON.stringify(event) + '\n');
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const nextLine = async (): Promise<string> => {
  const line = await lines.next();
  if (line.done) process.exit(0); // the test went away
  return line.value;
};

let client: Redis;
let stop: () => Promise<void>;
try {
  if (mode === 'connect') {
    say({ event: 'loaded' });
    if ((await nextLine()) !== 'go') throw new Error('expected go');
    const redis = await connectRedis({ DATA_DIR: dir, REDIS_URL: undefined } as unknown as Config, createLogger('silent'), { embedded: true });
    client = new Redis({ ...(redis.connection as { path: string }), maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    stop = async () => {
      client.disconnect();
      await redis.server?.stop();
    };
  } else {
    const server = await RedisServer.start({ dir });
    client = new Redis({ ...(server.connection as { host: string; port: number }), maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    stop = async () => {
      client.disconnect();
      await server.stop();
    };
  }
  await client.connect();
  const info = await client.info('server');
  say({ event: 'connected', processId: Number(/process_id:(\d+)/.exec(info)![1]) });
} catch (error) {
  say({ event: 'error', message: (error as Error).message });
  process.exit(1);
}

for (;;) {
  const [command, ...args] = (await nextLine()).split(' ');
  try {
    if (command === 'set') say({ event: 'ok', reply: await client.set(args[0]!, args[1]!) });
    else if (command === 'get') say({ event: 'value', value: await client.get(args[0]!) });
    else if (command === 'ping') say({ event: 'pong', reply: await client.ping() });
    else if (command === 'stop') {
      await stop();
      say({ event: 'stopped' });
      break;
    } else if (command === 'quit') {
      // A command that fails or returns without stopping what it opened: the process just ends.
      client.disconnect();
      say({ event: 'quitting' });
      break;
    }
  } catch (error) {
    say({ event: 'error', message: (error as Error).message });
  }
}
// No process.exit(): the process ends by itself once nothing holds it, as a CLI command does.
process.stdin.destroy();
