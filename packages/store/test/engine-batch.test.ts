import { DecisionCode, layout, NO_REASON, RECORD_SIZE, RecordViews, RESULT_SIZE, ResultStatus, ResultViews } from '@fraudstream/schema';
import { describe, expect, it } from 'vitest';
import { appendDecidedBatch, DecisionLog, decisionIdOf, FALLBACK_REASON } from '../src/index.js';
import { hasher, tempDir } from './helpers.js';

const T0 = Date.UTC(2018, 7, 1);

/** A record region and a result region as the engine has them, with `n` slots. */
function regions(n: number): { records: RecordViews; results: ResultViews } {
  return { records: new RecordViews(new SharedArrayBuffer(n * RECORD_SIZE)), results: new ResultViews(new SharedArrayBuffer(n * RESULT_SIZE)) };
}

function decide(results: ResultViews, slot: number, score: number, code: number, status: number, rules: number, reasons: number[]): void {
  results.write(slot, { score, decision: code, status, rules, reasons: [0, 1, 2].map((k) => reasons[k] ?? NO_REASON) });
}

describe('appending an engine batch', () => {
  it("names a live rule and carries the version of the generation that decided (a bundle swap between batches)", () => {
    const { records, results } = regions(3);
    const naming = {
      ruleNames: ['AMOUNT_HIGH', 'DYNAMIC_RULE'],
      featureNames: ['amount'],
      modelVersion: 'at-start',
      generation: (g: number) => (g === 7 ? { version: 'bundle-a@0123', rules: ['night_online', 'big_atm'] } : { version: 'bundle-b@4567', rules: [] }),
    };
    for (let s = 0; s < 3; s++) {
      records.writeTransaction(s, { id: String(s + 1), cardId: 'c', terminalId: 'T1', amount: 10, currency: 'EUR', timestampMs: T0 + s }, 0);
      decide(results, s, 0.9, DecisionCode.Decline, ResultStatus.Scored, s < 2 ? 0b10 : 0b01, []);
      // The rule byte and the generation, through the generated layout (ResultViews.write leaves them 0).
      results.u8[s * RESULT_SIZE + layout.result.rule] = 1;
      new DataView(results.u8.buffer).setUint32(s * RESULT_SIZE + layout.result.generation, s < 2 ? 7 : 8, true);
    }
    const log = DecisionLog.open(tempDir());
    appendDecidedBatch(log, hasher, records, results, 0, 3, naming, () => undefined);
    log.flushNow();
    const rows = log.query().rows.reverse();
    expect(rows.map((d) => [d.transactionId, d.reasons, d.modelVersion])).toEqual([
      ['1', ['big_atm'], 'bundle-a@0123'],
      ['2', ['big_atm'], 'bundle-a@0123'],
      ['3', ['AMOUNT_HIGH'], 'bundle-b@4567'],
    ]);
    log.close();
  });

  it('appends each transaction of the batch in slot order, named like the alert events, skipping labels', () => {
    const { records, results } = regions(8);
    const tx = (slot: number, id: string, card: string, k: number) =>
      records.writeTransaction(slot, { id, cardId: card, terminalId: 'T1', amount: 10 + k, currency: 'EUR', timestampMs: T0 + k * 1000 }, 0);
    // Slots 2..6 are the batch; 0, 1 and 7 are outside it and must not be read.
    tx(1, '999', 'card-x', 0);
    tx(2, '1001', 'card-a', 1);
    decide(results, 2, 0.12, DecisionCode.Approve, ResultStatus.Scored, 0, []);
    tx(3, 'abc-1', 'card-b', 2);
    decide(results, 3, 0.71, DecisionCode.Review, ResultStatus.Scored, 0b10, [2, NO_REASON, 0]);
    tx(4, '1003', 'card-a', 3);
    records.writeLabel(4, 3, T0 + 3000, 0, 0, 0, 0, true, 0);
    decide(results, 4, 0, 0, ResultStatus.Label, 0, []);
    tx(5, '1004', 'card-c', 4);
    decide(results, 5, Number.NaN, DecisionCode.Review, ResultStatus.Fallback, 0, []);
    tx(6, '1005', 'card-b', 5);
    decide(results, 6, 0.97, DecisionCode.Decline, ResultStatus.Scored, 0b01, [1, 7, NO_REASON]);
    tx(7, '1006', 'card-x', 6);

    const log = DecisionLog.open(tempDir());
    const alerts: [number, string, readonly string[]][] = [];
    const naming = { ruleNames: ['AMOUNT_HIGH', 'CARD_VELOCITY_1D'], featureNames: ['amount', 'hour', 'card_count_1d'], modelVersion: 'model-7' };
    const r = appendDecidedBatch(log, hasher, records, results, 2, 5, naming, (s) => (s === 3 ? 'abc-1' : undefined), (s, hi, lo, reasons) =>
      alerts.push([s, hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0'), reasons]),
    );
    expect(r).toEqual({ appended: 4, alerts: 3 });
    log.flushNow();
    const rows = log.query().rows.reverse();
    expect(rows.map((d) => [d.transactionId, d.decisionId, d.cardRef, d.eventTimeMs, d.decision, d.reasons, d.modelVersion])).toEqual([
      ['1001', decisionIdOf('1001'), hasher.refOf('card-a'), T0 + 1000, 'APPROVE', [], 'model-7'],
      ['abc-1', decisionIdOf('abc-1'), hasher.refOf('card-b'), T0 + 2000, 'REVIEW', ['CARD_VELOCITY_1D', 'card_count_1d', 'amount'], 'model-7'],
      ['1004', decisionIdOf('1004'), hasher.refOf('card-c'), T0 + 4000, 'REVIEW', [FALLBACK_REASON], 'model-7'],
      // Feature index 7 is past the names the scorer gave: not named, as in the alert events.
      ['1005', decisionIdOf('1005'), hasher.refOf('card-b'), T0 + 5000, 'DECLINE', ['AMOUNT_HIGH', 'hour'], 'model-7'],
    ]);
    expect(rows.map((d) => d.score)).toEqual([Math.fround(0.12), Math.fround(0.71), Number.NaN, Math.fround(0.97)]);
    expect(alerts).toEqual([
      [3, hasher.refOf('card-b'), ['CARD_VELOCITY_1D', 'card_count_1d', 'amount']],
      [5, hasher.refOf('card-c'), [FALLBACK_REASON]],
      [6, hasher.refOf('card-b'), ['AMOUNT_HIGH', 'hour']],
    ]);
    log.close();
  });
});
