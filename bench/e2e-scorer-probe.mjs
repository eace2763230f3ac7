// Probe: the worker's Rust work as in the end-to-end bench, on one thread without the pipeline: generator records
// (transactions and label records, 5,000 cards) scored in 2048-record batches by ONE long-lived scorer with the
// given model. Prints process CPU ns per transaction for scoreBatch and, on the extracted rows, scoreFeatures.
// Usage: node bench/e2e-scorer-probe.mjs [records=1048576] [model=models/default.json]
import { readFileSync } from 'node:fs';
import { Scorer, extractFeatures, featureNames } from '@fraudstream/scorer';
import { RESULT_SIZE } from '@fraudstream/schema';
import { makeRecords } from './lib/records.mjs';

const count = Number(process.argv[2] ?? 1 << 20);
const modelPath = process.argv[3] ?? new URL('../models/default.json', import.meta.url).pathname;
const BATCH = 2048;
const text = readFileSync(modelPath, 'utf8');
const { records, transactions } = await makeRecords(count, { seed: 1 });
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
};
const results = new Uint8Array(count * RESULT_SIZE);
const scorer = Scorer.open();
scorer.loadModel(text);
let t0 = cpu();
for (let s = 0, t = 0; s < count; s += BATCH, t++) scorer.scoreBatch(records, results, s, Math.min(BATCH, count - s), t);
const batchNs = (cpu() - t0) / transactions;
const width = featureNames.length;
const rows = new Float32Array(transactions * width);
t0 = cpu();
const n = extractFeatures(null, records, count, rows);
const featNs = (cpu() - t0) / n;
const out = new Float32Array(n);
t0 = cpu();
scorer.scoreFeatures(rows, n, out);
const modelNs = (cpu() - t0) / n;
let sum = 0;
for (let i = 0; i < n; i++) sum += out[i];
console.log(JSON.stringify({ model: modelPath.split('/').pop(), records: count, transactions, scoreBatchNsPerTx: +batchNs.toFixed(1), extractFeaturesNsPerTx: +featNs.toFixed(1), scoreFeaturesNsPerRow: +modelNs.toFixed(1), scoreSum: sum }));
