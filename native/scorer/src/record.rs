//! The 64-byte transaction record and the 16-byte result: their offsets, sizes, flag bits and codes.
//!
//! ```text
//!  record (64 B, little-endian)
//!  byte 0         8         16        24        32        40        48   50 51 52   54   56        60        64
//!       +---------+---------+---------+---------+---------+---------+----+--+--+----+----+---------+---------+
//!       | txNum   | tsMs    | amount  | ingestMs| cardKey | termKey | mcc|ch|fl|ctry| cur| lat     | lon     |
//!       | f64     | f64     | f64     | f64     | u32 x 2 | u32 x 2 | u16|u8|u8| u16| u16| f32     | f32     |
//!       +---------+---------+---------+---------+---------+---------+----+--+--+----+----+---------+---------+
//!
//!  result (16 B, same slot index in the results region)
//!  byte 0         4    5    6         8    9    10   11   12        16
//!       +---------+----+----+---------+----+----+----+----+---------+
//!       | score   |dec |stat| rules   | r0 | r1 | r2 |rule| gen     |
//!       | f32     | u8 | u8 | u16     | u8 | u8 | u8 | u8 | u32     |
//!       +---------+----+----+---------+----+----+----+----+---------+
//! ```
//!
//! Records are read field by field with `from_le_bytes` straight from the shared region (no copy of the batch).
//!
//! This file is the one author of both layouts: the TypeScript table `packages/schema/src/generated/layout.ts` is
//! rendered from these constants by `layout.rs` (and checked by its test), and the addon exports them as `layout()`.

use crate::decide::{APPROVE, REVIEW};
use crate::rules;

/// Size of one record in bytes.
pub const RECORD_SIZE: usize = 64;
/// Size of one result in bytes.
pub const RESULT_SIZE: usize = 16;

/// Record offset of `txNum` (f64): the numeric transaction id, or for a label the labelled record's sequence number.
pub const OFF_TX_NUM: usize = 0;
/// Record offset of `tsMs` (f64): event time, epoch milliseconds.
pub const OFF_TS: usize = 8;
/// Record offset of `amount` (f64): major units.
pub const OFF_AMOUNT: usize = 16;
/// Record offset of `ingestMs` (f64): wall clock when the record entered the system, epoch milliseconds.
pub const OFF_INGEST: usize = 24;
/// Record offset of the card key (u64 as two u32 words, low word first).
pub const OFF_CARD: usize = 32;
/// Record offset of the terminal key (u64 as two u32 words, low word first).
pub const OFF_TERM: usize = 40;
/// Record offset of `mcc` (u16): merchant category code, 0 unknown.
pub const OFF_MCC: usize = 48;
/// Record offset of `channel` (u8): see the `CHANNEL_*` codes.
pub const OFF_CHANNEL: usize = 50;
/// Record offset of `flags` (u8): see the `FLAG_*` bits.
pub const OFF_FLAGS: usize = 51;
/// Record offset of `country` (u16): ISO 3166 alpha-2 packed as `c0 | c1 << 8`, 0 unknown.
pub const OFF_COUNTRY: usize = 52;
/// Record offset of `currency` (u16): packed ISO 4217 alpha-3, 0 unknown (the scorer does not read it).
pub const OFF_CURRENCY: usize = 54;
/// Record offset of `lat` (f32): terminal latitude, degrees, NaN unknown.
pub const OFF_LAT: usize = 56;
/// Record offset of `lon` (f32): terminal longitude, degrees, NaN unknown.
pub const OFF_LON: usize = 60;

