// What live rules cost on the hot path: Rust scoreBatch x2048 over the live generator's stream (131,072 records,
// seed 1, the default model), in process CPU time per transaction, with
//   - no rules (the default: the scorer skips the rule set with one branch per transaction),
//   - a typical set: 6 rules (comparisons, arithmetic, a list membership, country/channel by name) and 4 list kinds.
// Run it once per addon to compare builds: FRAUDSTREAM_SCORER_NATIVE=path/to/scorer.node node bench/rules-cost.mjs
// (an addon without setRules, i.e. before the rules work, measures the no-rules row only). The addon is called
// directly (createScorer, loadModel, setRules, scoreBatch), so an older addon works with this package's code.
// Usage: node bench/rules-cost.mjs [--time MS] [--json OUT.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { Bench } from 'tinybench';
import { RESULT_SIZE } from '@fraudstream/schema';
import { makeRecords } from './lib/records.mjs';

const RECORDS = 1 << 17;
const BATCH = 2048;
const MODEL = readFileSync(new URL('../models/default.json', import.meta.url), 'utf8');
const require = createRequire(new URL('../packages/scorer/package.json', import.meta.url));
const override = process.env.FRAUDSTREAM_SCORER_NATIVE;
const nativePath = override ? resolve(override) : require.resolve('@fraudstream/scorer-native');
const native = require(nativePath);

/** A rule set of the kind a fraud team writes (every rule is evaluated on every transaction). */
export const TYPICAL_RULES = `
list risky_mcc = [7995, 5967, 4829, 6051]
rule BIG_ONLINE review: amount > 5000 and channel == "ONLINE"
rule CASINO_NIGHT decline: mcc in risky_mcc and (is_night == 1 or amount >= 1000)
rule BURST review: card_tx_count_1d > 20 and amount > 3 * card_mean_amount_30d
rule TESTING flag: card_small_tx_count_1d >= 5
rule TRAVEL review: kmh_from_prev_present > 900
rule ABROAD flag: country in ["KP", "IR", "SY"] and not (card_present == 1)
allow card "vip-card-1", "vip-card-2"
block terminal "T-blocked"
block mcc 7273
block country "KP"
`;

export async function run({ time = 1500 } = {}) {
  const { records, count, transactions } = await makeRecords(RECORDS, { seed: 1 });
  const results = new Uint8Array(count * RESULT_SIZE);
  const cpuNowMs = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  };
  const bench = new Bench({ time, warmupTime: 200, iterations: 5, warmupIterations: 2, now: cpuNowMs });
  const canRules = typeof native.setRules === 'function';
  const cases = [['no rules (default)', undefined], ...(canRules ? [['typical rules (6 rules, 4 list kinds)', TYPICAL_RULES]] : [])];
  for (const [name, rules] of cases) {
    let h;
    bench.add(
      `scoreBatch x${BATCH}, ${name}`,
      () => {
        for (let at = 0, t = 0; at < count; at += BATCH, t++) native.scoreBatch(h, records, results, at, Math.min(BATCH, count - at), t);
      },
      {
        beforeEach() {
          h = native.createScorer();
          native.loadModel(h, MODEL);
          if (rules !== undefined) native.setRules(h, rules);
        },
        afterEach() {
          native.destroyScorer(h);
        },
      },
    );
  }
  await bench.run();
  const perTx = (ms) => Math.round((ms * 1e6) / transactions);
  const rows = bench.tasks.map((t) => {
    const l = t.result.latency;
    return { name: t.name, nsPerTx: perTx(l.p50), meanNsPerTx: perTx(l.mean), minNsPerTx: perTx(l.min), samples: l.samplesCount };
  });
  return { addon: nativePath, records: count, transactions, rows };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const time = args.includes('--time') ? Number(args[args.indexOf('--time') + 1]) : 1500;
  const out = await run({ time });
  for (const r of out.rows) {
    process.stdout.write(`${r.name}: median ${r.nsPerTx} ns/tx, mean ${r.meanNsPerTx}, min ${r.minNsPerTx} (${r.samples} samples, CPU time)\n`);
  }
  process.stdout.write(`addon ${out.addon}, ${out.transactions} transactions of ${out.records} records\n`);
  if (args.includes('--json')) writeFileSync(args[args.indexOf('--json') + 1], `${JSON.stringify(out, null, 2)}\n`);
}
