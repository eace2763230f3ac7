#!/usr/bin/env node
// Cost of the training logs (issue 14, item 6): `fraudstream bench --tps max` as separate processes, in interleaved
// rounds: without a data dir; durable without the served-feature and label logs (--no-served-logs); durable with
// them at --feature-log-sample 0.02 (the default of `start`) and 0.1. Reports sustained decisions/s, decisions per
// CPU-second (all threads) and the main thread's time in the served logs per decision (`durability.served.busyMs`,
// wall time inside the listener and flushes: inflated when the machine is oversubscribed).
// Usage: pnpm build && node bench/served-logs-cost.mjs [seconds per run = 10] [rounds = 3]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';

const seconds = Number(process.argv[2] ?? 10);
const rounds = Number(process.argv[3] ?? 3);
const cli = new URL('../apps/cli/dist/main.js', import.meta.url).pathname;
const root = new URL('../data/served-logs-cost/', import.meta.url).pathname;
rmSync(root, { recursive: true, force: true });
mkdirSync(root, { recursive: true });

const MODES = {
  ephemeral: [],
  'durable, no served logs': ['--no-served-logs'],
  'durable, sample 0.02': ['--feature-log-sample', '0.02'],
  'durable, sample 0.1': ['--feature-log-sample', '0.1'],
};

function bench(mode, round) {
  const json = `${root}${round}-${Object.keys(MODES).indexOf(mode)}.json`;
  const dir = `${root}data-${round}`;
  const args = [cli, 'bench', '--tps', 'max', '--duration', String(seconds), '--json', json];
  if (mode !== 'ephemeral') args.push('--data-dir', dir, ...MODES[mode]);
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bench ${mode} failed (${r.status}): ${r.stderr}${r.stdout}`);
  rmSync(dir, { recursive: true, force: true });
  return JSON.parse(readFileSync(json, 'utf8'));
}

const load = loadavg()[0];
const by = new Map(Object.keys(MODES).map((m) => [m, []]));
for (let round = 0; round < rounds; round++) {
  // Rotate the order, so a drift in the machine's load does not favour one mode.
  const modes = Object.keys(MODES);
  const order = modes.slice(round % modes.length).concat(modes.slice(0, round % modes.length));
  for (const mode of order) {
    const r = bench(mode, round);
    const served = r.durability?.served;
    const decided = r.durability?.logRecords ?? r.counts.scored;
    by.get(mode).push({
      tps: r.sustainedTps,
      perCpuS: r.sustainedTps / (r.cpuPercent / 100),
      servedUsPerDecision: served === undefined ? undefined : (served.busyMs * 1000) / decided,
      featureRows: served?.featureRows,
      labels: served?.labels,
    });
    process.stderr.write(`round ${round} ${mode}: ${Math.round(r.sustainedTps)} decisions/s\n`);
  }
}
const median = (xs) => {
  const s = xs.filter((x) => x !== undefined).sort((a, b) => a - b);
  return s.length === 0 ? undefined : s[Math.floor(s.length / 2)];
};
const base = median(by.get('ephemeral').map((x) => x.tps));
console.log(`served-logs cost, ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model}), load ${load.toFixed(1)} at start, ${rounds} rounds of ${seconds} s`);
console.log('| mode | decisions/s (median) | vs ephemeral | decisions per CPU-second | served logs, main-thread us per decision | feature rows | labels |');
console.log('|---|---|---|---|---|---|---|');
for (const [mode, xs] of by) {
  const tps = median(xs.map((x) => x.tps));
  const us = median(xs.map((x) => x.servedUsPerDecision));
  console.log(
    `| ${mode} | ${Math.round(tps).toLocaleString('en')} | ${(((tps - base) / base) * 100).toFixed(1)} % | ${Math.round(median(xs.map((x) => x.perCpuS))).toLocaleString('en')} | ${us === undefined ? '-' : us.toFixed(2)} | ${median(xs.map((x) => x.featureRows)) ?? '-'} | ${median(xs.map((x) => x.labels)) ?? '-'} |`,
  );
}
