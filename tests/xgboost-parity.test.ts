import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Scorer, featureNames, predictFeatures } from '@fraudstream/scorer';
import { python } from './utils/python.js';

/** Trains a model with real XGBoost (scripts/python/xgb_parity.py) on the given columns; returns its outputs. */
function trainWithXgboost(columns: string[], noNames = false): { json: string; x: Float32Array; want: Float64Array; rows: number; version: string } {
  const dir = mkdtempSync(join(tmpdir(), 'xgb-parity-'));
  python('xgb_parity.py', [dir, columns.join(','), ...(noNames ? ['--no-names'] : [])]);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { rows: number; xgboost: string };
  const xb = readFileSync(join(dir, 'features.f32'));
  const pb = readFileSync(join(dir, 'predictions.f64'));
  return {
    json: readFileSync(join(dir, 'model.json'), 'utf8'),
    x: new Float32Array(xb.buffer.slice(xb.byteOffset, xb.byteOffset + xb.byteLength)),
    want: new Float64Array(pb.buffer.slice(pb.byteOffset, pb.byteOffset + pb.byteLength)),
    rows: meta.rows,
    version: meta.xgboost,
  };
}

/** Places each model column at its Fraudstream feature index; the other features get values that must not matter. */
function toOurRows(columns: string[], x: Float32Array, rows: number): Float32Array {
  const names = featureNames;
  const width = names.length;
  const out = new Float32Array(rows * width).fill(12345.5);
  const at = columns.map((c) => names.indexOf(c));
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < columns.length; j++) out[r * width + at[j]!] = x[r * columns.length + j]!;
  }
  return out;
}

function worstDiff(json: string, ours: Float32Array, want: Float64Array, rows: number): number {
  const got = new Float32Array(rows);
  predictFeatures(json, ours, rows, got);
  let worst = 0;
  for (let r = 0; r < rows; r++) worst = Math.max(worst, Math.abs(got[r]! - want[r]!));
  return worst;
}

describe('XGBoost interoperability (models trained by real XGBoost in Python)', () => {
  it('a model over a subset of our features, in another order, scores like XGBoost on every row', () => {
    const names = featureNames;
    // A subset in a shuffled order: the loader must map by name, not position.
    const columns = ['terminal_risk_7d', 'amount', 'secs_since_prev_card_tx', 'card_mean_amount_30d', 'hour', 'kmh_from_prev_present', 'amount_to_card_mean_30d', 'terminal_tx_count_1d'];
    for (const c of columns) expect(names).toContain(c);
    const t = trainWithXgboost(columns);
    expect(t.version).toMatch(/^[23]\./);
    const model = JSON.parse(t.json) as { learner: { learner_model_param: { base_score: string } } };
    // XGBoost 3 writes base_score as a bracketed vector string, e.g. "[3E-1]"; 2.x as "3E-1": both must load.
    expect(model.learner.learner_model_param.base_score).toMatch(/E/);
    const scorer = Scorer.open();
    try {
      const summary = scorer.loadModel(t.json);
      expect(summary.trees).toBe(40);
    } finally {
      scorer.close();
    }
    const worst = worstDiff(t.json, toOurRows(columns, t.x, t.rows), t.want, t.rows);
    expect(worst).toBeLessThan(1e-5);
    // The same rows with the other features changed still agree: unused features are ignored.
    const shifted = toOurRows(columns, t.x, t.rows).map((v) => (v === 12345.5 ? -7 : v));
    expect(worstDiff(t.json, shifted, t.want, t.rows)).toBeLessThan(1e-5);
  });

  it('a model without feature names is read positionally, in Fraudstream order', () => {
    const columns = featureNames.slice(0, 12);
    const t = trainWithXgboost(columns, true);
    expect(JSON.parse(t.json).learner.feature_names).toEqual([]);
    expect(worstDiff(t.json, toOurRows(columns, t.x, t.rows), t.want, t.rows)).toBeLessThan(1e-5);
  });

  it('a base_score written the XGBoost 2.x way ("3E-1", no brackets) gives the same scores', () => {
    const columns = ['amount', 'hour', 'terminal_risk_1d'];
    const t = trainWithXgboost(columns);
    const v2 = t.json.replace(/"base_score":"\[([^\]"]+)\]"/, '"base_score":"$1"');
    expect(v2).not.toBe(t.json);
    expect(worstDiff(v2, toOurRows(columns, t.x, t.rows), t.want, t.rows)).toBeLessThan(1e-5);
  });

  it('a feature name that is not ours is a clear error at load naming it', () => {
    const columns = ['amount', 'hour', 'terminal_risk_1d'];
    const t = trainWithXgboost(columns);
    const bad = t.json.replace('"terminal_risk_1d"', '"merchant_vibe"');
    const scorer = Scorer.open();
    try {
      expect(() => scorer.loadModel(bad)).toThrow(/merchant_vibe/);
    } finally {
      scorer.close();
    }
  });
});
