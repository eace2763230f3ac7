// Main-thread cost of opening cases (issue 10, item 7): what the engine's thread pays per decided batch to get every
// alert its case, (a) with the CaseWriter (pack the batch's alerts, one postMessage; the worker does the rest) and
// (b) the earlier way, on the main thread (an object per alert from the batch, then the SQLite case store's
// openCases every 25 batches, ~200 ms at full rate). Same batches for both: 4,096 decisions, 0.8 % alerts (the
// generator's rate with the default model and thresholds), fresh transaction ids per batch. The time is the wall
// time of the synchronous calls on the main thread, which is what the pipeline at max loses; for (a) the time until
// the worker has committed everything is reported apart (it runs beside the engine, on the other core).
// Usage: pnpm build && node bench/case-writer.bench.mjs [batches = 1500] [rounds = 3]
import { mkdirSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { NO_REASON } from '@fraudstream/schema';
import { alertBatch } from './lib/alert-batch.mjs';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { CardRefHasher, CaseWriter, decisionIdOf, openCaseStore, refToHex } from '@fraudstream/store';

const batches = Number(process.argv[2] ?? 1500);
const rounds = Number(process.argv[3] ?? 3);
const SIZE = 4096;
const EVERY = 125; // one alert per 125 decisions: 0.8 %
const root = new URL('../data/case-writer-bench/', import.meta.url).pathname;
const secret = Buffer.alloc(32, 7);
const { records, results, alertsPerBatch, renumber } = alertBatch(SIZE, EVERY);

async function offThread(dir) {
  const writer = await CaseWriter.open({ dataDir: dir, secret, names: { ruleNames, featureNames } });
  let mainMs = 0;
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    renumber(b);
    const t = performance.now();
    writer.queueBatch(records, results, 0, SIZE, 'm1', () => undefined);
    mainMs += performance.now() - t;
    // Let the event loop run between batches, as the engine's does (acks arrive, the worker's messages flow).
    if (b % 25 === 24) await new Promise((r) => setImmediate(r));
  }
  await writer.flush();
  const totalMs = performance.now() - t0;
  const opened = writer.stats().opened;
  await writer.close();
  return { mainMs, totalMs, opened };
}

async function onMain(dir) {
  const store = await openCaseStore({ dataDir: dir });
  const hasher = new CardRefHasher(secret);
  const ref = new Uint32Array(2);
  let pending = [];
  let mainMs = 0;
  let opened = 0;
  let storeCpuUs = 0;
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    renumber(b);
    const t = performance.now();
    for (let s = 0; s < SIZE; s++) {
      const code = results.decisionCode(s);
      if (code === 0) continue;
      hasher.refOfKeyInto(records.cardKeyLo(s), records.cardKeyHi(s), ref, 0);
      const names = [];
      const fired = results.rules(s);
      for (let bit = 0; bit < ruleNames.length; bit++) if ((fired & (1 << bit)) !== 0) names.push(ruleNames[bit]);
      for (let k = 0; k < 3; k++) {
        const f = results.reason(s, k);
        if (f !== NO_REASON && f < featureNames.length) names.push(featureNames[f]);
      }
      const txId = String(records.txNum(s));
      pending.push({ decisionId: decisionIdOf(txId), transactionId: txId, cardRef: refToHex(ref[0], ref[1]), decision: code === 1 ? 'REVIEW' : 'DECLINE', score: results.score(s), reasons: names, modelVersion: 'm1', eventTimeMs: records.timestampMs(s) });
    }
    if (b % 25 === 24 || b === batches - 1) {
      // CPU time of the store's own work (a loaded machine inflates wall time, far less the CPU time).
      const c = process.cpuUsage();
      opened += await store.openCases(pending);
      const d = process.cpuUsage(c);
      storeCpuUs += d.user + d.system;
      pending = [];
    }
    mainMs += performance.now() - t;
  }
  const totalMs = performance.now() - t0;
  await store.close();
  return { mainMs, totalMs, opened, storeCpuUs };
}

console.log(`case writer main-thread cost: ${batches} batches of ${SIZE} decisions (${alertsPerBatch} alerts each), ${rounds} rounds; ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}, ${new Date().toISOString()}, load ${loadavg()[0].toFixed(1)}`);
const out = { off: [], main: [] };
for (let r = 0; r < rounds; r++) {
  for (const [name, fn] of [['off', offThread], ['main', onMain]]) {
    const dir = `${root}${name}-${r}`;
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const res = await fn(dir);
    rmSync(dir, { recursive: true, force: true });
    if (res.opened !== batches * alertsPerBatch) throw new Error(`${name}: opened ${res.opened} of ${batches * alertsPerBatch} cases`);
    const alerts = batches * alertsPerBatch;
    const row = { mode: name, mainUsPerAlert: +((res.mainMs * 1000) / alerts).toFixed(2), mainUsPerBatch: +((res.mainMs * 1000) / batches).toFixed(1), allCommittedAfterMs: Math.round(res.totalMs), alertsPerSecondCommitted: Math.round(alerts / (res.totalMs / 1000)), ...(res.storeCpuUs === undefined ? {} : { storeCpuUsPerAlert: +(res.storeCpuUs / alerts).toFixed(2) }), load: +loadavg()[0].toFixed(1) };
    out[name].push(row);
    console.log(JSON.stringify(row));
  }
}
for (const name of ['off', 'main']) {
  const rs = out[name];
  const mean = (k) => (rs.reduce((a, x) => a + x[k], 0) / rs.length).toFixed(2);
  console.log(`${name.padEnd(4)} main thread ${mean('mainUsPerAlert')} us per alert, ${mean('mainUsPerBatch')} us per batch${name === 'main' ? `; SQLite openCases ${mean('storeCpuUsPerAlert')} us CPU per alert` : ''}`);
}
