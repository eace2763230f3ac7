import { describe, expect, it } from 'vitest';
import { createScorer, destroyScorer, featureNames, loadModel, predictFeatures, trainGbdt } from '../index.js';

const NF = featureNames().length;

function dataset(rows: number): { x: Float32Array; y: Uint8Array } {
  const x = new Float32Array(rows * NF);
  const y = new Uint8Array(rows);
  let s = 12345;
  const rand = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < NF; c++) x[r * NF + c] = rand() < 0.05 ? Number.NaN : rand() * 100;
    const a = x[r * NF]!;
    y[r] = (Number.isNaN(a) || a > 70 ? 0.8 : 0.1) > rand() ? 1 : 0;
  }
  return { x, y };
}

describe('models', () => {
  it('train -> load -> predict', () => {
    const { x, y } = dataset(2000);
    const json = trainGbdt(x, y, 2000, { trees: 15, maxDepth: 3, learningRate: 0.3, seed: 1 });
    expect(trainGbdt(x, y, 2000, { trees: 15, maxDepth: 3, learningRate: 0.3, seed: 1 })).toBe(json);
    const parsed = JSON.parse(json);
    expect(parsed.learner.objective.name).toBe('binary:logistic');
    expect(parsed.learner.feature_names).toEqual(featureNames());
    const h = createScorer({});
    const info = loadModel(h, json);
    expect(info.trees).toBe(15);
    destroyScorer(h);
    const p = new Float32Array(2000);
    predictFeatures(json, x, 2000, p);
    let hi = 0;
    let lo = 0;
    let nhi = 0;
    for (let r = 0; r < 2000; r++) {
      expect(p[r]).toBeGreaterThan(0);
      expect(p[r]).toBeLessThan(1);
      if (x[r * NF]! > 70) {
        hi += p[r]!;
        nhi++;
      } else if (!Number.isNaN(x[r * NF]!)) lo += p[r]!;
    }
    expect(hi / nhi).toBeGreaterThan(0.6);
    expect(lo / (2000 - nhi)).toBeLessThan(0.25);
  });

  it('gives clear load errors', () => {
    const h = createScorer({});
    const { x, y } = dataset(300);
    const good = JSON.parse(trainGbdt(x, y, 300, { trees: 2, maxDepth: 2 }));
    expect(() => loadModel(h, '{')).toThrow(/^model: invalid JSON/);
    const objective = structuredClone(good);
    objective.learner.objective.name = 'reg:squarederror';
    expect(() => loadModel(h, JSON.stringify(objective))).toThrow("model: objective 'reg:squarederror' is not supported (expected binary:logistic)");
    const names = structuredClone(good);
    names.learner.feature_names[3] = 'foo';
    expect(() => loadModel(h, JSON.stringify(names))).toThrow("model: feature 'foo' is not a Fraudstream feature");
    const short = structuredClone(good);
    short.learner.gradient_booster.model.trees[1].left_children.pop();
    const n = Number(short.learner.gradient_booster.model.trees[1].tree_param.num_nodes);
    expect(() => loadModel(h, JSON.stringify(short))).toThrow(`model: tree 1: left_children has ${n - 1} entries, expected ${n}`);
    // A failed load keeps the previous model.
    expect(loadModel(h, JSON.stringify(good)).trees).toBe(2);
    destroyScorer(h);
  });

  it('accepts XGBoost 3 base_score and positional features', () => {
    const { x, y } = dataset(300);
    const m = JSON.parse(trainGbdt(x, y, 300, { trees: 3, maxDepth: 2 }));
    const p1 = new Float32Array(300);
    predictFeatures(JSON.stringify(m), x, 300, p1);
    m.learner.learner_model_param.base_score = `[${m.learner.learner_model_param.base_score}]`;
    delete m.learner.feature_names;
    const p2 = new Float32Array(300);
    predictFeatures(JSON.stringify(m), x, 300, p2);
    expect(Array.from(p2)).toEqual(Array.from(p1));
  });
});
