import { existsSync } from 'node:fs';
import { defaultModelPath } from '@fraudstream/engine';
import { createSystem, type FraudSystem, type SystemConfig } from '../../src/index.js';

/**
 * The model the tests serve: `FRAUDSTREAM_TEST_MODEL` when set (e.g. before models/default.json is committed),
 * else the repository's default model.
 */
function testModelPath(): string {
  const path = process.env['FRAUDSTREAM_TEST_MODEL'] ?? defaultModelPath();
  if (!existsSync(path)) {
    throw new Error(`model file ${path} is missing: run scripts/make-default-model.sh or set FRAUDSTREAM_TEST_MODEL`);
  }
  return path;
}

/**
 * The real composition (engine with the Rust addon and worker threads, generator source), small enough for tests:
 * two workers and a modest rate, seeded so runs are repeatable.
 */
export function createTestSystem(overrides: Partial<SystemConfig> = {}): Promise<FraudSystem> {
  return createSystem({
    source: { kind: 'generator', tps: 2_000, seed: 7 },
    workers: 2,
    modelPath: testModelPath(),
    ...overrides,
  });
}

/** Polls `check` every 20 ms until it returns true; throws after `timeoutMs` (a deadline, not a speed assertion). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
