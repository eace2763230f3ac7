import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureLocalBroker, ensureTopics } from '@fraudstream/kafka';
import { kcatProduce } from '@fraudstream/kafka/kcat';
import { beforeEach, describe, expect, it } from 'vitest';
import { createKafkaSystem } from '../src/index.js';

// createKafkaSystem in process against the real broker of scripts/kafka.sh (started when nothing listens).
let brokers = '';
let started: Promise<string> | undefined;
beforeEach(async () => {
  started ??= ensureLocalBroker();
  brokers = await started;
}, 300_000);

const unique = (p: string): string => `test-${p}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

function produce(topic: string, n: number): void {
  const lines = Array.from({ length: n }, (_, i) => {
    const card = `card-${i % 50}`;
    const tx = { id: `d-${i}`, cardId: card, terminalId: `t${i % 9}`, amount: 10 + (i % 40), timestamp: new Date(Date.UTC(2018, 3, 1) + i * 60_000).toISOString() };
    return `${card}\t${JSON.stringify(tx)}`;
  });
  kcatProduce(brokers, topic, lines);
}

async function until(check: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!check()) {
    if (Date.now() - t0 > 60_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('createKafkaSystem', () => {
  it('commits offsets only below what a checkpoint covers (the durableSeq seam), then past it', async () => {
    const [tx, out] = [unique('seam-tx'), unique('seam-out')];
    await ensureTopics(brokers, [
      { name: tx, partitions: 2 },
      { name: out, partitions: 2 },
      { name: `${out}-alerts`, partitions: 1 },
    ]);
    produce(tx, 500);
    let durable = 0;
    const system = await createKafkaSystem({
      brokers,
      cardRefSecret: Buffer.alloc(16, 7),
      group: unique('g'),
      topic: tx,
      labelsTopic: null,
      decisionsTopic: out,
      alertsTopic: `${out}-alerts`,
      workers: 1,
      commitIntervalMs: 20,
      durableSeq: () => durable,
      autoStart: true,
    });
    try {
      await until(() => system.kafkaStats().produced === 500, 'every decision acknowledged');
      await new Promise((r) => setTimeout(r, 200));
      // Acknowledged, but no checkpoint covers anything: nothing may be committed.
      expect(system.kafkaStats().ackedSeq).toBe(500);
      expect(system.kafkaStats().committedSeq).toBe(0);
      expect(system.kafkaStats().partitions.every((p) => p.committed === -1)).toBe(true);
      durable = 200;
      await until(() => system.kafkaStats().committedSeq === 200, 'the commit up to the checkpoint');
      durable = Number.MAX_SAFE_INTEGER;
      await until(() => system.kafkaStats().committedSeq === 500, 'the commit of everything');
      const committed = system.kafkaStats().partitions.reduce((n, p) => n + p.committed, 0);
      expect(committed).toBe(500);
      expect(system.stats().source.kind).toBe('kafka');
      expect(system.stats().laws.ok).toBe(true);
      expect(() => system.setGenerator({ tps: 10 })).toThrow(TypeError);
    } finally {
      await system.close();
    }
  }, 120_000);

  it('with the global terminal table and checkpoints: saves the table beside each snapshot, listed in the record; a corrupt or missing table file fails the start naming it', async () => {
    const [tx, out, table] = [unique('ttck-tx'), unique('ttck-out'), unique('ttck-table')];
    await ensureTopics(brokers, [
      { name: tx, partitions: 2 },
      { name: out, partitions: 2 },
      { name: `${out}-alerts`, partitions: 1 },
      { name: table, partitions: 1 },
    ]);
    produce(tx, 300);
    const dir = mkdtempSync(join(tmpdir(), 'fs-kafka-ttck-'));
    const config = {
      brokers,
      cardRefSecret: Buffer.alloc(16, 7),
      group: unique('g'),
      topic: tx,
      labelsTopic: null,
      decisionsTopic: out,
      alertsTopic: `${out}-alerts`,
      workers: 1,
      checkpointDir: dir,
      terminalTableTopic: table,
      terminalTableIntervalMs: 100,
    };
    try {
      const system = await createKafkaSystem({ ...config, autoStart: true });
      try {
        await until(() => system.kafkaStats().produced === 300, 'every decision acknowledged');
        await until(() => system.kafkaStats().terminalTable?.settled === true && system.kafkaStats().terminalTable!.published > 0, 'the table settled');
      } finally {
        await system.close();
      }
      const records = readdirSync(dir).filter((f) => /^kafka-checkpoint-\d+\.json$/.test(f)).sort();
      const last = records[records.length - 1]!;
      const record = JSON.parse(readFileSync(join(dir, last), 'utf8')) as { id: number; parts: Record<string, string> };
      const file = record.parts['terminal-table']!;
      expect(file).toBe(`kafka-terminal-table-${String(record.id).padStart(8, '0')}.json`);
      const state = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { format: string; topic: string; own: [string, number, number, number][]; merged: unknown[] };
      expect(state.format).toBe('fraudstream-terminal-table-1');
      expect(state.topic).toBe(table);
      // One instance owns every partition: its own counts are all 300 transactions, and it merged nothing.
      expect(state.own.reduce((n, e) => n + e[1], 0)).toBe(300);
      expect(state.merged).toEqual([]);

      // A restart on the dir restores it (no error), with the checkpoint it restored in the stats.
      const again = await createKafkaSystem(config);
      expect(again.kafkaStats().checkpoints?.restored?.id).toBe(record.id);
      await again.close();

      const good = readFileSync(join(dir, file));
      writeFileSync(join(dir, file), '{"format":"fraudstream-terminal-table-1","topic":"t","own":[["x",1,2,3]],"merged":[]}');
      await expect(createKafkaSystem(config)).rejects.toThrow(new RegExp(`${file}: own\\[0\\] must be`));
      rmSync(join(dir, file));
      await expect(createKafkaSystem(config)).rejects.toThrow(new RegExp(`${file}: cannot be read`));
      writeFileSync(join(dir, file), good);
      // A checkpoint taken without the table (an older run) cannot be restored with it.
      writeFileSync(join(dir, last), JSON.stringify({ ...record, parts: undefined }));
      await expect(createKafkaSystem(config)).rejects.toThrow(/lists no terminal-table file.*another --data-dir/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
