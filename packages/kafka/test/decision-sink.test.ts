import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KafkaDecisionSink, type DecidedRecord } from '../src/index.js';
import { broker, freshTopics, kcatRead } from './helpers/kafka.js';

let brokers = '';
let sink: KafkaDecisionSink | undefined;

beforeEach(async () => {
  brokers = await broker();
}, 300_000);

afterAll(async () => {
  await sink?.close();
});

const DECISIONS = ['APPROVE', 'REVIEW', 'DECLINE'] as const;

function decided(i: number): DecidedRecord {
  return {
    txId: String(1000 + i),
    decisionId: `transactions-${i % 4}-${i}`,
    cardId: `card-secret-${i % 7}`,
    decision: DECISIONS[i % 3]!,
    score: (i % 100) / 100,
    reasons: i % 3 === 0 ? [] : ['amount_gt_220', 'tx_count_1d'],
    latencyUs: 250 + i,
    modelVersion: 'test-model',
  };
}

describe('KafkaDecisionSink against a real broker', () => {
  it('produces every decision keyed by card and the alerts to their topic, acknowledged before send resolves', async () => {
    const [decisions, alerts] = await freshTopics(brokers, 4, 'decisions', 'alerts');
    sink = new KafkaDecisionSink({ brokers, decisionsTopic: decisions, alertsTopic: alerts });
    const all = Array.from({ length: 900 }, (_, i) => decided(i));
    // Three concurrent sends (as an engine completing batches would make): grouped, none lost, each acknowledged.
    await Promise.all([sink.send(all.slice(0, 300)), sink.send(all.slice(300, 600)), sink.send(all.slice(600))]);
    expect(sink.stats()).toEqual({ produced: 900, alerts: 600, inFlight: 0, failedSends: 0 });

    const out = kcatRead(brokers, decisions!);
    expect(out).toHaveLength(900);
    const byTx = new Map(all.map((d) => [d.txId, d]));
    const partitionOfCard = new Map<string, number>();
    for (const m of out) {
      const v = JSON.parse(m.value) as Record<string, unknown>;
      const d = byTx.get(v['id'] as string)!;
      expect(m.key).toBe(d.cardId);
      expect(v).toEqual({ id: d.txId, decisionId: d.decisionId, decision: d.decision, score: d.score, reasons: d.reasons, latencyUs: d.latencyUs, modelVersion: 'test-model' });
      // The card id travels as the key only.
      expect(m.value).not.toContain('card-secret');
      // Keyed by card: all of a card's decisions share one partition.
      expect(partitionOfCard.get(m.key) ?? m.partition).toBe(m.partition);
      partitionOfCard.set(m.key, m.partition);
    }
    const alerted = kcatRead(brokers, alerts!).map((m) => JSON.parse(m.value) as { id: string; decision: string });
    expect(alerted).toHaveLength(600);
    expect(alerted.every((a) => a.decision !== 'APPROVE')).toBe(true);
    expect(new Set(alerted.map((a) => a.id))).toEqual(new Set(all.filter((d) => d.decision !== 'APPROVE').map((d) => d.txId)));
  });

  it('rejects a bad decision with an error naming the record and the field, sending nothing of that call', async () => {
    const [decisions, alerts] = await freshTopics(brokers, 1, 'decisions', 'alerts');
    const s = new KafkaDecisionSink({ brokers, decisionsTopic: decisions, alertsTopic: alerts });
    try {
      await expect(s.send([decided(0), { ...decided(1), score: 1.5 }])).rejects.toThrow(/decisions\[1\]\.score must be a number from 0 to 1/);
      await expect(s.send([{ ...decided(0), decision: 'MAYBE' as never }])).rejects.toThrow(/decisions\[0\]\.decision/);
      await expect(s.send([{ ...decided(0), cardId: '' }])).rejects.toThrow(/decisions\[0\]\.cardId/);
      await s.send([decided(3)]);
      expect(kcatRead(brokers, decisions!)).toHaveLength(1);
    } finally {
      await s.close();
    }
    expect(() => new KafkaDecisionSink({ brokers: 'x', decisionsTopic: 'd' })).toThrow(/options\.brokers/);
    expect(() => new KafkaDecisionSink({ brokers, alertsTopic: 'a/b' })).toThrow(/options\.alertsTopic/);
  });
});
