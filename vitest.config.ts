import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real Dovecot and Redis servers; two cores, so keep parallelism modest.
    maxWorkers: 2,
    pool: 'forks',
  },
});
