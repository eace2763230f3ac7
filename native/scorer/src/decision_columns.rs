//! The decision log's columns of a scored batch, laid out by the scoring worker's thread in the shared region the
//! engine's thread copies from (`DecisionColumns` of @fraudstream/engine), so neither JS thread reads, hashes or
//! checks each decision: the records and results are already in memory here.
//!
//! The region holds `capacity` slots, column after column (native byte order, as JS typed arrays read them):
//! event time `f64` at 0, integer transaction id `f64` (NaN for a string id) at `8c`, card reference as two `u32`
//! (high word first) at `16c`, score `f32` at `24c`, source slot `i32` at `28c`, staged mark `i32` at `32c` (written
//! by JS with an atomic store, never here), generation `u32` at `36c`, decision `u8` at `40c`, flag `u8` at `41c`.
//! A batch at ring slots `start .. start + count` writes its transactions (labels left out) compacted from index
//! `start`, so batches in flight on other threads own other ranges.
//!
//! The card reference is SipHash-2-4 keyed with the first 16 bytes of HMAC-SHA256(secret, "fraudstream card-ref
//! v1"), over the 8 little-endian bytes of the card's 64-bit key: the same function as `CardRefHasher` of
//! @fraudstream/schema, which owns the format (a test compares the two on many keys).

use crate::record::{
    FLAG_LABEL, OFF_CARD, OFF_FLAGS, OFF_TS, OFF_TX_NUM, RECORD_SIZE, RES_DECISION, RES_GENERATION,
    RES_SCORE, RES_STATUS, RESULT_SIZE, STATUS_SCORED,
};
use crate::sha256;

/// Bytes of the region per slot.
pub const BYTES_PER_SLOT: usize = 42;
/// The HMAC message that derives the card-reference key from the deployment secret.
const KEY_LABEL: &[u8] = b"fraudstream card-ref v1";
/// The largest integer a JS number holds exactly (`Number.MAX_SAFE_INTEGER`).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

/// HMAC-SHA256 (RFC 2104) of `msg` under `key`.
#[must_use]
pub fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let mut inner = Vec::with_capacity(64 + msg.len());
    inner.extend(block.iter().map(|b| b ^ 0x36));
    inner.extend_from_slice(msg);
    let mut outer = Vec::with_capacity(64 + 32);
    outer.extend(block.iter().map(|b| b ^ 0x5c));
    outer.extend_from_slice(&sha256::digest(&inner));
    sha256::digest(&outer)
}

/// The 16-byte card-reference key of a deployment secret.
#[must_use]
pub fn card_ref_key(secret: &[u8]) -> [u8; 16] {
    let mac = hmac_sha256(secret, KEY_LABEL);
    let mut k = [0u8; 16];
    k.copy_from_slice(&mac[..16]);
    k
}

/// SipHash-2-4 keyed by `key` (two little-endian `u64` words) of one `u64` message (its 8 little-endian bytes).
#[derive(Clone, Copy, Debug)]
pub struct SipKey {
    k0: u64,
    k1: u64,
}

#[inline]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13) ^ v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16) ^ v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21) ^ v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17) ^ v[2];
    v[2] = v[2].rotate_left(32);
}

impl SipKey {
    /// The key of 16 bytes.
    #[must_use]
    pub fn new(key: &[u8; 16]) -> Self {
        let mut a = [0u8; 8];
        let mut b = [0u8; 8];
        a.copy_from_slice(&key[..8]);
        b.copy_from_slice(&key[8..]);
        Self {
            k0: u64::from_le_bytes(a),
            k1: u64::from_le_bytes(b),
        }
    }

    /// SipHash-2-4 of the 8 bytes of `m` (little-endian).
    #[must_use]
    #[inline]
    pub fn hash_u64(&self, m: u64) -> u64 {
        let mut v = [
            self.k0 ^ 0x736f_6d65_7073_6575,
            self.k1 ^ 0x646f_7261_6e64_6f6d,
            self.k0 ^ 0x6c79_6765_6e65_7261,
            self.k1 ^ 0x7465_6462_7974_6573,
        ];
        v[3] ^= m;
        sip_round(&mut v);
        sip_round(&mut v);
        v[0] ^= m;
        // The final block: no message bytes left, the length (8) in its top byte.
        let last = 8u64 << 56;
        v[3] ^= last;
        sip_round(&mut v);
        sip_round(&mut v);
        v[0] ^= last;
        v[2] ^= 0xff;
        for _ in 0..4 {
            sip_round(&mut v);
        }
        v[0] ^ v[1] ^ v[2] ^ v[3]
    }
}

