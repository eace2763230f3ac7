import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_NAMES,
  Limits,
  formatCsvDateTime,
  parseCsvHeader,
  parseCsvRow,
  splitCsvLine,
  type CsvHeader,
  type Transaction,
} from '../src/index.js';

// Property tests of the CSV reader (fast-check): round trips through a writer that quotes as RFC 4180 says, any
// column order, garbage that never throws and always names a column, one broken field named exactly, and the bounds.

const COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'TX_FRAUD',
  'TX_FRAUD_SCENARIO',
  'CURRENCY',
  'MCC',
  'CHANNEL',
  'CARD_PRESENT',
  'COUNTRY',
  'LAT',
  'LON',
] as const;
type Column = (typeof COLUMNS)[number];

/** Quotes a field when it holds a comma or a quote, doubling its quotes (RFC 4180). */
function quote(field: string): string {
  return /[",]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field;
}

/** Ids as the reader keeps them: 1..64 characters, no line break, no space at either end. */
const idArb = fc
  .string({ minLength: 1, maxLength: Limits.maxIdLength, unit: 'grapheme-ascii' })
  .filter((s) => s.trim() === s && s !== '' && !/[\r\n]/.test(s));

const upper = (n: number): fc.Arbitrary<string> =>
  fc.string({ minLength: n, maxLength: n, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ') });

interface Row {
  tx: Transaction;
  fraud: boolean;
  scenario: number;
}

const rowArb: fc.Arbitrary<Row> = fc.record({
  tx: fc.record(
    {
      id: idArb,
      cardId: idArb,
      terminalId: idArb,
      amount: fc.double({ min: 0, max: Limits.maxAmount, noNaN: true }),
      currency: upper(3),
      // The CSV date-time has whole seconds.
      timestampMs: fc.integer({ min: 0, max: Limits.maxTimestampMs / 1000 }).map((s) => s * 1000),
      mcc: fc.integer({ min: 0, max: 9999 }),
      channel: fc.constantFrom(...CHANNEL_NAMES),
      cardPresent: fc.boolean(),
      country: upper(2),
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lon: fc.double({ min: -180, max: 180, noNaN: true }),
    },
    { requiredKeys: ['id', 'cardId', 'terminalId', 'amount', 'currency', 'timestampMs'] },
  ),
  fraud: fc.boolean(),
  scenario: fc.integer({ min: 0, max: 255 }),
});

/** The text of each column for a row (empty for an optional field the row does not have). */
function cells(r: Row): Record<Column, string> {
  // String(-0) is '0'; the writer keeps the sign so that the round trip can be exact.
  const num = (v: number): string => (Object.is(v, -0) ? '-0' : String(v));
  const opt = (v: number | undefined): string => (v === undefined ? '' : num(v));
  return {
    TRANSACTION_ID: r.tx.id,
    TX_DATETIME: formatCsvDateTime(r.tx.timestampMs),
    CUSTOMER_ID: r.tx.cardId,
    TERMINAL_ID: r.tx.terminalId,
    TX_AMOUNT: num(r.tx.amount),
    TX_FRAUD: r.fraud ? '1' : '0',
    TX_FRAUD_SCENARIO: String(r.scenario),
    CURRENCY: r.tx.currency,
    MCC: opt(r.tx.mcc),
    CHANNEL: r.tx.channel ?? '',
    CARD_PRESENT: r.tx.cardPresent === undefined ? '' : r.tx.cardPresent ? '1' : '0',
    COUNTRY: r.tx.country ?? '',
    LAT: opt(r.tx.lat),
    LON: opt(r.tx.lon),
  };
}

function header(names: readonly string[]): CsvHeader {
  const h = parseCsvHeader(names.join(','));
  if (!h.ok) throw new Error(h.error.message);
  return h.value;
}

/** Every field a CSV error may name: a column, or `$` for the line as a whole. */
const ERROR_FIELDS = new Set<string>([...COLUMNS, '$']);

function expectNamedError(r: ReturnType<typeof parseCsvRow>): void {
  if (r.ok) return;
  expect(ERROR_FIELDS.has(r.error.field), r.error.field).toBe(true);
  expect(r.error.message.length).toBeGreaterThan(0);
  if (r.error.field !== '$') expect(r.error.message).toContain(r.error.field);
}

describe('CSV properties', () => {
  it('a written row reads back as the same transaction, label and scenario, in any column order', () => {
    fc.assert(
      fc.property(rowArb, fc.shuffledSubarray([...COLUMNS.keys()], { minLength: COLUMNS.length }), (row, order) => {
        const names = order.map((i) => COLUMNS[i] as Column);
        // An unknown column the reader must skip, quoted like any other.
        const text = cells(row);
        const line = [...names.map((n) => quote(text[n])), quote('ex,tra "col"')].join(',');
        const r = parseCsvRow(line, header([...names, 'EXTRA']));
        expect(r).toEqual({ ok: true, value: row });
      }),
      { numRuns: 300 },
    );
  });

  it('splitCsvLine inverts the quoting writer', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme' }).filter((s) => !/[\r\n]/.test(s)), { minLength: 1 }),
        (fields) => {
          expect(splitCsvLine(fields.map(quote).join(','))).toEqual(fields);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('garbage lines never throw and every error names a column or the line', () => {
    const h = header(COLUMNS);
    const line = fc.oneof(
      fc.string({ maxLength: 300, unit: 'binary' }),
      fc.array(fc.string({ maxLength: 20, unit: 'grapheme-ascii' }), { maxLength: 20 }).map((f) => f.join(',')),
    );
    fc.assert(
      fc.property(line, (text) => {
        expectNamedError(parseCsvRow(text, h));
        const hr = parseCsvHeader(text);
        if (!hr.ok) {
          expect(ERROR_FIELDS.has(hr.error.field)).toBe(true);
          expect(hr.error.message).toContain(hr.error.field);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('one broken field in a good row is the column the error names', () => {
    const broken: [Column, fc.Arbitrary<string>][] = [
      ['TRANSACTION_ID', fc.constantFrom('', '   ', 'x'.repeat(Limits.maxIdLength + 1))],
      ['CUSTOMER_ID', fc.constantFrom('', 'c'.repeat(Limits.maxIdLength + 1))],
      ['TERMINAL_ID', fc.constantFrom('', ' ')],
      ['TX_AMOUNT', fc.constantFrom('', 'abc', '-1', 'Infinity', 'NaN', '1e10')],
      [
        'TX_DATETIME',
        fc.constantFrom('', '2018-02-30 00:00:00', '2018-04-01 24:00:00', 'yesterday', '1969-12-31 23:59:59'),
      ],
      ['CURRENCY', fc.constantFrom('eur', 'EURO', 'E1R')],
      ['MCC', fc.constantFrom('-1', '10000', '5411.5', 'x')],
      ['CHANNEL', fc.constantFrom('pos', 'WEB', '1')],
      ['CARD_PRESENT', fc.constantFrom('2', 'yes', '0.5')],
      ['COUNTRY', fc.constantFrom('de', 'DEU', 'D')],
      ['LAT', fc.constantFrom('91', '-90.5', 'north')],
      ['LON', fc.constantFrom('181', 'east')],
      ['TX_FRAUD', fc.constantFrom('', '2', 'true')],
      ['TX_FRAUD_SCENARIO', fc.constantFrom('256', '-1', '1.5')],
    ];
    const h = header(COLUMNS);
    const brokenArb = fc.constantFrom(...broken).chain(([column, bad]) => bad.map((value) => [column, value] as const));
    fc.assert(
      fc.property(rowArb, brokenArb, (row, [column, value]) => {
        const text = cells(row);
        text[column] = value;
        const r = parseCsvRow(COLUMNS.map((c) => quote(text[c])).join(','), h);
        expect(r.ok, `${column} = ${JSON.stringify(value)}`).toBe(false);
        if (!r.ok) expect(r.error.field).toBe(column);
      }),
      { numRuns: 500 },
    );
  });

  it('lines longer than the limit are refused on the line, whatever they hold', () => {
    const h = header(COLUMNS);
    fc.assert(
      fc.property(rowArb, fc.integer({ min: 1, max: 3 * Limits.maxCsvLineLength }), (row, pad) => {
        const text = cells(row);
        const line = COLUMNS.map((c) => quote(text[c])).join(',');
        const long = `${line},${'x'.repeat(Limits.maxCsvLineLength - line.length + pad)}`;
        expect(long.length).toBeGreaterThan(Limits.maxCsvLineLength);
        expect(parseCsvRow(long, h)).toMatchObject({ ok: false, error: { code: 'too_long', field: '$' } });
      }),
      { numRuns: 100 },
    );
  });
});
