import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './utils/cli.js';

interface Run {
  file: string;
  week: number;
  protocol: { trainStart: string; testStart: string };
  model: { trainDays: number; params: { trees: number } };
  validation: { trainDays: number; meanAp: number }[];
  metrics: { averagePrecision: number; aucRoc: number; cardPrecisionAtK: number };
  scenarios: { scenario: number; averagePrecision: number }[];
  money: { atDecisions: { fraudAmount: number; caughtAmount: number; missedAmount: number; falseAlertsPer1000: number } };
}
interface MeanStd {
  mean: number;
  std: number;
  n: number;
}
interface Summary {
  runs: number;
  averagePrecision: MeanStd;
  scenarios: { scenario: number; averagePrecision: MeanStd }[];
}

const dir = mkdtempSync(join(tmpdir(), 'backtest-rolling-'));
const files = [join(dir, 'a.csv'), join(dir, 'b.csv')];
// 60 days from 2018-04-01; week 1 trains 2018-05-01 + 7 and tests 2018-05-15 .. 21, week 2 tests 2018-05-22 .. 28.
const protocol = ['--train-start', '2018-05-01', '--train-days', '7', '--delay-days', '7', '--test-days', '7'];
const small = ['--trees', '20', '--max-depth', '3', '--folds', '1'];

beforeAll(() => {
  for (const [i, f] of files.entries()) {
    const g = cli(['generate', '--out', f, '--customers', '1500', '--terminals', '3000', '--days', '60', '--seed', String(3 + i), '--scenarios', 'handbook']);
    expect(g.status, g.stderr).toBe(0);
  }
});

const meanOf = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
const stdOf = (v: number[]): number => Math.sqrt(v.reduce((a, b) => a + (b - meanOf(v)) ** 2, 0) / (v.length - 1));

describe('fraudstream backtest --weeks / several datasets', () => {
  it('rolls the protocol over weeks and files, each run choosing its training window on validation, and summarises', () => {
    const report = join(dir, 'rolling.json');
    const r = cli(['backtest', '--data', files.join(','), ...protocol, ...small, '--weeks', '2', '--train-windows', '7,14', '--report', report], 600_000);
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(report, 'utf8')) as { runs: Run[]; byWeek: Summary[]; all: Summary };
    expect(rep.runs.map((x) => [x.file, x.week])).toEqual([
      [files[0], 0],
      [files[0], 1],
      [files[1], 0],
      [files[1], 1],
    ]);
    expect(rep.runs.map((x) => x.protocol.testStart)).toEqual(['2018-05-15', '2018-05-22', '2018-05-15', '2018-05-22']);
    for (const run of rep.runs) {
      // Both windows validated; the model uses the one with the best validation AP.
      expect(run.validation.map((v) => v.trainDays).sort()).toEqual([14, 7]);
      const best = run.validation.reduce((a, b) => (b.meanAp > a.meanAp ? b : a));
      expect(run.model.trainDays).toBe(best.trainDays);
      expect(run.model.params.trees).toBe(20);
      const m = run.money.atDecisions;
      expect(m.caughtAmount + m.missedAmount).toBeCloseTo(m.fraudAmount, 6);
      expect(m.fraudAmount).toBeGreaterThan(0);
    }
    // The summaries are the mean and sample std of the runs' own figures.
    const aps = rep.runs.map((x) => x.metrics.averagePrecision);
    expect(rep.all.runs).toBe(4);
    expect(rep.all.averagePrecision.mean).toBeCloseTo(meanOf(aps), 12);
    expect(rep.all.averagePrecision.std).toBeCloseTo(stdOf(aps), 12);
    const week2 = rep.runs.filter((x) => x.week === 1).map((x) => x.metrics.averagePrecision);
    expect(rep.byWeek[1]!.averagePrecision.mean).toBeCloseTo(meanOf(week2), 12);
    const s2 = rep.runs.map((x) => x.scenarios.find((s) => s.scenario === 2)!.averagePrecision);
    expect(rep.all.scenarios.find((s) => s.scenario === 2)!.averagePrecision.mean).toBeCloseTo(meanOf(s2), 12);
    expect(r.stdout).toMatch(/week 1 over 2 dataset\(s\) \(2 runs, mean ± sample std\): AUC ROC 0\.\d+ ± 0\.\d+/);
    expect(r.stdout).toMatch(/all 2 weeks x 2 dataset\(s\) \(4 runs/);
    expect(r.stdout).toMatch(/scenario 2: .* AP 0\.\d+ ± /);
  }, 900_000);

  it('a single backtest reports money at the operating thresholds and draws the cost curve beside the PR curve', () => {
    const report = join(dir, 'one.json');
    const r = cli(['backtest', '--data', files[0]!, ...protocol, ...small.slice(0, 4), '--report', report], 300_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/money at the operating thresholds: fraud \d+, caught \d+ \(\d+\.\d%\), missed \d+, \d+ alerts, \d+\.\d\d false alerts per 1,000 tx/);
    const svg = readFileSync(report.replace(/\.json$/, '.svg'), 'utf8');
    expect(svg.match(/<polyline/g)?.length).toBe(2);
    expect(svg).toContain('alerts per 1,000 transactions');
  }, 300_000);

  it('rejects bad --seeds, --weeks and --train-windows naming the flag', () => {
    for (const [flag, value] of [
      ['--seeds', '1,x'],
      ['--weeks', '0'],
      ['--train-windows', '0'],
    ] as const) {
      const r = cli(['backtest', '--data', files[0]!, flag, value]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(flag);
    }
    const m = cli(['backtest', '--data', files.join(','), '--model', files[0]!]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('--model');
  });
});
