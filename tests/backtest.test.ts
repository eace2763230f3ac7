import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { cli } from './utils/cli.js';
import { python } from './utils/python.js';

interface Report {
  protocol: { trainStart: string; testStart: string; testEnd: string; topK: number };
  model: { source: string; params?: { trees: number } };
  validation: { params: unknown; meanAp: number }[];
  metrics: { transactions: number; frauds: number; aucRoc: number; averagePrecision: number; cardPrecisionAtK: number };
  scenarios: { scenario: number; frauds: number; recallAtReview: number; averagePrecision: number }[];
  removedKnownCompromised: number;
  prCurve: { threshold: number; precision: number; recall: number }[];
}

const dir = mkdtempSync(join(tmpdir(), 'backtest-'));
const data = join(dir, 'data.csv');
// 60 days from 2018-04-01; training 2018-05-01 + 7, delay 7, test 2018-05-15 .. 2018-05-21.
const protocol = ['--train-start', '2018-05-01', '--train-days', '7', '--delay-days', '7', '--test-days', '7'];

beforeAll(() => {
  const g = cli(['generate', '--out', data, '--customers', '1500', '--terminals', '3000', '--days', '60', '--seed', '3']);
  expect(g.status, g.stderr).toBe(0);
});

/** TRANSACTION_IDs of the data file whose TX_DATETIME day is in [from, to] (ISO dates compare as strings). */
function idsBetween(from: string, to: string): string[] {
  const lines = readFileSync(data, 'utf8').trim().split('\n').slice(1);
  return lines.filter((l) => {
    const d = l.split(',')[1]!.slice(0, 10);
    return d >= from && d <= to;
  }).map((l) => l.split(',')[0]!);
}

describe('fraudstream backtest', () => {
  it('trains, scores the test window, prints the metrics, and writes scores, report and plot that an independent implementation confirms', () => {
    const scores = join(dir, 'scores.csv');
    const report = join(dir, 'report.json');
    const r = cli(['backtest', '--data', data, ...protocol, '--trees', '40', '--max-depth', '4', '--scores', scores, '--report', report]);
    expect(r.status, r.stderr).toBe(0);
    const m = /AUC ROC (\S+)\s+average precision (\S+)\s+card precision@100 (\S+)/.exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    const rep = JSON.parse(readFileSync(report, 'utf8')) as Report;
    expect(rep.protocol).toMatchObject({ trainStart: '2018-05-01', testStart: '2018-05-15', testEnd: '2018-05-21', topK: 100 });
    expect(rep.model).toMatchObject({ source: 'trained', params: { trees: 40 } });
    expect(Number(m![1])).toBeCloseTo(rep.metrics.aucRoc, 4);
    expect(Number(m![2])).toBeCloseTo(rep.metrics.averagePrecision, 4);
    expect(Number(m![3])).toBeCloseTo(rep.metrics.cardPrecisionAtK, 4);
    // A model that learned something: far better than chance on held-out days.
    expect(rep.metrics.aucRoc).toBeGreaterThan(0.8);
    expect(rep.metrics.frauds).toBeGreaterThan(20);
    expect(rep.removedKnownCompromised).toBeGreaterThan(0);
    // Per-scenario figures for the scenarios present, including the new ones.
    const present = rep.scenarios.map((s) => s.scenario);
    for (const s of [2, 3, 4, 6]) expect(present).toContain(s);
    expect(rep.scenarios.reduce((a, s) => a + s.frauds, 0)).toBe(rep.metrics.frauds);
    expect(rep.prCurve.length).toBeGreaterThan(10);
    expect(readFileSync(report.replace(/\.json$/, '.svg'), 'utf8')).toContain('<polyline');

    // --scores: every transaction of the test window, once, in file order; reasons on every alert and only there.
    const rows = readFileSync(scores, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('TRANSACTION_ID,score,decision,reasons');
    const body = rows.slice(1).map((l) => l.split(','));
    expect(body.map((c) => c[0])).toEqual(idsBetween('2018-05-15', '2018-05-21'));
    let alerts = 0;
    const known = new Set([...featureNames, ...ruleNames]);
    for (const [, score, decision, reasons] of body) {
      expect(Number(score)).toBeGreaterThanOrEqual(0);
      expect(Number(score)).toBeLessThanOrEqual(1);
      if (decision === 'APPROVE') expect(reasons).toBe('');
      else {
        alerts++;
        const list = reasons!.split(';');
        for (const name of list) expect(known).toContain(name);
        // Up to 3 features (the largest positive path contributions) plus the rules that fired.
        const features = list.filter((n) => !ruleNames.includes(n));
        expect(features.length).toBeLessThanOrEqual(3);
        if (Number(score) >= 0.5) expect(features.length).toBeGreaterThanOrEqual(1);
      }
    }
    expect(alerts).toBeGreaterThan(0);

    // Independent recomputation (Python, scikit-learn) from the data file and the scores file alone.
    const indep = JSON.parse(python('check_backtest.py', [data, scores, '2018-05-01', '7', '7', '7'])) as Report['metrics'];
    expect(indep.transactions).toBe(rep.metrics.transactions);
    expect(indep.frauds).toBe(rep.metrics.frauds);
    expect(Math.abs(indep.aucRoc - rep.metrics.aucRoc)).toBeLessThan(1e-9);
    expect(Math.abs(indep.averagePrecision - rep.metrics.averagePrecision)).toBeLessThan(1e-9);
    expect(Math.abs(indep.cardPrecisionAtK - rep.metrics.cardPrecisionAtK)).toBeLessThan(1e-9);
  }, 300_000);

  it('chooses hyper-parameters on validation windows before the test window, and scores a given --model the same way', () => {
    const report = join(dir, 'grid.json');
    const r = cli(['backtest', '--data', data, ...protocol, '--grid', '--folds', '1', '--report', report], 300_000);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as Report;
    expect(rep.validation.length).toBeGreaterThan(1);
    const best = rep.validation.reduce((a, b) => (b.meanAp > a.meanAp ? b : a));
    expect(rep.model.params).toEqual(best.params);
    expect(r.stdout).toContain('validation');

    const model = join(dir, 'model.json');
    const t = cli(['train', '--data', data, '--out', model, '--from', '2018-05-01', '--days', '7', '--trees', '20']);
    expect(t.status, t.stderr).toBe(0);
    const s = cli(['backtest', '--data', data, ...protocol, '--model', model]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/AUC ROC 0\.\d+/);
  }, 600_000);

  it('rejects bad usage with a message naming the flag', () => {
    const r = cli(['backtest', '--data', data, '--train-days', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--train-days');
    const d = cli(['backtest', '--data', data, '--drop-features', 'amount,bogus']);
    expect(d.status).toBe(2);
    expect(d.stderr).toContain('bogus');
    const e = cli(['backtest', '--data', data, '--train-start', '2030-01-01']);
    expect(e.status).toBe(1);
    expect(e.stderr).toContain('test window');
  });
});
