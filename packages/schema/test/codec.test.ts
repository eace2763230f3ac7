import { describe, expect, it } from 'vitest';
import {
  Flag,
  hashKey,
  maskCardId,
  RECORD_SIZE,
  RecordViews,
  txNumOf,
  validateTransaction,
} from '../src/index.js';

describe('binary record codec', () => {
  it('round-trips a transaction through a shared buffer', () => {
    const views = new RecordViews(new SharedArrayBuffer(4 * RECORD_SIZE));
    const v = validateTransaction({
      id: '42',
      cardId: 'card-9',
      terminalId: 'T7',
      amount: 99.99,
      timestamp: '2018-04-02 13:00:00',
      mcc: 5999,
      channel: 'POS',
      cardPresent: true,
      country: 'NL',
      currency: 'GBP',
      lat: 52.5,
      lon: 4.75,
    });
    if (!v.ok) throw new Error(v.error.message);
    views.writeTransaction(3, v.value, 1000.5);
    const d = views.decode(3);
    expect(d).toMatchObject({
      txNum: 42,
      timestampMs: Date.UTC(2018, 3, 2, 13),
      amount: 99.99,
      ingestMs: 1000.5,
      cardKey: hashKey('card-9'),
      terminalKey: hashKey('T7'),
      mcc: 5999,
      channel: 'POS',
      cardPresent: true,
      label: false,
      country: 'NL',
      currency: 'GBP',
      lat: 52.5,
      lon: 4.75,
    });
  });

  it('writes label records with the label flags', () => {
    const views = new RecordViews(new ArrayBuffer(2 * RECORD_SIZE));
    views.writeLabel(1, 17, 5000, 1, 2, 3, 4, true, 9);
    const d = views.decode(1);
    expect(d.label).toBe(true);
    expect(d.fraud).toBe(true);
    expect(d.txNum).toBe(17);
    expect(d.cardKey).toBe((2n << 32n) | 1n);
    expect(d.terminalKey).toBe((4n << 32n) | 3n);
    expect(views.flags(1) & Flag.Label).toBe(Flag.Label);
  });

  it('keeps numeric ids numeric and marks other ids NaN', () => {
    expect(txNumOf('0')).toBe(0);
    expect(txNumOf('1754154')).toBe(1754154);
    expect(txNumOf('007')).toBeNaN();
    expect(txNumOf('tx-1')).toBeNaN();
    expect(txNumOf('99999999999999999')).toBeNaN();
  });

  it('hashes ids to well-spread 64-bit keys', () => {
    const keys = new Set<bigint>();
    for (let i = 0; i < 100_000; i++) keys.add(hashKey(String(i)));
    expect(keys.size).toBe(100_000);
    expect(hashKey('abc')).toBe(hashKey('abc'));
  });

  it('masks card ids to their last 4 characters', () => {
    expect(maskCardId('4111111111111111')).toBe('****1111');
    expect(maskCardId('123')).toBe('****');
  });
});