/// The parts of the region one batch writes: each column's bytes for slots `start .. start + count`, and the batch's
/// generation cell (4 bytes at `start`).
pub struct ColumnsMut<'a> {
    /// Event times, 8 bytes a slot.
    pub ts: &'a mut [u8],
    /// Integer transaction ids, 8 bytes a slot.
    pub tx_num: &'a mut [u8],
    /// Card references (high word, low word), 8 bytes a slot.
    pub card: &'a mut [u8],
    /// Scores, 4 bytes a slot.
    pub score: &'a mut [u8],
    /// Source slots, 4 bytes a slot.
    pub slot_of: &'a mut [u8],
    /// The batch's one generation, 4 bytes.
    pub generation: &'a mut [u8],
    /// Decision codes, 1 byte a slot.
    pub decision: &'a mut [u8],
    /// Flags (1: the engine builds the row), 1 byte a slot.
    pub flag: &'a mut [u8],
}

/// Byte ranges, within a region of `capacity` slots, of the columns of slots `start .. start + count`, in the order
/// of [`ColumnsMut`]'s fields (the generation cell is slot `start`'s).
#[must_use]
pub fn column_ranges(capacity: usize, start: usize, count: usize) -> [std::ops::Range<usize>; 8] {
    let c = capacity;
    let cols = |base: usize, width: usize| base + width * start..base + width * (start + count);
    [
        cols(0, 8),
        cols(8 * c, 8),
        cols(16 * c, 8),
        cols(24 * c, 4),
        cols(28 * c, 4),
        36 * c + 4 * start..36 * c + 4 * start + 4,
        cols(40 * c, 1),
        cols(41 * c, 1),
    ]
}

fn f64_at(b: &[u8], at: usize) -> f64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    f64::from_le_bytes(x)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(x)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Whether the engine may copy the row as it is: decided by the score alone (APPROVE, no alert), scored, a score in
/// [0, 1], a finite time and a non-negative safe-integer id (the checks `DecisionLog.addRun` relies on).
fn plain(decision: u8, status: u8, score: f32, ts: f64, id: f64) -> bool {
    decision == 0
        && status == STATUS_SCORED
        && (0.0..=1.0).contains(&score)
        && ts.is_finite()
        && (0.0..=MAX_SAFE_INTEGER).contains(&id)
        && id.fract() == 0.0
}

/// Stages a scored batch: `records` and `results` are its slots (`RECORD_SIZE` and `RESULT_SIZE` bytes each), the
/// first being ring slot `start`; `out` its parts of the region. Returns the number of transactions written, or
/// `None` (nothing usable written) when more than one scorer generation decided them.
///
/// # Panics
/// When the slices' lengths do not match one batch of `records.len() / RECORD_SIZE` slots.
pub fn stage(
    records: &[u8],
    results: &[u8],
    start: u32,
    key: &SipKey,
    out: &mut ColumnsMut<'_>,
) -> Option<u32> {
    let count = records.len() / RECORD_SIZE;
    assert!(
        results.len() == count * RESULT_SIZE
            && out.ts.len() == 8 * count
            && out.flag.len() == count
    );
    let mut n = 0usize;
    let mut batch_gen: Option<u32> = None;
    for (s, (rec, res)) in records
        .chunks_exact(RECORD_SIZE)
        .zip(results.chunks_exact(RESULT_SIZE))
        .enumerate()
    {
        if rec[OFF_FLAGS] & FLAG_LABEL != 0 {
            continue;
        }
        let g = u32_at(res, RES_GENERATION);
        match batch_gen {
            None => batch_gen = Some(g),
            Some(x) if x != g => return None,
            Some(_) => {}
        }
        let ts = f64_at(rec, OFF_TS);
        let id = f64_at(rec, OFF_TX_NUM);
        let score = f32::from_le_bytes([
            res[RES_SCORE],
            res[RES_SCORE + 1],
            res[RES_SCORE + 2],
            res[RES_SCORE + 3],
        ]);
        let decision = res[RES_DECISION];
        let r = key.hash_u64(u64_at(rec, OFF_CARD));
        out.ts[8 * n..8 * n + 8].copy_from_slice(&ts.to_ne_bytes());
        out.tx_num[8 * n..8 * n + 8].copy_from_slice(&id.to_ne_bytes());
        // The high word first, as `CardRefHasher.refOfKeyInto` writes it.
        #[allow(
            clippy::cast_possible_truncation,
            reason = "the two 32-bit halves of the reference"
        )]
        let (hi, lo) = ((r >> 32) as u32, r as u32);
        out.card[8 * n..8 * n + 4].copy_from_slice(&hi.to_ne_bytes());
        out.card[8 * n + 4..8 * n + 8].copy_from_slice(&lo.to_ne_bytes());
        out.score[4 * n..4 * n + 4].copy_from_slice(&score.to_ne_bytes());
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_possible_wrap,
            reason = "ring slots are below the ring's capacity, an i32 in JS"
        )]
        let slot = (start as usize + s) as i32;
        out.slot_of[4 * n..4 * n + 4].copy_from_slice(&slot.to_ne_bytes());
        out.decision[n] = decision;
        out.flag[n] = u8::from(!plain(decision, res[RES_STATUS], score, ts, id));
        n += 1;
    }
    out.generation
        .copy_from_slice(&batch_gen.unwrap_or(0).to_ne_bytes());
    #[allow(
        clippy::cast_possible_truncation,
        reason = "at most `count` rows, a u32 slot count"
    )]
    Some(n as u32)
}

