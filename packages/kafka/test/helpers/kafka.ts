import { randomBytes } from 'node:crypto';
import { ensureLocalBroker, ensureTopics } from '../../src/index.js';

let started: Promise<string> | undefined;

/**
 * The broker of scripts/kafka.sh, started (once per file) when it is not running. Await it in `beforeEach`: a broker
 * that cannot start then fails every test, where a failing `beforeAll` would only mark them skipped.
 */
export function broker(): Promise<string> {
  started ??= ensureLocalBroker();
  return started;
}

/** A topic name no other test run uses. */
export function uniqueTopic(prefix: string): string {
  return `test-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Creates fresh topics (each with `partitions`) and returns their names in order. */
export async function freshTopics(brokers: string, partitions: number, ...prefixes: string[]): Promise<string[]> {
  const names = prefixes.map(uniqueTopic);
  await ensureTopics(brokers, names.map((name) => ({ name, partitions })));
  return names;
}

export { kcatRead, type KcatMessage } from '../../src/kcat.js';

/** Polls `check` every 20 ms until it returns true; throws naming `what` (and the last state) after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string | (() => string), timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
