#!/usr/bin/env node
// Main-thread CPU of the served logs' batch listener (packages/system served-logs.ts), measured alone with
// process.cpuUsage (this script is single-threaded): batches of 2,048 records as the generator makes them (every
// transaction followed, later, by its label: about one label per transaction), 5,000 cards; with the feature log
// off (labels only), and with 29 captured feature rows a batch (2.8 % of its transactions: alerts + a 0.02 sample). Beside it, the
// decision log's own append of the same batches (appendDecidedBatch), the cost the durability budget already holds.
// Usage: pnpm build && node bench/served-logs.bench.mjs [batches = 3000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RecordViews, ResultViews, RECORD_SIZE, RESULT_SIZE, ResultStatus } from '@fraudstream/schema';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { appendDecidedBatch, CardRefHasher, DecisionLog, decisionLogDir } from '@fraudstream/store';
import { ServedLogs } from '@fraudstream/system';

const batches = Number(process.argv[2] ?? 3000);
const N = 2048;
const secret = Buffer.alloc(32, 7);
const records = new RecordViews(new ArrayBuffer(N * RECORD_SIZE));
const resultBytes = new Uint8Array(N * RESULT_SIZE);
const results = ResultViews.over(resultBytes);
for (let s = 0; s < N; s++) {
  const card = s % 5000;
  if (s % 2 === 1) records.writeLabel(s, s, 1.7e12 + s * 1000, card, 0, s % 977, 0, s % 37 === 0, 0);
  else {
    records.setHeader(s, 1e6 + s, 1.7e12 + s * 1000, 42.5, 0);
    records.setKeys(s, card, 0, s % 977, 0);
  }
  resultBytes[s * RESULT_SIZE + 5] = s % 2 === 1 ? ResultStatus.Label : ResultStatus.Scored;
}
const CAPTURED = 29; // 2.8 % of a batch's 1,024 transactions: the alerts and the 0.02 sample of a generator run
const rows = new Float32Array(CAPTURED * featureNames.length).fill(0.5);
const index = Uint32Array.from({ length: CAPTURED }, (_, i) => i * 70);
const fakeEngine = (capture) => ({
  scorer: { setFeatureCapture() {}, takeCapturedFeatures: () => (capture ? { count: CAPTURED, index, rows } : { count: 0, index: new Uint32Array(0), rows: new Float32Array(0) }) },
  onBatch() {},
  stringId: () => undefined,
});
const batch = { records, results, slot: 0, seq: 0, count: N, fallback: false };

function measure(name, run) {
  const dir = mkdtempSync(join(tmpdir(), 'served-bench-'));
  const { each, close } = run(dir);
  for (let i = 0; i < 200; i++) each(); // warm-up
  const t0 = process.cpuUsage();
  for (let i = 0; i < batches; i++) each();
  const t = process.cpuUsage(t0);
  close();
  rmSync(dir, { recursive: true, force: true });
  const us = (t.user + t.system) / (batches * N);
  console.log(`| ${name} | ${us.toFixed(3)} |`);
}

console.log(`served logs listener, ${new Date().toISOString()}, ${batches} batches of ${N} records (half transactions, half labels)`);
console.log('| listener | CPU us per record |');
console.log('|---|---|');
measure('decision log: appendDecidedBatch (baseline)', (dir) => {
  const log = DecisionLog.open(decisionLogDir(dir));
  const hasher = new CardRefHasher(secret);
  const naming = { ruleNames, featureNames, modelVersion: 'm' };
  let k = 0;
  return {
    each: () => {
      appendDecidedBatch(log, hasher, records, results, 0, N, naming, () => undefined);
      if (++k % 50 === 0) log.flush();
    },
    close: () => log.close(),
  };
});
for (const [name, capture, sample, labels] of [
  ['served logs: every label (--label-log all), no feature log', false, false, 'all'],
  ['served logs: fraud labels (default), no feature log', false, false, 'fraud'],
  ['served logs: fraud labels + 29 feature rows a batch (default)', true, 0.02, 'fraud'],
  ['served logs: every label + 29 feature rows a batch', true, 0.02, 'all'],
]) {
  measure(name, (dir) => {
    const s = ServedLogs.open(fakeEngine(capture), { dataDir: dir, featureSample: sample, labels, labelSource: 'generator', cardRefSecret: secret, modelVersion: () => 'm' }, 0, () => 0);
    const listener = s['onBatch'];
    let k = 0;
    return {
      each: () => {
        listener(batch);
        if (++k % 50 === 0) {
          s.labels.flush();
          s.features?.flush();
        }
      },
      close: () => void s.close(),
    };
  });
}