/// Result offset of `score` (f32).
pub const RES_SCORE: usize = 0;
/// Result offset of `decision` (u8): see `decide::{APPROVE, REVIEW, DECLINE}`.
pub const RES_DECISION: usize = 4;
/// Result offset of `status` (u8): see the `STATUS_*` codes.
pub const RES_STATUS: usize = 5;
/// Result offset of `rules` (u16): bitmask of the rules that fired, bit i = `rules::NAMES[i]`.
pub const RES_RULES: usize = 6;
/// Result offset of the reason slots (`REASON_COUNT` x u8 feature indices, `NO_REASON` when empty).
pub const RES_REASONS: usize = 8;
/// Result offset of the deciding rule (u8): index of the live rule set's rule that floored the decision (with the
/// `DYNAMIC_RULE` bit), 255 when none.
pub const RES_RULE: usize = 11;
/// Result offset of the generation (u32): which live configuration (bundle, rules, model) decided the record; 0 for
/// the fallback.
pub const RES_GENERATION: usize = 12;
/// Number of reason slots in a result.
pub const REASON_COUNT: usize = 3;

/// Flag bit: the record is a label (feedback) for an earlier transaction.
pub const FLAG_LABEL: u8 = 1;
/// Flag bit: label value, the labelled transaction was fraud.
pub const FLAG_FRAUD: u8 = 2;
/// Flag: the card was present (meaningful with `FLAG_CARD_PRESENT_KNOWN`).
pub const FLAG_CARD_PRESENT: u8 = 4;
/// Flag: `FLAG_CARD_PRESENT` carries information.
pub const FLAG_CARD_PRESENT_KNOWN: u8 = 8;

/// Channel code: unknown.
pub const CHANNEL_UNKNOWN: u8 = 0;
/// Channel code: point of sale.
pub const CHANNEL_POS: u8 = 1;
/// Channel code: online (card not present).
pub const CHANNEL_ONLINE: u8 = 2;
/// Channel code: ATM.
pub const CHANNEL_ATM: u8 = 3;

/// Result status: scored by the model and rules.
pub const STATUS_SCORED: u8 = 0;
/// Result status: the record failed the scorer's checks.
pub const STATUS_INVALID: u8 = 1;
/// Result status: a label record applied to state.
pub const STATUS_LABEL: u8 = 2;
/// Result status: decided by the fallback after the scorer failed on the batch (see `Outcome::FALLBACK`).
pub const STATUS_FALLBACK: u8 = 3;

/// No reason in a reason slot.
pub const NO_REASON: u8 = 255;

/// The fields of a record the scorer uses, decoded from one 64-byte slot.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Record {
    /// Event time, epoch milliseconds.
    pub ts_ms: f64,
    /// Amount in major units.
    pub amount: f64,
    /// 64-bit card key.
    pub card: u64,
    /// 64-bit terminal key.
    pub term: u64,
    /// Flags byte.
    pub flags: u8,
    /// Merchant category code, 0 unknown.
    pub mcc: u16,
    /// Channel: 0 unknown, 1 POS, 2 ONLINE, 3 ATM.
    pub channel: u8,
    /// Packed ISO country, 0 unknown.
    pub country: u16,
    /// Terminal latitude, degrees (NaN unknown).
    pub lat: f32,
    /// Terminal longitude, degrees (NaN unknown).
    pub lon: f32,
}

impl Record {
    /// Decodes the record in `slot`, which must be `RECORD_SIZE` bytes long.
    #[must_use]
    pub fn read(slot: &[u8]) -> Self {
        Self {
            ts_ms: f64_at(slot, OFF_TS),
            amount: f64_at(slot, OFF_AMOUNT),
            card: u64_at(slot, OFF_CARD),
            term: u64_at(slot, OFF_TERM),
            flags: slot[OFF_FLAGS],
            mcc: u16::from_le_bytes([slot[OFF_MCC], slot[OFF_MCC + 1]]),
            channel: slot[OFF_CHANNEL],
            country: u16::from_le_bytes([slot[OFF_COUNTRY], slot[OFF_COUNTRY + 1]]),
            lat: f32_at(slot, OFF_LAT),
            lon: f32_at(slot, OFF_LON),
        }
    }

