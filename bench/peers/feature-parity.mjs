// Parity of the FastAPI peer with the Rust scorer: the same transactions (a deterministic stream of N, default 400,
// over a few cards and terminals across 40 days, with card-present travel, small amounts and high-ratio spikes) go
// through the scorer's own feature code (`extractFeatures`, fresh state) and scorer (`scoreBatch`, default model),
// and through the peer's Python feature code and XGBoost predictor (fastapi_replay.py). Prints the largest
// difference per feature and of the scores; exits 1 when a feature differs by more than 1e-4 relative (the scorer
// keeps amount sums as f32) or a score by more than 1e-5, or when one side has NaN where the other has a number.
// Usage: node bench/peers/feature-parity.mjs [N]     (needs .venv: scripts/setup-python.sh)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RECORD_SIZE, RESULT_SIZE, RecordViews, ResultViews, validateTransaction } from '@fraudstream/schema';
import { Scorer, extractFeatures, featureNames } from '@fraudstream/scorer';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const n = Number(process.argv[2] ?? 400);
const python = here('../../.venv/bin/python');
if (!existsSync(python)) {
  console.error(`${python} missing: run scripts/setup-python.sh`);
  process.exit(2);
}

/** A deterministic stream (xorshift32), in event-time order. */
function stream(count) {
  let s = 0x9e3779b9;
  const rnd = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  const channels = ['POS', 'ONLINE', 'ATM'];
  const countries = ['FR', 'DE', 'ES', 'US'];
  const out = [];
  let t = Date.UTC(2026, 0, 1);
  for (let i = 0; i < count; i++) {
    // Mostly minutes to hours apart, sometimes days (windows roll over; a few gaps longer than a week).
    t += Math.floor(rnd() < 0.05 ? rnd() * 9 * 86_400_000 : rnd() * 6 * 3_600_000);
    const card = Math.floor(rnd() * 12);
    const amount = Math.round((rnd() < 0.1 ? 1 + rnd() * 4 : rnd() < 0.08 ? 300 + rnd() * 900 : 5 + rnd() * 80) * 100) / 100;
    const tx = { id: `p${i}`, cardId: `card-${card}`, terminalId: `term-${Math.floor(rnd() * 7)}`, amount, timestamp: t };
    if (rnd() < 0.8) tx.channel = channels[Math.floor(rnd() * 3)];
    if (rnd() < 0.8) tx.cardPresent = rnd() < 0.6;
    if (rnd() < 0.7) tx.mcc = [5411, 5812, 5999, 7995][Math.floor(rnd() * 4)];
    if (tx.cardPresent === true && rnd() < 0.9) {
      tx.lat = Math.round((40 + rnd() * 12) * 1e4) / 1e4;
      tx.lon = Math.round((-5 + rnd() * 20) * 1e4) / 1e4;
      if (rnd() < 0.9) tx.country = countries[Math.floor(rnd() * 4)];
    }
    out.push(tx);
  }
  return out;
}

const txs = stream(n);
const records = new RecordViews(new SharedArrayBuffer(RECORD_SIZE * n), 0, n);
txs.forEach((tx, i) => {
  const v = validateTransaction(tx);
  if (!v.ok) throw new Error(`generated transaction ${i} is invalid: ${v.error.message}`);
  records.writeTransaction(i, v.value, 0);
});
const F = featureNames.length;
const ours = new Float32Array(n * F);
extractFeatures(undefined, records.u8, n, ours);
const scorer = Scorer.open();
scorer.loadModel(readFileSync(here('../../models/default.json'), 'utf8'));
const results = new ResultViews(new SharedArrayBuffer(RESULT_SIZE * n), 0, n);
scorer.scoreBatch(records.u8, results.u8, 0, n, 0);

const py = spawnSync(python, [here('./fastapi_replay.py')], { input: txs.map((t) => JSON.stringify(t)).join('\n'), encoding: 'utf8', maxBuffer: 64 << 20 });
if (py.status !== 0) throw new Error(`fastapi_replay.py failed: ${py.stderr}`);
const theirs = py.stdout.trim().split('\n').map((l) => JSON.parse(l));
if (theirs.length !== n) throw new Error(`the peer answered ${theirs.length} rows for ${n}`);

let failures = 0;
const rows = [];
for (let j = 0; j < F; j++) {
  let maxAbs = 0;
  let maxRel = 0;
  let nanMismatch = 0;
  let set = 0;
  let nonZero = 0;
  for (let i = 0; i < n; i++) {
    const a = ours[i * F + j];
    const b = theirs[i].f[j] ?? Number.NaN;
    if (Number.isNaN(a) || Number.isNaN(b)) {
      if (Number.isNaN(a) !== Number.isNaN(b)) nanMismatch++;
      continue;
    }
    set++;
    if (a !== 0) nonZero++;
    const d = Math.abs(a - b);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(1, Math.abs(b)));
  }
  const ok = nanMismatch === 0 && maxRel <= 1e-4;
  if (!ok) failures++;
  rows.push(`| ${j} | ${featureNames[j]} | ${set} | ${nonZero} | ${maxAbs.toExponential(2)} | ${maxRel.toExponential(2)} | ${nanMismatch} | ${ok ? 'ok' : 'DIFFERS'} |`);
}
let scoreMax = 0;
let decisionsDiffer = 0;
for (let i = 0; i < n; i++) {
  const a = results.score(i);
  const b = theirs[i].score;
  scoreMax = Math.max(scoreMax, Math.abs(a - b));
  const db = b >= 0.9 ? 'DECLINE' : b >= 0.5 ? 'REVIEW' : 'APPROVE';
  if (db !== results.decision(i)) decisionsDiffer++;
}
if (!(scoreMax <= 1e-5)) failures++;
console.log(`FastAPI peer vs Rust scorer, ${n} transactions (rows with both values set; relative = |diff| / max(1, |peer|))\n`);
console.log('| # | feature | set | non-zero | max abs diff | max rel diff | NaN mismatches | |');
console.log('|---:|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) console.log(r);
console.log(`\nscores: max |diff| ${scoreMax.toExponential(2)}; decisions that differ: ${decisionsDiffer} of ${n}`);
console.log(failures === 0 ? 'PARITY OK' : `PARITY FAILED (${failures} checks)`);
process.exit(failures === 0 ? 0 : 1);
