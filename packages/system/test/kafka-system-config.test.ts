import { describe, expect, it } from 'vitest';
import { validateKafkaSystemConfig, type KafkaSystemConfig } from '../src/index.js';

const ok: KafkaSystemConfig = { brokers: '127.0.0.1:9092', cardRefSecret: Buffer.alloc(16, 1) };

describe('validateKafkaSystemConfig', () => {
  it('fills the defaults', () => {
    const r = validateKafkaSystemConfig(ok);
    expect(r).toMatchObject({ brokers: ['127.0.0.1:9092'], group: 'fraudstream', topic: 'transactions', labelsTopic: 'fraud-labels', commitIntervalMs: 200, maxUnacknowledged: 100_000 });
    expect(validateKafkaSystemConfig({ ...ok, labelsTopic: null }).labelsTopic).toBe(null);
  });

  it('names the bad option', () => {
    const bad: [Partial<KafkaSystemConfig>, RegExp][] = [
      [{ brokers: '' }, /config\.brokers/],
      [{ brokers: 'nohost' }, /config\.brokers/],
      [{ cardRefSecret: Buffer.alloc(8) }, /config\.cardRefSecret/],
      [{ group: '' }, /config\.group/],
      [{ workers: 0 }, /config\.workers/],
      [{ commitIntervalMs: 1 }, /config\.commitIntervalMs/],
      [{ maxUnacknowledged: 10 }, /config\.maxUnacknowledged/],
      [{ durableSeq: 5 as unknown as () => number }, /config\.durableSeq/],
      [{ thresholds: { review: 0.9, decline: 0.5 } }, /config\.thresholds/],
      [{ handover: 'copy' as 'none' }, /config\.handover/],
      [{ replayWindowMs: -1 }, /config\.replayWindowMs/],
      [{ checkpointDir: '' }, /config\.checkpointDir/],
      [{ checkpointIntervalMs: 10 }, /config\.checkpointIntervalMs/],
      [{ terminalTableTopic: '' }, /config\.terminalTableTopic/],
      [{ terminalTableIntervalMs: 1 }, /config\.terminalTableIntervalMs/],
      [{ exactlyOnce: 'yes' as unknown as boolean, checkpointDir: '/tmp/x' }, /config\.exactlyOnce must be a boolean/],
      [{ exactlyOnce: true }, /config\.exactlyOnce needs config\.checkpointDir/],
      [{ exactlyOnce: true, checkpointDir: '/tmp/x', transactionalId: '' }, /config\.transactionalId/],
      [{ exactlyOnce: true, checkpointDir: '/tmp/x', onFatal: 1 as unknown as () => void }, /config\.onFatal/],
    ];
    for (const [patch, re] of bad) expect(() => validateKafkaSystemConfig({ ...ok, ...patch } as KafkaSystemConfig)).toThrow(re);
  });

  it('accepts the global terminal table with checkpoints and with exactly-once (its counts go into each checkpoint)', () => {
    const r = validateKafkaSystemConfig({ ...ok, terminalTableTopic: 'terminal-days', checkpointDir: '/tmp/x', exactlyOnce: true });
    expect(r).toMatchObject({ terminalTableTopic: 'terminal-days', checkpointDir: '/tmp/x', exactlyOnce: true });
  });
});