#[cfg(test)]
#[allow(
    clippy::float_cmp,
    reason = "the columns hold the exact values written"
)]
mod tests {
    use super::*;
    use crate::record::{FLAG_FRAUD, STATUS_LABEL};

    fn hex(b: &[u8]) -> String {
        b.iter().fold(String::new(), |mut s, x| {
            use std::fmt::Write as _;
            let _ = write!(s, "{x:02x}");
            s
        })
    }

    #[test]
    fn siphash_matches_the_reference_vector() {
        // The SipHash paper's key 00..0f; the reference implementation's vector for the 8-byte message 00..07
        // (its output bytes 62 24 93 9a 79 f5 f5 93, read as a little-endian u64).
        let key: [u8; 16] = std::array::from_fn(|i| u8::try_from(i).unwrap());
        let m = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(
            format!("{:016x}", SipKey::new(&key).hash_u64(m)),
            "93f5f5799a932462"
        );
        let other: [u8; 16] = std::array::from_fn(|i| u8::try_from(i + 1).unwrap());
        assert_ne!(
            SipKey::new(&other).hash_u64(m),
            SipKey::new(&key).hash_u64(m)
        );
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231 test cases 1 and 6 (a key longer than the block is hashed first).
        assert_eq!(
            hex(&hmac_sha256(&[0x0b; 20], b"Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
        );
        assert_eq!(
            hex(&hmac_sha256(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            )),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    fn record(card: u64, ts: f64, id: f64, flags: u8) -> Vec<u8> {
        let mut r = vec![0u8; RECORD_SIZE];
        r[OFF_TX_NUM..OFF_TX_NUM + 8].copy_from_slice(&id.to_le_bytes());
        r[OFF_TS..OFF_TS + 8].copy_from_slice(&ts.to_le_bytes());
        r[OFF_CARD..OFF_CARD + 8].copy_from_slice(&card.to_le_bytes());
        r[OFF_FLAGS] = flags;
        r
    }

    fn result(score: f32, decision: u8, status: u8, generation: u32) -> Vec<u8> {
        let mut r = vec![0u8; RESULT_SIZE];
        r[RES_SCORE..RES_SCORE + 4].copy_from_slice(&score.to_le_bytes());
        r[RES_DECISION] = decision;
        r[RES_STATUS] = status;
        r[RES_GENERATION..RES_GENERATION + 4].copy_from_slice(&generation.to_le_bytes());
        r
    }

    fn run(
        records: &[u8],
        results: &[u8],
        capacity: usize,
        start: usize,
    ) -> (Option<u32>, Vec<u8>) {
        let count = records.len() / RECORD_SIZE;
        let mut region = vec![0u8; BYTES_PER_SLOT * capacity];
        let ranges = column_ranges(capacity, start, count);
        let key = SipKey::new(&card_ref_key(b"0123456789abcdef0123"));
        let got = {
            // Split the region into the eight disjoint ranges (they are in increasing order).
            let mut parts: Vec<&mut [u8]> = Vec::new();
            let mut rest: &mut [u8] = &mut region;
            let mut at = 0;
            for r in &ranges {
                let (_, tail) = rest.split_at_mut(r.start - at);
                let (part, tail) = tail.split_at_mut(r.len());
                parts.push(part);
                rest = tail;
                at = r.end;
            }
            let mut it = parts.into_iter();
            let mut out = ColumnsMut {
                ts: it.next().unwrap(),
                tx_num: it.next().unwrap(),
                card: it.next().unwrap(),
                score: it.next().unwrap(),
                slot_of: it.next().unwrap(),
                generation: it.next().unwrap(),
                decision: it.next().unwrap(),
                flag: it.next().unwrap(),
            };
            stage(
                records,
                results,
                u32::try_from(start).unwrap(),
                &key,
                &mut out,
            )
        };
        (got, region)
    }

    #[test]
    fn stages_transactions_compacted_and_flags_the_slow_rows() {
        let (cap, start) = (16, 3);
        let rows = [
            (record(7, 1000.0, 5.0, 0), result(0.25, 0, STATUS_SCORED, 9)),
            (
                record(8, 2000.0, 1.0, FLAG_LABEL | FLAG_FRAUD),
                result(0.0, 0, STATUS_LABEL, 0),
            ),
            (
                record(9, 3000.0, f64::NAN, 0),
                result(0.5, 0, STATUS_SCORED, 9),
            ),
            (
                record(10, 4000.0, 6.0, 0),
                result(0.95, 2, STATUS_SCORED, 9),
            ),
        ];
        let records: Vec<u8> = rows.iter().flat_map(|r| r.0.clone()).collect();
        let results: Vec<u8> = rows.iter().flat_map(|r| r.1.clone()).collect();
        let (n, region) = run(&records, &results, cap, start);
        assert_eq!(n, Some(3));
        let f64s = |base: usize, i: usize| f64_at(&region, base + 8 * i);
        assert_eq!(
            [f64s(0, start), f64s(0, start + 1), f64s(0, start + 2)],
            [1000.0, 3000.0, 4000.0]
        );
        assert_eq!(f64s(8 * cap, start), 5.0);
        assert!(f64s(8 * cap, start + 1).is_nan());
        let key = SipKey::new(&card_ref_key(b"0123456789abcdef0123"));
        let r = key.hash_u64(10);
        let at = 16 * cap + 8 * (start + 2);
        assert_eq!(
            [
                u32::from_ne_bytes(region[at..at + 4].try_into().unwrap()),
                u32::from_ne_bytes(region[at + 4..at + 8].try_into().unwrap())
            ],
            [
                u32::try_from(r >> 32).unwrap(),
                u32::try_from(r & 0xffff_ffff).unwrap()
            ]
        );
        let slot_at = |i: usize| {
            i32::from_ne_bytes(
                region[28 * cap + 4 * i..28 * cap + 4 * i + 4]
                    .try_into()
                    .unwrap(),
            )
        };
        assert_eq!(
            [slot_at(start), slot_at(start + 1), slot_at(start + 2)],
            [3, 5, 6]
        );
        assert_eq!(u32_at(&region, 36 * cap + 4 * start), 9);
        assert_eq!(&region[40 * cap + start..40 * cap + start + 3], &[0, 0, 2]);
        // The string id and the alert are built by the engine; the plain row is copied.
        assert_eq!(&region[41 * cap + start..41 * cap + start + 3], &[0, 1, 1]);
        // Nothing outside the batch's ranges is touched.
        assert!(region[..8 * start].iter().all(|&b| b == 0));
    }

    #[test]
    fn refuses_a_batch_of_two_generations() {
        let records: Vec<u8> = [record(1, 1.0, 1.0, 0), record(2, 2.0, 2.0, 0)].concat();
        let results: Vec<u8> = [
            result(0.1, 0, STATUS_SCORED, 4),
            result(0.1, 0, STATUS_SCORED, 5),
        ]
        .concat();
        assert_eq!(run(&records, &results, 4, 0).0, None);
    }

    #[test]
    fn plain_rows_are_exactly_the_ones_the_log_copies() {
        assert!(plain(0, STATUS_SCORED, 0.0, 1.0, 0.0));
        assert!(plain(0, STATUS_SCORED, 1.0, 1.0, MAX_SAFE_INTEGER));
        assert!(!plain(1, STATUS_SCORED, 0.5, 1.0, 1.0));
        assert!(!plain(0, STATUS_SCORED + 3, 0.5, 1.0, 1.0));
        assert!(!plain(0, STATUS_SCORED, f32::NAN, 1.0, 1.0));
        assert!(!plain(0, STATUS_SCORED, 1.5, 1.0, 1.0));
        assert!(!plain(0, STATUS_SCORED, 0.5, f64::INFINITY, 1.0));
        assert!(!plain(0, STATUS_SCORED, 0.5, 1.0, -1.0));
        assert!(!plain(0, STATUS_SCORED, 0.5, 1.0, 1.5));
        assert!(!plain(0, STATUS_SCORED, 0.5, 1.0, MAX_SAFE_INTEGER + 2.0));
    }
}
