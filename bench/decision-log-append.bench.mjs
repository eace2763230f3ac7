// The engine thread's cost of logging a decided batch (issue 10, item 7), in CPU time of this (single) thread:
//   - records: appendDecidedBatch reading each record and result, hashing its card, checking and adding it one by one
//     (what the engine's thread did before the workers staged the columns),
//   - staged:  appendDecidedBatch given the columns a scoring worker laid out in JS (DecisionColumns.stage), copying runs,
//   - native:  the same, the columns laid out by the addon (DecisionColumns.stageNative, what the workers now run),
// and apart, the worker-side cost of staging a batch. Same batches for all: 2,048 records, every other one a label
// (the generator's mix), 0.8 % alerts, 200,000 cards, integer ids; the log is written to data/ (flushed, not synced).
// Usage: pnpm build && node bench/decision-log-append.bench.mjs [batches = 2000] [rounds = 3]
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { DecisionColumns } from '@fraudstream/engine';
import { DecisionCode, NO_REASON, RECORD_SIZE, RecordViews, RESULT_SIZE, ResultStatus, ResultViews } from '@fraudstream/schema';
import { cardRefKey, featureNames, ruleNames } from '@fraudstream/scorer';
import { appendDecidedBatch, CardRefHasher, DecisionLog } from '@fraudstream/store';

const batches = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const SIZE = 2048;
const SLOTS = 1 << 16;
const root = new URL('../data/decision-log-append-bench/', import.meta.url).pathname;
const secret = Buffer.alloc(32, 7);
const records = new RecordViews(new SharedArrayBuffer(SLOTS * RECORD_SIZE));
const results = new ResultViews(new SharedArrayBuffer(SLOTS * RESULT_SIZE));
const T0 = Date.UTC(2018, 3, 1);
for (let s = 0; s < SLOTS; s++) {
  if (s % 2 === 1) {
    records.writeLabel(s, s - 1, T0 + s, 0, 0, 0, 0, false, 0);
    results.write(s, { score: 0, decision: 0, status: ResultStatus.Label, rules: 0, reasons: [NO_REASON, NO_REASON, NO_REASON] });
    continue;
  }
  records.writeTransaction(s, { id: String(1_000_000 + s), cardId: `card-${(s * 7919) % 200_000}`, terminalId: `t-${s % 977}`, amount: 10, currency: 'EUR', timestampMs: T0 + s }, 0);
  const alert = s % 250 === 0;
  results.write(s, { score: alert ? 0.8 : 0.1, decision: alert ? DecisionCode.Review : DecisionCode.Approve, status: ResultStatus.Scored, rules: alert ? 0b1 : 0, reasons: alert ? [1, 4, 7] : [NO_REASON, NO_REASON, NO_REASON] });
}
const columns = DecisionColumns.create(SLOTS);
const recordBytes = new Uint8Array(records.f64.buffer);
const key = cardRefKey(secret);
const naming = { ruleNames, featureNames, modelVersion: 'm1' };
const cpuUs = () => {
  const c = process.cpuUsage();
  return c.user + c.system;
};

function run(mode, r) {
  const dir = `${root}${mode}-${r}`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const log = DecisionLog.open(dir);
  // A fresh hasher per run: its card cache starts cold in every mode, as in a new process.
  const hasher = new CardRefHasher(secret);
  const workerHasher = new CardRefHasher(secret);
  let mainUs = 0;
  let stageUs = 0;
  let decisions = 0;
  for (let b = 0; b < batches; b++) {
    const slot = (b * SIZE) % SLOTS;
    let staged;
    if (mode !== 'records') {
      const t = cpuUs();
      if (mode === 'staged') columns.stage(records, results, workerHasher, slot, SIZE);
      else columns.stageNative(recordBytes, results.u8, key, slot, SIZE);
      const n = columns.take(slot);
      stageUs += cpuUs() - t;
      staged = { ts: columns.ts, txNum: columns.txNum, card: columns.card, score: columns.score, decision: columns.decision, flag: columns.flag, slotOf: columns.slotOf, start: slot, count: n, generation: 0 };
    }
    const t = cpuUs();
    decisions += appendDecidedBatch(log, hasher, records, results, slot, SIZE, naming, () => undefined, undefined, staged).appended;
    if (b % 50 === 49) log.flush();
    mainUs += cpuUs() - t;
  }
  log.close();
  rmSync(dir, { recursive: true, force: true });
  return { mode, round: r, decisions, mainNsPerDecision: Math.round((mainUs * 1000) / decisions), workerStageNsPerDecision: Math.round((stageUs * 1000) / decisions), load: +loadavg()[0].toFixed(1) };
}

console.log(`decision-log append on the engine thread: ${batches} batches of ${SIZE} records (half labels), ${rounds} rounds; ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}, ${new Date().toISOString()}, load ${loadavg()[0].toFixed(1)}`);
const rows = [];
for (let r = 0; r < rounds; r++) {
  for (const mode of r % 2 === 0 ? ['records', 'staged', 'native'] : ['native', 'staged', 'records']) {
    const row = run(mode, r);
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
for (const mode of ['records', 'staged', 'native']) {
  const rs = rows.filter((x) => x.mode === mode);
  const mean = (k) => Math.round(rs.reduce((a, x) => a + x[k], 0) / rs.length);
  console.log(`${mode.padEnd(8)} engine thread ${mean('mainNsPerDecision')} ns CPU per decision${mode !== 'records' ? `; worker staging ${mean('workerStageNsPerDecision')} ns CPU per decision` : ''}`);
}
