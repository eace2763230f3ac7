import { spawnSync } from 'node:child_process';

// Debian's kcat (librdkafka): a Kafka client independent of ours, so what our code wrote to a topic is read back (or
// test input produced) by someone else's code. For tests and checks only: nothing in the pipeline imports this.

/** One message read back by kcat. */
export interface KcatMessage {
  partition: number;
  offset: number;
  key: string;
  value: string;
}

/**
 * Reads every message of `topic` with kcat, from the beginning to the current end, then exits. `isolation` is
 * librdkafka's `isolation.level` (its default, read_committed: messages of open or aborted transactions are not
 * returned, and the end is the last stable offset).
 */
export function kcatRead(brokers: string, topic: string, isolation: 'read_committed' | 'read_uncommitted' = 'read_committed'): KcatMessage[] {
  // Fields separated by the ASCII unit separator, messages by the record separator: JSON never contains them raw.
  const args = ['-C', '-b', brokers, '-X', `isolation.level=${isolation}`, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p\x1f%o\x1f%k\x1f%s\x1e'];
  const r = spawnSync('kcat', args, {
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

/** Produces `lines` (`key\tvalue` each) to `topic` with kcat: to `partition`, or partitioned by key when absent. */
export function kcatProduce(brokers: string, topic: string, lines: readonly string[], partition?: number): void {
  const args = ['-P', '-b', brokers, '-t', topic, ...(partition === undefined ? [] : ['-p', String(partition)]), '-K', '\t'];
  const r = spawnSync('kcat', args, { input: `${lines.join('\n')}\n`, encoding: 'utf8', timeout: 60_000 });
  if (r.error !== undefined) throw new Error(`kcat could not run (apt-get install kcat): ${r.error.message}`);
  if (r.status !== 0) throw new Error(`kcat -P failed (exit ${r.status}): ${r.stderr}`);
}
