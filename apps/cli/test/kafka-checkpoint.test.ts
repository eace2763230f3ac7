import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureTopics } from '@fraudstream/kafka';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaTestBed, PARTITIONS, produceTxs, startInstance, stats, transactions, unique, waitDecided, waitUntil } from './kafka-helpers.js';

// Checkpoints of `fraudstream start --source kafka --data-dir DIR` with real processes and the real broker: SIGKILL,
// restart on the same dir, and the decisions after the restart compared with an instance that never stopped.
const kafka = kafkaTestBed();
const running = kafka.running;
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('Kafka checkpoints (fraudstream start --source kafka --data-dir)', () => {
  it('SIGKILL, then a restart on the same data dir restores the checkpoint and decides exactly as an instance that never stopped', async () => {
    const tx = unique('ck-tx');
    const [one, two] = [unique('ck-one'), unique('ck-two')];
    await ensureTopics(kafka.brokers, [
      { name: tx, partitions: PARTITIONS },
      ...[one, two].flatMap((n) => [{ name: n, partitions: PARTITIONS }, { name: `${n}-alerts`, partitions: 1 }]),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-ck-'));
    dirs.push(dir);
    const base = (out: string, group: string): string[] => ['--brokers', kafka.brokers, '--topic', tx, '--no-labels', '--decisions-topic', out, '--alerts-topic', `${out}-alerts`, '--group', group];
    // --handover none: after the restart the cards' state can only come from the checkpoint, not from a replay.
    const durable = [...base(two, unique('g2')), '--data-dir', dir, '--checkpoint-interval-ms', '300', '--handover', 'none', '--session-timeout-ms', '6000'];
    const reference = await startInstance(base(one, unique('g1')));
    running.push(reference);
    const a = await startInstance(durable);
    running.push(a);

    const txs = transactions(4000, true);
    const first = txs.filter((x) => x.day < 10);
    const second = txs.filter((x) => x.day >= 10);
    produceTxs(kafka.brokers, tx, first);
    await waitDecided(kafka.brokers, [reference], one, first.map((x) => x.id));
    await waitDecided(kafka.brokers, [a], two, first.map((x) => x.id));
    // A checkpoint covering the first half is complete and the offsets are committed to it (not beyond).
    await waitUntil(async () => {
      const k = (await stats(a)).kafka;
      return k.checkpoints !== undefined && k.checkpoints.durableSeq >= first.length && k.committedSeq === k.checkpoints.durableSeq;
    }, () => 'a checkpoint covering the first half');
    const before = (await stats(a)).kafka;
    expect(before.committedSeq).toBeLessThanOrEqual(before.checkpoints!.durableSeq);
    a.child.kill('SIGKILL');
    await a.exited;
    expect(readdirSync(join(dir, 'kafka-checkpoints')).some((f) => f.endsWith('.json'))).toBe(true);

    const b = await startInstance(durable);
    running.push(b);
    const restored = (await stats(b)).kafka.checkpoints?.restored;
    expect(restored?.messages).toBe(first.length);
    produceTxs(kafka.brokers, tx, second);
    const ids = second.map((x) => x.id);
    const alone = await waitDecided(kafka.brokers, [reference], one, ids);
    const resumed = await waitDecided(kafka.brokers, [b], two, ids);
    let differScore = 0;
    for (const id of ids) {
      const x = alone.get(id)!;
      const y = resumed.get(id)!;
      if (x.score !== y.score) differScore++;
      expect(y.decisionId).toBe(x.decisionId);
    }
    const sb = await stats(b);
    console.log(
      `checkpoint restart after SIGKILL: restored ${restored?.messages} messages' state; ${ids.length} transactions after, ${differScore} scores differ; ` +
        `${sb.kafka.redeliveredSkipped} redelivered and skipped, ${sb.counts.decided} decided by the restarted instance`,
    );
    expect(differScore).toBe(0);
    // The restarted instance decided only what came after the checkpoint.
    expect(sb.counts.decided).toBe(second.length);
    expect(sb.laws.ok).toBe(true);
  }, 120_000);
});
