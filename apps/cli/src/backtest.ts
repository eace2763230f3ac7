import { Scorer, decodeReasons, extractFeatures, featureNames, predictFeatures, trainGbdt } from '@fraudstream/scorer';
import { DECISION_NAMES, RESULT_SIZE, ResultViews } from '@fraudstream/schema';
import { readCsvRecords, type CsvRecords } from '@fraudstream/sources';
import { aucRoc, cardPrecisionAtK, precisionRecall, thinCurve, type PrPoint } from './metrics.js';
import { moneyReport, type MoneyReport } from './metrics-money.js';
import { candidateConfig, compareDecisions, type Candidate, type Comparison, type ScoringConfig } from './backtest-compare.js';

const DAY_MS = 86_400_000;

/** GBDT hyper-parameters. */
export interface GbdtParams {
  trees: number;
  maxDepth: number;
  learningRate: number;
  minChildWeight: number;
  /** Histogram bins per feature. */
  bins: number;
}

/**
 * The hyper-parameter grid `backtest` chooses from (when it trains and no parameters are forced) by prequential
 * validation on windows before the test window's delay period. Kept small: each point costs one training per fold.
 */
export const GRID: readonly GbdtParams[] = [
  { trees: 100, maxDepth: 6, learningRate: 0.1, minChildWeight: 1, bins: 256 },
  { trees: 300, maxDepth: 6, learningRate: 0.05, minChildWeight: 5, bins: 256 },
  { trees: 300, maxDepth: 6, learningRate: 0.05, minChildWeight: 5, bins: 1024 },
  { trees: 200, maxDepth: 4, learningRate: 0.1, minChildWeight: 1, bins: 1024 },
];

/**
 * The hyper-parameters and training window chosen on validation windows only (handbook-mode data, seeds 0-2, both
 * validation weeks; native/scorer/FEATURES.md "Issue 12"): what `fraudstream backtest` trains with unless told
 * otherwise (`--grid` chooses from {@link GRID} on the data at hand instead).
 */
export const VALIDATED: { params: GbdtParams; trainDays: number } = {
  params: { trees: 300, maxDepth: 4, learningRate: 0.05, minChildWeight: 5, bins: 1024 },
  trainDays: 84,
};

/** Options of {@link backtest}. */
export interface BacktestOptions {
  data: string;
  /** First day of the training window, epoch ms of a UTC midnight. */
  trainStartMs: number;
  trainDays: number;
  delayDays: number;
  testDays: number;
  /** A model (XGBoost JSON text) to use instead of training. */
  modelJson?: string;
  /** Fixed hyper-parameters (no grid search). */
  params?: GbdtParams;
  /**
   * Lengths (days) of the model's training window, which ends where the protocol's training window ends; more than
   * one: chosen by the same prequential validation as the hyper-parameters. Default `[trainDays]`. The evaluation
   * (known-compromised cards) always uses the protocol's training window.
   */
  trainWindows?: number[];
  /** A prepared file (see {@link prepare}) to reuse instead of reading `data` again (rolling backtests). */
  prepared?: Prepared;
  /** Prequential validation folds for the grid search (default 2). */
  folds?: number;
  /** Cards per day for card precision@k (default 100). */
  topK?: number;
  seed?: number;
  /** Features hidden from training (set to NaN in the training rows), for ablation: the model cannot use them. */
  dropFeatures?: string[];
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /**
   * The current configuration as a bundle's JSON text (its model, thresholds, rules and lists), instead of the trained
   * or given model with the scorer's default thresholds and no rules.
   */
  currentBundle?: string;
  /**
   * A candidate to compare with the current configuration: a bundle, or a rule added to the current rules. The report's
   * metrics are then the candidate's, and `comparison` holds the current one's and the differences.
   */
  candidate?: Candidate;
}

/** Metrics of one evaluated set. */
export interface Metrics {
  transactions: number;
  frauds: number;
  aucRoc: number;
  averagePrecision: number;
  cardPrecisionAtK: number;
}

/** Per-scenario figures: the scenario's frauds against all genuine test transactions. */
export interface ScenarioMetrics {
  scenario: number;
  frauds: number;
  /** Share of its frauds decided REVIEW or DECLINE. */
  recallAtReview: number;
  /** Share of its frauds among the top-scored transactions as many as all frauds (recall at the fraud-rate cut). */
  recallAtTopN: number;
  aucRoc: number;
  averagePrecision: number;
}

