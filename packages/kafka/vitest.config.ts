import { defineConfig } from 'vitest/config';

// The Kafka tests run against the real broker of scripts/kafka.sh (started by the tests when it is not running):
// generous timeouts for the broker's start and group joins, one file at a time to keep the shared cores sane.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
