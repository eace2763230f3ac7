import { describe, expect, it } from 'vitest';
import { LatencyBuckets, LatencyWindow } from '../src/latency-window.js';

describe('LatencyBuckets (the fixed buckets /metrics exports)', () => {
  it('counts a value at a bound in that bound (le), cumulatively, with count and sum', () => {
    const b = new LatencyBuckets();
    b.add(10, 2); // exactly 10 µs: le="0.00001"
    b.add(11, 1); // just above: le="0.000025"
    b.add(2_000_000, 3); // 2 s: le="2.5"
    b.add(20_000_000, 1); // 20 s: only +Inf
    const s = b.snapshot();
    expect(s.cumulative[0]).toBe(2);
    expect(s.cumulative[1]).toBe(3);
    expect(s.cumulative[s.boundsS.indexOf(1)]).toBe(3);
    expect(s.cumulative[s.boundsS.indexOf(2.5)]).toBe(6);
    expect(s.cumulative.at(-1)).toBe(6);
    expect(s.count).toBe(7);
    expect(s.sumS).toBeCloseTo((20 + 11 + 6_000_000 + 20_000_000) / 1e6, 9);
  });

  it('are fed by the latency window with every run it records', () => {
    const w = new LatencyWindow();
    w.rotate(1_000);
    w.recordCount(300, 5);
    w.record(40_000);
    const s = w.buckets.snapshot();
    expect(s.count).toBe(6);
    expect(s.count).toBe(w.total().totalCount);
    expect(s.cumulative[s.boundsS.indexOf(0.0005)]).toBe(5);
    expect(s.cumulative[s.boundsS.indexOf(0.05)]).toBe(6);
  });
});
