import fc from 'fast-check';
import { validateTransaction } from '@fraudstream/schema';
import { describe, expect, it } from 'vitest';
import { TransactionSchema } from '../src/api-schemas.js';
import { checkSchema } from '../src/json-schema.js';

// The request schema (what the OpenAPI document promises and the server checks first) and the schema package's
// validator (what every source goes through) must agree: a transaction one accepts the other accepts, and a refusal
// names the same field. The one documented difference: a timestamp string of the right type that is not a real date
// passes the schema (JSON Schema cannot say "a date that exists") and is refused by the validator.

const valueArb = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
  fc.oneof(
    { weight: 15, arbitrary: valid },
    { weight: 1, arbitrary: fc.constantFrom(null, '', -1, 1.5, true, 'x', [], {}, 1e12, 'ABC', 'AB', 'POS', 10_000) },
  );

const txArb = fc.record(
  {
    id: valueArb(fc.oneof(fc.string({ minLength: 1, maxLength: 70 }), fc.nat())),
    cardId: valueArb(fc.string({ minLength: 1, maxLength: 70 })),
    terminalId: valueArb(fc.string({ minLength: 1, maxLength: 20 })),
    amount: valueArb(fc.double({ min: -10, max: 2e9, noNaN: true })),
    currency: valueArb(fc.constantFrom('EUR', 'USD', 'eur', 'EU')),
    timestamp: valueArb(fc.oneof(fc.integer({ min: -1000, max: 8e12 }), fc.constantFrom('2026-01-01T00:00:00Z', '2026-02-30T00:00:00Z', 'soon'))),
    mcc: valueArb(fc.integer({ min: -5, max: 10_005 })),
    channel: valueArb(fc.constantFrom('POS', 'ONLINE', 'ATM', 'MAIL')),
    cardPresent: valueArb(fc.boolean()),
    country: valueArb(fc.constantFrom('FR', 'DE', 'fr', 'FRA')),
    lat: valueArb(fc.double({ min: -100, max: 100, noNaN: true })),
    lon: valueArb(fc.double({ min: -200, max: 200, noNaN: true })),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: ['id', 'cardId', 'terminalId', 'amount', 'timestamp'] },
);

describe('TransactionSchema and validateTransaction', () => {
  it('accept and refuse the same transactions, each refusal naming a field of the schema', () => {
    let accepted = 0;
    fc.assert(
      fc.property(txArb, (tx) => {
        const json = JSON.parse(JSON.stringify(tx)) as Record<string, unknown>;
        const bySchema = checkSchema(TransactionSchema, json);
        const byValidator = validateTransaction(json);
        if (bySchema === undefined && !byValidator.ok) {
          // The documented difference, and only it.
          expect(byValidator.error.field, JSON.stringify(json)).toBe('timestamp');
          expect(typeof json['timestamp']).toBe('string');
          return;
        }
        expect(byValidator.ok, JSON.stringify({ json, bySchema })).toBe(bySchema === undefined);
        if (bySchema === undefined) {
          accepted++;
          return;
        }
        // Both refuse, each naming a field of the schema (the first wrong one each finds may differ when several are).
        expect(Object.keys(TransactionSchema.properties ?? {})).toContain(bySchema.field);
        if (!byValidator.ok) expect(Object.keys(TransactionSchema.properties ?? {})).toContain(byValidator.error.field);
      }),
      // A fixed seed: the same 1,500 transactions every run (the count of accepted ones below is then stable too).
      { numRuns: 1500, seed: 20261203 },
    );
    // Enough accepted transactions for the agreement to mean something (not only refusals).
    expect(accepted).toBeGreaterThan(30);
  });

  it('would catch a drift: a schema without the amount bound accepts what the validator refuses', () => {
    const amount = { ...TransactionSchema.properties?.['amount'] };
    delete amount.maximum;
    const loose = { ...TransactionSchema, properties: { ...TransactionSchema.properties, amount } };
    const tx = { id: 'a', cardId: 'c', terminalId: 't', amount: 2e9, timestamp: 0 };
    expect(checkSchema(loose, tx)).toBeUndefined();
    expect(validateTransaction(tx).ok).toBe(false);
    expect(checkSchema(TransactionSchema, tx)?.field).toBe('amount');
  });
});
