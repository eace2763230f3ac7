import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createKafkaSystem } from '../src/index.js';

// The checks of a Kafka checkpoint record at start-up (no broker needed: they run before the source joins a group).
// The full cycle (take, SIGKILL, restore) runs with real processes in apps/cli/test/kafka-checkpoint.test.ts.
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dirWith(record: string): string {
  const d = mkdtempSync(join(tmpdir(), 'fs-kafka-ck-unit-'));
  dirs.push(d);
  writeFileSync(join(d, 'kafka-checkpoint-00000001.json'), record);
  return d;
}

const config = { brokers: '127.0.0.1:9', cardRefSecret: Buffer.alloc(16, 7), group: 'g', topic: 'tx', workers: 1 };
const record = (patch: object): string =>
  JSON.stringify({ format: 'fraudstream-kafka-checkpoint-1', id: 1, createdAt: '2026-12-03T00:00:00Z', group: 'g', topic: 'tx', snapshot: 'kafka-snapshot-00000001.bin', applied: [], ...patch });

describe('Kafka checkpoints at start-up', () => {
  it('refuses a corrupt record, one of another group, a bad applied entry and a missing snapshot, naming the file', async () => {
    await expect(createKafkaSystem({ ...config, checkpointDir: dirWith('{not json') })).rejects.toThrow(/kafka-checkpoint-00000001\.json.*not a readable/);
    await expect(createKafkaSystem({ ...config, checkpointDir: dirWith(record({ group: 'other' })) })).rejects.toThrow(/group other.*another --data-dir/);
    await expect(createKafkaSystem({ ...config, checkpointDir: dirWith(record({ applied: [{ topic: 'tx', partition: 0, offset: -3 }] })) })).rejects.toThrow(
      /applied\[0\]/,
    );
    await expect(createKafkaSystem({ ...config, checkpointDir: dirWith(record({})) })).rejects.toThrow(/kafka-snapshot-00000001\.bin/);
  }, 60_000);

  it('starts fresh in an empty dir (no checkpoint to restore)', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fs-kafka-ck-unit-'));
    dirs.push(d);
    const system = await createKafkaSystem({ ...config, checkpointDir: d });
    try {
      expect(system.kafkaStats().checkpoints).toMatchObject({ taken: 0, durableSeq: 0 });
      expect(system.kafkaStats().checkpoints?.restored).toBeUndefined();
    } finally {
      await system.close();
    }
  }, 60_000);
});
