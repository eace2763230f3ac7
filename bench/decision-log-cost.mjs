// Cost of durability in the real pipeline (issue 10, item 7): the in-process equivalent of `fraudstream bench --tps max`
// (live generator -> ring -> engine -> 2 workers -> Rust scorer), run in one process in several modes, interleaved
// round by round so the figures share the machine's conditions:
//   none            nothing durable
//   log             the decision log: every decided transaction appended by `appendDecidedBatch` from `engine.onBatch`
//                   in ingest order, `flush()` every 100 ms, `sync()` (fdatasync on the thread pool) every second
//   log+cases       the log, and a case for every alert opened OFF the main thread, exactly as `createSystem` wires it
//                   with a data dir (`wireCases`: a CaseWriter worker fed one message per batch with alerts; the
//                   generator writes through the gate that holds it back while the case queue is full)
//   log+cases-main  (reference, MODES=... to include it) the log, and alerts opened in the SQLite case store every
//                   200 ms ON the main thread, the way measured before the case writer existed
// Checkpoints (scorer snapshots) are not part of this: they are another helper's work.
// Usage: pnpm build && node bench/decision-log-cost.mjs [seconds per run = 10] [rounds = 2]
//        MODES=none,log,log+cases,log+cases-main node bench/decision-log-cost.mjs 10 3
import { readFileSync, rmSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Engine, defaultModelPath } from '@fraudstream/engine';
import { LiveGenerator, MAX_TPS } from '@fraudstream/sources';
import { featureNames, ruleNames } from '@fraudstream/scorer';
import { appendDecidedBatch, CardRefHasher, DecisionLog, decisionIdOf, openCaseStore, decisionLogDir } from '@fraudstream/store';
import { wireCases } from '@fraudstream/system';

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 2);
const warmupS = 2;
const modelJson = readFileSync(defaultModelPath(), 'utf8');
const modelVersion = 'cost-bench';
const root = new URL('../data/decision-log-cost/', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (hi, lo) => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

async function runOnce(mode) {
  const dataDir = `${root}${mode}`;
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const engine = await Engine.create({ modelJson, modelVersion });
  const timers = [];
  let log;
  let cases;
  let wired;
  let pendingAlerts = [];
  let alertsOpened = 0;
  if (mode !== 'none') {
    log = DecisionLog.open(decisionLogDir(dataDir));
    const hasher = new CardRefHasher(Buffer.alloc(32, 3));
    const naming = { ruleNames, featureNames, modelVersion };
    const onMain = mode === 'log+cases-main';
    if (onMain) cases = await openCaseStore({ dataDir });
    const onAlert = (b) => (s, hi, lo, reasons, score) => {
      const txId = String(b.records.txNum(s));
      const code = b.results.decisionCode(s);
      pendingAlerts.push({ decisionId: decisionIdOf(txId), transactionId: txId, cardRef: hex(hi, lo), decision: code === 1 ? 'REVIEW' : 'DECLINE', score, reasons, modelVersion, eventTimeMs: b.records.timestampMs(s) });
    };
    // The wiring the engine will use: appendDecidedBatch (integer ids as numbers, string ids from a side table).
    engine.onBatch((b) => {
      appendDecidedBatch(log, hasher, b.records, b.results, b.slot, b.count, naming, () => undefined, onMain ? onAlert(b) : undefined);
    });
    timers.push(setInterval(() => log.flush(), 100));
    timers.push(setInterval(() => void log.sync(), 1000));
    if (onMain) {
      timers.push(
        setInterval(() => {
          const batch = pendingAlerts;
          pendingAlerts = [];
          if (batch.length > 0) void cases.openCases(batch).then((n) => (alertsOpened += n));
        }, 200),
      );
    }
    if (mode === 'log+cases') wired = await wireCases(engine, { dataDir, modelVersion: () => modelVersion });
  }
  const generator = new LiveGenerator({ sink: wired?.sink ?? engine.sink, tps: MAX_TPS, customers: 5000, seed: 0 });
  const drainer = setInterval(() => engine.drainEvents(20, 200), 100);
  try {
    generator.start();
    await sleep(warmupS * 1000);
    const s0 = engine.stats();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const s1 = engine.stats();
    generator.stop();
    await engine.drain();
    const end = engine.stats();
    for (const t of timers) clearInterval(t);
    let logged;
    if (log !== undefined) {
      await log.sync();
      logged = log.records();
    }
    if (cases !== undefined) {
      if (pendingAlerts.length > 0) alertsOpened += await cases.openCases(pendingAlerts);
      await cases.close();
    }
    let caseStats;
    if (wired !== undefined) {
      await wired.writer.flush();
      caseStats = wired.stats();
      alertsOpened = caseStats.opened;
      await wired.close();
    }
    const decided = s1.counts.decided - s0.counts.decided;
    return {
      mode,
      sustainedTps: Math.round(decided / wallS),
      cpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 1000) / 10,
      decidedPerCpuSecond: Math.round(decided / ((cpu.user + cpu.system) / 1e6)),
      decidedTotal: end.counts.decided,
      // Every decided transaction must be in the log: the figure is for a log that keeps everything.
      loggedTotal: logged,
      logBytesPerDecision: log === undefined ? undefined : Math.round((log.position() / logged) * 10) / 10,
      alertsOpened: cases === undefined && wired === undefined ? undefined : alertsOpened,
      // Every alert must have its case: the figure is for a case store that misses none.
      alertsDecided: mode.includes('cases') ? end.counts.review + end.counts.declined : undefined,
      caseQueuePeak: caseStats?.queuePeak,
      heldBackMs: Math.round(generator.stats().heldBackMs),
      sourceHeldBackClaims: caseStats?.refusedClaims,
      loadAverage1m: loadavg()[0],
    };
  } finally {
    clearInterval(drainer);
    for (const t of timers) clearInterval(t);
    generator.stop();
    await engine.close();
    log?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const modes = (process.env.MODES ?? 'none,log,log+cases').split(',');
const results = [];
console.log(`decision-log cost: ${rounds} rounds of ${seconds} s per mode after ${warmupS} s warm-up; ${cpus().length} x ${cpus()[0]?.model}, Node ${process.version}, ${new Date().toISOString()}`);
for (let r = 0; r < rounds; r++) {
  for (const mode of modes) {
    const res = await runOnce(mode);
    results.push(res);
    console.log(JSON.stringify(res));
  }
}
for (const mode of modes) {
  const rs = results.filter((x) => x.mode === mode);
  const mean = (k) => Math.round(rs.reduce((a, x) => a + x[k], 0) / rs.length);
  console.log(`${mode.padEnd(10)} mean ${mean('sustainedTps').toLocaleString('en')} decided/s, ${mean('decidedPerCpuSecond').toLocaleString('en')} per cpu-second`);
}
