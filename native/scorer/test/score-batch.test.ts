import { describe, expect, it } from 'vitest';
import { createScorer, destroyScorer, featureNames, loadModel, ruleNames, scoreBatch, setThresholds, skipTicket } from '../index.js';
import { RESULT_SIZE, T0, encode, readResult } from './helpers.js';

// amount < 100.5 -> -1, else +2; terminal_risk_30d < 0.25 -> 0, else +1.5; base_score 0.5.
const TINY = JSON.stringify({
  learner: {
    feature_names: featureNames(),
    learner_model_param: { base_score: '5E-1', num_feature: '19' },
    objective: { name: 'binary:logistic' },
    gradient_booster: {
      name: 'gbtree',
      model: {
        trees: [
          { tree_param: { num_nodes: '3' }, left_children: [1, -1, -1], right_children: [2, -1, -1], split_indices: [0, 0, 0], split_conditions: [100.5, -1, 2], default_left: [1, 0, 0], base_weights: [0.1, -1, 2] },
          { tree_param: { num_nodes: '3' }, left_children: [1, -1, -1], right_children: [2, -1, -1], split_indices: [18, 0, 0], split_conditions: [0.25, 0, 1.5], default_left: [0, 0, 0], base_weights: [0.2, 0, 1.5] },
        ],
      },
    },
  },
});

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

describe('scoreBatch', () => {
  it('exposes feature and rule names', () => {
    expect(featureNames()).toHaveLength(34);
    expect(featureNames()[0]).toBe('amount');
    expect(featureNames()[18]).toBe('terminal_risk_30d');
    expect(ruleNames()).toEqual(['HIGH_AMOUNT', 'VELOCITY_1D', 'INVALID_RECORD', 'SCORER_ERROR', 'ALLOW_LIST', 'BLOCK_LIST', 'DYNAMIC_RULE']);
  });

  it('writes sane results for hand-made records', () => {
    const h = createScorer({ thresholds: { review: 0.5, decline: 0.9 } });
    expect(loadModel(h, TINY)).toEqual({ trees: 2, features: featureNames(), baseScore: 0.5 });
    const records = encode([
      { tsMs: T0, amount: 20, card: 1, term: 1 },
      { tsMs: T0 + 1000, amount: 300, card: 1, term: 1 },
      { tsMs: T0 + 2000, amount: 6000, card: 2, term: 1 },
      { tsMs: T0 + 3000, amount: Number.NaN, card: 2, term: 1 },
      { tsMs: T0, amount: 0, card: 1, term: 1, label: true, fraud: true },
    ]);
    const results = new Uint8Array(5 * RESULT_SIZE);
    expect(scoreBatch(h, records, results, 0, 5, 0)).toEqual({ scored: 3, labels: 1, invalid: 1 });
    const r = [0, 1, 2, 3, 4].map((i) => readResult(results, i));
    expect(r[0]!.score).toBeCloseTo(sigmoid(-1), 6);
    expect(r[0]).toMatchObject({ decision: 0, status: 0, rules: 0, reasons: [255, 255, 255] });
    expect(r[1]!.score).toBeCloseTo(sigmoid(2), 6);
    expect(r[1]).toMatchObject({ decision: 1, status: 0, rules: 0, reasons: [0, 255, 255] });
    expect(r[2]).toMatchObject({ decision: 1, status: 0, rules: 1 });
    expect(r[3]).toMatchObject({ decision: 1, status: 1, rules: 4 });
    expect(r[4]).toMatchObject({ status: 2 });

    setThresholds(h, 0.5, 0.8);
    expect(scoreBatch(h, records, results, 1, 1, 1).scored).toBe(1);
    expect(readResult(results, 1).decision).toBe(2);
    expect(() => setThresholds(h, 0.9, 0.5)).toThrow(RangeError);
    expect(() => setThresholds(h, -1, 0.5)).toThrow(/0 <= review <= decline <= 1/);
    destroyScorer(h);
  });

  it('passes a skipped ticket', () => {
    const h = createScorer({});
    const records = encode([{ tsMs: T0, amount: 1, card: 1, term: 1 }]);
    const results = new Uint8Array(RESULT_SIZE);
    skipTicket(h, 1);
    skipTicket(h, 0);
    expect(scoreBatch(h, records, results, 0, 1, 2).scored).toBe(1);
    expect(() => scoreBatch(h, records, results, 0, 1, 0)).toThrow(/ticket 0 was already used/);
    destroyScorer(h);
    expect(() => destroyScorer(h)).toThrow(/unknown scorer handle/);
  });
});
