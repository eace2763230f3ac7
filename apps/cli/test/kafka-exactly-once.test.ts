import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopics } from '@fraudstream/kafka';
import type { RebalanceDrainStats } from '@fraudstream/system';
import { afterAll, describe, expect, it } from 'vitest';
import { alive, kafkaTestBed, MAIN, PARTITIONS, produceTxs, readDecisions, SECRET, startInstance, stats, stopInstance, streamAcrossRebalance, transactions, unique, waitUntil, type Instance } from './kafka-helpers.js';

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

/**
 * Fresh transactions, decisions and alerts topics named after `name`, a group, and the arguments of an
 * `--exactly-once` instance on them that checkpoints (cuts its transactions) every `checkpointMs` into `dir`.
 */
async function eosBed(name: string, checkpointMs: number, sessionTimeoutMs = 6000): Promise<{ tx: string; out: string; args: (dir: string) => string[] }> {
  const tx = unique(`${name}-tx`);
  const out = unique(`${name}-out`);
  const group = unique(`${name}-g`);
  await ensureTopics(kafka.brokers, [
    { name: tx, partitions: PARTITIONS },
    { name: out, partitions: PARTITIONS },
    { name: `${out}-alerts`, partitions: 1 },
  ]);
  const args = (dir: string): string[] => [
    '--brokers', kafka.brokers, '--topic', tx, '--no-labels', '--decisions-topic', out, '--alerts-topic', `${out}-alerts`,
    '--group', group, '--data-dir', dir, '--exactly-once', '--checkpoint-interval-ms', String(checkpointMs), '--session-timeout-ms', String(sessionTimeoutMs),
  ];
  return { tx, out, args };
}

