//! The snapshot body: the scorer's state, thresholds and the caller's metadata as little-endian sections.
//! The file framing (header, checksum, atomic write) is in the parent module; its README section has the diagram.

use crate::decide::Thresholds;
use crate::state::{CardState, CardStore, State, TermMeta, TermStore};
use crate::windows::{CARD_DAYS, CardWindow};

use super::SnapshotMeta;

/// Longest `model_version` / `thresholds_version`, bytes.
pub const MAX_VERSION_BYTES: usize = 4096;
/// Longest `extra`, bytes.
pub const MAX_EXTRA_BYTES: usize = 1 << 20;

/// Section tags, in the order the sections appear.
pub const TAG_META: [u8; 4] = *b"META";
/// Label delay and thresholds.
pub const TAG_CONF: [u8; 4] = *b"CONF";
/// Card store.
pub const TAG_CARD: [u8; 4] = *b"CARD";
/// Terminal store.
pub const TAG_TERM: [u8; 4] = *b"TERM";

/// Bytes of a card entry without any day bucket: key, newest day, bucket mask and the [`CARD_REST_BYTES`] of the rest.
const CARD_MIN_BYTES: usize = 8 + 4 + 4 + CARD_REST_BYTES;
/// Bytes of a card entry after its day buckets: `prev_ts` .. `small_day`, `high_mask`, `high_day`, `max_amount`.
const CARD_REST_BYTES: usize = 8 + 8 + 4 + 4 + 2 + 2 + 4 + 4 + 4 + 4;
/// Bytes of a terminal's meta: newest day, fraud run length, the run's first day.
const TERM_META_BYTES: usize = 4 + 4 + 4;
/// Bytes of one stored day bucket of a card: count u8, sum f32.
const BUCKET_BYTES: usize = 5;

/// What a snapshot body holds.
pub struct Body {
    /// The caller's metadata.
    pub meta: SnapshotMeta,
    /// The thresholds in force.
    pub thresholds: Thresholds,
    /// Card and terminal state (the label delay is `state.terms.label_delay_days()`).
    pub state: State,
}

/// Little-endian writer.
struct Out(Vec<u8>);

impl Out {
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    /// A section: tag, u64 payload length (patched when `f` returns), payload.
    fn section(&mut self, tag: [u8; 4], f: impl FnOnce(&mut Self)) {
        self.bytes(&tag);
        let at = self.0.len();
        self.u64(0);
        f(self);
        let len = (self.0.len() - at - 8) as u64;
        self.0[at..at + 8].copy_from_slice(&len.to_le_bytes());
    }
    /// A u32 length then the bytes.
    fn blob(&mut self, b: &[u8]) {
        self.u32(b.len() as u32);
        self.bytes(b);
    }
}

/// Checks that the metadata fits its limits (before anything is written).
///
/// # Errors
/// A message naming the field that is too long.
pub fn check_meta(meta: &SnapshotMeta) -> Result<(), String> {
    for (name, v) in [
        ("modelVersion", &meta.model_version),
        ("thresholdsVersion", &meta.thresholds_version),
    ] {
        if v.len() > MAX_VERSION_BYTES {
            return Err(format!(
                "{name} is {} bytes, at most {MAX_VERSION_BYTES} are allowed",
                v.len()
            ));
        }
    }
    if meta.extra.len() > MAX_EXTRA_BYTES {
        return Err(format!(
            "extra is {} bytes, at most {MAX_EXTRA_BYTES} are allowed",
            meta.extra.len()
        ));
    }
    Ok(())
}

