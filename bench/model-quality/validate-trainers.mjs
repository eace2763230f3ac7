// Fraudstream's trainer against XGBoost's with hyper-parameters chosen on validation windows only (issue 12, item 5).
// For each data file: the prequential folds of `backtest` (fold k's protocol training window starts delay + k test
// windows before the real one; its test week ends at or before the real training window's end) score every grid point
// with both trainers on the same feature rows (the 28 days ending where the fold's 7-day window ends); each trainer's
// point with the best mean validation AP is then trained on the real window and scored on the protocol's test week.
// Every evaluation is `backtest` itself (a real scorer, known-compromised cards removed), with `modelJson` for XGBoost.
// Usage: node bench/model-quality/validate-trainers.mjs OUT.json DATA.csv [DATA.csv ...]
// Env: VT_GRID=0,1,2 (indices into GRID, default all), VT_FOLDS=1,2 (default both): a smaller run on a loaded machine.
// Needs `.venv` (scripts/setup-python.sh) and `pnpm build`. CPU heavy: run it with `nice`.
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { basename, join } from 'node:path';
import { featureNames } from '@fraudstream/scorer';
import { backtest, prepare } from '../../apps/cli/dist/backtest.js';

const DAY = 86_400_000;
const DELAY = 7;
const TEST = 7;
const WINDOW = 28;
const TRAIN_START = Date.parse('2018-07-25T00:00:00Z');
/** The points both trainers are validated on: the earlier choice, a shallower one, a more regularised one. */
const FULL_GRID = [
  { trees: 300, maxDepth: 6, learningRate: 0.05, minChildWeight: 5, bins: 1024 },
  { trees: 300, maxDepth: 4, learningRate: 0.05, minChildWeight: 5, bins: 1024 },
  { trees: 500, maxDepth: 6, learningRate: 0.03, minChildWeight: 20, bins: 1024 },
];
const GRID = (process.env.VT_GRID ?? '0,1,2').split(',').map((i) => FULL_GRID[Number(i)]);
const FOLDS = (process.env.VT_FOLDS ?? '1,2').split(',').map(Number);
if (GRID.some((g) => g === undefined) || FOLDS.some((k) => !Number.isInteger(k) || k < 1)) {
  process.stderr.write('VT_GRID must list indices of the grid (0-2), VT_FOLDS fold numbers from 1\n');
  process.exit(2);
}

const [out, ...files] = process.argv.slice(2);
if (out === undefined || files.length === 0) {
  process.stderr.write('usage: validate-trainers.mjs OUT.json DATA.csv [DATA.csv ...]\n');
  process.exit(2);
}
const scratch = join('data', 'xgb');
mkdirSync(scratch, { recursive: true });
const log = (s) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${s}\n`);
const text = (g) => `trees=${g.trees} depth=${g.maxDepth} lr=${g.learningRate} mcw=${g.minChildWeight} bins=${g.bins}`;

/** Writes the 28-day training rows that end where the 7-day window from `startMs` ends, as export-features does. */
async function exportRows(p, startMs, file) {
  const toMs = startMs + 7 * DAY;
  const fromMs = toMs - WINDOW * DAY;
  const ts = p.data.txTimestampsMs;
  const w = createWriteStream(file);
  w.write(`${featureNames.join(',')},label\n`);
  for (let i = 0; i < p.data.txCount; i++) {
    if (ts[i] < fromMs || ts[i] >= toMs) continue;
    const f = p.features.subarray(i * p.width, (i + 1) * p.width);
    if (!w.write(`${Array.from(f, (v) => (Number.isNaN(v) ? '' : String(v))).join(',')},${p.data.fraud[i]}\n`)) await once(w, 'drain');
  }
  w.end();
  await once(w, 'finish');
}

function xgboost(rowsFile, g, modelFile) {
  execFileSync('.venv/bin/python', ['bench/model-quality/train_xgboost.py', rowsFile, modelFile, String(g.trees), String(g.maxDepth), String(g.learningRate), String(g.minChildWeight), String(g.bins)], { stdio: ['ignore', 'ignore', 'inherit'] });
  return readFileSync(modelFile, 'utf8');
}

async function evaluate(p, data, startMs, trainer, g, rowsFile, tag) {
  const base = { data, prepared: p, trainStartMs: startMs, trainDays: 7, delayDays: DELAY, testDays: TEST };
  const o = trainer === 'fraudstream' ? { ...base, params: g, trainWindows: [WINDOW] } : { ...base, modelJson: xgboost(rowsFile, g, join(scratch, `${tag}.json`)) };
  const { result } = await backtest(o);
  const m = result.metrics;
  return { aucRoc: m.aucRoc, averagePrecision: m.averagePrecision, cardPrecision: m.cardPrecisionAtK };
}

const report = { date: new Date().toISOString(), grid: GRID, folds: FOLDS, window: WINDOW, files: [] };
for (const data of files) {
  const name = basename(data, '.csv');
  log(`${data}: preparing`);
  const p = await prepare(data, DELAY);
  const entry = { data, validation: [], chosen: {}, test: {} };
  const rowsOf = new Map();
  for (const k of FOLDS) {
    const start = TRAIN_START - (DELAY + k * TEST) * DAY;
    const rowsFile = join(scratch, `${name}-fold${k}.csv`);
    await exportRows(p, start, rowsFile);
    rowsOf.set(k, rowsFile);
  }
  for (const trainer of ['fraudstream', 'xgboost']) {
    let best;
    for (const [gi, g] of GRID.entries()) {
      const folds = [];
      for (const k of FOLDS) {
        const start = TRAIN_START - (DELAY + k * TEST) * DAY;
        folds.push(await evaluate(p, data, start, trainer, g, rowsOf.get(k), `${name}-fold${k}-g${gi}`));
      }
      const meanAp = folds.reduce((a, f) => a + f.averagePrecision, 0) / folds.length;
      const meanCp = folds.reduce((a, f) => a + f.cardPrecision, 0) / folds.length;
      log(`${name} ${trainer} ${text(g)}: validation AP ${folds.map((f) => f.averagePrecision.toFixed(4)).join(', ')} (mean ${meanAp.toFixed(4)}), CP@100 mean ${meanCp.toFixed(4)}`);
      entry.validation.push({ trainer, params: g, folds, meanAp, meanCp });
      if (best === undefined || meanAp > best.meanAp) best = { gi, meanAp };
    }
    entry.chosen[trainer] = GRID[best.gi];
  }
  const testRows = join(scratch, `${name}-test-train.csv`);
  await exportRows(p, TRAIN_START, testRows);
  for (const trainer of ['fraudstream', 'xgboost']) {
    const g = entry.chosen[trainer];
    entry.test[trainer] = await evaluate(p, data, TRAIN_START, trainer, g, testRows, `${name}-test-${trainer}`);
    const t = entry.test[trainer];
    log(`${name} ${trainer} chosen ${text(g)}: test week AUC ${t.aucRoc.toFixed(4)} AP ${t.averagePrecision.toFixed(4)} CP@100 ${t.cardPrecision.toFixed(4)}`);
  }
  report.files.push(entry);
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
}
log(`wrote ${out}`);
