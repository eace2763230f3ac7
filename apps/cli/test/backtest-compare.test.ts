import { featureSet, sealBundle } from '@fraudstream/scorer';
import { describe, expect, it } from 'vitest';
import { candidateConfig, compareDecisions, comparisonLines } from '../src/backtest-compare.js';

describe('compareDecisions', () => {
  // Six evaluated transactions (index 6 is outside the evaluated set and must not count).
  const fraud = [1, 1, 1, 0, 0, 0, 1];
  const amount = [100, 20, 5, 7, 8, 9, 1000];
  const current = [1, 1, 0, 1, 0, 0, 0];
  const candidate = [2, 0, 1, 0, 1, 0, 1];
  const idx = [0, 1, 2, 3, 4, 5];

  it('counts alerts, frauds gained and lost in count and amount, and false alerts added and removed', () => {
    const c = compareDecisions(idx, fraud, amount, current, candidate, { kind: 'rule', rule: 'rule R review: amount > 1' });
    expect(c.transactions).toBe(6);
    expect(c.frauds).toEqual({ count: 3, amount: 125 });
    expect(c.alerts).toEqual({ candidate: 3, current: 3 });
    expect(c.alertsPer1000).toEqual({ candidate: 500, current: 500 });
    expect(c.caught).toEqual({ candidate: { count: 2, amount: 105 }, current: { count: 2, amount: 120 } });
    expect(c.caughtByCandidateOnly).toEqual({ count: 1, amount: 5 });
    expect(c.missedByCandidateOnly).toEqual({ count: 1, amount: 20 });
    expect(c.falseAlertsAdded).toBe(1);
    expect(c.falseAlertsRemoved).toBe(1);
    expect(comparisonLines(c).join('\n')).toContain('caught by the candidate and not the current: 1 (amount 5)');
  });

  it('finds no difference between a configuration and itself', () => {
    const c = compareDecisions(idx, fraud, amount, current, current, { kind: 'bundle', bundleVersion: 'x@0' });
    expect(c.caughtByCandidateOnly).toEqual({ count: 0, amount: 0 });
    expect(c.missedByCandidateOnly).toEqual({ count: 0, amount: 0 });
    expect(c.alerts.candidate).toBe(c.alerts.current);
  });
});

describe('candidateConfig', () => {
  const bundle = (rules: string): string =>
    sealBundle(JSON.stringify({ format: 'fraudstream-bundle/1', name: 'cur', featureSet, model: null, thresholds: { review: 0.5, decline: 0.9 }, rules, lists: { block: { country: ['KP'] } } }));

  it('adds a rule to the current rules, or to a current bundle keeping its lists and dropping its stale hash', () => {
    expect(candidateConfig({ modelJson: '{}', rules: 'rule A flag: amount > 1' }, { kind: 'rule', rule: 'rule B review: amount > 2' })).toEqual({
      modelJson: '{}',
      rules: 'rule A flag: amount > 1\nrule B review: amount > 2',
    });
    const out = candidateConfig({ bundle: bundle('rule A flag: amount > 1') }, { kind: 'rule', rule: 'rule B review: amount > 2' });
    const doc = JSON.parse(out.bundle ?? '{}') as { rules: string; lists: unknown; hash?: string };
    expect(doc.rules).toBe('rule A flag: amount > 1\nrule B review: amount > 2');
    expect(doc.lists).toEqual({ block: { country: ['KP'] } });
    expect(doc.hash).toBeUndefined();
  });

  it('refuses a bad rule, a clashing name and a bad bundle, naming the flag and the problem', () => {
    expect(() => candidateConfig({}, { kind: 'rule', rule: 'rule X review: amount >' })).toThrow(/^--rule: rules: X at line 1, column \d+/);
    expect(() => candidateConfig({ rules: 'rule X flag: amount > 1' }, { kind: 'rule', rule: 'rule X review: amount > 2' })).toThrow(
      /^--rule added to the current rules: rules: X at line 2/,
    );
    expect(() => candidateConfig({}, { kind: 'bundle', bundle: '{"format":"nope"}' })).toThrow(/^--bundle: bundle\.format/);
  });
});
