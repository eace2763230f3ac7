// Record encoding for the binding's own tests, with every offset taken from the addon's `layout()` export (this
// package does not depend on the schema package, whose generated table is checked against the same constants).
import { layout } from '../index.js';

const L = layout() as Record<string, Record<string, number>>;
const at = (group: string, name: string): number => {
  const v = L[group]?.[name];
  if (v === undefined) throw new Error(`layout() has no ${group}.${name}`);
  return v;
};
const R = {
  size: at('record', 'size'),
  txNum: at('record', 'txNum'),
  tsMs: at('record', 'tsMs'),
  amount: at('record', 'amount'),
  cardKey: at('record', 'cardKey'),
  termKey: at('record', 'termKey'),
  flags: at('record', 'flags'),
};
const S = {
  score: at('result', 'score'),
  decision: at('result', 'decision'),
  status: at('result', 'status'),
  rules: at('result', 'rules'),
  reasons: at('result', 'reasons'),
};
const WORD = Uint32Array.BYTES_PER_ELEMENT;
const FLAG_LABEL = at('flag', 'label');
const FLAG_FRAUD = at('flag', 'fraud');

export const RECORD_SIZE = R.size;
export const RESULT_SIZE = at('result', 'size');
/** Offset of the decision byte in a result. */
export const DECISION_OFFSET = S.decision;
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
    dv.setFloat64(o + R.txNum, i, true);
    dv.setFloat64(o + R.tsMs, r.tsMs, true);
    dv.setFloat64(o + R.amount, r.amount, true);
    dv.setUint32(o + R.cardKey, r.card, true);
    dv.setUint32(o + R.cardKey + WORD, 0, true);
    dv.setUint32(o + R.termKey, r.term, true);
    dv.setUint32(o + R.termKey + WORD, 0, true);
    dv.setUint8(o + R.flags, (r.label ? FLAG_LABEL : 0) | (r.fraud ? FLAG_FRAUD : 0));
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
    score: dv.getFloat32(o + S.score, true),
    decision: dv.getUint8(o + S.decision),
    status: dv.getUint8(o + S.status),
    rules: dv.getUint16(o + S.rules, true),
    reasons: [dv.getUint8(o + S.reasons), dv.getUint8(o + S.reasons + 1), dv.getUint8(o + S.reasons + 2)],
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
