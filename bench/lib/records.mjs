// Simulated transactions (and their label records) as 64-byte records in one buffer: the live generator writing
// into a plain in-memory sink, unpaced, until the buffer is full. Deterministic for a seed.
import { RECORD_SIZE, RecordViews } from '@fraudstream/schema';
import { LiveGenerator, MAX_TPS } from '@fraudstream/sources';

/** Returns `{ records: Uint8Array, count, transactions }` with `count` records (transactions and labels). */
export async function makeRecords(count, { customers = 5000, seed = 0, labels = true } = {}) {
  const views = new RecordViews(new ArrayBuffer(count * RECORD_SIZE));
  let next = 0;
  let claimed = 0;
  let full;
  const done = new Promise((resolve) => (full = resolve));
  const sink = {
    views,
    // When each slot's transaction was due (the sources' RecordSink contract); unused here.
    dueMs: new Float64Array(count),
    claimedSlot: 0,
    claimedSeq: 0,
    claim(max) {
      claimed = Math.min(max, count - next);
      if (claimed === 0) full();
      this.claimedSlot = next;
      this.claimedSeq = next;
      return claimed;
    },
    publish(n) {
      next += n;
    },
    setId() {},
    reject() {},
  };
  const gen = new LiveGenerator({ sink, tps: MAX_TPS, customers, seed, labels });
  gen.start();
  await done;
  gen.stop();
  let transactions = 0;
  for (let s = 0; s < count; s++) if (!views.isLabel(s)) transactions++;
  return { records: views.u8, count, transactions };
}