describe('exactly-once output (fraudstream start --source kafka --exactly-once)', () => {
  it('SIGKILL with a transaction open, restart on the same data dir: read_committed holds every decision exactly once, read_uncommitted holds the aborted duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-eos-'));
    dirs.push(dir);
    // No timed checkpoint during the test (the interval is an hour): transactions commit only at a graceful stop, so
    // what the SIGKILL leaves open does not depend on timing.
    const { tx, out, args: argsOf } = await eosBed('eos', 3_600_000);
    const args = argsOf(dir);
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
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-eos2-'));
    dirs.push(dir);
    // Transactions cut every 200 ms while the input streams in: barriers fall between batches in flight, and the
    // SIGKILL lands wherever it lands (before, during or after a commit); the result must not depend on where.
    const { tx, out, args: argsOf } = await eosBed('eos2', 200);
    const args = argsOf(dir);
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

  it('a second instance joins mid-stream (a rebalance): the first drains and commits its transaction before its partitions move, no restart, read_committed exactly once', async () => {
    const r = await eosJoin();
    console.log(`exactly-once across a rebalance, with the drain: ${r.summary}`);
    expect(r.otherExits).toEqual([]);
    expect(r.duplicated).toBe(0);
    expect(r.committed).toBe(r.total);
    // The drain's checkpoint cut the open transaction under the old generation while the rejoin was held: nothing
    // of a partition lost in the rebalance was left in a transaction, so no instance had to abort and restart.
    expect(r.drained).toBeGreaterThan(0);
    expect(r.revokedExits).toBe(0);
    expect(r.restarts).toBe(0);
  }, 240_000);

  it('without the drain (test fault skipRebalanceDrain) the transaction straddles the rebalance: aborted, exit 75, restarted, and still exactly once (the check above can fail)', async () => {
    const r = await eosJoin({ FRAUDSTREAM_TEST_FAULTS: JSON.stringify({ skipRebalanceDrain: true }) });
    console.log(`exactly-once across a rebalance, without the drain: ${r.summary}`);
    expect(r.otherExits).toEqual([]);
    expect(r.duplicated).toBe(0);
    expect(r.committed).toBe(r.total);
    expect(r.revokedExits).toBeGreaterThan(0);
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

interface EosJoin {
  total: number;
  committed: number;
  duplicated: number;
  uncommitted: number;
  /** Exits 75 (restart from the checkpoint), and those for a transaction holding decisions of a revoked partition. */
  restarts: number;
  revokedExits: number;
  otherExits: string[];
  /** Drains of the first instance that committed records (its stats at the end; 0 if it was restarted). */
  drained: number;
  summary: string;
}

/**
 * Two --exactly-once instances of one group, each on its own data dir (its own checkpoints and transactional id),
 * transactions cut every 200 ms: A decides 2,000 alone, then more stream in (~5,000/s, one kcat per partition) and B
 * joins, so A loses two of its four partitions with a transaction open; the stream lasts until a second after A's
 * notice of the rebalance. A supervisor,
 * as systemd or Kubernetes would be, starts an instance that exits 75 again on the same dir; any other exit is
 * reported. Read back with kcat, read_committed and read_uncommitted.
 */
async function eosJoin(env: Record<string, string> = {}): Promise<EosJoin> {
  const dirA = mkdtempSync(join(tmpdir(), 'fs-kafka-eos3a-'));
  const dirB = mkdtempSync(join(tmpdir(), 'fs-kafka-eos3b-'));
  dirs.push(dirA, dirB);
  // A longer session (hold up to 5 s) than the other tests, so a loaded machine does not run the drain out of time.
  const { tx, out, args: argsOf } = await eosBed('eos3', 200, 15_000);
  const txs = transactions(42_000, true);
  const first = txs.slice(0, 2000);
  const rest = txs.slice(2000);
  const restarts = { a: 0, b: 0 };
  const live: Record<'a' | 'b', Instance | undefined> = { a: undefined, b: undefined };
  const otherExits: string[] = [];
  const exitedOutputs: string[] = [];
  let done = false;
  const supervise = async (name: 'a' | 'b', dir: string): Promise<void> => {
    for (;;) {
      const i = await startInstance(argsOf(dir), env);
      running.push(i);
      live[name] = i;
      if (done) {
        await stopInstance(i);
        return;
      }
      const code = await i.exited;
      if (done) return;
      exitedOutputs.push(i.output());
      if (code !== 75) {
        otherExits.push(`${name} exited ${code}: ${i.output().slice(-1500)}`);
        return;
      }
      restarts[name]++;
    }
  };

  produceTxs(kafka.brokers, tx, first);
  const supervisedA = supervise('a', dirA);
  await waitUntil(async () => live.a !== undefined && (await stats(live.a)).kafka.committedSeq >= first.length, () => 'the first 2,000 committed by the first instance');
  // The stream lasts until a second after A's notice of the rebalance (up to 40,000), however long B takes to start.
  const streaming = streamAcrossRebalance(kafka.brokers, tx, rest, () => live.a);
  await new Promise((r) => setTimeout(r, 500));
  const supervisedB = supervise('b', dirB);
  const all = [...first, ...(await streaming)].map((x) => x.id);

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
  const revokedExits = exitedOutputs.filter((o) => o.includes('revoked since')).length;
  const a = statsNow[0] as (typeof statsNow)[0] & { drains?: RebalanceDrainStats };
  const drained = restarts.a === 0 && (a?.drains?.committedRecords ?? 0) > 0 ? (a?.drains?.count ?? 0) : 0;
  const summary =
    `restarts after exit 75: ${restarts.a} (first instance), ${restarts.b} (second), ${revokedExits} for decisions of a revoked partition; ` +
    `A's drains ${a?.drains?.count ?? '-'} (${a?.drains?.timedOut ?? '-'} timed out, ${a?.drains?.uncovered ?? '-'} uncovered, ${a?.drains?.committedRecords ?? '-'} records committed, max ${a?.drains?.maxMs ?? '-'} ms); ` +
    `transactions committed ${statsNow.map((k) => k?.transactions?.committed).join('/')}, rebalances ${statsNow.map((k) => k?.rebalances).join('/')}; ` +
    `read_committed ${committed.length} decisions for ${all.length} transactions (${duplicated} duplicated), read_uncommitted ${uncommitted}`;
  return { total: all.length, committed: committed.length, duplicated, uncommitted, restarts: restarts.a + restarts.b, revokedExits, otherExits, drained, summary };
}
