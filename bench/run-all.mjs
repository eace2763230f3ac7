#!/usr/bin/env node
// `pnpm bench`: runs every suite in bench/ (one scenario per file, each with its peers) and writes
// machine-readable results to bench/results/<suite>.json with the machine and date. Takes well under 3 minutes.
import { cpus, totalmem } from 'node:os';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';

const here = new URL('.', import.meta.url);
const only = process.argv[2];
const suites = readdirSync(here).filter((f) => f.endsWith('.bench.mjs') && (only === undefined || f.includes(only)));
const machine = { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: Math.round(totalmem() / 2 ** 30), node: process.version };
mkdirSync(new URL('./results/', here), { recursive: true });
for (const file of suites) {
  const mod = await import(new URL(file, here).href);
  const results = await mod.run();
  const name = file.replace('.bench.mjs', '');
  const out = { suite: name, date: new Date().toISOString(), machine, command: `pnpm bench ${name}`, results };
  writeFileSync(new URL(`./results/${name}.json`, here), `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\n${name} (${machine.cores} x ${machine.cpu}, Node ${machine.node})`);
  console.table(results.map((r) => ({ name: r.name, 'records/s': r.recordsPerSecond.toLocaleString('en'), 'mean ms': r.meanMs.toFixed(3), samples: r.samples })));
}