    /// Whether the input said the card was present (false when it did not say).
    #[must_use]
    pub fn card_present(&self) -> Option<bool> {
        (self.flags & FLAG_CARD_PRESENT_KNOWN != 0).then_some(self.flags & FLAG_CARD_PRESENT != 0)
    }

    /// Whether this is a label record.
    #[must_use]
    pub fn is_label(&self) -> bool {
        self.flags & FLAG_LABEL != 0
    }

    /// Whether a label record says fraud.
    #[must_use]
    pub fn is_fraud(&self) -> bool {
        self.flags & FLAG_FRAUD != 0
    }

    /// Whether the scorer can use the record: a finite event time and, for transactions, a finite non-negative amount.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.ts_ms.is_finite()
            && (self.is_label() || (self.amount.is_finite() && self.amount >= 0.0))
    }

    /// Encodes the record into a 64-byte slot (tests and tools; other fields zero).
    pub fn write(&self, slot: &mut [u8]) {
        slot[..RECORD_SIZE].fill(0);
        slot[OFF_TS..OFF_TS + 8].copy_from_slice(&self.ts_ms.to_le_bytes());
        slot[OFF_AMOUNT..OFF_AMOUNT + 8].copy_from_slice(&self.amount.to_le_bytes());
        slot[OFF_CARD..OFF_CARD + 8].copy_from_slice(&self.card.to_le_bytes());
        slot[OFF_TERM..OFF_TERM + 8].copy_from_slice(&self.term.to_le_bytes());
        slot[OFF_FLAGS] = self.flags;
        slot[OFF_MCC..OFF_MCC + 2].copy_from_slice(&self.mcc.to_le_bytes());
        slot[OFF_CHANNEL] = self.channel;
        slot[OFF_COUNTRY..OFF_COUNTRY + 2].copy_from_slice(&self.country.to_le_bytes());
        slot[OFF_LAT..OFF_LAT + 4].copy_from_slice(&self.lat.to_le_bytes());
        slot[OFF_LON..OFF_LON + 4].copy_from_slice(&self.lon.to_le_bytes());
    }
}

fn f32_at(slot: &[u8], off: usize) -> f32 {
    f32::from_le_bytes([slot[off], slot[off + 1], slot[off + 2], slot[off + 3]])
}

fn f64_at(slot: &[u8], off: usize) -> f64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&slot[off..off + 8]);
    f64::from_le_bytes(b)
}

fn u64_at(slot: &[u8], off: usize) -> u64 {
    let mut b = [0u8; 8];
    b.copy_from_slice(&slot[off..off + 8]);
    u64::from_le_bytes(b)
}

/// One decided result, written into a 16-byte result slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// Probability of fraud, 0..1.
    pub score: f32,
    /// Decision code (see `decide`).
    pub decision: u8,
    /// Status code.
    pub status: u8,
    /// Bitmask of fired rules.
    pub rules: u16,
    /// Top-3 feature indices, `NO_REASON` when none.
    pub reasons: [u8; REASON_COUNT],
}

impl Outcome {
    /// The outcome of a label record: applied to state, no decision.
    pub const LABEL: Self = Self {
        score: 0.0,
        decision: APPROVE,
        status: STATUS_LABEL,
        rules: 0,
        reasons: [NO_REASON; REASON_COUNT],
    };

    /// The outcome of a record that failed the scorer's checks: REVIEW with the `INVALID_RECORD` rule.
    pub const INVALID: Self = Self {
        score: 0.0,
        decision: REVIEW,
        status: STATUS_INVALID,
        rules: rules::INVALID_RECORD,
        reasons: [NO_REASON; REASON_COUNT],
    };

    /// The outcome of a transaction whose batch the scorer failed on: no score (NaN), REVIEW, the `SCORER_ERROR`
    /// rule, no reasons.
    pub const FALLBACK: Self = Self {
        score: f32::NAN,
        decision: REVIEW,
        status: STATUS_FALLBACK,
        rules: rules::SCORER_ERROR,
        reasons: [NO_REASON; REASON_COUNT],
    };

