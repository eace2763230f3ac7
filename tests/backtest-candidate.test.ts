/**
 * `fraudstream backtest --rule TEXT` and `--bundle FILE`: the protocol replayed with a candidate, compared with the
 * current configuration over the same evaluated test transactions. The checks use candidates whose effect is known
 * exactly (a rule that cannot match changes nothing; a rule that matches everything alerts every transaction and
 * catches every fraud), so each comparison figure can be wrong in a way the test sees.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { featureSet, sealBundle } from '@fraudstream/scorer';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from './utils/cli.js';

interface CountAmount {
  count: number;
  amount: number;
}
interface Report {
  metrics: { transactions: number; frauds: number; aucRoc: number; averagePrecision: number };
  alerts: number;
  comparison: {
    candidate: { kind: string; rule?: string; bundleVersion?: string };
    transactions: number;
    frauds: CountAmount;
    alerts: { candidate: number; current: number };
    alertsPer1000: { candidate: number; current: number };
    caught: { candidate: CountAmount; current: CountAmount };
    caughtByCandidateOnly: CountAmount;
    missedByCandidateOnly: CountAmount;
    falseAlertsAdded: number;
    falseAlertsRemoved: number;
    currentMetrics: { aucRoc: number; averagePrecision: number };
  };
}

const dir = mkdtempSync(join(tmpdir(), 'backtest-candidate-'));
const data = join(dir, 'data.csv');
const model = join(dir, 'model.json');
const protocol = ['--train-start', '2018-04-08', '--train-days', '7', '--delay-days', '7', '--test-days', '7'];

beforeAll(() => {
  const g = cli(['generate', '--out', data, '--customers', '500', '--terminals', '1000', '--days', '30', '--seed', '5']);
  expect(g.status, g.stderr).toBe(0);
  const t = cli(['train', '--data', data, '--out', model, '--from', '2018-04-08', '--days', '7']);
  expect(t.status, t.stderr).toBe(0);
}, 120_000);

function run(args: string[], withModel = true): { report: Report; stdout: string } {
  const report = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  const r = cli(['backtest', '--data', data, ...protocol, ...(withModel ? ['--model', model] : []), '--report', report, ...args]);
  expect(r.status, r.stderr + r.stdout).toBe(0);
  return { report: JSON.parse(readFileSync(report, 'utf8')) as Report, stdout: r.stdout };
}

const bundle = (name: string, rules: string): string =>
  sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name, featureSet, model: { format: 'xgboost-json', text: readFileSync(model, 'utf8') }, thresholds: { review: 0.5, decline: 0.9 }, rules }));

describe('fraudstream backtest with a candidate', () => {
  it('--rule that cannot match: the candidate decides exactly like the current configuration', () => {
    const { report, stdout } = run(['--rule', 'rule NEVER review: amount < 0']);
    const c = report.comparison;
    expect(c.candidate).toEqual({ kind: 'rule', rule: 'rule NEVER review: amount < 0' });
    expect(c.transactions).toBe(report.metrics.transactions);
    expect(c.frauds.count).toBe(report.metrics.frauds);
    expect(c.alerts.candidate).toBe(c.alerts.current);
    expect(c.caughtByCandidateOnly).toEqual({ count: 0, amount: 0 });
    expect(c.missedByCandidateOnly).toEqual({ count: 0, amount: 0 });
    expect(c.currentMetrics.averagePrecision).toBe(report.metrics.averagePrecision);
    expect(stdout).toMatch(/alerts per 1,000 tx: candidate \S+, current \S+/);
    expect(stdout).toMatch(/caught by the candidate and not the current: 0 \(amount 0\)/);
  });

  it('--rule that matches everything: 1,000 alerts per 1,000, every fraud caught, the ones the model missed counted as gained', () => {
    const { report } = run(['--rule', 'rule ALL review: amount >= 0']);
    const c = report.comparison;
    expect(c.alertsPer1000.candidate).toBe(1000);
    expect(c.alertsPer1000.current).toBeLessThan(1000);
    expect(c.caught.candidate).toEqual(c.frauds);
    expect(c.missedByCandidateOnly.count).toBe(0);
    expect(c.caughtByCandidateOnly.count).toBe(c.frauds.count - c.caught.current.count);
    expect(c.caughtByCandidateOnly.count).toBeGreaterThan(0);
    expect(c.caughtByCandidateOnly.amount).toBeCloseTo(c.frauds.amount - c.caught.current.amount, 6);
    expect(c.falseAlertsAdded).toBe(c.transactions - c.frauds.count - (c.alerts.current - c.caught.current.count));
    expect(report.alerts).toBe(c.alerts.candidate);
  });

  it('--bundle without a model: the frauds only the current model caught are counted as missed, none gained', () => {
    const path = join(dir, 'no-model.json');
    // Every score 0: only the built-in rules (the same in both) still alert.
    writeFileSync(path, sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name: 'nomodel', featureSet, model: null, thresholds: { review: 0.5, decline: 0.9 } })));
    const { report, stdout } = run(['--bundle', path]);
    const c = report.comparison;
    expect(c.candidate.kind).toBe('bundle');
    expect(c.candidate.bundleVersion).toMatch(/^nomodel@[0-9a-f]{12}$/);
    expect(stdout).toContain(`candidate bundle ${c.candidate.bundleVersion}`);
    expect(c.alerts.candidate).toBeLessThan(c.alerts.current);
    expect(c.caughtByCandidateOnly.count).toBe(0);
    expect(c.missedByCandidateOnly.count).toBe(c.caught.current.count - c.caught.candidate.count);
    expect(c.missedByCandidateOnly.count).toBeGreaterThan(0);
    // The usual metrics are the candidate's: constant scores rank nothing.
    expect(report.metrics.aucRoc).toBeCloseTo(0.5, 6);
    expect(c.currentMetrics.aucRoc).toBeGreaterThan(0.7);
  });

  it('--current BUNDLE --rule: the rule is added to the bundle\'s own rules', () => {
    const path = join(dir, 'current.json');
    writeFileSync(path, bundle('current', 'rule EXISTING flag: amount > 1'));
    const { report } = run(['--current', path, '--rule', 'rule ALL review: amount >= 0'], false);
    expect(report.comparison.alertsPer1000.candidate).toBe(1000);
    // The same rule name twice is an error naming it: the rule really is added to the bundle's text.
    const r = cli(['backtest', '--data', data, ...protocol, '--current', path, '--rule', 'rule EXISTING review: amount > 2']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--rule added to the current bundle's rules: bundle\.rules: EXISTING at line 2/);
  });

  it('refuses a bad --rule naming the rule, line and column, and --bundle with --rule', () => {
    const r = cli(['backtest', '--data', data, ...protocol, '--model', model, '--rule', 'rule BAD review: amount >']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--rule: rules: BAD at line 1, column \d+/);
    const both = cli(['backtest', '--data', data, ...protocol, '--model', model, '--rule', 'rule A flag: amount > 1', '--bundle', model]);
    expect(both.status).not.toBe(0);
    expect(both.stderr).toMatch(/--bundle or --rule, not both/);
  });
});
