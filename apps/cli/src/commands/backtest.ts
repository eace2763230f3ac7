import { readFile, stat, writeFile } from 'node:fs/promises';
import { featureNames, scorerDefaults } from '@fraudstream/scorer';
import { date, num, parse, required, UsageError } from '../args.js';
import { backtest, paramText, scoresCsv, VALIDATED, type GbdtParams } from '../backtest.js';
import { generateSeeds, rollingBacktest, summaryLines } from '../backtest-rolling.js';
import { comparisonLines, type Candidate } from '../backtest-compare.js';
import type { MoneyReport } from '../metrics-money.js';
import { prAndCostSvg } from '../metrics-money.js';

export const help = `Usage: fraudstream backtest --data FILE.csv [options]

Backtests a model with the Fraud Detection Handbook's time protocol. The file is replayed in event time through the
scorer's own state and features, each label revealed only --delay-days after its transaction. A model is trained on
the training window (with the validated hyper-parameters below, or chosen by prequential validation with --grid) or read
from --model; the test window, which starts --delay-days after the training window, is scored by a real scorer.
Cards known to be compromised (a fraud in the training window or in the delay-period days whose labels arrived) are
left out of each test day. Prints AUC ROC, average precision and card precision@100.

Options:
  --data FILE[,FILE]   labelled transactions, CSV interchange format (required unless --seeds); several files:
                       one backtest each, then the mean and standard deviation of every figure
  --weeks N            roll the whole protocol over N consecutive test weeks (default 1), each week choosing its
                       model on its own validation windows; prints each week and the mean and standard deviation
  --seeds A,B,C        generate one dataset per seed (the simulator's defaults, --scenarios) into --generated-dir
                       and backtest each (with --weeks: every week of every dataset)
  --scenarios S        handbook (default) or all, for --seeds
  --generated-dir DIR  where --seeds writes its datasets (default data/backtest-seeds)
  --train-start DATE   first day of the training window, YYYY-MM-DD (default 2018-07-25)
  --train-days N       days in the training window (default 7)
  --delay-days N       days between training and test windows; also the label delay (default ${scorerDefaults.labelDelayDays}, at most ${scorerDefaults.labelDelayDaysMax})
  --test-days N        days in the test window (default 7)
  --model FILE         score with this XGBoost JSON model instead of training one
  --trees N --max-depth N --learning-rate X --min-child-weight X --bins N
                       fixed hyper-parameters (any given: the rest default to 100, 6, 0.1, 1, 256). None given
                       and no --grid: the choice made on validation windows of handbook-mode seeds 0-2
                       (300 trees, depth 4, learning rate 0.05, min child weight 5, 1024 bins, trained on the
                       84 days ending where the training window ends; FEATURES.md)
  --grid               choose the hyper-parameters (and --train-windows) from a small grid by prequential
                       validation on this data instead
  --drop-features A,B  hide these features from training (ablation)
  --folds N            prequential validation folds (default 2)
  --train-windows A,B  model training-window lengths in days, ending where the protocol's training window ends
                       (default: 84 without --grid and hyper-parameters, else --train-days); several are chosen
                       from by the same validation
  --scores FILE        write TRANSACTION_ID,score,decision,reasons for every test transaction
  --report FILE        write the metrics, per-scenario metrics and PR curve as JSON, and the curve as FILE.svg
  --seed N             training seed (default 0)

Before enabling a bundle or a rule (one backtest, no --weeks/--seeds):
  --bundle FILE        replay the protocol with this decision bundle (its model, thresholds, rules and lists) and
                       compare it with the current configuration
  --rule 'TEXT'        replay with this rule (the rule language, e.g. 'rule BIG review: amount > 5000') added to the
                       current configuration's rules, and compare
  --current FILE       the current configuration as a bundle (default: the trained or --model model with the
                       scorer's default thresholds and no rules)
  With --bundle or --rule the usual metrics are the candidate's, followed by alerts per 1,000 tx for both and the
  frauds caught by the candidate and not the current configuration, and missed by the candidate but caught by the
  current one (count and amount); --report adds them under "comparison".
`;

