// End to end: `fraudstream bench` (generator -> ring -> engine -> workers -> addon -> decisions) as a child process,
// short runs at 100,000/s, 1,000,000/s and max offered. The full 30 s runs are in RESULTS.md (same command, longer).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const cli = new URL('../apps/cli/dist/main.js', import.meta.url).pathname;
const RUNS = [
  ['100000', 5],
  ['1000000', 5],
  ['max', 5],
];

export async function run() {
  const dir = new URL('../data/', import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const out = [];
  for (const [tps, duration] of RUNS) {
    const json = `${dir}e2e-${tps}.json`;
    const args = ['bench', '--tps', tps, '--duration', String(duration), '--warmup', '2', '--json', json];
    execFileSync(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
    const r = JSON.parse(readFileSync(json, 'utf8'));
    out.push({ name: `fraudstream ${args.slice(0, -2).join(' ')}`, ...r });
  }
  return out;
}
