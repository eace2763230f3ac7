import { createSystem, type FraudSystem, type SystemConfig } from '@fraudstream/system';

/**
 * The real composition (engine with the Rust addon and worker threads, generator source), small enough for tests:
 * two workers and a modest rate, seeded so runs are repeatable, serving the default model.
 */
export function createTestSystem(overrides: Partial<SystemConfig> = {}): Promise<FraudSystem> {
  return createSystem({
    source: { kind: 'generator', tps: 2_000, seed: 7 },
    workers: 2,
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