/** What {@link backtest} returns. */
export interface BacktestResult {
  protocol: {
    trainStart: string;
    trainEnd: string;
    delayDays: number;
    testStart: string;
    testEnd: string;
    labelDelayDays: number;
    topK: number;
  };
  model: { source: 'trained' | 'file'; params?: GbdtParams; trainDays?: number; trainRows?: number; trainFrauds?: number };
  validation: { params: GbdtParams; trainDays: number; folds: { testStart: string; averagePrecision: number; aucRoc: number }[]; meanAp: number }[];
  metrics: Metrics;
  cardPrecisionPerDay: { day: string; value: number }[];
  scenarios: ScenarioMetrics[];
  /** Test transactions dropped because their card was known compromised. */
  removedKnownCompromised: number;
  /** Alerts (REVIEW/DECLINE) among the evaluated transactions. */
  alerts: number;
  prCurve: PrPoint[];
  /** Fraud amounts caught and missed, false alerts, and the cost curve. */
  money: MoneyReport;
  rejectedRows: number;
  /** With a candidate: the current configuration's metrics and the decision-level comparison. */
  comparison?: Comparison & { currentMetrics: Metrics };
}

/** One test transaction as `--scores` writes it. */
export interface ScoredRow {
  id: string;
  score: number;
  decision: string;
  reasons: string[];
}

const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Everything derived once from the file: records, feature rows, per-transaction day and card. */
export interface Prepared {
  data: CsvRecords;
  features: Float32Array;
  width: number;
  day: Int32Array;
  card: Float64Array;
}

/** Reads a labelled file and computes every transaction's features with labels delayed by `delayDays`. */
export async function prepare(path: string, delayDays: number): Promise<Prepared> {
  const data = await readCsvRecords(path, { labelDelayDays: delayDays });
  if (data.txCount === 0) throw new Error(`${path}: no valid transactions`);
  if (!data.labelled) throw new Error(`${path}: the file has no TX_FRAUD column; a backtest needs labels`);
  const width = featureNames.length;
  const features = new Float32Array(data.txCount * width);
  const rows = extractFeatures({ labelDelayDays: delayDays }, data.views.bytes(0, data.count), data.count, features);
  if (rows !== data.txCount) throw new Error(`feature rows ${rows} != transactions ${data.txCount}`);
  const day = new Int32Array(data.txCount);
  const card = new Float64Array(data.txCount);
  const views = data.views;
  for (let i = 0; i < data.txCount; i++) {
    day[i] = Math.floor(data.txTimestampsMs[i]! / DAY_MS);
    const s = data.txSlots[i]!;
    // 53 bits of the card's 64-bit key hash: a collision among a few million cards is negligible.
    card[i] = (views.cardKeyHi(s) & 0x1fffff) * 4294967296 + views.cardKeyLo(s);
  }
  return { data, features, width, day, card };
}

/** Transaction index range [lo, hi) with event time in [fromMs, toMs) (transactions are in event-time order). */
function range(p: Prepared, fromMs: number, toMs: number): [number, number] {
  const ts = p.data.txTimestampsMs;
  let lo = 0;
  while (lo < p.data.txCount && ts[lo]! < fromMs) lo++;
  let hi = lo;
  while (hi < p.data.txCount && ts[hi]! < toMs) hi++;
  return [lo, hi];
}

function train(p: Prepared, fromMs: number, days: number, params: GbdtParams, seed: number): { json: string; rows: number; frauds: number } {
  const [lo, hi] = range(p, fromMs, fromMs + days * DAY_MS);
  if (hi - lo < 100) throw new Error(`the training window from ${isoDay(fromMs)} has ${hi - lo} transactions; at least 100 are needed`);
  const labels = p.data.fraud.subarray(lo, hi);
  let frauds = 0;
  for (const l of labels) frauds += l;
  if (frauds === 0) throw new Error(`the training window from ${isoDay(fromMs)} has no fraud label`);
  const json = trainGbdt(p.features.subarray(lo * p.width, hi * p.width), labels, hi - lo, { ...params, seed });
  return { json, rows: hi - lo, frauds };
}

/**
 * The evaluated test transactions of the protocol: those of the test days whose card is not known compromised.
 * Known compromised on test day D: cards with a fraud on a day in [trainStart, D - delay) (the handbook's rule: the
 * training window's frauds plus those of the delay-period days whose labels have arrived by D).
 */
