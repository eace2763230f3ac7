// The isolation-forest anomaly score (native/scorer/src/isolation.rs) measured where labels cannot help: the frauds
// of a compromised terminal's first week (no label has arrived yet), and each scenario, against the genuine test
// transactions, on the protocol's test week (known-compromised cards removed as in backtest).
// Usage: node bench/model-quality/anomaly.mjs DATA.csv [TRAIN_END=2018-07-31] [DAYS=28] [FEATURES=all|a,b,c]
import { isolationScores, featureNames } from '@fraudstream/scorer';
import { evaluatedTransactions, prepare } from '../../apps/cli/dist/backtest.js';
import { aucRoc } from '../../apps/cli/dist/metrics.js';

const [data, trainEnd = '2018-07-31', days = '28', cols = 'all'] = process.argv.slice(2);
if (data === undefined) {
  process.stderr.write('usage: anomaly.mjs DATA.csv [TRAIN_END] [DAYS] [FEATURES]\n');
  process.exit(2);
}
const DAY = 86_400_000;
const DELAY = 7;
const trainEndMs = Date.parse(`${trainEnd}T00:00:00Z`) + DAY;
const trainFromMs = trainEndMs - Number(days) * DAY;
const testFromMs = trainEndMs + DELAY * DAY;
const p = await prepare(data, DELAY);
const n = p.data.txCount;
const ts = p.data.txTimestampsMs;
let lo = 0;
while (lo < n && ts[lo] < trainFromMs) lo++;
let hi = lo;
while (hi < n && ts[hi] < trainEndMs) hi++;
const features = cols === 'all' ? undefined : cols.split(',');
const scores = new Float32Array(n);
const t0 = performance.now();
// Unsupervised: the training rows' labels are not used.
isolationScores(p.features.subarray(lo * p.width, hi * p.width), hi - lo, p.features, n, scores, {
  trees: 100,
  sample: 256,
  seed: 0,
  ...(features === undefined ? {} : { features }),
});
const fitMs = performance.now() - t0;
const protoTrainStart = Math.floor((trainEndMs - 7 * DAY) / DAY);
const { idx } = evaluatedTransactions(p.day, p.card, p.data.fraud, protoTrainStart, Math.floor(testFromMs / DAY), 7, DELAY);
// A terminal's compromise starts on its first scenario-2 fraud day (over the whole file).
const views = p.data.views;
const termOf = (i) => {
  const slot = p.data.txSlots[i];
  return (views.termKeyHi(slot) & 0x1fffff) * 4294967296 + views.termKeyLo(slot);
};
const start = new Map();
for (let i = 0; i < n; i++) {
  if (p.data.scenario[i] !== 2) continue;
  const t = termOf(i);
  if (!start.has(t)) start.set(t, p.day[i]);
}
const genuine = idx.filter((i) => p.data.fraud[i] === 0);
const report = (name, frauds) => {
  const sub = [...genuine, ...frauds];
  const auc = aucRoc(scores, p.data.fraud, sub);
  const med = (list) => {
    const v = list.map((i) => scores[i]).sort((a, b) => a - b);
    return v[Math.floor(v.length / 2)] ?? Number.NaN;
  };
  process.stdout.write(`${name}: ${frauds.length} frauds, AUC ${auc.toFixed(4)}, median score ${med(frauds).toFixed(4)} (genuine ${med(genuine).toFixed(4)})\n`);
};
process.stdout.write(`${data}: forest of 100 trees x 256 rows over ${features?.length ?? featureNames.length} features, fitted on ${hi - lo} rows of ${days} days in ${fitMs.toFixed(0)} ms (all ${n} rows scored)\n`);
const frauds = idx.filter((i) => p.data.fraud[i] === 1);
report('all frauds', frauds);
report("scenario 2, terminal's first week", frauds.filter((i) => p.data.scenario[i] === 2 && p.day[i] - start.get(termOf(i)) < 7));
report('scenario 2, later', frauds.filter((i) => p.data.scenario[i] === 2 && p.day[i] - start.get(termOf(i)) >= 7));
for (const s of [1, 3, 4, 5, 6]) {
  const f = frauds.filter((i) => p.data.scenario[i] === s);
  if (f.length > 0) report(`scenario ${s}`, f);
}
