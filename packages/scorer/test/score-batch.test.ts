import { afterEach, describe, expect, it } from 'vitest';
import { RECORD_SIZE, RESULT_SIZE, ResultStatus, ResultViews } from '@fraudstream/schema';
import { Scorer } from '../src/index.js';
import { T0, records, results, stream } from './helpers.js';

const open: Scorer[] = [];
const scorer = (): Scorer => {
  const s = Scorer.open();
  open.push(s);
  return s;
};
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

describe('Scorer.scoreBatch', () => {
  it('returns what it wrote, counted in Rust, and keeps cumulative counts', () => {
    const s = scorer();
    const recs = stream(20);
    recs[3] = { tsMs: Number.NaN, amount: 1, card: 1, term: 1 };
    const r = records(recs);
    const out = results(recs.length);
    const first = s.scoreBatch(r.u8, out.u8, 0, 10, 0);
    const second = s.scoreBatch(r.u8, out.u8, 10, 10, 1);
    const byStatus = (from: number, to: number, status: number): number => {
      let n = 0;
      for (let i = from; i < to; i++) if (out.status(i) === status) n++;
      return n;
    };
    // Counted independently here from the written statuses.
    expect(first).toEqual({
      scored: byStatus(0, 10, ResultStatus.Scored),
      labels: byStatus(0, 10, ResultStatus.Label),
      invalid: byStatus(0, 10, ResultStatus.Invalid),
    });
    expect(first).toEqual({ scored: 7, labels: 2, invalid: 1 });
    expect(second).toEqual({ scored: 8, labels: 2, invalid: 0 });
    expect(s.counts()).toEqual({ scored: 15, labels: 4, invalid: 1, batches: 2 });
    expect(s.ticketDone(1)).toBe(true);
    expect(s.ticketDone(2)).toBe(false);
  });

  it('refuses results that share memory with the records, and gives up the ticket', () => {
    const s = scorer();
    const buf = new SharedArrayBuffer(8 * RECORD_SIZE);
    const r = records(stream(4), true);
    new Uint8Array(buf).set(r.u8);
    const recs = new Uint8Array(buf);
    // The results view starts inside the records of slots 0..4.
    const aliased = new Uint8Array(buf, 2 * RECORD_SIZE);
    expect(() => s.scoreBatch(recs, aliased, 0, 4, 0)).toThrow(/share memory/);
    expect(s.ticketDone(0)).toBe(true);
    expect(s.counts().batches).toBe(0);
    // Disjoint parts of the same buffer are fine: records in slots 0..4, results after them.
    const apart = new Uint8Array(buf, 4 * RECORD_SIZE);
    expect(s.scoreBatch(recs, apart, 0, 4, 1)).toEqual({ scored: 4, labels: 0, invalid: 0 });
  });

  it('refuses slots beyond either region, naming them', () => {
    const s = scorer();
    const r = records(stream(4));
    expect(() => s.scoreBatch(r.u8, results(2).u8, 0, 4, 0)).toThrow(/slots 0\.\.4 exceed/);
    expect(s.ticketDone(0)).toBe(true);
  });

  it('decides a high amount REVIEW by rule before any model is loaded', () => {
    const s = scorer();
    const r = records([{ tsMs: T0, amount: 9000, card: 1, term: 1 }]);
    const out = results(1);
    s.scoreBatch(r.u8, out.u8, 0, 1, 0);
    expect(out.read(0)).toMatchObject({ decision: 1, status: ResultStatus.Scored, score: 0 });
  });
});

describe('Scorer lifecycle', () => {
  it('attach reaches the same scorer; closing the attached object leaves it open', () => {
    const s = scorer();
    const r = records(stream(5));
    s.scoreBatch(r.u8, results(5).u8, 0, 5, 0);
    const a = Scorer.attach(s.handle);
    expect(a.counts()).toEqual(s.counts());
    a.close();
    expect(() => a.counts()).toThrow(/closed/);
    expect(s.counts().batches).toBe(1);
  });

  it('close is idempotent and frees the handle', () => {
    const s = Scorer.open();
    s.close();
    s.close();
    expect(() => s.scoreBatch(new Uint8Array(0), new Uint8Array(0), 0, 0, 0)).toThrow(/closed/);
    expect(() => Scorer.attach(s.handle)).toThrow(/unknown scorer handle/);
    expect(() => Scorer.attach(0)).toThrow(RangeError);
  });

  it('reports the state it holds', () => {
    const s = scorer();
    const r = records(stream(30));
    s.scoreBatch(r.u8, results(30).u8, 0, 30, 0);
    const size = s.stateSize();
    expect(size.cards).toBe(7);
    expect(size.terminals).toBe(3);
    expect(size.cardBytes).toBeGreaterThan(0);
  });

  it('refuses a bad ticket with a RangeError', () => {
    const s = scorer();
    expect(() => s.skipTicket(-1)).toThrow(RangeError);
    expect(() => s.ticketDone(1.5)).toThrow(/ticket must be an integer/);
  });

  it('keeps the results of a ResultViews region readable after scoring', () => {
    const s = scorer();
    const r = records(stream(5), true);
    const out = ResultViews.over(new Uint8Array(new SharedArrayBuffer(5 * RESULT_SIZE)));
    s.scoreBatch(r.u8, out.u8, 0, 5, 0);
    expect(out.status(4)).toBe(ResultStatus.Label);
  });
});
