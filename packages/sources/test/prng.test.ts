import { describe, expect, it } from 'vitest';
import { Prng } from '../src/index.js';

describe('Prng', () => {
  it('repeats for a seed and differs across seeds and streams', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const d = new Prng(42, 1);
    const sa = Array.from({ length: 8 }, () => a.nextU32());
    expect(Array.from({ length: 8 }, () => b.nextU32())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.nextU32())).not.toEqual(sa);
    expect(Array.from({ length: 8 }, () => d.nextU32())).not.toEqual(sa);
  });

  it('draws uniform, normal and Poisson variates with the right moments', () => {
    const r = new Prng(7);
    const n = 200_000;
    let su = 0;
    let sn = 0;
    let sn2 = 0;
    let sp = 0;
    let sp2 = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const u = r.uniform(5, 100);
      min = Math.min(min, u);
      max = Math.max(max, u);
      su += u;
      const x = r.normal(43200, 20000);
      sn += x;
      sn2 += x * x;
      const k = r.poisson(2.5);
      sp += k;
      sp2 += k * k;
    }
    expect(min).toBeGreaterThanOrEqual(5);
    expect(max).toBeLessThan(100);
    expect(su / n).toBeCloseTo(52.5, 0);
    const mean = sn / n;
    expect(Math.abs(mean - 43200)).toBeLessThan(200);
    expect(Math.abs(Math.sqrt(sn2 / n - mean * mean) - 20000)).toBeLessThan(200);
    const pm = sp / n;
    expect(pm).toBeCloseTo(2.5, 1);
    expect(sp2 / n - pm * pm).toBeCloseTo(2.5, 1);
    expect(r.poisson(0)).toBe(0);
  });

  it('int(n) stays in [0, n)', () => {
    const r = new Prng(1);
    const seen = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const k = r.int(7);
      expect(k >= 0 && k < 7 && Number.isInteger(k)).toBe(true);
      seen.add(k);
    }
    expect(seen.size).toBe(7);
  });
});