export function evaluatedTransactions(
  day: ArrayLike<number>,
  card: ArrayLike<number>,
  fraud: ArrayLike<number>,
  trainStartDay: number,
  testStartDay: number,
  testDays: number,
  delayDays: number,
): { idx: number[]; removed: number } {
  const firstFraudDay = new Map<number, number>();
  for (let i = 0; i < day.length; i++) {
    const d = day[i]!;
    if (fraud[i] === 1 && d >= trainStartDay && d < testStartDay + testDays) {
      const c = card[i]!;
      const f = firstFraudDay.get(c);
      if (f === undefined || d < f) firstFraudDay.set(c, d);
    }
  }
  const idx: number[] = [];
  let removed = 0;
  for (let i = 0; i < day.length; i++) {
    const d = day[i]!;
    if (d < testStartDay || d >= testStartDay + testDays) continue;
    const f = firstFraudDay.get(card[i]!);
    if (f !== undefined && f < d - delayDays) removed++;
    else idx.push(i);
  }
  return { idx, removed };
}

function evaluate(
  p: Prepared,
  scores: Float32Array,
  trainStartDay: number,
  testStartDay: number,
  testDays: number,
  delayDays: number,
  topK: number,
): { metrics: Metrics; idx: number[]; removed: number; perDay: { day: number; value: number }[]; curve: PrPoint[] } {
  const { idx, removed } = evaluatedTransactions(p.day, p.card, p.data.fraud, trainStartDay, testStartDay, testDays, delayDays);
  let frauds = 0;
  for (const i of idx) frauds += p.data.fraud[i]!;
  const pr = precisionRecall(scores, p.data.fraud, idx);
  const cp = cardPrecisionAtK(topK, idx, p.day, p.card, scores, p.data.fraud);
  return {
    metrics: {
      transactions: idx.length,
      frauds,
      aucRoc: aucRoc(scores, p.data.fraud, idx),
      averagePrecision: pr.ap,
      cardPrecisionAtK: cp.mean,
    },
    idx,
    removed,
    perDay: cp.perDay,
    curve: pr.curve,
  };
}

/** Scores every transaction of the stream through a real scorer (labels applied where they arrive), in order. */
function scoreStream(
  p: Prepared,
  config: ScoringConfig,
  delayDays: number,
): { scores: Float32Array; decisions: Uint8Array; results: ResultViews; version: string } {
  const { data } = p;
  const scorer = Scorer.open({ labelDelayDays: delayDays });
  try {
    let version = '';
    if (config.bundle !== undefined) version = scorer.loadBundle(config.bundle).version;
    else if (config.modelJson !== undefined) scorer.loadModel(config.modelJson);
    if (config.rules !== undefined) scorer.setRules(config.rules);
    const records = data.views.bytes(0, data.count);
    const results = new ResultViews(new ArrayBuffer(Math.max(1, data.count) * RESULT_SIZE), 0, data.count);
    const chunk = 65_536;
    let ticket = 0;
    for (let s = 0; s < data.count; s += chunk) {
      scorer.scoreBatch(records, results.u8, s, Math.min(chunk, data.count - s), ticket++);
    }
    const n = data.txCount;
    const scores = new Float32Array(n);
    const decisions = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const slot = data.txSlots[i]!;
      scores[i] = results.score(slot);
      decisions[i] = results.decisionCode(slot);
    }
    return { scores, decisions, results, version };
  } finally {
    scorer.close();
  }
}

/**
 * Picks hyper-parameters from {@link GRID} by prequential validation: fold k trains on the window that ends
 * `delay + test` days (k = 1), `delay + 2 test` days (k = 2), ... before the real training window ends and is scored on
 * the `test` days that follow its own delay. Every validation test window ends at or before the real training
 * window's end, so nothing of the delay period or the test window is looked at. Criterion: mean average precision.
 */
function selectParams(
  p: Prepared,
  o: BacktestOptions,
  seed: number,
): { best: GbdtParams; bestDays: number; table: BacktestResult['validation'] } {
  const folds = o.folds ?? 2;
  const table: BacktestResult['validation'] = [];
  let best: GbdtParams = GRID[0]!;
  let bestDays = o.trainDays;
  let bestAp = -1;
  for (const days of o.trainWindows ?? [o.trainDays]) for (const params of o.params === undefined ? GRID : [o.params]) {
    const row: BacktestResult['validation'][number] = { params, trainDays: days, folds: [], meanAp: 0 };
    for (let k = 1; k <= folds; k++) {
      const shift = (o.delayDays + k * o.testDays) * DAY_MS;
      const fTrain = o.trainStartMs - shift;
      const fTest = fTrain + (o.trainDays + o.delayDays) * DAY_MS;
      const m = train(p, fTrain + (o.trainDays - days) * DAY_MS, days, params, seed);
      const s = scoreRows(p, m.json, fTest, o.testDays);
      const ev = evaluate(p, s, Math.floor(fTrain / DAY_MS), Math.floor(fTest / DAY_MS), o.testDays, o.delayDays, o.topK ?? 100);
      row.folds.push({ testStart: isoDay(fTest), averagePrecision: ev.metrics.averagePrecision, aucRoc: ev.metrics.aucRoc });
    }
    row.meanAp = row.folds.reduce((a, f) => a + f.averagePrecision, 0) / row.folds.length;
    o.log?.(
      `  validation ${paramText(params)} train-days=${days}: ` +
        `AP ${row.folds.map((f) => f.averagePrecision.toFixed(3)).join(', ')} (mean ${row.meanAp.toFixed(3)})`,
    );
    if (row.meanAp > bestAp) {
      bestAp = row.meanAp;
      best = params;
      bestDays = days;
    }
    table.push(row);
  }
  return { best, bestDays, table };
}

