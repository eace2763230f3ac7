import { layout as L } from './generated/layout.js';

export { layout, type Layout } from './generated/layout.js';

/**
 * The binary transaction record: what every source writes into the shared ring and what the Rust scorer reads
 * zero-copy. Numbers only; strings are hashed (card, terminal) or kept beside the ring (string transaction ids).
 *
 * One record is 64 bytes, little-endian, 8-byte aligned, so a ring of records can be viewed at once as
 * Float64Array / Uint32Array / Uint16Array / Uint8Array without copying:
 *
 * ```
 *  byte 0         8         16        24        32        40        48   50 51 52   54   56        60        64
 *       +---------+---------+---------+---------+---------+---------+----+--+--+----+----+---------+---------+
 *       | txNum   | tsMs    | amount  | ingestMs| cardKey | termKey | mcc|ch|fl|ctry| cur| lat     | lon     |
 *       | f64     | f64     | f64     | f64     | u32 x 2 | u32 x 2 | u16|u8|u8| u16| u16| f32     | f32     |
 *       +---------+---------+---------+---------+---------+---------+----+--+--+----+----+---------+---------+
 * ```
 *
 * - `txNum`    transaction records: the numeric transaction id when the id is a canonical non-negative integer
 *              below 2^53, else NaN (the string id is then kept by the producer in a side table by slot).
 *              Label records: the ingest sequence number of the labelled transaction, or NaN when unknown.
 * - `tsMs`     event time, epoch milliseconds (label records: the labelled transaction's event time).
 * - `amount`   major units, finite and >= 0 (label records: 0).
 * - `ingestMs` wall clock when the record entered the system, epoch ms with sub-ms precision
 *              (`performance.timeOrigin + performance.now()`); ingest-to-decision latency starts here.
 * - `cardKey`, `termKey`  64-bit keys of the card and terminal ids, low word first ({@link hashKey}).
 * - `mcc`      merchant category code 1..9999, 0 unknown.
 * - `ch`       channel: 0 unknown, 1 POS, 2 ONLINE, 3 ATM.
 * - `fl`       flags: see {@link Flag}.
 * - `ctry`     ISO 3166 alpha-2 packed as `c0 | c1 << 8` (ASCII), 0 unknown.
 * - `cur`      ISO 4217 alpha-3 packed as `0x8000 | (c0-65) << 10 | (c1-65) << 5 | (c2-65)`, 0 unknown.
 * - `lat`, `lon` degrees, NaN unknown.
 *
 * The offsets, sizes, flag bits and codes are not written here: they come from `generated/layout.ts`, which the
 * Rust scorer renders from its own definitions (see the package README). The diagrams are documentation.
 *
 * A label record (`fl & Flag.Label`) is a chargeback/feedback event travelling in the same ring, so the scorer
 * applies it in stream order: it updates terminal/card fraud state and gets no decision.
 */
export const RECORD_SIZE = L.record.size;

/** Byte offsets of the record fields (from the generated layout). */
export const Offset = {
  txNum: L.record.txNum,
  tsMs: L.record.tsMs,
  amount: L.record.amount,
  ingestMs: L.record.ingestMs,
  cardKey: L.record.cardKey,
  termKey: L.record.termKey,
  mcc: L.record.mcc,
  channel: L.record.channel,
  flags: L.record.flags,
  country: L.record.country,
  currency: L.record.currency,
  lat: L.record.lat,
  lon: L.record.lon,
} as const;

/** Bits of the `flags` byte. */
export const Flag = {
  /** The record is a label (feedback), not a transaction. */
  Label: L.flag.label,
  /** Label value: the labelled transaction was fraud. */
  Fraud: L.flag.fraud,
  /** The card was present (chip/swipe); meaningful only with `CardPresentKnown`. */
  CardPresent: L.flag.cardPresent,
  /** `CardPresent` carries information (the input said yes or no). */
  CardPresentKnown: L.flag.cardPresentKnown,
} as const;

/** Channel codes of the `channel` byte. */
export const Channel = { Unknown: L.channel.unknown, POS: L.channel.pos, ONLINE: L.channel.online, ATM: L.channel.atm } as const;
/** A channel name as transactions spell it. */
export type ChannelName = 'POS' | 'ONLINE' | 'ATM';
/** Channel names by code - 1 (code 0 is unknown). */
export const CHANNEL_NAMES: readonly ChannelName[] = ['POS', 'ONLINE', 'ATM'];

/**
 * The result the scorer writes for each record, 16 bytes, at the same slot index in a parallel results region:
 *
 * ```
 *  byte 0         4    5    6         8    9    10   11        16
 *       +---------+----+----+---------+----+----+----+---------+
 *       | score   |dec |stat| rules   | r0 | r1 | r2 | zero    |
 *       | f32     | u8 | u8 | u16     | u8 | u8 | u8 |         |
 *       +---------+----+----+---------+----+----+----+---------+
 * ```
 * - `dec`   {@link DecisionCode}.
 * - `stat`  {@link ResultStatus}.
 * - `rules` bitmask of the rules that fired (see the scorer's rule table).
 * - `r0..r2` feature indices of the top contributions to the score, 255 when none.
 */
export const RESULT_SIZE = L.result.size;

/** Byte offsets of the result fields (from the generated layout). */
export const ResultOffset = {
  score: L.result.score,
  decision: L.result.decision,
  status: L.result.status,
  rules: L.result.rules,
  reasons: L.result.reasons,
} as const;

/** Number of reason slots in a result. */
export const REASON_COUNT = L.result.reasonCount;

/** Decision codes in the results region. */
export const DecisionCode = { Approve: L.decision.approve, Review: L.decision.review, Decline: L.decision.decline } as const;
/** Decision names by code. */
export const DECISION_NAMES = ['APPROVE', 'REVIEW', 'DECLINE'] as const;
/** A decision name. */
export type DecisionName = (typeof DECISION_NAMES)[number];

/** Status codes in the results region. */
export const ResultStatus = {
  /** Scored: score, decision and reasons are valid. */
  Scored: L.status.scored,
  /** The record failed the scorer's own checks (never expected after schema validation): REVIEW, INVALID_RECORD. */
  Invalid: L.status.invalid,
  /** A label record, applied to state; no decision. */
  Label: L.status.label,
  /** Decided by the fallback after the scorer failed on its batch: score NaN, REVIEW, SCORER_ERROR. */
  Fallback: L.status.fallback,
} as const;

/** No reason in this reason slot. */
export const NO_REASON = L.reason.none;

/** Packs an ISO 3166 alpha-2 country code; 0 for undefined. */
export function packCountry(code: string | undefined): number {
  if (code === undefined) return 0;
  return code.charCodeAt(0) | (code.charCodeAt(1) << 8);
}

/** Unpacks a country code packed by {@link packCountry}; undefined for 0. */
export function unpackCountry(packed: number): string | undefined {
  if (packed === 0) return undefined;
  return String.fromCharCode(packed & 0xff, packed >> 8);
}

/** Packs an ISO 4217 alpha-3 currency code (upper-case A-Z); 0 for undefined. */
export function packCurrency(code: string | undefined): number {
  if (code === undefined) return 0;
  return 0x8000 | ((code.charCodeAt(0) - 65) << 10) | ((code.charCodeAt(1) - 65) << 5) | (code.charCodeAt(2) - 65);
}

/** Unpacks a currency code packed by {@link packCurrency}; undefined for 0. */
export function unpackCurrency(packed: number): string | undefined {
  if (packed === 0) return undefined;
  return String.fromCharCode(((packed >> 10) & 31) + 65, ((packed >> 5) & 31) + 65, (packed & 31) + 65);
}
