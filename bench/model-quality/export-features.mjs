// Exports the feature matrix a backtest trains on, as CSV, so another trainer (XGBoost: train_xgboost.py beside this
// file) can be trained on exactly the same rows and compared under the same protocol (`backtest --model`).
// Usage: node bench/model-quality/export-features.mjs DATA.csv OUT.csv [TRAIN_END=2018-07-31] [DAYS=28] [DELAY=7]
// Rows: the transactions of the DAYS days ending on TRAIN_END (UTC); columns: the scorer's feature names, then label.
// Features are computed exactly as `backtest` computes them (labels revealed DELAY days after their transaction).
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { featureNames } from '@fraudstream/scorer';
import { prepare } from '../../apps/cli/dist/backtest.js';

const [data, out, trainEnd = '2018-07-31', days = '28', delay = '7'] = process.argv.slice(2);
if (data === undefined || out === undefined) {
  process.stderr.write('usage: export-features.mjs DATA.csv OUT.csv [TRAIN_END] [DAYS] [DELAY]\n');
  process.exit(2);
}
const DAY = 86_400_000;
const toMs = Date.parse(`${trainEnd}T00:00:00Z`) + DAY;
const fromMs = toMs - Number(days) * DAY;
const p = await prepare(data, Number(delay));
const names = featureNames;
const ts = p.data.txTimestampsMs;
const w = createWriteStream(out);
w.write(`${names.join(',')},label\n`);
let rows = 0;
for (let i = 0; i < p.data.txCount; i++) {
  if (ts[i] < fromMs || ts[i] >= toMs) continue;
  const f = p.features.subarray(i * p.width, (i + 1) * p.width);
  const line = `${Array.from(f, (v) => (Number.isNaN(v) ? '' : String(v))).join(',')},${p.data.fraud[i]}\n`;
  if (!w.write(line)) await once(w, 'drain');
  rows++;
}
w.end();
await once(w, 'finish');
process.stdout.write(`wrote ${rows} rows x ${names.length} features to ${out}\n`);