/** Scores (model only, no state needed: the rows already hold the stream's features) of the rows in a window. */
function scoreRows(p: Prepared, modelJson: string, fromMs: number, days: number): Float32Array {
  const [lo, hi] = range(p, fromMs, fromMs + days * DAY_MS);
  const scores = new Float32Array(p.data.txCount);
  predictFeatures(modelJson, p.features.subarray(lo * p.width, hi * p.width), hi - lo, scores.subarray(lo, hi));
  return scores;
}

/**
 * Runs the whole backtest: replays the file through the scorer's feature code with labels revealed `delayDays` after
 * their transaction, trains on the training window (hyper-parameters by prequential validation unless given) or uses
 * the given model, then scores the stream with a real scorer and evaluates the test window with the handbook's
 * protocol. Returns the report and the scored test transactions.
 */
export async function backtest(o: BacktestOptions): Promise<{ result: BacktestResult; rows: ScoredRow[] }> {
  const seed = o.seed ?? 0;
  const topK = o.topK ?? 100;
  // A bad candidate is refused before the file is read (its rules and bundle do not depend on the model).
  const candidateBase = o.candidate === undefined ? undefined : candidateConfig(o.currentBundle === undefined ? {} : { bundle: o.currentBundle }, o.candidate);
  const p = o.prepared ?? (await prepare(o.data, o.delayDays));
  if (o.dropFeatures !== undefined && o.dropFeatures.length > 0) {
    const names = featureNames;
    const cols = o.dropFeatures.map((f) => {
      const c = names.indexOf(f);
      if (c < 0) throw new Error(`dropFeatures: '${f}' is not a Fraudstream feature`);
      return c;
    });
    // Only the copy used for training is masked; scoring goes through the scorer, whose model never splits on them.
    for (let r = 0; r < p.data.txCount; r++) for (const c of cols) p.features[r * p.width + c] = Number.NaN;
  }
  const trainStartDay = Math.floor(o.trainStartMs / DAY_MS);
  const testStartMs = o.trainStartMs + (o.trainDays + o.delayDays) * DAY_MS;
  const testStartDay = Math.floor(testStartMs / DAY_MS);
  const [tlo, thi] = range(p, testStartMs, testStartMs + o.testDays * DAY_MS);
  if (thi === tlo) throw new Error(`the test window ${isoDay(testStartMs)} + ${o.testDays} days has no transaction`);

  let modelJson = '';
  let model: BacktestResult['model'];
  let validation: BacktestResult['validation'] = [];
  if (o.currentBundle !== undefined) {
    // The current bundle carries its own model: nothing to train.
    model = { source: 'file' };
  } else if (o.modelJson !== undefined) {
    modelJson = o.modelJson;
    model = { source: 'file' };
  } else {
    let params = o.params;
    let days = o.trainDays;
    if (params === undefined || (o.trainWindows !== undefined && o.trainWindows.length > 1)) {
      o.log?.('choosing hyper-parameters by prequential validation (windows before the training window ends)');
      const sel = selectParams(p, o, seed);
      params = sel.best;
      days = sel.bestDays;
      validation = sel.table;
    } else if (o.trainWindows !== undefined) days = o.trainWindows[0]!;
    const m = train(p, o.trainStartMs + (o.trainDays - days) * DAY_MS, days, params, seed);
    modelJson = m.json;
    model = { source: 'trained', params, trainDays: days, trainRows: m.rows, trainFrauds: m.frauds };
  }

  const current: ScoringConfig = o.currentBundle !== undefined ? { bundle: o.currentBundle } : { modelJson };
  // Without a bundle the candidate scores with the current model (plus its rules).
  const candidate = candidateBase === undefined ? undefined : { modelJson, ...candidateBase };
  const old = scoreStream(p, current, o.delayDays);
  // With a candidate, the report is the candidate's; the current configuration's run is the baseline.
  const s = candidate === undefined ? old : scoreStream(p, candidate, o.delayDays);
  const ev = evaluate(p, s.scores, trainStartDay, testStartDay, o.testDays, o.delayDays, topK);
  const amounts = new Float64Array(p.data.txCount);
  for (let i = 0; i < amounts.length; i++) amounts[i] = p.data.views.amount(p.data.txSlots[i]!);
  let comparison: BacktestResult['comparison'];
  if (o.candidate !== undefined) {
    const about: Comparison['candidate'] = o.candidate.kind === 'bundle' ? { kind: 'bundle', bundleVersion: s.version } : { kind: 'rule', rule: o.candidate.rule };
    const currentMetrics = evaluate(p, old.scores, trainStartDay, testStartDay, o.testDays, o.delayDays, topK).metrics;
    comparison = { ...compareDecisions(ev.idx, p.data.fraud, amounts, old.decisions, s.decisions, about), currentMetrics };
  }
  const money = moneyReport(ev.idx, amounts, p.data.fraud, s.scores, s.decisions);

  // Per scenario: that scenario's frauds against every evaluated genuine transaction.
  const scenarios: ScenarioMetrics[] = [];
  const present = new Set<number>();
  for (const i of ev.idx) if (p.data.fraud[i] === 1) present.add(p.data.scenario[i]!);
  const cut = (() => {
    const sorted = ev.idx.map((i) => s.scores[i]!).sort((a, b) => b - a);
    return sorted[Math.max(0, ev.metrics.frauds - 1)] ?? Number.POSITIVE_INFINITY;
  })();
  for (const sc of [...present].sort((a, b) => a - b)) {
    const sub = ev.idx.filter((i) => p.data.fraud[i] === 0 || p.data.scenario[i] === sc);
    const frauds = sub.filter((i) => p.data.fraud[i] === 1);
    scenarios.push({
      scenario: sc,
      frauds: frauds.length,
      recallAtReview: frauds.filter((i) => s.decisions[i]! > 0).length / frauds.length,
      recallAtTopN: frauds.filter((i) => s.scores[i]! >= cut).length / frauds.length,
      aucRoc: aucRoc(s.scores, p.data.fraud, sub),
      averagePrecision: precisionRecall(s.scores, p.data.fraud, sub).ap,
    });
  }

  const rows: ScoredRow[] = [];
  let alerts = 0;
  for (const i of ev.idx) if (s.decisions[i]! > 0) alerts++;
  for (let i = tlo; i < thi; i++) {
    const slot = p.data.txSlots[i]!;
    const reasons = s.decisions[i]! > 0 ? decodeReasons(s.results.u8, slot) : [];
    const num = p.data.views.txNum(slot);
    rows.push({
      id: p.data.stringIds.get(i) ?? String(num),
      score: s.scores[i]!,
      decision: DECISION_NAMES[s.decisions[i]!] ?? 'REVIEW',
      reasons,
    });
  }

  return {
    result: {
      protocol: {
        trainStart: isoDay(o.trainStartMs),
        trainEnd: isoDay(o.trainStartMs + (o.trainDays - 1) * DAY_MS),
        delayDays: o.delayDays,
        testStart: isoDay(testStartMs),
        testEnd: isoDay(testStartMs + (o.testDays - 1) * DAY_MS),
        labelDelayDays: o.delayDays,
        topK,
      },
      model,
      validation,
      metrics: ev.metrics,
      cardPrecisionPerDay: ev.perDay.map((d) => ({ day: isoDay(d.day * DAY_MS), value: d.value })),
      scenarios,
      removedKnownCompromised: ev.removed,
      alerts,
      prCurve: thinCurve(ev.curve, 500),
      money,
      rejectedRows: p.data.rejectedCount,
      ...(comparison === undefined ? {} : { comparison }),
    },
    rows,
  };
}

/** Hyper-parameters as one line of text. */
export function paramText(p: GbdtParams): string {
  return `trees=${p.trees} depth=${p.maxDepth} lr=${p.learningRate} mcw=${p.minChildWeight} bins=${p.bins}`;
}

/** The `--scores` CSV: header and one line per test transaction. */
export function scoresCsv(rows: ScoredRow[]): string {
  const lines = ['TRANSACTION_ID,score,decision,reasons'];
  for (const r of rows) lines.push(`${r.id},${r.score},${r.decision},${r.reasons.join(';')}`);
  return `${lines.join('\n')}\n`;
}
