// Record encoding for the tests (the layout of packages/schema/src/record.ts, kept local: the scorer package
// does not depend on the schema package).
export const RECORD_SIZE = 64;
export const RESULT_SIZE = 16;
export const DAY_MS = 86_400_000;
/** 2018-04-01T00:00:00Z, a Sunday. */
export const T0 = 1_522_540_800_000;

export interface Rec {
  tsMs: number;
  amount: number;
  card: number;
  term: number;
  label?: boolean;
  fraud?: boolean;
}

/** Writes `recs` into `bytes` from slot `start`. */
export function writeRecords(bytes: Uint8Array, recs: readonly Rec[], start = 0): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  recs.forEach((r, i) => {
    const o = (start + i) * RECORD_SIZE;
    dv.setFloat64(o, i, true);
    dv.setFloat64(o + 8, r.tsMs, true);
    dv.setFloat64(o + 16, r.amount, true);
    dv.setUint32(o + 32, r.card, true);
    dv.setUint32(o + 36, 0, true);
    dv.setUint32(o + 40, r.term, true);
    dv.setUint32(o + 44, 0, true);
    dv.setUint8(o + 51, (r.label ? 1 : 0) | (r.fraud ? 2 : 0));
  });
}

export function encode(recs: readonly Rec[], shared = false): Uint8Array {
  const size = recs.length * RECORD_SIZE;
  const bytes = new Uint8Array(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size));
  writeRecords(bytes, recs);
  return bytes;
}

export interface Result {
  score: number;
  decision: number;
  status: number;
  rules: number;
  reasons: [number, number, number];
}

export function readResult(results: Uint8Array, slot: number): Result {
  const dv = new DataView(results.buffer, results.byteOffset, results.byteLength);
  const o = slot * RESULT_SIZE;
  return {
    score: dv.getFloat32(o, true),
    decision: dv.getUint8(o + 4),
    status: dv.getUint8(o + 5),
    rules: dv.getUint16(o + 6, true),
    reasons: [dv.getUint8(o + 8), dv.getUint8(o + 9), dv.getUint8(o + 10)],
  };
}

/** A deterministic stream over a few cards and terminals with labels arriving later. */
export function randomStream(n: number, seed = 1): Rec[] {
  let s = seed >>> 0;
  const rand = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Rec[] = [];
  let t = T0;
  while (out.length < n) {
    t += Math.floor(rand() * 3 * 3_600_000);
    const txs = out.filter((r) => !r.label);
    if (rand() < 0.2 && txs.length > 0) {
      const target = txs[Math.floor(rand() * txs.length)]!;
      out.push({ ...target, amount: 0, label: true, fraud: rand() < 0.4 });
    } else {
      out.push({ tsMs: t, amount: Math.round(rand() * 40000) / 100, card: 1 + Math.floor(rand() * 20), term: 1 + Math.floor(rand() * 5) });
    }
  }
  return out;
}
