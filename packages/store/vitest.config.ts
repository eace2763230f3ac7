import { defineConfig } from 'vitest/config';

// Real files, fsync and a real PostgreSQL on a shared machine: generous timeouts (no test asserts a duration).
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
