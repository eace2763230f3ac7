// The label index's cost per remembered transaction (what every scored API request and Kafka transaction pays on the
// engine thread), beside a Map keyed by id doing the same bookkeeping (the index's design before it had its own table).
// Suite `label-index` of `pnpm bench`; by hand: node bench/label-index.bench.mjs [TRANSACTIONS] [ROUNDS]
// Ids like the scoring bench's ("w1-123456"), fresh strings each round as requests bring them.
import { fileURLToPath } from 'node:url';
import { LabelIndex } from '@fraudstream/kafka';
import { RecordViews, RECORD_SIZE, validateTransaction } from '@fraudstream/schema';

const MAX_SIZE = 262_144;

/** The Map peer: id -> newest entry, the oldest entry forgotten unless its id was remembered since. */
class MapIndex {
  constructor(size) {
    this.size = size;
    this.byId = new Map();
    this.ids = new Array(size);
    this.seq = new Float64Array(size);
    this.next = 0;
  }
  remember(id, seq) {
    const e = this.next;
    this.next = e + 1 === this.size ? 0 : e + 1;
    const old = this.ids[e];
    if (old !== undefined && this.byId.get(old) === e) this.byId.delete(old);
    this.ids[e] = id;
    this.byId.set(id, e);
    this.seq[e] = seq;
  }
}

export async function run({ n = 2_000_000, rounds = 5 } = {}) {
  const views = new RecordViews(new ArrayBuffer(RECORD_SIZE));
  const tx = validateTransaction({ id: 'w1-1', cardId: 'card-1', terminalId: 'term-1', amount: 1, timestamp: 1 });
  if (!tx.ok) throw new Error('fixture');
  views.writeTransaction(0, tx.value, 0);
  const ids = Array.from({ length: n }, (_, i) => `w${i & 1}-${i}`);
  const runs = { 'own table (LabelIndex)': [], 'Map (the same bookkeeping)': [] };
  for (let r = 0; r < rounds; r++) {
    for (const name of Object.keys(runs)) {
      // Fresh strings: a string caches its hash once computed, and a request's id is always new.
      const fresh = ids.map((s) => (' ' + s).slice(1));
      const own = name.startsWith('own');
      const index = own ? new LabelIndex(MAX_SIZE) : new MapIndex(MAX_SIZE);
      const t0 = process.hrtime.bigint();
      if (own) for (let i = 0; i < n; i++) index.remember(fresh[i], i, 0, views, 0);
      else for (let i = 0; i < n; i++) index.remember(fresh[i], i);
      runs[name].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.entries(runs).map(([name, v]) => ({ name, nsPerRecord: median(v), minNs: Math.min(...v), maxNs: Math.max(...v), transactions: n, kept: MAX_SIZE, rounds }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 2_000_000);
  const rounds = Number(process.argv[3] ?? 5);
  for (const r of await run({ n, rounds })) {
    console.log(`${r.name.padEnd(28)} ns per remember: median ${r.nsPerRecord.toFixed(1)}, min ${r.minNs.toFixed(1)}, max ${r.maxNs.toFixed(1)} (${n} ids, ${MAX_SIZE} kept, ${rounds} rounds)`);
  }
}
