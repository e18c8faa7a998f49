/** For owner-lock.test.ts: on `go`, tries the lock of argv[2] and says whether it got it; holds it until stdin ends. */
import { createInterface } from 'node:readline';
import { OwnerLock } from '../../src/redis/owner-lock.js';

const lines = createInterface({ input: process.stdin });
lines.once('line', () => {
  const attempt = OwnerLock.tryAcquire(process.argv[2]!);
  process.stdout.write(JSON.stringify({ acquired: attempt.acquired }) + '\n');
});
lines.once('close', () => process.exit(0));
process.stdout.write('ready\n');
