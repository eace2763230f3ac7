import { describe, expect, it } from 'vitest';
import { createScorer, destroyScorer, scoreBatch, scorerCounts, ticketDone } from '../index.js';
import { RECORD_SIZE, RESULT_SIZE, T0, encode, readResult, writeRecords } from './helpers.js';

describe('SharedArrayBuffer zero-copy', () => {
  it('reads records from and writes results into SharedArrayBuffer-backed views', () => {
    const h = createScorer({});
    const records = new Uint8Array(new SharedArrayBuffer(8 * RECORD_SIZE));
    const results = new Uint8Array(new SharedArrayBuffer(8 * RESULT_SIZE));
    results.fill(0xee);
    writeRecords(records, [{ tsMs: T0, amount: 9000, card: 1, term: 1 }, { tsMs: T0, amount: 5, card: 1, term: 1 }], 3);
    expect(scoreBatch(h, records, results, 3, 2, 0).scored).toBe(2);
    // Slots outside the batch are untouched; the batch's slots hold results written by Rust.
    expect(results.subarray(0, 3 * RESULT_SIZE).every((b) => b === 0xee)).toBe(true);
    expect(results.subarray(5 * RESULT_SIZE).every((b) => b === 0xee)).toBe(true);
    expect(readResult(results, 3)).toMatchObject({ status: 0, decision: 1, rules: 1 });
    expect(readResult(results, 4)).toMatchObject({ status: 0, decision: 0, rules: 0 });
    destroyScorer(h);
  });

  it('bounds-checks the slot range and still consumes the ticket', () => {
    const h = createScorer({});
    const records = encode([{ tsMs: T0, amount: 1, card: 1, term: 1 }], true);
    const results = new Uint8Array(new SharedArrayBuffer(RESULT_SIZE));
    expect(() => scoreBatch(h, records, results, 0, 2, 0)).toThrow(/slots 0\.\.2 exceed/);
    expect(() => scoreBatch(h, records, new Float32Array(4) as unknown as Uint8Array, 0, 1, 1)).toThrow(/results must be a Uint8Array/);
    // Tickets 0 and 1 were consumed by the failed calls, so ticket 2 runs at once.
    expect(scoreBatch(h, records, results, 0, 1, 2).scored).toBe(1);
    expect(() => scoreBatch(h + 1000, records, results, 0, 1, 0)).toThrow(/unknown scorer handle/);
    destroyScorer(h);
  });

  it('refuses results that alias the records, and consumes the ticket', () => {
    const h = createScorer({});
    const buf = new SharedArrayBuffer(4 * RECORD_SIZE);
    const records = new Uint8Array(buf);
    writeRecords(records, [{ tsMs: T0, amount: 1, card: 1, term: 1 }]);
    expect(() => scoreBatch(h, records, new Uint8Array(buf, RECORD_SIZE / 2), 0, 1, 0)).toThrow(/share memory/);
    expect(ticketDone(h, 0)).toBe(true);
    // The same buffer, past the batch's records: allowed.
    expect(scoreBatch(h, records, new Uint8Array(buf, RECORD_SIZE), 0, 1, 1).scored).toBe(1);
    expect(scorerCounts(h)).toEqual({ scored: 1, labels: 0, invalid: 0, batches: 1 });
    destroyScorer(h);
  });
});