/// Appends the body of a snapshot of `state` to `buf`. The metadata must have passed [`check_meta`].
pub fn encode(buf: &mut Vec<u8>, state: &State, thresholds: Thresholds, meta: &SnapshotMeta) {
    let mut out = Out(std::mem::take(buf));
    out.0
        .reserve(state.cards.len() * 64 + state.terms.len() * 512 + 256);
    out.section(TAG_META, |o| {
        o.blob(meta.model_version.as_bytes());
        o.blob(meta.thresholds_version.as_bytes());
        o.blob(&meta.extra);
    });
    out.section(TAG_CONF, |o| {
        o.u32(state.terms.label_delay_days());
        o.bytes(&thresholds.review.to_le_bytes());
        o.bytes(&thresholds.decline.to_le_bytes());
    });
    out.section(TAG_CARD, |o| encode_cards(o, &state.cards));
    out.section(TAG_TERM, |o| encode_terms(o, &state.terms));
    *buf = out.0;
}

fn encode_cards(o: &mut Out, cards: &CardStore) {
    let keys = cards.keys_by_slot();
    o.u64(keys.len() as u64);
    for (key, card) in keys.iter().zip(cards.states()) {
        // Exhaustive on purpose: a field added to `CardState` does not compile here until the snapshot writes it.
        let CardState {
            window,
            prev_ts,
            present_ts,
            present_lat,
            present_lon,
            present_country,
            small_count,
            small_day,
            high_mask,
            high_day,
            max_amount,
        } = card;
        let (count, sum, last) = window.parts();
        o.u64(*key);
        o.bytes(&last.to_le_bytes());
        // Most of a card's 31 day buckets are empty: only the others are written, flagged in a mask.
        let mut mask = 0u32;
        for d in 0..CARD_DAYS {
            if count[d] != 0 || sum[d].to_bits() != 0 {
                mask |= 1 << d;
            }
        }
        o.u32(mask);
        for d in 0..CARD_DAYS {
            if mask & (1 << d) != 0 {
                o.bytes(&[count[d]]);
                o.bytes(&sum[d].to_le_bytes());
            }
        }
        o.bytes(&prev_ts.to_le_bytes());
        o.bytes(&present_ts.to_le_bytes());
        o.bytes(&present_lat.to_le_bytes());
        o.bytes(&present_lon.to_le_bytes());
        o.bytes(&present_country.to_le_bytes());
        o.bytes(&small_count.to_le_bytes());
        o.bytes(&small_day.to_le_bytes());
        o.u32(*high_mask);
        o.bytes(&high_day.to_le_bytes());
        o.bytes(&max_amount.to_le_bytes());
    }
}

fn encode_terms(o: &mut Out, terms: &TermStore) {
    let keys = terms.keys_by_slot();
    let (meta, tx, labels) = terms.rings();
    o.u64(keys.len() as u64);
    o.u32(terms.label_days() as u32);
    for k in &keys {
        o.u64(*k);
    }
    for m in meta {
        // Exhaustive on purpose, as for `CardState`.
        let TermMeta {
            last,
            streak,
            streak_day,
        } = m;
        o.bytes(&last.to_le_bytes());
        o.u32(*streak);
        o.bytes(&streak_day.to_le_bytes());
    }
    for v in tx {
        o.u32(*v);
    }
    for [f, l] in labels {
        o.u32(*f);
        o.u32(*l);
    }
}

/// Little-endian reader over one section; errors name the section and the offset.
struct In<'a> {
    b: &'a [u8],
    pos: usize,
    section: &'static str,
}

impl<'a> In<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        match self.b.get(self.pos..self.pos.saturating_add(n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(format!(
                "section {}: needs {n} more bytes at offset {} of {}",
                self.section,
                self.pos,
                self.b.len()
            )),
        }
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u32(&mut self) -> Result<u32, String> {
        self.array().map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Result<u64, String> {
        self.array().map(u64::from_le_bytes)
    }
    fn f32(&mut self) -> Result<f32, String> {
        self.array().map(f32::from_le_bytes)
    }
    fn blob(&mut self, name: &str, max: usize) -> Result<&'a [u8], String> {
        let n = self.u32()? as usize;
        if n > max {
            return Err(format!(
                "section {}: {name} is {n} bytes, at most {max} are allowed",
                self.section
            ));
        }
        self.take(n)
    }
    fn remaining(&self) -> usize {
        self.b.len() - self.pos
    }
    /// The section must be used up exactly.
    fn finish(&self) -> Result<(), String> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(format!(
                "section {}: {} bytes left over after its last field",
                self.section,
                self.remaining()
            ))
        }
    }
}

