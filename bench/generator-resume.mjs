#!/usr/bin/env node
// How long a generator's resume takes (issue 10, checkpoints): fast-forwarding the simulator through every day up to
// the checkpoint's position (what a checkpoint without the simulator state needs) against restoring the saved
// simulator state (Simulator.saveState / restoreState), at several positions, default population, in one run.
// Usage: pnpm build && node bench/generator-resume.mjs [days ...]   (default: 30 100 300 1000)
import { loadavg, cpus } from 'node:os';
import { Simulator } from '../packages/sources/dist/index.js';

const positions = process.argv.slice(2).map(Number);
const days = positions.length > 0 ? positions : [30, 100, 300, 1000];
console.log(`# ${new Date().toISOString()} ${cpus()[0]?.model} x${cpus().length}, load ${loadavg()[0].toFixed(2)}`);
console.log('| days | transactions | fast-forward ms | state bytes | save ms | restore ms |');
console.log('|---:|---:|---:|---:|---:|---:|');
for (const d of days) {
  const t0 = performance.now();
  const a = new Simulator({ seed: 1 }, Infinity);
  for (let i = 0; i < d; i++) a.nextDay();
  const ff = performance.now() - t0;
  const t1 = performance.now();
  const bytes = a.saveState();
  const save = performance.now() - t1;
  const t2 = performance.now();
  const b = new Simulator({ seed: 1 }, Infinity);
  b.restoreState(bytes, 'bench');
  const restore = performance.now() - t2;
  if (b.generated !== a.generated) throw new Error('restored simulator is not at the saved position');
  console.log(`| ${d} | ${a.generated.toLocaleString('en-US')} | ${ff.toFixed(0)} | ${bytes.length.toLocaleString('en-US')} | ${save.toFixed(1)} | ${restore.toFixed(1)} |`);
}
