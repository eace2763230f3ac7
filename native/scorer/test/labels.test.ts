import { describe, expect, it } from 'vitest';
import { extractFeatures, featureNames } from '../index.js';
import { DAY_MS, T0, encode, type Rec } from './helpers.js';

const NF = featureNames().length;
const RISK_1D = featureNames().indexOf('terminal_risk_1d');
const RISK_7D = featureNames().indexOf('terminal_risk_7d');
const TERM_1D = featureNames().indexOf('terminal_tx_count_1d');

function features(recs: Rec[], labelDelayDays = 7): Float32Array[] {
  const out = new Float32Array(recs.length * NF);
  const rows = extractFeatures({ labelDelayDays }, encode(recs), recs.length, out);
  return Array.from({ length: rows }, (_, i) => out.subarray(i * NF, (i + 1) * NF));
}

describe('labels', () => {
  it('change terminal risk only after they arrive, in the delayed window', () => {
    const fraudTx: Rec = { tsMs: T0 + 3_600_000, amount: 50, card: 1, term: 9 };
    const later = (days: number, card = 2): Rec => ({ tsMs: T0 + days * DAY_MS + 7_200_000, amount: 10, card, term: 9 });
    const label: Rec = { ...fraudTx, amount: 0, label: true, fraud: true };
    // Same transactions; in the first stream the label arrives after day 7's first transaction.
    const rows = features([fraudTx, later(7, 2), label, later(7, 3), later(9, 4)]);
    expect(rows).toHaveLength(4);
    expect(rows[1]![RISK_1D]).toBe(0); // day 7, label not arrived yet
    expect(rows[2]![RISK_1D]).toBe(1); // day 7, label arrived: day 0 = 7 - delay is in the 1-day window
    expect(rows[2]![TERM_1D]).toBe(2);
    expect(rows[3]![RISK_1D]).toBe(0); // day 9: the 1-day window is day 2
    expect(rows[3]![RISK_7D]).toBe(1); // 7-day window: days -4..2
    // Without the label nothing changes.
    const none = features([fraudTx, later(7, 2), later(7, 3), later(9, 4)]);
    expect(none.map((r) => r[RISK_7D])).toEqual([0, 0, 0, 0]);
  });

  it('writes no row for labels and one per transaction', () => {
    const out = new Float32Array(NF);
    const recs: Rec[] = [{ tsMs: T0, amount: 1, card: 1, term: 1, label: true }, { tsMs: T0, amount: 1, card: 1, term: 1 }];
    expect(extractFeatures(null, encode(recs), 2, out)).toBe(1);
    expect(() => extractFeatures(null, encode([recs[1]!, recs[1]!]), 2, out)).toThrow(/room for 1 rows/);
  });
});
