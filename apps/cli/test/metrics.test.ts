import { describe, expect, it } from 'vitest';
import { evaluatedTransactions } from '../src/backtest.js';
import { aucRoc, cardPrecisionAtK, precisionRecall, prCurveSvg, thinCurve } from '../src/metrics.js';

const all = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('ranking metrics (sklearn definitions)', () => {
  it('AUC and AP of the scikit-learn documentation example', () => {
    const y = [0, 0, 1, 1];
    const s = [0.1, 0.4, 0.35, 0.8];
    expect(aucRoc(s, y, all(4))).toBeCloseTo(0.75, 12);
    expect(precisionRecall(s, y, all(4)).ap).toBeCloseTo(0.8333333333333333, 12);
  });

  it('ties count half in AUC and form one step in AP', () => {
    const y = [1, 0, 1, 0];
    const s = [0.5, 0.5, 0.5, 0.5];
    expect(aucRoc(s, y, all(4))).toBe(0.5);
    const pr = precisionRecall(s, y, all(4));
    expect(pr.ap).toBe(0.5);
    expect(pr.curve).toEqual([{ threshold: 0.5, precision: 0.5, recall: 1 }]);
    // A positive tied with a negative above another negative: (1 * 0.5 + 1 * 1) / 2.
    expect(aucRoc([0.9, 0.9, 0.1], [1, 0, 0], all(3))).toBe(0.75);
  });

  it('only the listed transactions count, and one class gives NaN', () => {
    const y = [1, 0, 1, 0];
    const s = [0.9, 0.1, 0.05, 0.95];
    expect(aucRoc(s, y, [0, 1])).toBe(1);
    expect(Number.isNaN(aucRoc(s, y, [1, 3]))).toBe(true);
    expect(Number.isNaN(precisionRecall(s, y, [1, 3]).ap)).toBe(true);
  });
});

describe('card precision@k (handbook protocol)', () => {
  it('takes each card at its best score, and leaves out cards caught on earlier days', () => {
    // Day 1: card 7 (fraud, best 0.9), card 8 (genuine, 0.8), card 9 (fraud, 0.1). k = 2 -> card 7 caught, 1/2.
    // Day 2: card 7 again at the top but already caught -> left out; card 9 (fraud 0.7), card 8 (0.6) -> 1/2.
    const day = [1, 1, 1, 1, 2, 2, 2];
    const card = [7, 7, 8, 9, 7, 9, 8];
    const s = [0.2, 0.9, 0.8, 0.1, 0.99, 0.7, 0.6];
    const y = [0, 1, 0, 1, 1, 1, 0];
    const r = cardPrecisionAtK(2, all(7), day, card, s, y);
    expect(r.perDay).toEqual([
      { day: 1, value: 0.5 },
      { day: 2, value: 0.5 },
    ]);
    expect(r.mean).toBe(0.5);
    // Without card 9's day-2 fraud, day 2 has no fraud among the two best cards.
    const r2 = cardPrecisionAtK(2, all(7), day, card, s, [0, 1, 0, 1, 1, 0, 0]);
    expect(r2.perDay[1]!.value).toBe(0);
  });

  it('removes cards known compromised at (test day - delay)', () => {
    // Train from day 10, test days 24..25, delay 7: a fraud on day 16 is known on day 24 (16 < 17), one on day 17 is
    // not known on day 24 but is on day 25.
    const day = [16, 17, 24, 24, 25, 25, 24];
    const card = [1, 2, 1, 2, 1, 2, 3];
    const fraud = [1, 1, 0, 0, 0, 0, 1];
    const r = evaluatedTransactions(day, card, fraud, 10, 24, 2, 7);
    expect(r.idx).toEqual([3, 6]);
    expect(r.removed).toBe(3);
  });
});

describe('PR curve thinning', () => {
  it('keeps the points where recall rises and the last one, then at most max of them', () => {
    const c = [
      { threshold: 0.9, precision: 1, recall: 0.25 },
      { threshold: 0.8, precision: 0.5, recall: 0.25 },
      { threshold: 0.7, precision: 0.67, recall: 0.5 },
      { threshold: 0.6, precision: 0.5, recall: 0.5 },
      { threshold: 0.5, precision: 0.4, recall: 0.5 },
    ];
    expect(thinCurve(c, 10).map((p) => p.threshold)).toEqual([0.9, 0.7, 0.5]);
    expect(thinCurve(c, 2).map((p) => p.threshold)).toEqual([0.9, 0.5]);
  });
});

describe('PR curve plot', () => {
  it('is an SVG with the curve as a polyline', () => {
    const svg = prCurveSvg([{ threshold: 0.9, precision: 1, recall: 0.5 }, { threshold: 0.1, precision: 0.5, recall: 1 }], 'a < b');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('<polyline');
    expect(svg).toContain('a &lt; b');
  });
});
