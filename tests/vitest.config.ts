import { defineConfig } from 'vitest/config';

// Cross-package tests start real worker pools and servers; on a 2-core machine they run one file at a time.
export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
