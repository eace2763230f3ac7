import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultStatus } from '@fraudstream/schema';
import { extractFeatures, featureNames, Scorer } from '../src/index.js';
import { records, results, stream } from './helpers.js';

const model = readFileSync(resolve(import.meta.dirname, '../../../models/default.json'), 'utf8');
const open: Scorer[] = [];
const scorer = (): Scorer => {
  const s = Scorer.open();
  open.push(s);
  s.loadModel(model);
  return s;
};
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

const W = featureNames.length;

describe('served-feature capture', () => {
  it('at rate 1 captures every transaction with exactly the features the offline replay computes', () => {
    const recs = stream(200);
    const r = records(recs);
    const s = scorer();
    s.setFeatureCapture(1);
    const out = results(recs.length);
    s.scoreBatch(r.u8, out.u8, 0, 100, 0);
    s.scoreBatch(r.u8, out.u8, 100, 100, 1);
    const a = s.takeCapturedFeatures(0);
    const b = s.takeCapturedFeatures(100);
    const offline = new Float32Array(recs.length * W);
    const n = extractFeatures(undefined, r.u8, recs.length, offline);
    expect(a.count + b.count).toBe(n);
    // The rows of transactions in batch order: record indices within each batch, mapped to slots.
    const slots = [...a.index, ...[...b.index].map((i) => i + 100)];
    expect(slots.every((slot) => out.status(slot) === ResultStatus.Scored)).toBe(true);
    const served = new Float32Array([...a.rows, ...b.rows]);
    expect(Array.from(served, (v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual(Array.from(offline.subarray(0, n * W), (v) => (Number.isNaN(v) ? 'NaN' : v)));
    // Taken once: a second take of the same batch is empty.
    expect(s.takeCapturedFeatures(0).count).toBe(0);
  });

  it('at rate 0 captures the alerts only; off, nothing; a bad rate is refused', () => {
    const recs = stream(300).map((x, i) => (x.label === true ? x : { ...x, amount: i % 3 === 0 ? 9_000 + i : x.amount }));
    const r = records(recs);
    const s = scorer();
    s.setThresholds({ review: 0.2, decline: 0.9 });
    s.setFeatureCapture(0);
    const out = results(recs.length);
    s.scoreBatch(r.u8, out.u8, 0, recs.length, 0);
    const got = s.takeCapturedFeatures(0);
    const alerts: number[] = [];
    for (let i = 0; i < recs.length; i++) if (out.status(i) === ResultStatus.Scored && out.decisionCode(i) >= 1) alerts.push(i);
    expect(alerts.length).toBeGreaterThan(0);
    expect([...got.index]).toEqual(alerts);
    s.setFeatureCapture(null);
    s.scoreBatch(r.u8, out.u8, 0, recs.length, 1);
    expect(s.takeCapturedFeatures(0).count).toBe(0);
    expect(() => s.setFeatureCapture(1.5)).toThrow('rate must be a number from 0 to 1, got 1.5');
  });
});
