import { CardRefHasher, layout, RECORD_SIZE, RecordViews, RESULT_SIZE, ResultViews } from '@fraudstream/schema';
import { cardRefKey } from '@fraudstream/scorer';
import { describe, expect, it } from 'vitest';
import { DecisionColumns } from '../src/decision-columns.js';

const R = layout.result;
const SLOTS = 6000;
const T0 = Date.UTC(2018, 7, 1);

/** A deterministic PRNG (xorshift32), so every run tests the same keys. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/**
 * A ring of SLOTS records with random 64-bit card keys (full range, both words) and a result for each: mostly plain
 * approvals, with labels, string ids (NaN), alerts, invalid records, fallback scores (NaN), scores out of range,
 * non-integer and negative ids, an infinite time, and a second generation in the last batch.
 */
function ring(): { records: Uint8Array; results: Uint8Array; views: RecordViews } {
  const next = prng(20261203);
  const views = new RecordViews(new SharedArrayBuffer(SLOTS * RECORD_SIZE));
  const results = new Uint8Array(new SharedArrayBuffer(SLOTS * RESULT_SIZE));
  const dv = new DataView(results.buffer);
  for (let s = 0; s < SLOTS; s++) {
    const lo = next();
    const hi = next();
    const pick = next() % 100;
    if (pick < 40) {
      views.writeLabel(s, s, T0 + s, lo, hi, 0, 0, pick % 2 === 0, 0);
      dv.setUint8(s * RESULT_SIZE + R.status, layout.status.label);
      continue;
    }
    views.setHeader(s, pick === 41 ? Number.NaN : pick === 42 ? 1.5 : pick === 43 ? -3 : 1_000_000 + s, pick === 44 ? Number.POSITIVE_INFINITY : T0 + s, 10, 0);
    views.u32[s * (RECORD_SIZE / 4) + layout.record.cardKey / 4] = lo;
    views.u32[s * (RECORD_SIZE / 4) + layout.record.cardKey / 4 + 1] = hi;
    const at = s * RESULT_SIZE;
    dv.setFloat32(at + R.score, pick === 45 ? Number.NaN : pick === 46 ? 1.25 : (next() % 1000) / 1000, true);
    dv.setUint8(at + R.decision, pick === 47 ? 2 : pick === 48 ? 1 : 0);
    dv.setUint8(at + R.status, pick === 49 ? layout.status.invalid : pick === 45 ? layout.status.fallback : layout.status.scored);
    dv.setUint32(at + R.generation, s >= 5000 && pick === 50 ? 8 : 7, true);
  }
  return { records: new Uint8Array(views.f64.buffer), results, views };
}

/** Batches of varied sizes over the ring (one of them the whole of 5000..5999, decided by two generations). */
const BATCHES: [number, number][] = [
  [0, 1],
  [1, 96],
  [97, 2048],
  [2145, 7],
  [2152, 2848],
  [5000, 1000],
];

/** Every column of the region, the staged marks taken, as plain arrays (so a mismatch names the column). */
function snapshot(c: DecisionColumns, marks: number[]): { marks: number[] } & Record<string, unknown[]> {
  return {
    marks,
    ts: [...c.ts],
    txNum: [...c.txNum],
    card: [...c.card],
    score: [...c.score],
    slotOf: [...c.slotOf],
    generation: [...c.generation],
    decision: [...c.decision],
    flag: [...c.flag],
  };
}

/** Stages every batch with the JS stager keyed by `jsSecret` and the Rust one keyed by `nativeSecret`. */
function both(jsSecret: Buffer, nativeSecret: Buffer): { js: ReturnType<typeof snapshot>; native: ReturnType<typeof snapshot> } {
  const { records, results, views } = ring();
  const js = DecisionColumns.create(SLOTS);
  const native = DecisionColumns.create(SLOTS);
  const hasher = new CardRefHasher(jsSecret);
  const key = cardRefKey(nativeSecret);
  const resultViews = new ResultViews(results.buffer, results.byteOffset, SLOTS);
  const jsMarks: number[] = [];
  const nativeMarks: number[] = [];
  for (const [start, count] of BATCHES) {
    js.stage(views, resultViews, hasher, start, count);
    native.stageNative(records, results, key, start, count);
    jsMarks.push(js.take(start));
    nativeMarks.push(native.take(start));
  }
  return { js: snapshot(js, jsMarks), native: snapshot(native, nativeMarks) };
}

describe('DecisionColumns.stageNative (the Rust stager)', () => {
  it('writes byte for byte what the JS stager writes, card references included, on 3,600 random card keys', () => {
    const secret = Buffer.alloc(32, 5);
    const { js, native } = both(secret, secret);
    // Sanity: the batches did stage rows and the two-generation batch was refused by both.
    expect(js.marks).toEqual(native.marks);
    expect(js.marks.slice(0, 5).every((m) => m > 0)).toBe(true);
    expect(js.marks[5]).toBe(-1);
    expect((js.card as number[]).filter((w) => w !== 0).length).toBeGreaterThan(5000);
    for (const k of Object.keys(js)) expect(native[k], k).toEqual(js[k]);
  });

  it('shows a wrong key: references from another secret differ on every staged row', () => {
    const { js, native } = both(Buffer.alloc(32, 5), Buffer.alloc(32, 6));
    expect(native.flag).toEqual(js.flag);
    const a = js.card as number[];
    const b = native.card as number[];
    let rows = 0;
    let same = 0;
    for (let i = 0; i < a.length; i += 2) {
      if (a[i] === 0 && a[i + 1] === 0) continue;
      rows++;
      if (a[i] === b[i] && a[i + 1] === b[i + 1]) same++;
    }
    expect(rows).toBeGreaterThan(2500);
    expect(same).toBe(0);
    expect(native.card).not.toEqual(js.card);
  });

  it('refuses bad arguments with the field named', () => {
    const c = DecisionColumns.create(8);
    const records = new Uint8Array(8 * RECORD_SIZE);
    const results = new Uint8Array(8 * RESULT_SIZE);
    const key = cardRefKey(Buffer.alloc(16, 1));
    expect(() => c.stageNative(records, results, new Uint8Array(15), 0, 1)).toThrow(/key must be 16 bytes/);
    expect(() => c.stageNative(records, results, key, 6, 4)).toThrow(/exceed/);
    expect(() => cardRefKey(Buffer.alloc(8))).toThrow(/secret must be/);
    expect(() => c.stageNative(records, results, key, 0, 8)).not.toThrow();
  });
});
