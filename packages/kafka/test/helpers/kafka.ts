import { spawnSync } from 'node:child_process';
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

/** One message read back by kcat. */
export interface KcatMessage {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/**
 * Reads every message of `topic` with Debian's kcat (an independent client: librdkafka, not our Node client), from
 * the beginning to the current end, then exits.
 */
export function kcatRead(brokers: string, topic: string): KcatMessage[] {
  // Fields separated by the ASCII unit separator, messages by the record separator: JSON never contains them raw.
  const r = spawnSync('kcat', ['-C', '-b', brokers, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\x1f%o\x1f%k\x1f%s\x1e'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error !== undefined) throw new Error(`kcat could not run (apt-get install kcat): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kcat failed (exit ${r.status}): ${r.stderr}`);
  return r.stdout
    .split('\x1e')
    .filter((s) => s.length > 0)
    .map((rec) => {
      const [p, o, k, v] = rec.split('\x1f');
      return { partition: Number(p), offset: Number(o), key: k ?? '', value: v ?? '' };
    });
}

/** Polls `check` every 20 ms until it returns true; throws naming `what` (and the last state) after `timeoutMs`. */
export async function waitFor(check: () => boolean, what: string | (() => string), timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
