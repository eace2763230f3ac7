import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_NAMES,
  Limits,
  parseTransactionJson,
  validateLabel,
  validateTransaction,
  type Transaction,
  type Validated,
} from '../src/index.js';

// Property tests of the JSON reader (fast-check): round trips with either timestamp form and extra fields, garbage
// text and values that never throw and always name a field, one broken field named exactly, and the size bound.

const FIELDS = [
  'id',
  'cardId',
  'terminalId',
  'amount',
  'currency',
  'timestamp',
  'mcc',
  'channel',
  'cardPresent',
  'country',
  'lat',
  'lon',
] as const;
type Field = (typeof FIELDS)[number];
/** Every field an error may name: a transaction field, or `$` for the document as a whole. */
const ERROR_FIELDS = new Set<string>([...FIELDS, 'fraud', '$']);

const idArb = fc.string({ minLength: 1, maxLength: Limits.maxIdLength });
const upper = (n: number): fc.Arbitrary<string> =>
  fc.string({ minLength: n, maxLength: n, unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ') });

const txArb: fc.Arbitrary<Transaction> = fc.record(
  {
    id: idArb,
    cardId: idArb,
    terminalId: idArb,
    amount: fc.double({ min: 0, max: Limits.maxAmount, noNaN: true }),
    currency: upper(3),
    timestampMs: fc.integer({ min: 0, max: Limits.maxTimestampMs }),
    mcc: fc.integer({ min: 0, max: 9999 }),
    channel: fc.constantFrom(...CHANNEL_NAMES),
    cardPresent: fc.boolean(),
    country: upper(2),
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
  },
  { requiredKeys: ['id', 'cardId', 'terminalId', 'amount', 'currency', 'timestampMs'] },
);

/** The JSON object a producer sends for `tx`: the timestamp as epoch ms or as an ISO 8601 string. */
function wire(tx: Transaction, iso: boolean): Record<string, unknown> {
  const { timestampMs, ...rest } = tx;
  return { ...rest, timestamp: iso ? new Date(timestampMs).toISOString() : timestampMs };
}

function expectNamedError(r: Validated<unknown>): void {
  if (r.ok) return;
  expect(ERROR_FIELDS.has(r.error.field), r.error.field).toBe(true);
  expect(r.error.message.length).toBeGreaterThan(0);
  if (r.error.field !== '$') expect(r.error.message).toContain(r.error.field);
}

describe('JSON properties', () => {
  it('a serialized transaction parses back to itself, whatever extra fields come with it', () => {
    const extra = fc.dictionary(
      fc.string({ maxLength: 10 }).filter((k) => !(FIELDS as readonly string[]).includes(k) && k !== '__proto__'),
      fc.jsonValue({ maxDepth: 2 }),
      { maxKeys: 4 },
    );
    fc.assert(
      fc.property(txArb, fc.boolean(), extra, (tx, iso, more) => {
        // JSON has no -0: a -0 amount, lat or lon is sent (and read back) as 0.
        const expected = JSON.parse(JSON.stringify(tx)) as Transaction;
        const text = JSON.stringify({ ...more, ...wire(tx, iso) });
        fc.pre(text.length <= Limits.maxJsonBytes);
        expect(parseTransactionJson(text)).toEqual({ ok: true, value: expected });
      }),
      { numRuns: 500 },
    );
  });

  it('garbage text never throws and every error names a field or the document', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 200, unit: 'binary' }),
      fc.json({ maxDepth: 3 }),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ id: 'a', cardId: 'c', terminalId: 't', amount: v })),
    );
    fc.assert(
      fc.property(text, (t) => {
        expectNamedError(parseTransactionJson(t));
      }),
      { numRuns: 1000 },
    );
  });

  it('any value never throws in validateTransaction or validateLabel', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withBigInt: true, withMap: true, withDate: true }), (v) => {
        expectNamedError(validateTransaction(v));
        expectNamedError(validateLabel(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('one broken field in a good transaction is the field the error names', () => {
    const broken: [Field, fc.Arbitrary<unknown>][] = [
      ['id', fc.constantFrom('', null, true, [], {}, -1, 1.5, 'x'.repeat(Limits.maxIdLength + 1))],
      ['cardId', fc.constantFrom('', false, 'c'.repeat(Limits.maxIdLength + 1))],
      ['terminalId', fc.constantFrom(null, {}, 2 ** 60)],
      ['amount', fc.constantFrom(null, '12.5', -0.01, Limits.maxAmount * 2, true, [1])],
      ['currency', fc.constantFrom('eur', 'EURO', 978, '')],
      [
        'timestamp',
        fc.constantFrom(null, true, -1, 'yesterday', '2018-02-30', Limits.maxTimestampMs + 1, '2018-04-01T25:00:00Z'),
      ],
      ['mcc', fc.constantFrom(-1, 10_000, 5411.5, '5411')],
      ['channel', fc.constantFrom('pos', 'WEB', 1, null)],
      ['cardPresent', fc.constantFrom(1, 'true', null)],
      ['country', fc.constantFrom('de', 'DEU', 276)],
      ['lat', fc.constantFrom(90.5, -91, '45', null)],
      ['lon', fc.constantFrom(180.5, '2', null)],
    ];
    const brokenArb = fc.constantFrom(...broken).chain(([field, bad]) => bad.map((value) => [field, value] as const));
    fc.assert(
      fc.property(txArb, brokenArb, fc.boolean(), (tx, [field, value], iso) => {
        const doc = { ...wire(tx, iso), [field]: value };
        const r = validateTransaction(doc);
        expect(r.ok, `${field} = ${JSON.stringify(value)}`).toBe(false);
        if (!r.ok) expect(r.error.field).toBe(field);
        const p = parseTransactionJson(JSON.stringify(doc));
        if (!p.ok) expect(p.error.field).toBe(field);
      }),
      { numRuns: 500 },
    );
  });

  it('documents longer than the limit are refused on the document, whatever they hold', () => {
    fc.assert(
      fc.property(txArb, fc.integer({ min: 1, max: 3 * Limits.maxJsonBytes }), (tx, pad) => {
        const text = JSON.stringify({ ...wire(tx, false), pad: 'x'.repeat(Limits.maxJsonBytes + pad) });
        expect(parseTransactionJson(text)).toMatchObject({ ok: false, error: { code: 'too_long', field: '$' } });
      }),
      { numRuns: 100 },
    );
  });
});
