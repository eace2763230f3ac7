import { describe, expect, it } from 'vitest';
import { parseCsvHeader, parseCsvRow, splitCsvLine, type CsvHeader } from '../src/index.js';

const HEADER =
  'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_TIME_SECONDS,TX_TIME_DAYS,TX_FRAUD,TX_FRAUD_SCENARIO';

function header(line = HEADER): CsvHeader {
  const h = parseCsvHeader(line);
  if (!h.ok) throw new Error(h.error.message);
  return h.value;
}

describe('CSV interchange format', () => {
  it('parses a handbook row with its label and scenario', () => {
    const r = parseCsvRow('7,2018-04-01 00:07:56,2,1365,146.00,476,0,1,2', header());
    expect(r).toMatchObject({
      ok: true,
      value: {
        tx: { id: '7', cardId: '2', terminalId: '1365', amount: 146, timestampMs: Date.UTC(2018, 3, 1, 0, 7, 56) },
        fraud: true,
        scenario: 2,
      },
    });
  });

  it('reads optional columns and tolerates a leading unnamed index column', () => {
    const h = header(`,${HEADER},CHANNEL,MCC,COUNTRY,CARD_PRESENT`);
    const r = parseCsvRow('0,7,2018-04-01 00:07:56,2,1365,146.00,476,0,0,0,ATM,6011,DE,1', h);
    expect(r).toMatchObject({ ok: true, value: { tx: { channel: 'ATM', mcc: 6011, country: 'DE', cardPresent: true } } });
  });

  it('names the missing required column in the header error', () => {
    expect(parseCsvHeader('TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TX_AMOUNT')).toMatchObject({
      ok: false,
      error: { field: 'TERMINAL_ID', code: 'missing' },
    });
  });

  const bad: [string, string, string][] = [
    ['missing id', ',2018-04-01 00:07:56,2,1365,146.00,476,0,0,0', 'TRANSACTION_ID'],
    ['non-finite amount', '7,2018-04-01 00:07:56,2,1365,Infinity,476,0,0,0', 'TX_AMOUNT'],
    ['negative amount', '7,2018-04-01 00:07:56,2,1365,-3,476,0,0,0', 'TX_AMOUNT'],
    ['unparsable datetime', '7,2018-13-01 00:07:56,2,1365,3,476,0,0,0', 'TX_DATETIME'],
    ['oversized terminal', `7,2018-04-01 00:07:56,2,${'9'.repeat(80)},3,476,0,0,0`, 'TERMINAL_ID'],
    ['bad label', '7,2018-04-01 00:07:56,2,1365,3,476,0,yes,0', 'TX_FRAUD'],
    ['short row', '7,2018-04-01 00:07:56,2', '$'],
  ];
  for (const [name, line, field] of bad) {
    it(`rejects a row with ${name}, naming ${field}`, () => {
      const r = parseCsvRow(line, header());
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.field).toBe(field);
    });
  }

  it('rejects an unknown channel naming CHANNEL', () => {
    const h = header(`${HEADER},CHANNEL`);
    expect(parseCsvRow('7,2018-04-01 00:07:56,2,1365,146.00,476,0,0,0,SPACE', h)).toMatchObject({
      ok: false,
      error: { field: 'CHANNEL', code: 'unknown_value' },
    });
  });

  it('splits quoted fields', () => {
    expect(splitCsvLine('a,"b,c","d""e"')).toEqual(['a', 'b,c', 'd"e']);
  });
});
