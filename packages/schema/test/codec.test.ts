import { describe, expect, it } from 'vitest';
import {
  Channel,
  DecisionCode,
  Flag,
  layout,
  NO_REASON,
  packCountry,
  packCurrency,
  packTerminalWord,
  resultReason,
  resultRules,
  ResultStatus,
  ResultViews,
  RESULT_SIZE,
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

  it('writes through setHeader/setKeys/setTerminalFields exactly what writeTransaction writes', () => {
    const a = new RecordViews(new ArrayBuffer(2 * RECORD_SIZE));
    const v = validateTransaction({ id: '7', cardId: 'c', terminalId: 't', amount: 5, timestamp: 1000, mcc: 5411, channel: 'ONLINE', cardPresent: false, country: 'FR', currency: 'EUR', lat: 1.5, lon: -2.25 });
    if (!v.ok) throw new Error(v.error.message);
    a.writeTransaction(0, v.value, 42);
    const ck = hashKey('c');
    const tk = hashKey('t');
    a.setHeader(1, 7, 1000, 5, 42);
    a.setKeys(1, Number(ck & 0xffffffffn), Number(ck >> 32n), Number(tk & 0xffffffffn), Number(tk >> 32n));
    a.setTerminalFields(1, packTerminalWord(5411, Channel.ONLINE, Flag.CardPresentKnown), packCountry('FR'), packCurrency('EUR'), 1.5, -2.25);
    expect(Buffer.from(a.bytes(1, 1)).equals(Buffer.from(a.bytes(0, 1)))).toBe(true);
    expect(a.cardKeyLo(1) + a.cardKeyHi(1) * 4294967296).toBe(Number(ck));
    expect((BigInt(a.termKeyHi(0)) << 32n) | BigInt(a.termKeyLo(0))).toBe(tk);
    expect(a.bytes(0, 2).byteLength).toBe(2 * RECORD_SIZE);
  });

  it('copies a record between regions', () => {
    const a = new RecordViews(new ArrayBuffer(2 * RECORD_SIZE));
    const b = new RecordViews(new SharedArrayBuffer(3 * RECORD_SIZE));
    a.writeLabel(1, 3, 99, 1, 2, 3, 4, false, 5);
    b.copyFrom(a, 1, 2);
    expect(b.decode(2)).toEqual(a.decode(1));
    expect(b.isLabel(2)).toBe(true);
  });
});

describe('results', () => {
  it('takes its offsets from the generated layout', () => {
    expect(RECORD_SIZE).toBe(layout.record.size);
    expect(RESULT_SIZE).toBe(layout.result.size);
    expect(ResultStatus.Fallback).toBe(layout.status.fallback);
    expect(NO_REASON).toBe(layout.reason.none);
  });

  it('round-trips a result through write and read, and the byte helpers agree with the views', () => {
    const r = new ResultViews(new SharedArrayBuffer(3 * RESULT_SIZE));
    r.u8.fill(0xee);
    r.write(1, { score: 0.75, decision: DecisionCode.Decline, status: ResultStatus.Scored, rules: 0b101, reasons: [4, 2] });
    expect(r.read(1)).toEqual({ score: 0.75, decision: 2, status: 0, rules: 5, reasons: [4, 2, NO_REASON] });
    expect(r.decision(1)).toBe('DECLINE');
    expect(resultRules(r.u8, 1)).toBe(5);
    expect(resultReason(r.u8, 1, 1)).toBe(2);
    expect(resultReason(r.u8, 1, 2)).toBe(NO_REASON);
    // Padding is zeroed; neighbouring slots untouched.
    expect([...r.bytes(1, 1).subarray(layout.result.reasons + layout.result.reasonCount)].every((b) => b === 0)).toBe(true);
    expect(r.u8[0]).toBe(0xee);
    expect(r.u8[2 * RESULT_SIZE]).toBe(0xee);
    expect(ResultViews.over(r.bytes(1, 2)).score(0)).toBe(0.75);
  });
});
