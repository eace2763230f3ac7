import { describe, expect, it } from 'vitest';
import { DecisionCode } from '@fraudstream/schema';
import { LiveGenerator } from '@fraudstream/sources';
import { sleep } from './utils/poll.js';
import { realEngine } from './utils/engine.js';

describe('live quality from delayed labels', () => {
  it('stats().quality equals a direct count over the decisions and the labels seen by onBatch', async () => {
    // Risk windows end today; labels arrive 2 simulated hours after their transaction.
    const engine = await realEngine({ labelDelayDays: 0 });
    const decisions = new Map<number, number>();
    let tp = 0;
    let fp = 0;
    let tn = 0;
    let fn = 0;
    let labels = 0;
    let unknown = 0;
    engine.onBatch((b) => {
      for (let i = 0; i < b.count; i++) {
        const slot = b.slot + i;
        if (b.records.isLabel(slot)) {
          labels++;
          // A label record's txNum is the ingest sequence number of the transaction it labels.
          const code = decisions.get(b.records.txNum(slot));
          if (code === undefined) {
            unknown++;
            continue;
          }
          const alert = code !== DecisionCode.Approve;
          const fraud = b.records.isFraud(slot);
          if (fraud && alert) tp++;
          else if (fraud) fn++;
          else if (alert) fp++;
          else tn++;
        } else {
          decisions.set(b.seq + i, b.results.decisionCode(slot));
        }
      }
    });
    const generator = new LiveGenerator({ sink: engine.sink, tps: 20_000, seed: 11, labelDelayDays: 2 / 24 });
    generator.start();
    try {
      await sleep(3000);
      generator.stop();
      await engine.drain();
    } finally {
      generator.stop();
    }
    const q = engine.stats().quality;
    await engine.close();

    expect(labels).toBe(generator.stats().labelsEmitted);
    expect(unknown).toBe(0);
    expect(tp + fp + tn + fn).toBeGreaterThan(5000);
    // The generator's fraud is caught sometimes and alerts are sometimes wrong: every cell is exercised.
    expect(tp).toBeGreaterThan(0);
    expect(fn + fp).toBeGreaterThan(0);
    expect(q.labelled).toBe(tp + fp + tn + fn);
    expect(q.precision).toBeCloseTo(tp / (tp + fp), 12);
    expect(q.recall).toBeCloseTo(tp / (tp + fn), 12);
    expect(q.fpr).toBeCloseTo(fp / (fp + tn), 12);
  });
});
