import { Flag, RECORD_SIZE, RESULT_SIZE, RecordViews, ResultViews, packTerminalWord } from '@fraudstream/schema';

/** 2018-04-01T00:00:00Z. */
export const T0 = 1_522_540_800_000;

/** One record for the tests: a transaction, or a label of card/terminal when `label` is set. */
export interface Rec {
  tsMs: number;
  amount: number;
  card: number;
  term: number;
  label?: boolean;
  fraud?: boolean;
}

/** Records written through the schema views into a (shared) buffer. */
export function records(recs: readonly Rec[], shared = false): RecordViews {
  const size = Math.max(1, recs.length) * RECORD_SIZE;
  const v = new RecordViews(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size), 0, recs.length);
  recs.forEach((r, s) => {
    if (r.label === true) {
      v.writeLabel(s, Number.NaN, r.tsMs, r.card, 0, r.term, 0, r.fraud === true, 0);
    } else {
      v.setHeader(s, s, r.tsMs, r.amount, 0);
      v.setKeys(s, r.card, 0, r.term, 0);
      v.setTerminalFields(s, packTerminalWord(0, 0, 0), 0, 0, Number.NaN, Number.NaN);
    }
  });
  return v;
}

/** A results region of `n` slots. */
export function results(n: number, shared = false): ResultViews {
  const size = Math.max(1, n) * RESULT_SIZE;
  return new ResultViews(shared ? new SharedArrayBuffer(size) : new ArrayBuffer(size), 0, n);
}

/** `n` transactions on a few cards, one hour apart, with a label every fifth record. */
export function stream(n: number): Rec[] {
  const out: Rec[] = [];
  for (let i = 0; i < n; i++) {
    const card = 1 + (i % 7);
    out.push(
      i % 5 === 4
        ? { tsMs: T0 + i * 3_600_000, amount: 0, card, term: 1 + (i % 3), label: true, fraud: i % 10 === 9 }
        : { tsMs: T0 + i * 3_600_000, amount: 10 + i, card, term: 1 + (i % 3) },
    );
  }
  return out;
}

export { Flag };
