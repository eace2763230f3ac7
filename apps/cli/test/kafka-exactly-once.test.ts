import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopics } from '@fraudstream/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, kafkaTestBed, MAIN, PARTITIONS, produceTxs, readDecisions, SECRET, startInstance, stats, stopInstance, transactions, unique, waitUntil, type Instance } from './kafka-helpers.js';

// Exactly-once output (`--exactly-once`) with real processes and the real broker: an instance is SIGKILLed with a
// transaction open, restarted on the same data dir, and the decisions topic is read back by kcat, an independent
// client, with read_committed (each transaction's decision exactly once) and read_uncommitted (the killed
// instance's aborted decisions are there too: what the check would find without transactions).
const kafka = kafkaTestBed();
const running = kafka.running;
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** How many times each transaction id appears. */
function counts(ids: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const id of ids) m.set(id, (m.get(id) ?? 0) + 1);
  return m;
}

describe('exactly-once output (fraudstream start --source kafka --exactly-once)', () => {
  it('SIGKILL with a transaction open, restart on the same data dir: read_committed holds every decision exactly once, read_uncommitted holds the aborted duplicates', async () => {
    const tx = unique('eos-tx');
    const out = unique('eos-out');
    await ensureTopics(kafka.brokers, [
      { name: tx, partitions: PARTITIONS },
      { name: out, partitions: PARTITIONS },
      { name: `${out}-alerts`, partitions: 1 },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-eos-'));
    dirs.push(dir);
    // No timed checkpoint during the test (the interval is an hour): transactions commit only at a graceful stop, so
    // what the SIGKILL leaves open does not depend on timing.
    const args = [
      '--brokers', kafka.brokers, '--topic', tx, '--no-labels', '--decisions-topic', out, '--alerts-topic', `${out}-alerts`,
      '--group', unique('eos-g'), '--data-dir', dir, '--exactly-once', '--checkpoint-interval-ms', '3600000', '--session-timeout-ms', '6000',
    ];
    const txs = transactions(1600, true);
    const first = txs.filter((x) => x.day < 10);
    const second = txs.filter((x) => x.day >= 10);
    const producedBy = async (i: Instance, n: number): Promise<void> =>
      waitUntil(async () => (await stats(i)).kafka.produced >= n, () => `${n} decisions sent by the instance; output: ${i.output().slice(-2000)}`);

    // 1. The first half, decided in one open transaction: nothing visible to read_committed until the stop commits it.
    produceTxs(kafka.brokers, tx, first);
    const a = await startInstance(args);
    running.push(a);
    await producedBy(a, first.length);
    expect(readDecisions(kafka.brokers, out, 'read_uncommitted').length).toBe(first.length);
    expect(readDecisions(kafka.brokers, out)).toHaveLength(0);
    await stopInstance(a);
    expect(a.child.exitCode).toBe(0);
    expect(readDecisions(kafka.brokers, out).map((d) => d.id).sort()).toEqual(first.map((x) => x.id).sort());

    // 2. The second half, decided in a transaction that a SIGKILL leaves open.
    const b = await startInstance(args);
    running.push(b);
    expect((await stats(b)).kafka.checkpoints?.restored?.messages).toBe(first.length);
    produceTxs(kafka.brokers, tx, second);
    await producedBy(b, second.length);
    b.child.kill('SIGKILL');
    await b.exited;

    // 3. The restart fences the killed instance's transaction (aborted), restores the checkpoint and decides the
    // second half again in a new transaction, committed by the stop.
    const c = await startInstance(args);
    running.push(c);
    await producedBy(c, second.length);
    await stopInstance(c);
    expect(c.child.exitCode).toBe(0);
    expect(c.output()).not.toContain('exactly-once output failed');

    const all = txs.map((x) => x.id);
    const committed = readDecisions(kafka.brokers, out);
    const seen = counts(committed.map((d) => d.id));
    const duplicated = [...seen].filter(([, n]) => n > 1).length;
    const missing = all.filter((id) => !seen.has(id)).length;
    const uncommitted = counts(readDecisions(kafka.brokers, out, 'read_uncommitted').map((d) => d.id));
    const twiceUncommitted = second.filter((x) => uncommitted.get(x.id) === 2).length;
    console.log(
      `exactly-once after SIGKILL: read_committed ${committed.length} decisions for ${all.length} transactions (${duplicated} duplicated, ${missing} missing); ` +
        `read_uncommitted: ${twiceUncommitted} of ${second.length} second-half transactions twice (the aborted transaction)`,
    );
    expect(duplicated).toBe(0);
    expect(missing).toBe(0);
    expect(committed).toHaveLength(all.length);
    expect(new Set(committed.map((d) => d.decisionId)).size).toBe(all.length);
    // Without read_committed (what a consumer of an at-least-once output sees after such a crash) the check fails:
    // the killed instance's decisions are on the topic, each second-half transaction twice.
    expect(twiceUncommitted).toBe(second.length);
    expect(first.every((x) => uncommitted.get(x.id) === 1)).toBe(true);
  }, 180_000);

  it('timed checkpoints mid-stream, SIGKILL, restart: read_committed still holds every decision exactly once', async () => {
    const tx = unique('eos2-tx');
    const out = unique('eos2-out');
    await ensureTopics(kafka.brokers, [
      { name: tx, partitions: PARTITIONS },
      { name: out, partitions: PARTITIONS },
      { name: `${out}-alerts`, partitions: 1 },
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-eos2-'));
    dirs.push(dir);
    // Transactions cut every 200 ms while the input streams in: barriers fall between batches in flight, and the
    // SIGKILL lands wherever it lands (before, during or after a commit); the result must not depend on where.
    const args = [
      '--brokers', kafka.brokers, '--topic', tx, '--no-labels', '--decisions-topic', out, '--alerts-topic', `${out}-alerts`,
      '--group', unique('eos2-g'), '--data-dir', dir, '--exactly-once', '--checkpoint-interval-ms', '200', '--session-timeout-ms', '6000',
    ];
    const txs = transactions(6000, true);
    const first = txs.filter((x) => x.day < 8);
    const second = txs.filter((x) => x.day >= 8);
    const a = await startInstance(args);
    running.push(a);
    produceTxs(kafka.brokers, tx, first);
    // The first half committed by the timed checkpoints (however many transactions that took).
    await waitUntil(async () => (await stats(a)).kafka.committedSeq >= first.length, () => `the first half committed; output: ${a.output().slice(-2000)}`);
    produceTxs(kafka.brokers, tx, second);
    await waitUntil(async () => (await stats(a)).kafka.produced > first.length, () => 'decisions of the second half sent');
    const before = (await stats(a)).kafka;
    a.child.kill('SIGKILL');
    await a.exited;

    const b = await startInstance(args);
    running.push(b);
    const all = txs.map((x) => x.id);
    let committed: ReturnType<typeof readDecisions> = [];
    await waitUntil(
      () => {
        committed = readDecisions(kafka.brokers, out);
        const ids = new Set(committed.map((d) => d.id));
        return all.every((id) => ids.has(id));
      },
      () => `every transaction in read_committed (${committed.length} of ${all.length}); output: ${b.output().slice(-2000)}`,
    );
    const sb = (await stats(b)).kafka;
    const seen = counts(committed.map((d) => d.id));
    const duplicated = [...seen].filter(([, n]) => n > 1).length;
    const uncommitted = readDecisions(kafka.brokers, out, 'read_uncommitted').length;
    console.log(
      `exactly-once, timed checkpoints: killed after ${before.transactions?.committed} committed transactions and ${before.produced} decisions sent; ` +
        `restart restored ${sb.checkpoints?.restored?.messages} messages' state, committed ${sb.transactions?.committed} transactions, replayed ${sb.replayed} (hand-over), skipped ${sb.redeliveredSkipped}; ` +
        `read_committed ${committed.length} decisions (${duplicated} duplicated), read_uncommitted ${uncommitted}`,
    );
    expect(duplicated).toBe(0);
    expect(committed).toHaveLength(all.length);
    expect(sb.transactions?.error).toBeUndefined();
    expect(b.output()).not.toContain('exactly-once output failed');
  }, 180_000);

  it('a second instance joins mid-stream (a rebalance): instances that exit 75 are restarted on their dirs, and read_committed holds every decision exactly once', async () => {
    const tx = unique('eos3-tx');
    const out = unique('eos3-out');
    await ensureTopics(kafka.brokers, [
      { name: tx, partitions: PARTITIONS },
      { name: out, partitions: PARTITIONS },
      { name: `${out}-alerts`, partitions: 1 },
    ]);
    const dirA = mkdtempSync(join(tmpdir(), 'fs-kafka-eos3a-'));
    const dirB = mkdtempSync(join(tmpdir(), 'fs-kafka-eos3b-'));
    dirs.push(dirA, dirB);
    const group = unique('eos3-g');
    // Two instances of one group, each on its own data dir (its own checkpoints and transactional id); transactions
    // cut every 200 ms, so the join of the second falls while the first has a transaction open.
    const argsOf = (dir: string): string[] => [
      '--brokers', kafka.brokers, '--topic', tx, '--no-labels', '--decisions-topic', out, '--alerts-topic', `${out}-alerts`,
      '--group', group, '--data-dir', dir, '--exactly-once', '--checkpoint-interval-ms', '200', '--session-timeout-ms', '6000',
    ];
    const txs = transactions(6000, true);
    const all = txs.map((x) => x.id);
    const first = txs.filter((x) => x.day < 4);
    const rest = txs.filter((x) => x.day >= 4);

    // A supervisor, as systemd or Kubernetes would be: an instance that exits 75 (its transaction straddled a
    // rebalance, so it restarts from its checkpoint) is started again on the same dir; any other exit fails the test.
    const restarts = { a: 0, b: 0 };
    const live: Record<'a' | 'b', Instance | undefined> = { a: undefined, b: undefined };
    const otherExits: string[] = [];
    const exitedOutputs: string[] = [];
    let done = false;
    const supervise = async (name: 'a' | 'b', dir: string): Promise<void> => {
      for (;;) {
        const i = await startInstance(argsOf(dir));
        running.push(i);
        live[name] = i;
        const code = await i.exited;
        exitedOutputs.push(i.output());
        if (done) return;
        if (code !== 75) {
          otherExits.push(`${name} exited ${code}: ${i.output().slice(-1500)}`);
          return;
        }
        restarts[name]++;
      }
    };

    produceTxs(kafka.brokers, tx, first);
    const supervisedA = supervise('a', dirA);
    await waitUntil(async () => live.a !== undefined && (await stats(live.a)).kafka.committedSeq > 0, () => 'a first transaction committed by the first instance');
    // The second instance joins while the rest streams in, a chunk every 100 ms, so the first has a transaction open
    // when the group rebalances.
    const supervisedB = supervise('b', dirB);
    const chunk = Math.ceil(rest.length / 40);
    for (let k = 0; k < rest.length; k += chunk) {
      produceTxs(kafka.brokers, tx, rest.slice(k, k + chunk));
      await new Promise((r) => setTimeout(r, 100));
    }

    let committed: ReturnType<typeof readDecisions> = [];
    await waitUntil(
      () => {
        if (otherExits.length > 0) throw new Error(otherExits.join('\n'));
        committed = readDecisions(kafka.brokers, out);
        const ids = new Set(committed.map((d) => d.id));
        return all.every((id) => ids.has(id));
      },
      () => `every transaction in read_committed (${committed.length} of ${all.length}); restarts ${JSON.stringify(restarts)}`,
      120_000,
    );
    const statsNow = await Promise.all((['a', 'b'] as const).map(async (n) => (live[n] !== undefined && alive(live[n]) ? (await stats(live[n])).kafka : undefined)));
    done = true;
    for (const i of [live.a, live.b]) if (i !== undefined) await stopInstance(i);
    await Promise.all([supervisedA, supervisedB]);

    const seen = counts(committed.map((d) => d.id));
    const duplicated = [...seen].filter(([, n]) => n > 1).length;
    const uncommitted = readDecisions(kafka.brokers, out, 'read_uncommitted').length;
    console.log(
      `exactly-once across a rebalance: restarts after exit 75: ${restarts.a} (first instance), ${restarts.b} (second), ` +
        `${exitedOutputs.filter((o) => o.includes('revoked since')).length} of them for decisions of a revoked partition; ` +
        `transactions committed ${statsNow.map((k) => k?.transactions?.committed).join('/')}, rebalances ${statsNow.map((k) => k?.rebalances).join('/')}; ` +
        `read_committed ${committed.length} decisions for ${all.length} transactions (${duplicated} duplicated), read_uncommitted ${uncommitted}`,
    );
    expect(otherExits).toEqual([]);
    expect(duplicated).toBe(0);
    expect(committed).toHaveLength(all.length);
    // The join did rebalance the group while decisions were in flight: an instance restarted after a refused or
    // aborted transaction, or saw the rebalance and went on.
    expect(restarts.a + restarts.b + statsNow.reduce((n, k) => n + (k?.rebalances ?? 0), 0)).toBeGreaterThan(0);
  }, 240_000);

  it('refuses --exactly-once without an explicit --data-dir, naming the setting', () => {
    const xdg = mkdtempSync(join(tmpdir(), 'fs-eos-xdg-'));
    dirs.push(xdg);
    const r = spawnSync(process.execPath, [MAIN, 'start', '--source', 'kafka', '--brokers', kafka.brokers, '--exactly-once', '--port', '0'], {
      env: { ...process.env, FRAUDSTREAM_CARD_REF_SECRET: SECRET, XDG_DATA_HOME: xdg },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('kafka.exactly_once');
    expect(r.stderr).toContain('--data-dir');
  });
});
