import { defineConfig } from 'vitest/config';

// Tests start the real engine (Rust addon, worker threads) and real sockets: allow for their start-up.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
