import { describe, expect, it } from 'vitest';
import { parseTransactionJson, validateLabel, validateTransaction } from '../src/index.js';

const good = {
  id: 'tx-1',
  cardId: 'card-1',
  terminalId: 'term-1',
  amount: 12.5,
  timestamp: '2018-04-01T10:00:00Z',
};

describe('validateTransaction', () => {
  it('accepts a minimal transaction and defaults the currency to EUR', () => {
    const r = validateTransaction(good);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.value.currency).toBe('EUR');
      expect(r.value.timestampMs).toBe(Date.UTC(2018, 3, 1, 10));
    }
  });

  it('accepts epoch ms, offsets and the optional fields', () => {
    const r = validateTransaction({
      ...good,
      timestamp: '2018-04-01T12:00:00+02:00',
      mcc: 5411,
      channel: 'ONLINE',
      cardPresent: false,
      country: 'FR',
      lat: 48.8,
      lon: 2.3,
      currency: 'USD',
    });
    expect(r).toMatchObject({ ok: true, value: { timestampMs: Date.UTC(2018, 3, 1, 10), channel: 'ONLINE', mcc: 5411 } });
    expect(validateTransaction({ ...good, timestamp: 1522576800000 })).toMatchObject({ ok: true });
  });

  const cases: [string, Record<string, unknown>, string, string][] = [
    ['missing id', { ...good, id: undefined }, 'id', 'missing'],
    ['numeric-but-negative id', { ...good, id: -1 }, 'id', 'type'],
    ['oversized card id', { ...good, cardId: 'x'.repeat(65) }, 'cardId', 'too_long'],
    ['missing terminal', { ...good, terminalId: '' }, 'terminalId', 'missing'],
    ['non-finite amount', { ...good, amount: Number.POSITIVE_INFINITY }, 'amount', 'range'],
    ['NaN amount', { ...good, amount: Number.NaN }, 'amount', 'range'],
    ['negative amount', { ...good, amount: -1 }, 'amount', 'range'],
    ['string amount', { ...good, amount: '12' }, 'amount', 'type'],
    ['huge amount', { ...good, amount: 2e9 }, 'amount', 'range'],
    ['unparsable timestamp', { ...good, timestamp: 'yesterday' }, 'timestamp', 'format'],
    ['impossible date', { ...good, timestamp: '2018-02-30 10:00:00' }, 'timestamp', 'format'],
    ['missing timestamp', { ...good, timestamp: undefined }, 'timestamp', 'missing'],
    ['unknown channel', { ...good, channel: 'TELEPATHY' }, 'channel', 'unknown_value'],
    ['bad currency', { ...good, currency: 'euro' }, 'currency', 'format'],
    ['bad country', { ...good, country: 'France' }, 'country', 'format'],
    ['mcc out of range', { ...good, mcc: 10000 }, 'mcc', 'range'],
    ['lat out of range', { ...good, lat: 91 }, 'lat', 'range'],
    ['cardPresent not boolean', { ...good, cardPresent: 'yes' }, 'cardPresent', 'type'],
  ];
  for (const [name, input, field, code] of cases) {
    it(`rejects ${name}, naming ${field}`, () => {
      const r = validateTransaction(input);
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.field).toBe(field);
        expect(r.error.code).toBe(code);
        expect(r.error.message).toContain(field);
      }
    });
  }

  it('rejects non-objects and malformed or oversized JSON on field $', () => {
    expect(validateTransaction([1])).toMatchObject({ ok: false, error: { field: '$' } });
    expect(parseTransactionJson('{"id":')).toMatchObject({ ok: false, error: { field: '$', code: 'malformed' } });
    expect(parseTransactionJson(JSON.stringify({ ...good, pad: 'x'.repeat(5000) }))).toMatchObject({
      ok: false,
      error: { field: '$', code: 'too_long' },
    });
    expect(parseTransactionJson(JSON.stringify(good))).toMatchObject({ ok: true });
  });
});

describe('validateLabel', () => {
  it('accepts { id, fraud } and names the bad field otherwise', () => {
    expect(validateLabel({ id: 'a', fraud: true })).toEqual({ ok: true, value: { id: 'a', fraud: true } });
    expect(validateLabel({ id: 'a' })).toMatchObject({ ok: false, error: { field: 'fraud', code: 'missing' } });
    expect(validateLabel({ id: 'a', fraud: 1 })).toMatchObject({ ok: false, error: { field: 'fraud', code: 'type' } });
    expect(validateLabel({ fraud: true })).toMatchObject({ ok: false, error: { field: 'id' } });
  });
});
