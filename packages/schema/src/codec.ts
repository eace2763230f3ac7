import {
  CHANNEL_NAMES,
  DECISION_NAMES,
  Flag,
  NO_REASON,
  RECORD_SIZE,
  RESULT_SIZE,
  type ChannelName,
  type DecisionName,
  packCountry,
  packCurrency,
  unpackCountry,
  unpackCurrency,
} from './record.js';
import { hashKeyInto } from './hash.js';
import type { Transaction } from './types.js';

const CANONICAL_INT = /^(0|[1-9]\d{0,15})$/;

/** The numeric form of a transaction id for the record's `txNum` field: the integer, or NaN for other strings. */
export function txNumOf(id: string): number {
  if (!CANONICAL_INT.test(id)) return Number.NaN;
  const n = Number(id);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/**
 * Typed views over a region of records (a ring's data region, a file-replay buffer). Creating one allocates a
 * handful of views; reading and writing records through it allocates nothing.
 * Note: the region's byte offset must be a multiple of 8.
 */
export class RecordViews {
  readonly f64: Float64Array;
  readonly f32: Float32Array;
  readonly u32: Uint32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  /** Number of record slots in the region. */
  readonly slots: number;

  constructor(buffer: ArrayBufferLike, byteOffset = 0, slots = Math.floor((buffer.byteLength - byteOffset) / RECORD_SIZE)) {
    if (byteOffset % 8 !== 0) throw new RangeError('byteOffset must be a multiple of 8');
    const bytes = slots * RECORD_SIZE;
    this.slots = slots;
    this.f64 = new Float64Array(buffer, byteOffset, bytes / 8);
    this.f32 = new Float32Array(buffer, byteOffset, bytes / 4);
    this.u32 = new Uint32Array(buffer, byteOffset, bytes / 4);
    this.u16 = new Uint16Array(buffer, byteOffset, bytes / 2);
    this.u8 = new Uint8Array(buffer, byteOffset, bytes);
  }

  /** Writes a validated transaction into `slot`. Hashes the card and terminal ids; allocates nothing. */
  writeTransaction(slot: number, tx: Transaction, ingestMs: number): void {
    const b8 = slot * 8;
    const b4 = slot * 16;
    const b2 = slot * 32;
    const b1 = slot * 64;
    this.f64[b8] = txNumOf(tx.id);
    this.f64[b8 + 1] = tx.timestampMs;
    this.f64[b8 + 2] = tx.amount;
    this.f64[b8 + 3] = ingestMs;
    hashKeyInto(tx.cardId, this.u32, b4 + 8);
    hashKeyInto(tx.terminalId, this.u32, b4 + 10);
    this.u16[b2 + 24] = tx.mcc ?? 0;
    this.u8[b1 + 50] = tx.channel === undefined ? 0 : CHANNEL_NAMES.indexOf(tx.channel) + 1;
    this.u8[b1 + 51] =
      tx.cardPresent === undefined ? 0 : Flag.CardPresentKnown | (tx.cardPresent ? Flag.CardPresent : 0);
    this.u16[b2 + 26] = packCountry(tx.country);
    this.u16[b2 + 27] = packCurrency(tx.currency);
    this.f32[b4 + 14] = tx.lat ?? Number.NaN;
    this.f32[b4 + 15] = tx.lon ?? Number.NaN;
  }

  /**
   * Writes a label record into `slot`: the labelled transaction's card and terminal keys (low word first) and event
   * time, and its ingest sequence number when known (NaN otherwise).
   */
  writeLabel(
    slot: number,
    refSeq: number,
    timestampMs: number,
    cardLo: number,
    cardHi: number,
    termLo: number,
    termHi: number,
    fraud: boolean,
    ingestMs: number,
  ): void {
    const b8 = slot * 8;
    const b4 = slot * 16;
    this.f64[b8] = refSeq;
    this.f64[b8 + 1] = timestampMs;
    this.f64[b8 + 2] = 0;
    this.f64[b8 + 3] = ingestMs;
    this.u32[b4 + 8] = cardLo;
    this.u32[b4 + 9] = cardHi;
    this.u32[b4 + 10] = termLo;
    this.u32[b4 + 11] = termHi;
    // mcc, channel and flags (bytes 48..51), then country and currency (52..55) zeroed; the flags set after.
    this.u32[b4 + 12] = 0;
    this.u32[b4 + 13] = 0;
    this.u8[slot * 64 + 51] = Flag.Label | (fraud ? Flag.Fraud : 0);
    this.f32[b4 + 14] = Number.NaN;
    this.f32[b4 + 15] = Number.NaN;
  }

  /** Copies one record from `slot` of `src` to `slot` of this region. */
  copyFrom(src: RecordViews, srcSlot: number, dstSlot: number): void {
    this.f64.set(src.f64.subarray(srcSlot * 8, srcSlot * 8 + 8), dstSlot * 8);
  }

  txNum(slot: number): number {
    return this.f64[slot * 8] ?? Number.NaN;
  }
  timestampMs(slot: number): number {
    return this.f64[slot * 8 + 1] ?? Number.NaN;
  }
  amount(slot: number): number {
    return this.f64[slot * 8 + 2] ?? Number.NaN;
  }
  ingestMs(slot: number): number {
    return this.f64[slot * 8 + 3] ?? Number.NaN;
  }
  flags(slot: number): number {
    return this.u8[slot * 64 + 51] ?? 0;
  }
  isLabel(slot: number): boolean {
    return ((this.u8[slot * 64 + 51] ?? 0) & Flag.Label) !== 0;
  }

  /** Decodes a record into a plain object (tests, tools, the feed sample; never the hot path). */
  decode(slot: number): DecodedRecord {
    const b4 = slot * 16;
    const b2 = slot * 32;
    const flags = this.flags(slot);
    const ch = this.u8[slot * 64 + 50] ?? 0;
    return {
      txNum: this.txNum(slot),
      timestampMs: this.timestampMs(slot),
      amount: this.amount(slot),
      ingestMs: this.ingestMs(slot),
      cardKey: (BigInt(this.u32[b4 + 9] ?? 0) << 32n) | BigInt(this.u32[b4 + 8] ?? 0),
      terminalKey: (BigInt(this.u32[b4 + 11] ?? 0) << 32n) | BigInt(this.u32[b4 + 10] ?? 0),
      mcc: this.u16[b2 + 24] ?? 0,
      channel: ch === 0 ? undefined : CHANNEL_NAMES[ch - 1],
      cardPresent: (flags & Flag.CardPresentKnown) === 0 ? undefined : (flags & Flag.CardPresent) !== 0,
      label: (flags & Flag.Label) !== 0,
      fraud: (flags & Flag.Fraud) !== 0,
      country: unpackCountry(this.u16[b2 + 26] ?? 0),
      currency: unpackCurrency(this.u16[b2 + 27] ?? 0),
      lat: this.f32[b4 + 14] ?? Number.NaN,
      lon: this.f32[b4 + 15] ?? Number.NaN,
    };
  }
}

/** A record decoded to a plain object by {@link RecordViews.decode}. */
export interface DecodedRecord {
  txNum: number;
  timestampMs: number;
  amount: number;
  ingestMs: number;
  cardKey: bigint;
  terminalKey: bigint;
  mcc: number;
  channel: ChannelName | undefined;
  cardPresent: boolean | undefined;
  label: boolean;
  fraud: boolean;
  country: string | undefined;
  currency: string | undefined;
  lat: number;
  lon: number;
}

/** Typed views over a results region (see `RESULT_SIZE`); reading allocates nothing. */
export class ResultViews {
  readonly f32: Float32Array;
  readonly u16: Uint16Array;
  readonly u8: Uint8Array;
  readonly slots: number;

  constructor(buffer: ArrayBufferLike, byteOffset = 0, slots = Math.floor((buffer.byteLength - byteOffset) / RESULT_SIZE)) {
    if (byteOffset % 8 !== 0) throw new RangeError('byteOffset must be a multiple of 8');
    this.slots = slots;
    this.f32 = new Float32Array(buffer, byteOffset, (slots * RESULT_SIZE) / 4);
    this.u16 = new Uint16Array(buffer, byteOffset, (slots * RESULT_SIZE) / 2);
    this.u8 = new Uint8Array(buffer, byteOffset, slots * RESULT_SIZE);
  }

  score(slot: number): number {
    return this.f32[slot * 4] ?? Number.NaN;
  }
  decisionCode(slot: number): number {
    return this.u8[slot * 16 + 4] ?? 0;
  }
  decision(slot: number): DecisionName {
    return DECISION_NAMES[this.u8[slot * 16 + 4] ?? 0] ?? 'REVIEW';
  }
  status(slot: number): number {
    return this.u8[slot * 16 + 5] ?? 0;
  }
  rules(slot: number): number {
    return this.u16[slot * 8 + 3] ?? 0;
  }
  /** The feature index in reason slot `i` (0..2), or NO_REASON. */
  reason(slot: number, i: number): number {
    return this.u8[slot * 16 + 8 + i] ?? NO_REASON;
  }
}
