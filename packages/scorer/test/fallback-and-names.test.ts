import { describe, expect, it } from 'vitest';
import { DecisionCode, NO_REASON, RESULT_SIZE, ResultStatus } from '@fraudstream/schema';
import { Scorer, decodeReasons, featureNames, ruleNames, writeFallback } from '../src/index.js';
import { T0, records, results, stream } from './helpers.js';

describe('writeFallback', () => {
  it('writes every transaction as REVIEW, status Fallback, SCORER_ERROR, no score; labels as labels', () => {
    const recs = stream(10);
    const r = records(recs);
    const out = results(10);
    out.u8.fill(0xee);
    const n = writeFallback(r.u8, out.u8, 2, 6);
    expect(n).toBe(5);
    for (let i = 2; i < 8; i++) {
      const got = out.read(i);
      if (recs[i]!.label === true) {
        expect(got).toMatchObject({ status: ResultStatus.Label, rules: 0, reasons: [NO_REASON, NO_REASON, NO_REASON] });
      } else {
        expect(got.score).toBeNaN();
        expect(got).toMatchObject({
          decision: DecisionCode.Review,
          status: ResultStatus.Fallback,
          rules: 1 << ruleNames.indexOf('SCORER_ERROR'),
          reasons: [NO_REASON, NO_REASON, NO_REASON],
        });
        expect(decodeReasons(out.u8, i)).toEqual(['SCORER_ERROR']);
      }
    }
    // Slots outside the range are untouched.
    expect(out.u8[0]).toBe(0xee);
    expect(out.u8[8 * RESULT_SIZE]).toBe(0xee);
  });

  it('refuses aliased or too-small regions', () => {
    const r = records(stream(4));
    expect(() => writeFallback(r.u8, r.u8, 0, 4)).toThrow(/share memory/);
    expect(() => writeFallback(r.u8, results(2).u8, 0, 4)).toThrow(/exceed/);
  });
});

describe('names', () => {
  it('lists the features and rules in the order of their indices and bits', () => {
    expect(featureNames.length).toBe(34);
    expect(featureNames[32]).toBe('terminal_streak_days');
    expect(featureNames[0]).toBe('amount');
    expect(ruleNames).toEqual(['HIGH_AMOUNT', 'VELOCITY_1D', 'INVALID_RECORD', 'SCORER_ERROR', 'ALLOW_LIST', 'BLOCK_LIST', 'DYNAMIC_RULE']);
    expect(Object.isFrozen(featureNames) && Object.isFrozen(ruleNames)).toBe(true);
  });

  it('decodes fired rules, then the top features, skipping empty reason slots', () => {
    const out = results(2);
    out.write(0, { score: 0.95, decision: DecisionCode.Decline, status: 0, rules: 0b11, reasons: [0, 5] });
    expect(decodeReasons(out.u8, 0)).toEqual(['HIGH_AMOUNT', 'VELOCITY_1D', featureNames[0], featureNames[5]]);
    out.write(1, { score: 0.1, decision: 0, status: 0, rules: 0, reasons: [] });
    expect(decodeReasons(out.u8, 1)).toEqual([]);
  });

  it('decodes the reasons the scorer itself wrote', () => {
    const s = Scorer.open();
    try {
      const r = records([{ tsMs: T0, amount: 9000, card: 1, term: 1 }]);
      const out = results(1);
      s.scoreBatch(r.u8, out.u8, 0, 1, 0);
      // No model: the score is 0, the amount rule alone makes it REVIEW, so the reasons are the rule's name and
      // whatever features the empty model attributes (none).
      expect(decodeReasons(out.u8, 0)).toEqual(['HIGH_AMOUNT']);
    } finally {
      s.close();
    }
  });
});