/** Largest bundle file read by --bundle and --current, bytes. */
const MAX_BUNDLE_FILE = 64 << 20;
/** Longest --rule text, characters. */
const MAX_RULE_TEXT = 64 * 1024;

export async function run(argv: string[]): Promise<number> {
  const a = parse(argv, {
    data: { type: 'string' },
    'train-start': { type: 'string' },
    'train-days': { type: 'string' },
    'delay-days': { type: 'string' },
    'test-days': { type: 'string' },
    model: { type: 'string' },
    trees: { type: 'string' },
    'max-depth': { type: 'string' },
    'learning-rate': { type: 'string' },
    'min-child-weight': { type: 'string' },
    bins: { type: 'string' },
    folds: { type: 'string' },
    'train-windows': { type: 'string' },
    'drop-features': { type: 'string' },
    scores: { type: 'string' },
    report: { type: 'string' },
    seed: { type: 'string' },
    weeks: { type: 'string' },
    seeds: { type: 'string' },
    scenarios: { type: 'string' },
    'generated-dir': { type: 'string' },
    grid: { type: 'boolean' },
    bundle: { type: 'string' },
    rule: { type: 'string' },
    current: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const weeks = num(a.weeks, 'weeks', 1, 52, 1);
  const seeds = typeof a.seeds === 'string' ? seedList(a.seeds) : undefined;
  const data = seeds === undefined ? required(a.data, 'data') : '';
  const files = seeds === undefined ? data.split(',').map((f) => f.trim()).filter((f) => f !== '') : [];
  const trainStartMs = date(a['train-start'] ?? '2018-07-25', 'train-start')!;
  const fixed = [a.trees, a['max-depth'], a['learning-rate'], a['min-child-weight'], a.bins];
  let params: GbdtParams | undefined;
  if (fixed.some((v) => v !== undefined)) {
    params = {
      trees: num(a.trees, 'trees', 1, 5000, 100),
      maxDepth: num(a['max-depth'], 'max-depth', 1, 16, 6),
      learningRate: num(a['learning-rate'], 'learning-rate', 0.001, 1, 0.1, false),
      minChildWeight: num(a['min-child-weight'], 'min-child-weight', 0, 1000, 1, false),
      bins: num(a.bins, 'bins', 2, 4096, 256),
    };
  }
  // Without --grid and any hyper-parameter, the validated choice (its window too, unless --train-windows is given).
  const validated = a.grid !== true && params === undefined;
  if (validated) params = VALIDATED.params;
  const windows = typeof a['train-windows'] === 'string' ? windowList(a['train-windows']) : validated ? [VALIDATED.trainDays] : undefined;
  const modelPath = typeof a.model === 'string' ? a.model : undefined;
  const t0 = performance.now();
  const comparing = a.bundle !== undefined || a.rule !== undefined || a.current !== undefined;
  if (comparing && (seeds !== undefined || files.length > 1 || weeks > 1)) {
    throw new UsageError('--bundle, --rule and --current need a single backtest (no --weeks, --seeds or several files)');
  }
  if (a.bundle !== undefined && a.rule !== undefined) throw new UsageError('give --bundle or --rule, not both');
  if (a.current !== undefined && a.bundle === undefined && a.rule === undefined) throw new UsageError('--current needs --bundle or --rule');
  if (a.current !== undefined && modelPath !== undefined) throw new UsageError('--current carries its own model: drop --model');
  if (typeof a.rule === 'string' && (a.rule.trim() === '' || a.rule.length > MAX_RULE_TEXT)) {
    throw new UsageError(`--rule must be a rule of the rule language, at most ${MAX_RULE_TEXT} characters`);
  }
  const candidate: Candidate | undefined =
    typeof a.bundle === 'string' ? { kind: 'bundle', bundle: await readBundle(a.bundle, 'bundle') } : typeof a.rule === 'string' ? { kind: 'rule', rule: a.rule } : undefined;
  const currentBundle = typeof a.current === 'string' ? await readBundle(a.current, 'current') : undefined;
  if (seeds !== undefined || files.length > 1 || weeks > 1) {
    if (modelPath !== undefined) throw new UsageError('--model cannot be combined with --weeks, --seeds or several --data files');
    if (typeof a.scores === 'string') throw new UsageError('--scores needs a single backtest (no --weeks, --seeds or several files)');
    const scen = a.scenarios === undefined ? 'handbook' : a.scenarios;
    if (scen !== 'handbook' && scen !== 'all') throw new UsageError('--scenarios must be handbook or all');
    const log = (line: string): void => void process.stdout.write(`${line}\n`);
    const list = seeds === undefined ? files : await generateSeeds(seeds, scen, typeof a['generated-dir'] === 'string' ? a['generated-dir'] : 'data/backtest-seeds', log);
    const rolled = await rollingBacktest({
      files: list,
      weeks,
      trainStartMs,
      trainDays: num(a['train-days'], 'train-days', 1, 365, 7),
      delayDays: num(a['delay-days'], 'delay-days', 0, 60, 7),
      testDays: num(a['test-days'], 'test-days', 1, 365, 7),
      ...(params === undefined ? {} : { params }),
      folds: num(a.folds, 'folds', 1, 10, 2),
      ...(windows === undefined ? {} : { trainWindows: windows }),
      ...(typeof a['drop-features'] === 'string' ? { dropFeatures: dropList(a['drop-features']) } : {}),
      seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
      log,
    });
    const lines: string[] = [];
    rolled.byWeek.forEach((s, w) => lines.push(...summaryLines(`week ${w + 1} over ${list.length} dataset(s)`, s)));
    if (weeks > 1) lines.push(...summaryLines(`all ${weeks} weeks x ${list.length} dataset(s)`, rolled.all));
    for (const l of lines) log(l);
    if (typeof a.report === 'string') {
      const runs = rolled.runs.map((r) => ({ file: r.file, week: r.week, ...r.result, prCurve: undefined, money: { ...r.result.money, curve: undefined } }));
      await writeFile(a.report, `${JSON.stringify({ runs, byWeek: rolled.byWeek, all: rolled.all }, null, 1)}\n`);
    }
    log(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    return 0;
  }
  const { result, rows } = await backtest({
    data,
    trainStartMs,
    trainDays: num(a['train-days'], 'train-days', 1, 365, 7),
    delayDays: num(a['delay-days'], 'delay-days', 0, scorerDefaults.labelDelayDaysMax, scorerDefaults.labelDelayDays),
    testDays: num(a['test-days'], 'test-days', 1, 365, 7),
    ...(modelPath === undefined ? {} : { modelJson: await readFile(modelPath, 'utf8') }),
    ...(params === undefined ? {} : { params }),
    folds: num(a.folds, 'folds', 1, 10, 2),
    ...(windows === undefined ? {} : { trainWindows: windows }),
    ...(typeof a['drop-features'] === 'string' ? { dropFeatures: dropList(a['drop-features']) } : {}),
    seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
    log: (line) => process.stdout.write(`${line}\n`),
    ...(candidate === undefined ? {} : { candidate }),
    ...(currentBundle === undefined ? {} : { currentBundle }),
  });
  const p = result.protocol;
  const m = result.metrics;
  const out = process.stdout;
  out.write(
    `train ${p.trainStart}..${p.trainEnd}, delay ${p.delayDays} d, test ${p.testStart}..${p.testEnd}` +
      (result.model.source === 'trained'
        ? `; model trained on ${result.model.trainDays} d, ${result.model.trainRows} tx (${result.model.trainFrauds} fraud), ${paramText(result.model.params!)}\n`
        : `; model ${currentBundle !== undefined ? `of the --current bundle ${String(a.current)}` : modelPath}\n`),
  );
  out.write(
    `test: ${m.transactions} tx, ${m.frauds} fraud (${result.removedKnownCompromised} tx of known compromised cards removed)\n`,
  );
  for (const s of result.scenarios) {
    out.write(
      `  scenario ${s.scenario}: ${s.frauds} fraud, AUC ${s.aucRoc.toFixed(4)}, AP ${s.averagePrecision.toFixed(4)}, ` +
        `recall@review ${s.recallAtReview.toFixed(3)}, recall@top-N ${s.recallAtTopN.toFixed(3)}\n`,
    );
  }
  out.write(`${moneyLine(result.money)}\n`);
  out.write(`AUC ROC ${m.aucRoc.toFixed(4)}  average precision ${m.averagePrecision.toFixed(4)}  card precision@${p.topK} ${m.cardPrecisionAtK.toFixed(4)}\n`);
  if (result.comparison !== undefined) {
    const cm = result.comparison.currentMetrics;
    out.write(`current configuration: AUC ROC ${cm.aucRoc.toFixed(4)}  average precision ${cm.averagePrecision.toFixed(4)}  card precision@${p.topK} ${cm.cardPrecisionAtK.toFixed(4)}\n`);
    for (const line of comparisonLines(result.comparison)) out.write(`${line}\n`);
  }
  if (typeof a.scores === 'string') await writeFile(a.scores, scoresCsv(rows));
  if (typeof a.report === 'string') {
    await writeFile(a.report, `${JSON.stringify(result, null, 1)}\n`);
    const svg = a.report.replace(/\.json$/i, '') + '.svg';
    await writeFile(
      svg,
      prAndCostSvg(result.prCurve, result.money.curve, `test ${p.testStart}..${p.testEnd}: AP ${m.averagePrecision.toFixed(3)}; cost curve`),
    );
  }
  out.write(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

/** The money line of a backtest: caught and missed fraud amounts and false alerts at the operating thresholds. */
export function moneyLine(money: MoneyReport): string {
  const d = money.atDecisions;
  const c = money.cheapest;
  return (
    `money at the operating thresholds: fraud ${d.fraudAmount.toFixed(0)}, caught ${d.caughtAmount.toFixed(0)} ` +
    `(${((100 * d.caughtAmount) / Math.max(1e-9, d.fraudAmount)).toFixed(1)}%), missed ${d.missedAmount.toFixed(0)}, ` +
    `${d.alerts} alerts, ${d.falseAlertsPer1000.toFixed(2)} false alerts per 1,000 tx; cheapest threshold ` +
    `${c.threshold.toFixed(3)}: ${c.alertsPer1000.toFixed(2)} alerts per 1,000, missed ${c.missedAmount.toFixed(0)}, cost ${c.cost.toFixed(0)}`
  );
}

/** Parses `--seeds A,B,...`: integers from 0 to 2^32 - 1. */
export function seedList(v: string): number[] {
  const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (list.length === 0) throw new UsageError('--seeds must list at least one seed');
  return list.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 0 || n > 2 ** 32 - 1) throw new UsageError(`--seeds: '${x}' is not an integer from 0 to 4294967295`);
    return n;
  });
}

/** Parses `--train-windows A,B,...`: whole days from 1 to 120. */
export function windowList(v: string): number[] {
  const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  if (list.length === 0) throw new UsageError('--train-windows must list at least one number of days');
  return list.map((x) => {
    const n = Number(x);
    if (!Number.isInteger(n) || n < 1 || n > 120) throw new UsageError(`--train-windows: '${x}' is not a whole number of days from 1 to 120`);
    return n;
  });
}

function dropList(v: string): string[] {
  const names = featureNames;
  const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const f of list) if (!names.includes(f)) throw new UsageError(`--drop-features: '${f}' is not a feature (see FEATURES.md)`);
  return list;
}

/** Reads a bundle file for `--bundle`/`--current`, refusing one too large to be a bundle. */
async function readBundle(path: string, flag: string): Promise<string> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new UsageError(`--${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
  if (size > MAX_BUNDLE_FILE) throw new UsageError(`--${flag}: ${path} is ${size} bytes, more than ${MAX_BUNDLE_FILE}`);
  return readFile(path, 'utf8');
}