/// Splits off the next section, which must carry `tag`.
fn section<'a>(body: &mut In<'a>, tag: [u8; 4], name: &'static str) -> Result<In<'a>, String> {
    let found: [u8; 4] = body
        .array()
        .map_err(|_| format!("section {name} is missing"))?;
    if found != tag {
        return Err(format!(
            "expected section {name}, found tag {:?}",
            String::from_utf8_lossy(&found)
        ));
    }
    let len = body.u64()?;
    let len = usize::try_from(len)
        .ok()
        .filter(|&n| n <= body.remaining())
        .ok_or_else(|| {
            format!(
                "section {name} says {len} bytes, {} are left",
                body.remaining()
            )
        })?;
    Ok(In {
        b: body.take(len)?,
        pos: 0,
        section: name,
    })
}

/// Decodes a body (already checksummed).
///
/// # Errors
/// A message naming the section and what is wrong.
pub fn decode(bytes: &[u8]) -> Result<Body, String> {
    let mut body = In {
        b: bytes,
        pos: 0,
        section: "body",
    };
    let mut s = section(&mut body, TAG_META, "META")?;
    let text = |b: &[u8], name: &str| {
        String::from_utf8(b.to_vec()).map_err(|_| format!("section META: {name} is not UTF-8"))
    };
    let meta = SnapshotMeta {
        model_version: text(s.blob("modelVersion", MAX_VERSION_BYTES)?, "modelVersion")?,
        thresholds_version: text(
            s.blob("thresholdsVersion", MAX_VERSION_BYTES)?,
            "thresholdsVersion",
        )?,
        extra: s.blob("extra", MAX_EXTRA_BYTES)?.to_vec(),
    };
    s.finish()?;

    let mut s = section(&mut body, TAG_CONF, "CONF")?;
    let delay = s.u32()?;
    let (review, decline) = (s.f32()?, s.f32()?);
    s.finish()?;
    let thresholds = Thresholds::new(f64::from(review), f64::from(decline))
        .map_err(|e| format!("section CONF: {e}"))?;

    let mut s = section(&mut body, TAG_CARD, "CARD")?;
    let cards = decode_cards(&mut s)?;
    s.finish()?;

    let mut s = section(&mut body, TAG_TERM, "TERM")?;
    let terms = decode_terms(&mut s, delay)?;
    s.finish()?;
    body.finish()?;
    Ok(Body {
        meta,
        thresholds,
        state: State { cards, terms },
    })
}

/// A count of `what` that must fit the section at `min` bytes each (so no allocation exceeds the file's size).
fn count(s: &mut In<'_>, min: usize, what: &str) -> Result<usize, String> {
    let n = s.u64()?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n.checked_mul(min).is_some_and(|b| b <= s.remaining()))
        .ok_or_else(|| {
            format!(
                "section {}: {n} {what} need at least {min} bytes each, {} bytes are left",
                s.section,
                s.remaining()
            )
        })
}

