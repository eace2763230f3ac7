import { describe, expect, it } from 'vitest';
import { MAX_TPS, MIN_TPS, positionOf, tpsAt } from '../src/rate-scale';
import { tradeOffAt } from '../src/quality';
import { pushBounded, SeriesRing } from '../src/ring';

describe('SeriesRing', () => {
  it('keeps the newest samples in time order and never grows past its capacity', () => {
    const ring = new SeriesRing(3, 2);
    for (let i = 1; i <= 5; i++) ring.push([i, i * 10]);
    expect(ring.size).toBe(3);
    expect(ring.toArrays()).toEqual([
      [3, 4, 5],
      [30, 40, 50],
    ]);
  });
});

describe('pushBounded', () => {
  it('appends and keeps the newest items', () => {
    expect(pushBounded([1, 2, 3], [4, 5], 4)).toEqual([2, 3, 4, 5]);
    expect(pushBounded([1], [2, 3, 4, 5, 6], 3)).toEqual([4, 5, 6]);
  });
});

describe('tradeOffAt', () => {
  // 4 bins: fraud mostly high, legit mostly low.
  const fraud = [0, 1, 3, 6];
  const legit = [80, 15, 4, 1];
  it('counts every bin at or above the threshold as an alert', () => {
    const t = tradeOffAt(0.5, fraud, legit);
    expect(t.alerts).toBe(14);
    expect(t.precision).toBeCloseTo(9 / 14);
    expect(t.recall).toBeCloseTo(9 / 10);
    expect(t.fpr).toBeCloseTo(5 / 100);
  });
  it('trades recall for precision as the threshold rises', () => {
    const low = tradeOffAt(0.25, fraud, legit);
    const high = tradeOffAt(0.75, fraud, legit);
    expect(high.precision).toBeGreaterThan(low.precision);
    expect(high.recall).toBeLessThan(low.recall);
    expect(tradeOffAt(0, fraud, legit).recall).toBe(1);
  });
  it('reports zeros, not NaN, without labels', () => {
    expect(tradeOffAt(0.5, [0, 0], [0, 0])).toEqual({ precision: 0, recall: 0, fpr: 0, alerts: 0 });
  });
});

describe('rate slider', () => {
  it('spans 10 to 2,000,000 tx/s on a log scale and maps values back to positions', () => {
    expect(tpsAt(0)).toBe(MIN_TPS);
    expect(tpsAt(1000)).toBe(MAX_TPS);
    expect(tpsAt(positionOf(1_000_000))).toBe(1_000_000);
    expect(tpsAt(positionOf(1000))).toBe(1000);
    expect(positionOf(1e9)).toBe(1000);
  });
});
