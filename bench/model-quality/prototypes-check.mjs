// Checks prototypes.mjs against a brute-force recomputation from each transaction's definition (every earlier
// transaction rescanned) on a small generated file; exits 1 on the first difference.
// Usage: node bench/model-quality/prototypes-check.mjs DATA.csv [ROWS=3000]
import { prepare } from '../../apps/cli/dist/backtest.js';
import { prototypes } from './prototypes.mjs';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const [data, rowsArg] = process.argv.slice(2);
if (data === undefined) {
  process.stderr.write('usage: prototypes-check.mjs DATA.csv [ROWS]\n');
  process.exit(2);
}
const p = await prepare(data, 7);
const n = Math.min(p.data.txCount, Number(rowsArg ?? 3000));
const v = p.data.views;
const term = (i) => v.termKeyHi(p.data.txSlots[i]) * 4294967296 + v.termKeyLo(p.data.txSlots[i]);
const amount = (i) => v.amount(p.data.txSlots[i]);
const ts = p.data.txTimestampsMs;
const same = (a, b) => (Number.isNaN(a) && Number.isNaN(b)) || Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));
let bad = 0;
const check = (kind, i, j, got, want) => {
  if (!same(got, want) && bad++ < 10) process.stderr.write(`${kind} row ${i} slot ${33 + j}: ${got} != ${want}\n`);
};
const slide = prototypes(p, 'slide');
const tdist = prototypes(p, 'tdist');
// The last n rows of the file (the windows are full there), each against every transaction before it.
for (let i = p.data.txCount - n; i < p.data.txCount; i++) {
  const t = ts[i];
  let c24 = 1;
  let c1 = 1;
  let sum = 0;
  let prev = 0;
  const d1 = new Set([p.card[i]]);
  const d7 = new Set([p.card[i]]);
  let visits = 1;
  for (let j = 0; j < i; j++) {
    if (ts[j] <= t - 30 * DAY) continue;
    if (term(j) === term(i)) {
      if (ts[j] > t - DAY) d1.add(p.card[j]);
      if (ts[j] > t - 7 * DAY) d7.add(p.card[j]);
      if (p.card[j] === p.card[i]) visits++;
    }
    if (p.card[j] !== p.card[i]) continue;
    if (ts[j] > t - 24 * HOUR) {
      c24++;
      sum += amount(j);
      prev++;
    }
    if (ts[j] > t - HOUR) c1++;
  }
  const mean = prev === 0 ? Number.NaN : sum / prev;
  const want = { slide: [c24, mean > 0 ? amount(i) / mean : Number.NaN, c1], tdist: [d1.size, d7.size, visits] };
  for (const [kind, rows] of [['slide', slide], ['tdist', tdist]]) {
    for (let j = 0; j < 3; j++) check(kind, i, j, rows[i * p.width + 33 + j], want[kind][j]);
  }
}
process.stdout.write(`${n} rows x 6 prototype features: ${bad} differences\n`);
process.exit(bad === 0 ? 0 : 1);
