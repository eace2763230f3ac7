// Scorer cost per transaction on one core: features alone, model alone, both, for the default model and a
// 100-tree depth-6 model (bench/fixtures/gbdt-100x6.json), against the same model in pure JavaScript
// (lib/xgb-js.mjs), in onnxruntime-node (converted by lib/onnx-writer.mjs, one intra-op thread) and in XGBoost's
// own predictor from Python (the repository's .venv from scripts/setup-python.sh; recorded as unavailable without it).
// Records: the live generator's stream (transactions and their label records, 5,000 cards), as the engine sees it.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { Bench } from 'tinybench';
import * as ort from 'onnxruntime-node';
import { Scorer, extractFeatures, featureNames } from '@fraudstream/scorer';
import { RESULT_SIZE } from '@fraudstream/schema';
import { makeRecords } from './lib/records.mjs';
import { loadXgbModel, predictJs, depths } from './lib/xgb-js.mjs';
import { xgbJsonToOnnx } from './lib/onnx-writer.mjs';

const RECORDS = 1 << 17;
const BATCH = 2048;
const here = new URL('.', import.meta.url);
const MODELS = [
  ['default', new URL('../models/default.json', here)],
  ['100x6', new URL('./fixtures/gbdt-100x6.json', here)],
];

export async function run({ time = 600 } = {}) {
  const names = featureNames;
  const width = names.length;
  const { records, count, transactions } = await makeRecords(RECORDS, { seed: 1 });
  const rows = new Float32Array(transactions * width);
  const n = extractFeatures(null, records, count, rows);
  const results = new Uint8Array(count * RESULT_SIZE);
  const out = new Float32Array(n);
  const jsOut = new Float64Array(n);
  // Timed in process CPU time, not wall time: the figure is the work per transaction on one core, and stays
  // meaningful on a machine shared with other jobs (wall time there includes waiting for a core).
  const cpuNowMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const bench = new Bench({ time, warmupTime: 100, iterations: 3, warmupIterations: 2, now: cpuNowMs });
  const meta = [];
  const add = (name, fn, opts, extra = {}) => {
    bench.add(name, fn, opts);
    meta.push({ name, ...extra });
  };

  add('features alone: Rust extractFeatures (fresh state, labels applied)', () => extractFeatures(null, records, count, rows), {}, { kind: 'features' });
  const python = existsSync(new URL('../.venv/bin/python', here)) ? new URL('../.venv/bin/python', here).pathname : undefined;
  const rowsFile = new URL('../data/bench-rows.f32', here).pathname;
  if (python !== undefined) writeFileSync(rowsFile, Buffer.from(rows.buffer, 0, n * width * 4));
  const extra = [];
  const checks = [];
  for (const [label, url] of MODELS) {
    const text = readFileSync(url, 'utf8');
    const js = loadXgbModel(text, names);
    const d = depths(js);
    const desc = `${js.trees} trees, depth <= ${Math.max(...d)}, ${js.nodes} nodes`;
    const scorer = Scorer.open();
    scorer.loadModel(text);
    let fresh;
    add(`${label}: model alone, Rust scoreFeatures`, () => scorer.scoreFeatures(rows, n, out), {}, { kind: 'model', model: label, desc });
    add(
      `${label}: features + model, Rust scoreBatch x${BATCH} (fresh scorer)`,
      () => {
        for (let s = 0, t = 0; s < count; s += BATCH, t++) fresh.scoreBatch(records, results, s, Math.min(BATCH, count - s), t);
      },
      {
        beforeEach() {
          fresh = Scorer.open();
          fresh.loadModel(text);
        },
        afterEach() {
          fresh.close();
        },
      },
      { kind: 'both', model: label, desc },
    );
    add(`${label}: model alone, pure JavaScript`, () => predictJs(js, rows, width, n, jsOut), {}, { kind: 'model', model: label, desc });
    const session = await ort.InferenceSession.create(xgbJsonToOnnx(text, names), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    const input = new ort.Tensor('float32', rows.subarray(0, n * width), [n, width]);
    let ortOut;
    add(`${label}: model alone, onnxruntime-node ${ort.env.versions?.common ?? ''} (1 thread)`.replace('  ', ' '), async () => {
      ortOut = (await session.run({ features: input })).score.data;
    }, {}, { kind: 'model', model: label, desc });
    checks.push(async () => {
      scorer.scoreFeatures(rows, n, out);
      predictJs(js, rows, width, n, jsOut);
      ortOut = (await session.run({ features: input })).score.data;
      let jsDiff = 0;
      let ortDiff = 0;
      for (let i = 0; i < n; i++) {
        jsDiff = Math.max(jsDiff, Math.abs(Math.fround(jsOut[i]) - out[i]));
        ortDiff = Math.max(ortDiff, Math.abs(ortOut[i] - out[i]));
      }
      return { model: label, maxAbsDiffJs: jsDiff, maxAbsDiffOnnx: ortDiff };
    });
    if (python !== undefined) {
      try {
        const modelPath = new URL(url).pathname;
        const r = JSON.parse(execFileSync(python, [new URL('./xgb_predict.py', here).pathname, modelPath, rowsFile, String(width), JSON.stringify(names)], { encoding: 'utf8' }));
        extra.push({ name: `${label}: model alone, XGBoost ${r.version} Python inplace_predict (1 thread)`, kind: 'model', model: label, desc, records: n, nsPerRecord: r.ns_per_row, meanMs: (r.ns_per_row * n) / 1e6, recordsPerSecond: Math.round(1e9 / r.ns_per_row), samples: r.runs, note: 'best of runs, process CPU time, timed in Python' });
      } catch (err) {
        extra.push({ name: `${label}: XGBoost Python`, kind: 'model', model: label, unavailable: String(err).slice(0, 200) });
      }
    } else {
      extra.push({ name: `${label}: XGBoost Python`, kind: 'model', model: label, unavailable: '.venv missing: run scripts/setup-python.sh' });
    }
  }
  await bench.run();
  const agreement = [];
  for (const c of checks) agreement.push(await c());
  const perRecord = (name, kind) => (kind === 'model' ? n : transactions);
  const res = bench.tasks.map((t, i) => {
    const m = meta[i];
    const tx = perRecord(t.name, m.kind);
    const meanMs = t.result.latency.p50;
    return { ...m, records: tx, meanMs, nsPerRecord: (meanMs * 1e6) / tx, recordsPerSecond: Math.round((tx / meanMs) * 1000), samples: t.result.latency.samplesCount };
  });
  return [...res, ...extra, { name: 'agreement with the Rust scores (max |difference|)', agreement, transactions, records: count }];
}
