import { describe, expect, it } from 'vitest';
import { meanStd, summarise, type RollingRun } from '../src/backtest-rolling.js';
import type { BacktestResult } from '../src/backtest.js';
import { ALERT_COST, costCurve, moneyAtDecisions, moneyReport, prAndCostSvg } from '../src/metrics-money.js';

describe('money metrics', () => {
  // Transactions 0..5: amounts, labels, scores, decisions (0 approve, 1 review, 2 decline).
  const amount = [100, 20, 300, 5, 50, 7];
  const fraud = [1, 0, 1, 0, 0, 1];
  const scores = [0.95, 0.6, 0.2, 0.1, 0.7, 0.9];
  const decisions = [2, 1, 0, 0, 1, 1];

  it('counts caught and missed fraud amounts and false alerts at the decisions, over the listed transactions only', () => {
    const m = moneyAtDecisions([0, 1, 2, 3, 4, 5], amount, fraud, (i) => decisions[i]! > 0);
    expect(m).toEqual({ fraudAmount: 407, caughtAmount: 107, missedAmount: 300, alerts: 4, falseAlerts: 2, falseAlertsPer1000: 2000 / 6 });
    const sub = moneyAtDecisions([2, 3], amount, fraud, (i) => decisions[i]! > 0);
    expect(sub).toEqual({ fraudAmount: 300, caughtAmount: 0, missedAmount: 300, alerts: 0, falseAlerts: 0, falseAlertsPer1000: 0 });
  });

  it('the cost curve adds the alert cost to the fraud amount still missed, threshold by threshold', () => {
    const { curve, best } = costCurve([0, 1, 2, 3, 4, 5], amount, fraud, scores);
    // Order by score: 0 (fraud 100), 5 (fraud 7), 4, 1, 2 (fraud 300), 3.
    expect(curve.map((p) => p.missedAmount)).toEqual([407, 307, 300, 300, 300, 0, 0]);
    expect(curve.map((p) => p.cost)).toEqual([407, 307 + ALERT_COST, 300 + 2 * ALERT_COST, 300 + 3 * ALERT_COST, 300 + 4 * ALERT_COST, 5 * ALERT_COST, 6 * ALERT_COST]);
    expect(best.threshold).toBe(0.2);
    expect(best.alertsPer1000).toBeCloseTo(5000 / 6, 9);
    const r = moneyReport([0, 1, 2, 3, 4, 5], amount, fraud, scores, decisions);
    expect(r.atDecisions.caughtAmount).toBe(107);
    expect(r.cheapest).toEqual(best);
  });

  it('draws both curves in one SVG', () => {
    const { curve } = costCurve([0, 1, 2, 3, 4, 5], amount, fraud, scores);
    const svg = prAndCostSvg([{ threshold: 0.9, precision: 1, recall: 0.5 }], curve, 'a < b');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).toContain('a &lt; b');
    expect(svg).toContain('alerts per 1,000 transactions');
  });
});

describe('rolling summaries', () => {
  it('mean and sample standard deviation, NaN left out', () => {
    expect(meanStd([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(5 / 3), n: 4 });
    expect(meanStd([2, Number.NaN])).toEqual({ mean: 2, std: 0, n: 1 });
    expect(Number.isNaN(meanStd([]).mean)).toBe(true);
  });

  it('summarises runs overall and per scenario', () => {
    const run = (ap: number, s2: number | undefined): RollingRun => ({
      file: 'f',
      week: 0,
      result: {
        metrics: { transactions: 10, frauds: 2, aucRoc: 0.9, averagePrecision: ap, cardPrecisionAtK: 0.3 },
        scenarios: s2 === undefined ? [] : [{ scenario: 2, frauds: 4, recallAtReview: 0.5, recallAtTopN: 0.5, aucRoc: 0.8, averagePrecision: s2 }],
        money: { atDecisions: { fraudAmount: 100, caughtAmount: 25, missedAmount: 75, alerts: 3, falseAlerts: 1, falseAlertsPer1000: 100 } },
      } as unknown as BacktestResult,
    });
    const s = summarise([run(0.6, 0.5), run(0.8, undefined)]);
    expect(s.runs).toBe(2);
    expect(s.averagePrecision.mean).toBeCloseTo(0.7, 12);
    expect(s.averagePrecision.std).toBeCloseTo(Math.sqrt(0.02), 12);
    expect(s.caughtAmountShare.mean).toBe(0.25);
    expect(s.scenarios).toHaveLength(1);
    expect(s.scenarios[0]!.averagePrecision).toEqual({ mean: 0.5, std: 0, n: 1 });
  });
});