fn decode_cards(s: &mut In<'_>) -> Result<CardStore, String> {
    let n = count(s, CARD_MIN_BYTES, "cards")?;
    let mut keys = Vec::with_capacity(n);
    let mut states = Vec::with_capacity(n);
    for i in 0..n {
        // Fixed-size parts are taken as one slice each: one bounds check instead of one per field.
        let head = s.take(16)?;
        keys.push(le_u64(&head[0..8]));
        let last = le_i32(&head[8..12]);
        let mask = le_u32(&head[12..16]);
        if mask >> CARD_DAYS != 0 {
            return Err(format!(
                "section CARD: card slot {i} has bucket mask {mask:#x}, beyond its {CARD_DAYS} days"
            ));
        }
        let mut day_count = [0u8; CARD_DAYS];
        let mut sum = [0f32; CARD_DAYS];
        if mask != 0 {
            let b = s.take(mask.count_ones() as usize * BUCKET_BYTES)?;
            let mut k = 0;
            for d in 0..CARD_DAYS {
                if mask & (1 << d) != 0 {
                    day_count[d] = b[k];
                    sum[d] = f32::from_bits(le_u32(&b[k + 1..k + 5]));
                    k += BUCKET_BYTES;
                }
            }
        }
        let t = s.take(CARD_REST_BYTES)?;
        states.push(CardState {
            window: CardWindow::from_parts(day_count, sum, last),
            prev_ts: f64::from_bits(le_u64(&t[0..8])),
            present_ts: f64::from_bits(le_u64(&t[8..16])),
            present_lat: f32::from_bits(le_u32(&t[16..20])),
            present_lon: f32::from_bits(le_u32(&t[20..24])),
            present_country: u16::from_le_bytes([t[24], t[25]]),
            small_count: u16::from_le_bytes([t[26], t[27]]),
            small_day: le_i32(&t[28..32]),
            high_mask: le_u32(&t[32..36]),
            high_day: le_i32(&t[36..40]),
            max_amount: f32::from_bits(le_u32(&t[40..44])),
        });
    }
    CardStore::from_parts(&keys, states).map_err(|e| format!("section CARD: {e}"))
}

/// The little-endian u64 in `b` (8 bytes).
fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    u64::from_le_bytes(a)
}

/// The little-endian u32 in `b` (4 bytes).
fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// The little-endian i32 in `b` (4 bytes).
fn le_i32(b: &[u8]) -> i32 {
    i32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn decode_terms(s: &mut In<'_>, delay: u32) -> Result<TermStore, String> {
    let n = s.u64()?;
    let days = s.u32()?;
    let label_days = CARD_DAYS as u64 + u64::from(delay);
    if u64::from(days) != label_days {
        return Err(format!(
            "section TERM: label rings of {days} days, expected {label_days} (31 + label delay {delay})"
        ));
    }
    // Per terminal: key u64, meta (newest day i32, run u32, run day i32), CARD_DAYS u32 counts, label_days pairs of
    // u32.
    let per = 8 + TERM_META_BYTES as u64 + 4 * CARD_DAYS as u64 + 8 * label_days;
    let n = usize::try_from(n)
        .ok()
        .filter(|&k| (k as u64).checked_mul(per) == Some(s.remaining() as u64))
        .ok_or_else(|| {
            format!(
                "section TERM: {n} terminals take {per} bytes each, the section has {} bytes",
                s.remaining()
            )
        })?;
    let keys: Vec<u64> = s.take(8 * n)?.chunks_exact(8).map(le_u64).collect();
    let meta: Vec<TermMeta> = s
        .take(TERM_META_BYTES * n)?
        .chunks_exact(TERM_META_BYTES)
        .map(|c| TermMeta {
            last: le_i32(&c[0..4]),
            streak: le_u32(&c[4..8]),
            streak_day: le_i32(&c[8..12]),
        })
        .collect();
    let tx: Vec<u32> = s
        .take(4 * CARD_DAYS * n)?
        .chunks_exact(4)
        .map(le_u32)
        .collect();
    let labels: Vec<[u32; 2]> = s
        .take(8 * label_days as usize * n)?
        .chunks_exact(8)
        .map(|c| [le_u32(&c[0..4]), le_u32(&c[4..8])])
        .collect();
    TermStore::from_parts(delay, &keys, meta, tx, labels).map_err(|e| format!("section TERM: {e}"))
}
