#!/usr/bin/env node
// Cost of durability end to end (issue 10, item 7): `fraudstream bench --tps max` (live generator -> ring -> engine
// -> workers -> Rust scorer), as separate processes, without a data dir and with `--data-dir` (every decision appended
// to the decision log, flushed every 100 ms and fdatasynced every second, plus an aligned checkpoint every
// --checkpoint-interval: a barrier ticket, a scorer snapshot on the libuv pool, the generator's position and labels,
// a log sync and an atomic checkpoint record), alternating in interleaved rounds so both modes share the machine's
// conditions. Each durable round gets a new data dir (an existing one would be resumed).
// Usage: pnpm build && node bench/durability-cost.mjs [seconds per run = 10] [rounds = 3] [checkpoint interval s = 2]
//        [baseline CLI: another build's apps/cli/dist/main.js, run durable as a third mode "baseline" in the same rounds]
// Modes: "log" is what item 7 names, the decision log and checkpoints alone (`--no-served-logs`); "durable" adds the
// served-feature and label logs (issue 14's training data, on by default with --data-dir); "cases" is durable with
// `--cases` too (the case store, which 'start --data-dir' opens by default and `bench` only with --cases): the whole
// durable set. DURABILITY_COST_MODES=ephemeral,log,... runs a subset (DURABILITY_COST_NO_CASES=1 leaves cases out).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const interval = Number(process.argv[4] ?? 2);
const cli = new URL('../apps/cli/dist/main.js', import.meta.url).pathname;
const baselineCli = process.argv[5];
const root = new URL('../data/durability-cost/', import.meta.url).pathname;
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });

function bench(mode, round) {
  const json = `${root}${mode}-${round}.json`;
  const args = [mode === 'baseline' ? baselineCli : cli, 'bench', '--tps', 'max', '--duration', String(seconds), '--json', json];
  if (mode !== 'ephemeral') args.push('--data-dir', `${root}data-${round}`, '--checkpoint-interval', String(interval));
  if (mode === 'cases') args.push('--cases');
  if (mode === 'log') args.push('--no-served-logs');
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench ${mode} failed (${r.status}): ${r.stderr}${r.stdout}`);
  const out = JSON.parse(readFileSync(json, 'utf8'));
  rmSync(`${root}data-${round}`, { recursive: true, force: true });
  return out;
}

const load = loadavg()[0];
const rows = [];
for (let round = 0; round < rounds; round++) {
  // Alternate which mode goes first, so a drift in the machine's load does not favour one.
  const modes = [
    ...(process.env.DURABILITY_COST_MODES?.split(',') ?? ['ephemeral', 'log', 'durable', ...(process.env.DURABILITY_COST_NO_CASES === '1' ? [] : ['cases'])]),
    ...(baselineCli === undefined ? [] : ['baseline']),
  ];
  // Rotate the order each round.
  const order = modes.map((_, k) => modes[(k + round) % modes.length]);
  for (const mode of order) {
    const r = bench(mode, round);
    rows.push({
      round,
      mode,
      sustainedTps: r.sustainedTps,
      scoredPerCpuSecond: r.scoredPerCpuSecond,
      cpuPercent: r.cpuPercent,
      p99Ms: r.latencyMs.p99,
      checkpoints: r.durability?.lastCheckpoint?.id ?? 0,
      snapshotBytes: r.durability?.lastCheckpoint?.snapshotBytes ?? 0,
      checkpointMs: r.durability?.lastCheckpoint?.tookMs ?? 0,
      logged: r.durability?.logRecords ?? 0,
      load1m: +loadavg()[0].toFixed(1),
    });
    console.log(JSON.stringify(rows[rows.length - 1]));
  }
}
const mean = (mode, k) => {
  const xs = rows.filter((r) => r.mode === mode).map((r) => r[k]);
  return xs.reduce((a, b) => a + b, 0) / xs.length;
};
const ran = (mode) => rows.some((r) => r.mode === mode);
const means = (mode) => ({ sustainedTps: Math.round(mean(mode, 'sustainedTps')), scoredPerCpuSecond: Math.round(mean(mode, 'scoredPerCpuSecond')) });
const summary = {
  date: new Date().toISOString(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', node: process.version },
  loadAverage1m: load,
  command: `node bench/durability-cost.mjs ${seconds} ${rounds} ${interval}${baselineCli === undefined ? '' : ' BASELINE_CLI'}`,
  ephemeral: means('ephemeral'),
  ...Object.fromEntries(['durable', 'log', 'cases'].filter(ran).map((m) => [m, means(m)])),
  ...(baselineCli === undefined ? {} : { baseline: { cli: baselineCli, ...means('baseline') } }),
  rows,
};
// Per durable mode, % fewer decisions/s and per CPU-second than ephemeral; keys `sustainedTps`/`scoredPerCpuSecond`
// for durable, prefixed by the mode for the others (`logSustainedTps`, ...).
const costKey = (m, k) => (m === 'durable' ? k : `${m}${k[0].toUpperCase()}${k.slice(1)}`);
const percentFewer = (m, k) => Math.round((1 - summary[m][k] / summary.ephemeral[k]) * 1000) / 10;
summary.costPercent = {};
for (const m of ['durable', 'log', 'cases', 'baseline']) {
  if (summary[m] === undefined) continue;
  for (const k of ['sustainedTps', 'scoredPerCpuSecond']) summary.costPercent[costKey(m, k)] = percentFewer(m, k);
}
summary.loadAverage1mEnd = loadavg()[0];
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/durability-cost.json', import.meta.url), `${JSON.stringify(summary, null, 2)}\n`);
console.table(rows);
const LABELS = {
  log: 'decision log + checkpoints (item 7)',
  durable: 'durable (+ served logs)',
  cases: 'durable with cases',
  baseline: 'baseline durable',
};
for (const m of ['log', 'durable', 'cases', 'baseline']) {
  if (summary[m] === undefined) continue;
  const c = (k) => summary.costPercent[costKey(m, k)];
  console.log(`${LABELS[m]} vs ephemeral: ${c('sustainedTps')}% fewer decisions/s, ${c('scoredPerCpuSecond')}% fewer per CPU-second${m === 'durable' ? ` (load ${load.toFixed(1)} on ${cpus().length} cores)` : ''}`);
}