    /// Writes the outcome into `slot`, which must be `RESULT_SIZE` bytes long.
    pub fn write(&self, slot: &mut [u8]) {
        slot[RES_SCORE..RES_SCORE + 4].copy_from_slice(&self.score.to_le_bytes());
        slot[RES_DECISION] = self.decision;
        slot[RES_STATUS] = self.status;
        slot[RES_RULES..RES_RULES + 2].copy_from_slice(&self.rules.to_le_bytes());
        slot[RES_REASONS..RES_REASONS + REASON_COUNT].copy_from_slice(&self.reasons);
        slot[RES_REASONS + REASON_COUNT..RESULT_SIZE].fill(0);
    }

    /// Writes which rule of the live set decided (`NO_RULE` none) and the live generation into a written slot.
    pub fn write_decided_by(slot: &mut [u8], rule: u8, generation: u32) {
        slot[RES_RULE] = rule;
        slot[RES_GENERATION..RES_GENERATION + 4].copy_from_slice(&generation.to_le_bytes());
    }

    /// Decodes an outcome from a result slot (tests).
    #[must_use]
    pub fn read(slot: &[u8]) -> Self {
        let mut reasons = [NO_REASON; REASON_COUNT];
        reasons.copy_from_slice(&slot[RES_REASONS..RES_REASONS + REASON_COUNT]);
        Self {
            score: f32_at(slot, RES_SCORE),
            decision: slot[RES_DECISION],
            status: slot[RES_STATUS],
            rules: u16::from_le_bytes([slot[RES_RULES], slot[RES_RULES + 1]]),
            reasons,
        }
    }
}

/// Writes the fallback outcome for every record of `records` into the matching slot of `results`: a transaction
/// gets [`Outcome::FALLBACK`], a label record [`Outcome::LABEL`] (labels need no decision, so none is lost).
/// Returns the number of transactions written.
///
/// # Panics
/// When `results` is not `RESULT_SIZE` bytes per record.
pub fn write_fallback(records: &[u8], results: &mut [u8]) -> u32 {
    let count = records.len() / RECORD_SIZE;
    assert_eq!(
        results.len(),
        count * RESULT_SIZE,
        "results must have one slot per record"
    );
    let mut transactions = 0;
    for (rec, out) in records
        .chunks_exact(RECORD_SIZE)
        .zip(results.chunks_exact_mut(RESULT_SIZE))
    {
        if rec[OFF_FLAGS] & FLAG_LABEL == 0 {
            Outcome::FALLBACK.write(out);
            transactions += 1;
        } else {
            Outcome::LABEL.write(out);
        }
    }
    transactions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_round_trips() {
        let r = Record {
            ts_ms: 1.5e12,
            amount: 12.5,
            card: 0x1234_5678_9abc_def0,
            term: 7,
            flags: FLAG_LABEL | FLAG_FRAUD,
            ..Default::default()
        };
        let mut slot = [0u8; RECORD_SIZE];
        r.write(&mut slot);
        assert_eq!(Record::read(&slot), r);
        // cardLo at 32, cardHi at 36.
        assert_eq!(
            u32::from_le_bytes([slot[32], slot[33], slot[34], slot[35]]),
            0x9abc_def0
        );
        assert!(r.is_label() && r.is_fraud() && r.is_valid());
    }

    #[test]
    fn invalid_records_are_detected() {
        let mut r = Record {
            ts_ms: 0.0,
            amount: f64::NAN,
            card: 1,
            term: 1,
            flags: 0,
            ..Default::default()
        };
        assert!(!r.is_valid());
        r.amount = -1.0;
        assert!(!r.is_valid());
        r.amount = 1.0;
        r.ts_ms = f64::INFINITY;
        assert!(!r.is_valid());
    }
}
