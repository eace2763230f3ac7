// Several XGBoost JSON models on one data file under `backtest`'s protocol (default: train window from 2018-07-25,
// 7-day delay, test week 2018-08-08..14, known-compromised cards removed, a real scorer), the file featurised once.
// Used to record the shipped default model against the one it replaced.
// Usage: node bench/model-quality/compare-models.mjs DATA.csv MODEL.json [MODEL.json ...]
import { readFileSync } from 'node:fs';
import { backtest, prepare } from '../../apps/cli/dist/backtest.js';

const [data, ...models] = process.argv.slice(2);
if (data === undefined || models.length === 0) {
  process.stderr.write('usage: compare-models.mjs DATA.csv MODEL.json [MODEL.json ...]\n');
  process.exit(2);
}
const p = await prepare(data, 7);
for (const file of models) {
  const { result } = await backtest({ data, prepared: p, modelJson: readFileSync(file, 'utf8'), trainStartMs: Date.parse('2018-07-25T00:00:00Z'), trainDays: 7, delayDays: 7, testDays: 7 });
  const m = result.metrics;
  const sc = result.scenarios.map((s) => `${s.scenario}: AUC ${s.aucRoc.toFixed(4)} AP ${s.averagePrecision.toFixed(3)}`).join('; ');
  const money = result.money;
  process.stdout.write(`${file}: AUC ${m.aucRoc.toFixed(4)} AP ${m.averagePrecision.toFixed(4)} CP@100 ${m.cardPrecisionAtK.toFixed(4)} (${m.transactions} tx, ${m.frauds} fraud); ${sc}; money ${JSON.stringify(money).slice(0, 300)}\n`);
}
