import { readFile, writeFile } from 'node:fs/promises';
import { featureNames, scorerDefaults } from '@fraudstream/scorer';
import { date, num, parse, required, UsageError } from '../args.js';
import { backtest, paramText, scoresCsv, type GbdtParams } from '../backtest.js';
import { prCurveSvg } from '../metrics.js';

export const help = `Usage: fraudstream backtest --data FILE.csv [options]

Backtests a model with the Fraud Detection Handbook's time protocol. The file is replayed in event time through the
scorer's own state and features, each label revealed only --delay-days after its transaction. A model is trained on
the training window (hyper-parameters chosen by prequential validation on earlier windows, unless given) or read
from --model; the test window, which starts --delay-days after the training window, is scored by a real scorer.
Cards known to be compromised (a fraud in the training window or in the delay-period days whose labels arrived) are
left out of each test day. Prints AUC ROC, average precision and card precision@100.

Options:
  --data FILE          labelled transactions, CSV interchange format (required)
  --train-start DATE   first day of the training window, YYYY-MM-DD (default 2018-07-25)
  --train-days N       days in the training window (default 7)
  --delay-days N       days between training and test windows; also the label delay (default ${scorerDefaults.labelDelayDays}, at most ${scorerDefaults.labelDelayDaysMax})
  --test-days N        days in the test window (default 7)
  --model FILE         score with this XGBoost JSON model instead of training one
  --trees N --max-depth N --learning-rate X --min-child-weight X --bins N
                       fixed hyper-parameters (any given: the rest default to 100, 6, 0.1, 1, 256; none:
                       the validated choice from the grid)
  --drop-features A,B  hide these features from training (ablation)
  --folds N            prequential validation folds (default 2)
  --scores FILE        write TRANSACTION_ID,score,decision,reasons for every test transaction
  --report FILE        write the metrics, per-scenario metrics and PR curve as JSON, and the curve as FILE.svg
  --seed N             training seed (default 0)
`;

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
    'drop-features': { type: 'string' },
    scores: { type: 'string' },
    report: { type: 'string' },
    seed: { type: 'string' },
  });
  if (a.help === true) {
    process.stdout.write(help);
    return 0;
  }
  const data = required(a.data, 'data');
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
  const modelPath = typeof a.model === 'string' ? a.model : undefined;
  const t0 = performance.now();
  const { result, rows } = await backtest({
    data,
    trainStartMs,
    trainDays: num(a['train-days'], 'train-days', 1, 365, 7),
    delayDays: num(a['delay-days'], 'delay-days', 0, scorerDefaults.labelDelayDaysMax, scorerDefaults.labelDelayDays),
    testDays: num(a['test-days'], 'test-days', 1, 365, 7),
    ...(modelPath === undefined ? {} : { modelJson: await readFile(modelPath, 'utf8') }),
    ...(params === undefined ? {} : { params }),
    folds: num(a.folds, 'folds', 1, 10, 2),
    ...(typeof a['drop-features'] === 'string' ? { dropFeatures: dropList(a['drop-features']) } : {}),
    seed: num(a.seed, 'seed', 0, 2 ** 32 - 1, 0),
    log: (line) => process.stdout.write(`${line}\n`),
  });
  const p = result.protocol;
  const m = result.metrics;
  const out = process.stdout;
  out.write(
    `train ${p.trainStart}..${p.trainEnd}, delay ${p.delayDays} d, test ${p.testStart}..${p.testEnd}` +
      (result.model.source === 'trained'
        ? `; model trained on ${result.model.trainRows} tx (${result.model.trainFrauds} fraud), ${paramText(result.model.params!)}\n`
        : `; model ${modelPath}\n`),
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
  out.write(`AUC ROC ${m.aucRoc.toFixed(4)}  average precision ${m.averagePrecision.toFixed(4)}  card precision@${p.topK} ${m.cardPrecisionAtK.toFixed(4)}\n`);
  if (typeof a.scores === 'string') await writeFile(a.scores, scoresCsv(rows));
  if (typeof a.report === 'string') {
    await writeFile(a.report, `${JSON.stringify(result, null, 1)}\n`);
    const svg = a.report.replace(/\.json$/i, '') + '.svg';
    await writeFile(
      svg,
      prCurveSvg(result.prCurve, `PR curve, test ${p.testStart}..${p.testEnd}: AP ${m.averagePrecision.toFixed(3)}`),
    );
  }
  out.write(`done in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

function dropList(v: string): string[] {
  const names = featureNames;
  const list = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const f of list) if (!names.includes(f)) throw new UsageError(`--drop-features: '${f}' is not a feature (see FEATURES.md)`);
  return list;
}
