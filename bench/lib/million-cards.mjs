// The state the memory and snapshot benchmarks measure: 1,000,000 distinct cards with one transaction each, on
// 10,000 terminals, over 30 days of event time, as 64-byte records, scored into a scorer in batches of 4,096.
import { RecordViews, RECORD_SIZE, RESULT_SIZE, packCurrency } from '@fraudstream/schema';

/** Distinct cards in the state. */
export const CARDS = 1_000_000;
/** Terminals the cards' transactions spread over. */
export const TERMINALS = 10_000;
const BATCH = 4096;
const DAY = 86_400_000;

/** The records: distinct 64-bit card keys (a multiplicative hash of i), terminal keys from a small set. */
export function millionCardRecords() {
  const v = new RecordViews(new ArrayBuffer(CARDS * RECORD_SIZE));
  const start = Date.UTC(2018, 3, 1);
  const eur = packCurrency('EUR');
  for (let i = 0; i < CARDS; i++) {
    v.setHeader(i, i, start + Math.floor((i / CARDS) * 30 * DAY), 10 + (i % 997), 0);
    v.setKeys(i, Math.imul(i + 1, 0x9e3779b1) >>> 0, i, Math.imul((i % TERMINALS) + 1, 0x85ebca6b) >>> 0, 7);
    v.setTerminalFields(i, 0, 0, eur, Number.NaN, Number.NaN);
  }
  return v;
}

/** Scores every record of `views` into `scorer` in batches; returns the milliseconds it took. */
export function scoreAll(scorer, views) {
  const results = new Uint8Array(BATCH * RESULT_SIZE);
  const t0 = performance.now();
  for (let s = 0, t = 0; s < CARDS; s += BATCH, t++) {
    const n = Math.min(BATCH, CARDS - s);
    scorer.scoreBatch(views.bytes(s, n), results, 0, n, t);
  }
  return performance.now() - t0;
}
