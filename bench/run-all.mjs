#!/usr/bin/env node
// `pnpm bench`: runs every suite in bench/ (one scenario per file, each with its peers) and writes
// machine-readable results to bench/results/<suite>.json with the machine and date. Takes well under 3 minutes.
// Usage: node --expose-gc bench/run-all.mjs [name-filter]
import { cpus, totalmem, loadavg } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const only = process.argv[2];
// A suite exports `run()`; the other *.bench.mjs files are scripts run by hand (bench/README.md), which importing
// would start, so they are told apart by their text before anything is imported.
const suites = readdirSync(here).filter(
  (f) => f.endsWith('.bench.mjs') && (only === undefined || f.includes(only)) && /^export async function run\(/m.test(readFileSync(new URL(f, here), 'utf8')),
);
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
mkdirSync(new URL('./results/', here), { recursive: true });
const fmt = (v) => (typeof v === 'number' ? (Number.isInteger(v) ? v.toLocaleString('en') : v.toFixed(v < 10 ? 3 : 1)) : v);
for (const file of suites) {
  const name = file.replace('.bench.mjs', '');
  const t0 = performance.now();
  const load = loadavg()[0];
  const mod = await import(new URL(file, here).href);
  const results = await mod.run();
  // The machine's 1-minute load average at the start: above the core count, figures were taken under load.
  const out = { suite: name, date: new Date().toISOString(), machine, loadAverage1m: load, command: `pnpm bench ${name}`, seconds: (performance.now() - t0) / 1000, results };
  writeFileSync(new URL(`./results/${name}.json`, here), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\n${name} (${machine.cores} x ${machine.cpu}, Node ${machine.node}, load ${load.toFixed(1)}, ${out.seconds.toFixed(0)} s)`);
  const keys = ['recordsPerSecond', 'nsPerRecord', 'meanMs', 'bytesPerCard', 'sustainedTps', 'cpuPercent', 'peakRssMb', 'unavailable'];
  console.table(
    results.map((r) => {
      const row = { name: r.name };
      for (const k of keys) if (r[k] !== undefined) row[k] = fmt(r[k]);
      if (r.latencyMs !== undefined) row['p50/p99/p99.9 ms'] = `${r.latencyMs.p50}/${r.latencyMs.p99}/${r.latencyMs.p999}`;
      if (r.agreement !== undefined) row.agreement = JSON.stringify(r.agreement);
      return row;
    }),
  );
}
