/**
 * A candidate decision configuration (`backtest --bundle FILE` or `--rule TEXT`) against the current one: what the
 * scorer is given for each, and the comparison of their decisions over the protocol's evaluated test transactions
 * (alert volume, frauds caught by the candidate and not the current one, and the reverse, in count and amount).
 */
import { checkBundle, checkRules } from '@fraudstream/scorer';

/** What a scorer is set up with for one replay: a model, or a bundle (model, thresholds, rules, lists), plus rules. */
export interface ScoringConfig {
  /** XGBoost JSON (or LightGBM text) model, used when there is no bundle. */
  modelJson?: string;
  /** A bundle's JSON text (its model, thresholds, rules and lists replace the scorer's). */
  bundle?: string;
  /** A rules text set after the model (without a bundle). */
  rules?: string;
}

/** The candidate of a comparing backtest. */
export type Candidate = { kind: 'bundle'; bundle: string } | { kind: 'rule'; rule: string };

/**
 * The candidate's scoring config: the given bundle as is, or the current config with `rule` added to its rules (a
 * current bundle keeps its lists and thresholds: the rule is appended to its `rules` text and its hash dropped).
 * Throws naming `--rule` or `--bundle` and the rule, line and column (or the bundle field) of the first problem.
 */
export function candidateConfig(current: ScoringConfig, candidate: Candidate): ScoringConfig {
  if (candidate.kind === 'bundle') {
    try {
      checkBundle(candidate.bundle);
    } catch (error) {
      throw new Error(`--bundle: ${(error as Error).message}`, { cause: error });
    }
    return { bundle: candidate.bundle };
  }
  try {
    checkRules(candidate.rule);
  } catch (error) {
    throw new Error(`--rule: ${(error as Error).message}`, { cause: error });
  }
  if (current.bundle !== undefined) {
    const doc = JSON.parse(current.bundle) as Record<string, unknown>;
    const rules = typeof doc['rules'] === 'string' && doc['rules'] !== '' ? `${doc['rules']}\n${candidate.rule}` : candidate.rule;
    const { hash: _hash, ...rest } = doc;
    const bundle = JSON.stringify({ ...rest, rules });
    try {
      checkBundle(bundle);
    } catch (error) {
      throw new Error(`--rule added to the current bundle's rules: ${(error as Error).message}`, { cause: error });
    }
    return { bundle };
  }
  const rules = current.rules === undefined || current.rules === '' ? candidate.rule : `${current.rules}\n${candidate.rule}`;
  try {
    checkRules(rules);
  } catch (error) {
    throw new Error(`--rule added to the current rules: ${(error as Error).message}`, { cause: error });
  }
  return { ...current, rules };
}

/** A count of transactions and the sum of their amounts. */
export interface CountAmount {
  count: number;
  amount: number;
}

/** The candidate against the current configuration over the same evaluated test transactions. */
export interface Comparison {
  candidate: { kind: Candidate['kind']; rule?: string; bundleVersion?: string };
  /** Evaluated transactions (the protocol's test window, known-compromised cards left out). */
  transactions: number;
  frauds: CountAmount;
  alerts: { candidate: number; current: number };
  alertsPer1000: { candidate: number; current: number };
  /** Frauds alerted (REVIEW or DECLINE). */
  caught: { candidate: CountAmount; current: CountAmount };
  /** Frauds the candidate alerts and the current configuration does not. */
  caughtByCandidateOnly: CountAmount;
  /** Frauds the current configuration alerts and the candidate does not. */
  missedByCandidateOnly: CountAmount;
  /** Genuine transactions alerted by the candidate and not by the current configuration, and the reverse. */
  falseAlertsAdded: number;
  falseAlertsRemoved: number;
}

/**
 * Compares two replays' decisions (`> 0`: REVIEW or DECLINE) over the evaluated transactions `idx` (indexes into the
 * per-transaction arrays).
 */
export function compareDecisions(
  idx: readonly number[],
  fraud: ArrayLike<number>,
  amount: ArrayLike<number>,
  current: ArrayLike<number>,
  candidate: ArrayLike<number>,
  about: Comparison['candidate'],
): Comparison {
  const zero = (): CountAmount => ({ count: 0, amount: 0 });
  const frauds = zero();
  const caught = { candidate: zero(), current: zero() };
  const caughtByCandidateOnly = zero();
  const missedByCandidateOnly = zero();
  const alerts = { candidate: 0, current: 0 };
  let falseAlertsAdded = 0;
  let falseAlertsRemoved = 0;
  const add = (c: CountAmount, a: number): void => {
    c.count++;
    c.amount += a;
  };
  for (const i of idx) {
    const byNew = candidate[i]! > 0;
    const byOld = current[i]! > 0;
    if (byNew) alerts.candidate++;
    if (byOld) alerts.current++;
    const a = amount[i]!;
    if (fraud[i] === 1) {
      add(frauds, a);
      if (byNew) add(caught.candidate, a);
      if (byOld) add(caught.current, a);
      if (byNew && !byOld) add(caughtByCandidateOnly, a);
      if (byOld && !byNew) add(missedByCandidateOnly, a);
    } else {
      if (byNew && !byOld) falseAlertsAdded++;
      if (byOld && !byNew) falseAlertsRemoved++;
    }
  }
  const per1000 = (n: number): number => (idx.length === 0 ? 0 : (1000 * n) / idx.length);
  return {
    candidate: about,
    transactions: idx.length,
    frauds,
    alerts,
    alertsPer1000: { candidate: per1000(alerts.candidate), current: per1000(alerts.current) },
    caught,
    caughtByCandidateOnly,
    missedByCandidateOnly,
    falseAlertsAdded,
    falseAlertsRemoved,
  };
}

/** The comparison as printed lines. */
export function comparisonLines(c: Comparison): string[] {
  const ca = (x: CountAmount): string => `${x.count} (amount ${x.amount.toFixed(0)})`;
  const what = c.candidate.kind === 'bundle' ? `bundle ${c.candidate.bundleVersion ?? ''}` : `rule ${JSON.stringify(c.candidate.rule)}`;
  return [
    `candidate ${what} against the current configuration, over ${c.transactions} evaluated tx with ${ca(c.frauds)} fraud:`,
    `  alerts per 1,000 tx: candidate ${c.alertsPer1000.candidate.toFixed(2)}, current ${c.alertsPer1000.current.toFixed(2)} ` +
      `(${c.alerts.candidate} vs ${c.alerts.current} alerts; false alerts +${c.falseAlertsAdded} / -${c.falseAlertsRemoved})`,
    `  frauds caught: candidate ${ca(c.caught.candidate)}, current ${ca(c.caught.current)}`,
    `  caught by the candidate and not the current: ${ca(c.caughtByCandidateOnly)}`,
    `  missed by the candidate but caught by the current: ${ca(c.missedByCandidateOnly)}`,
  ];
}
