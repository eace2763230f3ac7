//! Snapshot tests: a restored scorer continues bit for bit; every damaged file is refused with a clear error.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::*;
use crate::features::N_FEATURES;
use crate::model::Model;
use crate::record::{FLAG_FRAUD, FLAG_LABEL, RECORD_SIZE, RESULT_SIZE, Record};
use crate::scorer::{ScorerConfig, extract_features};
use crate::state::Slots;
use crate::tests::Rng;
use crate::train::{TrainParams, train};

const DAY: f64 = 86_400_000.0;

/// A stream over `cards` cards and `terms` terminals: labels (some fraud), out-of-order events, gaps longer than
/// the rings, card-present transactions with and without a location, invalid records.
pub fn stream(seed: u64, n: usize, cards: u64, terms: u64) -> Vec<u8> {
    let mut rng = Rng(seed);
    let mut t = 1_522_540_800_000.0;
    let mut recs: Vec<Record> = Vec::with_capacity(n);
    while recs.len() < n {
        let r = rng.below(1000);
        if r < 3 {
            t += (32.0 + rng.below(30) as f64) * DAY;
        } else if r < 30 {
            t += DAY;
        } else {
            t += rng.unit() * 600_000.0;
        }
        let roll = rng.below(100);
        if roll < 15 && !recs.is_empty() {
            let target = recs[rng.below(recs.len() as u64) as usize];
            let fraud = if rng.below(4) == 0 { FLAG_FRAUD } else { 0 };
            recs.push(Record {
                flags: FLAG_LABEL | fraud,
                amount: 0.0,
                ..target
            });
            continue;
        }
        let ts = if roll < 22 {
            t - rng.unit() * 40.0 * DAY
        } else {
            t
        };
        let located = rng.below(3) != 0;
        recs.push(Record {
            ts_ms: if roll == 99 { f64::NAN } else { ts.floor() },
            amount: if rng.below(6) == 0 {
                (rng.unit() * 500.0).round() / 100.0
            } else {
                (rng.unit() * 40_000.0).round() / 100.0
            },
            card: rng.next() % cards,
            term: 1_000_000 + rng.below(terms),
            flags: [0, 8, 12][rng.below(3) as usize],
            mcc: [0, 5411, 6011][rng.below(3) as usize],
            channel: rng.below(4) as u8,
            country: [0, 0x4542, 0x5355][rng.below(3) as usize],
            lat: if located {
                (rng.unit() * 180.0 - 90.0) as f32
            } else {
                f32::NAN
            },
            lon: if located {
                (rng.unit() * 360.0 - 180.0) as f32
            } else {
                f32::NAN
            },
        });
    }
    let mut buf = vec![0u8; n * RECORD_SIZE];
    for (r, slot) in recs.iter().zip(buf.chunks_exact_mut(RECORD_SIZE)) {
        r.write(slot);
    }
    buf
}

/// A small model trained on the stream's own features, so that scores vary and decisions cross thresholds.
fn model_json(buf: &[u8], delay: u32) -> String {
    let cfg = ScorerConfig {
        label_delay_days: delay,
        ..ScorerConfig::default()
    };
    let n = buf.len() / RECORD_SIZE;
    let mut rows = vec![0f32; n * N_FEATURES];
    let k = extract_features(&cfg, buf, &mut rows).unwrap();
    let labels: Vec<u8> = (0..k)
        .map(|i| {
            let r = &rows[i * N_FEATURES..(i + 1) * N_FEATURES];
            // State features only (7-day card count, time since the card's previous transaction, terminal risk), so
            // that a scorer without the state scores differently.
            u8::from(r[7] > 2.0 || r[11] < 3_600.0 || r[17] > 0.3)
        })
        .collect();
    let p = TrainParams {
        trees: 8,
        max_depth: 4,
        ..TrainParams::default()
    };
    train(&rows[..k * N_FEATURES], &labels, k, &p).unwrap().json
}

fn scorer(json: &str, delay: u32) -> Scorer {
    let s = Scorer::new(ScorerConfig {
        label_delay_days: delay,
        ..ScorerConfig::default()
    });
    s.set_model(Model::from_xgboost_json(json).unwrap());
    s
}

/// Scores records `[from, to)` of `buf` in batches of `batch`, tickets from `ticket`; returns the result bytes.
fn score(s: &Scorer, buf: &[u8], from: usize, to: usize, batch: usize, mut ticket: u64) -> Vec<u8> {
    let mut out = vec![0u8; (to - from) * RESULT_SIZE];
    let mut a = from;
    while a < to {
        let b = (a + batch).min(to);
        s.score_batch(
            &buf[a * RECORD_SIZE..b * RECORD_SIZE],
            &mut out[(a - from) * RESULT_SIZE..(b - from) * RESULT_SIZE],
            ticket,
        )
        .unwrap();
        a = b;
        ticket += 1;
    }
    out
}

/// A scratch folder for one test, removed when dropped.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!(
            "fraudstream-snapshot-{name}-{}",
            std::process::id()
        ));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        Self(p)
    }
    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn meta() -> SnapshotMeta {
    SnapshotMeta {
        model_version: "model-sha256:abc".into(),
        thresholds_version: "t-3".into(),
        extra: b"{\"offset\":123}".to_vec(),
    }
}

#[test]
fn a_restored_scorer_scores_the_rest_of_the_stream_bit_for_bit() {
    let dir = Dir::new("continue");
    for (seed, delay) in [(1, 7), (2, 0), (3, 30)] {
        let n = 12_000;
        let buf = stream(seed, n, 100, 40);
        let json = model_json(&buf, delay);
        let whole = {
            let s = scorer(&json, delay);
            s.set_thresholds(Thresholds::new(0.2, 0.6).unwrap());
            score(&s, &buf, 0, n, 257, 0)
        };
        let decisions: Vec<u8> = whole.chunks_exact(RESULT_SIZE).map(|r| r[4]).collect();
        assert!(decisions.contains(&0) && decisions.contains(&1) && decisions.contains(&2));
        for mid in [0, 1, 4_999, 8_000] {
            let path = dir.file(&format!("s{seed}-{mid}.snap"));
            let first = scorer(&json, delay);
            first.set_thresholds(Thresholds::new(0.2, 0.6).unwrap());
            let head = score(&first, &buf, 0, mid, 257, 0);
            let written = first.snapshot_to(&path, &meta()).unwrap();
            assert_eq!(written.bytes, fs::metadata(&path).unwrap().len());
            // A new scorer with default thresholds: the snapshot brings 0.2 / 0.6 back.
            let second = scorer(&json, delay);
            let restored = second.restore_from(&path).unwrap();
            assert_eq!(restored.meta, meta());
            assert_eq!(restored.thresholds, Thresholds::new(0.2, 0.6).unwrap());
            assert_eq!(restored.info.cards, written.cards);
            assert_eq!(second.state_size()[0], first.state_size()[0]);
            let tail = score(&second, &buf, mid, n, 100, 0);
            assert!(
                [head, tail].concat() == whole,
                "seed {seed} delay {delay} split at {mid}: results differ"
            );
        }
        // The comparison can fail: a scorer that skips the restore scores the tail differently.
        let fresh = scorer(&json, delay);
        fresh.set_thresholds(Thresholds::new(0.2, 0.6).unwrap());
        assert!(score(&fresh, &buf, 8_000, n, 100, 0) != whole[8_000 * RESULT_SIZE..]);
    }
}

#[test]
fn snapshot_at_is_a_barrier_among_concurrent_batches() {
    let dir = Dir::new("barrier");
    let n = 10_000;
    let buf = stream(11, n, 300, 20);
    let json = model_json(&buf, 7);
    let whole = score(&scorer(&json, 7), &buf, 0, n, 100, 0);
    // 100 batches of 100 records get tickets 0..=99 except 60, which is the snapshot's: batches 0..60 are in it.
    let s = Arc::new(scorer(&json, 7));
    let path = dir.file("barrier.snap");
    std::thread::scope(|scope| {
        for w in 0..3u64 {
            let (s, buf) = (Arc::clone(&s), &buf);
            scope.spawn(move || {
                for b in (0..100u64).filter(|b| b % 3 == w) {
                    let ticket = if b < 60 { b } else { b + 1 };
                    let (a, z) = (b as usize * 100, b as usize * 100 + 100);
                    let mut out = vec![0u8; 100 * RESULT_SIZE];
                    s.score_batch(&buf[a * RECORD_SIZE..z * RECORD_SIZE], &mut out, ticket)
                        .unwrap();
                }
            });
        }
        let (s, path) = (Arc::clone(&s), &path);
        scope.spawn(move || s.snapshot_at(path, &meta(), 60).unwrap());
    });
    let restored = scorer(&json, 7);
    restored.restore_from(&path).unwrap();
    assert!(score(&restored, &buf, 6_000, n, 100, 0) == whole[6_000 * RESULT_SIZE..]);
}

#[test]
fn a_restored_state_encodes_to_the_same_bytes() {
    let buf = stream(5, 5_000, 200, 30);
    let s = scorer(&model_json(&buf, 3), 3);
    score(&s, &buf, 0, 5_000, 500, 0);
    let state = s.state.lock().unwrap();
    let image = encode_image(&state, Thresholds::default(), &meta(), 42).unwrap();
    let (body, created) = decode_image(&image).unwrap();
    assert_eq!(created, 42);
    let again = encode_image(&body.state, body.thresholds, &body.meta, 42).unwrap();
    assert!(image == again, "re-encoding changed the bytes");
    // Sparse day buckets: well under the 199 bytes a card takes in memory.
    assert!(image.len() < state.cards.len() * 120 + state.terms.len() * 600 + 200);
}

/// The feature rows of `buf[from..to]`'s transactions applied to `state`, as bits (NaN compares equal to itself).
fn feature_bits(state: &mut State, buf: &[u8], from: usize, to: usize) -> Vec<u32> {
    let mut row = [0f32; N_FEATURES];
    let mut bits = Vec::new();
    for slot in buf[from * RECORD_SIZE..to * RECORD_SIZE].chunks_exact(RECORD_SIZE) {
        if super::super::apply(state, &Record::read(slot), &mut row, Slots::UNKNOWN)
            == super::super::Kind::Transaction
        {
            bits.extend(row.iter().map(|v| v.to_bits()));
        }
    }
    bits
}

#[test]
fn a_restored_state_gives_the_same_feature_rows_whatever_the_model_reads() {
    // Independent of the model: every state field a feature reads (the high-ratio days of issue 12 and the
    // terminals' fraud runs included) must survive the snapshot, or some row of the tail differs.
    let (n, mid) = (12_000, 6_000);
    let buf = stream(11, n, 60, 20);
    let mut live = State::new(7);
    feature_bits(&mut live, &buf, 0, mid);
    let image = encode_image(&live, Thresholds::default(), &meta(), 1).unwrap();
    let (mut body, _) = decode_image(&image).unwrap();
    let tail = feature_bits(&mut live, &buf, mid, n);
    assert!(
        feature_bits(&mut body.state, &buf, mid, n) == tail,
        "restored state gives other feature rows"
    );
    // The stream exercises the new state: some tail rows carry high-ratio days and a terminal fraud run.
    let rows: Vec<&[u32]> = tail.chunks_exact(N_FEATURES).collect();
    let positive = |c: usize| rows.iter().any(|r| f32::from_bits(r[c]) > 0.0);
    assert!(positive(crate::features::HIGH_RATIO_DAYS) && positive(crate::features::TERM_STREAK));
    // The comparison can fail: a fresh state gives other rows for the same tail.
    assert!(feature_bits(&mut State::new(7), &buf, mid, n) != tail);
}

/// A small valid image: a few cards and terminals.
fn small_image() -> Vec<u8> {
    let buf = stream(8, 60, 6, 3);
    let s = Scorer::new(ScorerConfig::default());
    score(&s, &buf, 0, 60, 60, 0);
    let state = s.state.lock().unwrap();
    assert!(state.cards.len() >= 3 && state.terms.len() == 3);
    encode_image(&state, Thresholds::default(), &meta(), 7).unwrap()
}

#[test]
fn every_flipped_bit_every_truncation_and_any_extra_byte_is_refused() {
    let image = small_image();
    assert!(decode_image(&image).is_ok());
    for at in 0..image.len() {
        for bit in [0, 3, 7] {
            let mut bad = image.clone();
            bad[at] ^= 1 << bit;
            assert!(decode_image(&bad).is_err(), "flip of bit {bit} at {at}");
        }
    }
    for len in 0..image.len() {
        let e = decode_image(&image[..len]).err().unwrap();
        assert!(
            matches!(e, SnapshotErrorKind::Truncated { .. }),
            "len {len}: {e}"
        );
    }
    let mut long = image.clone();
    long.push(0);
    assert!(matches!(
        decode_image(&long),
        Err(SnapshotErrorKind::TrailingBytes { .. })
    ));
}

/// Overwrites a header field, then reseals so that only that field is wrong.
fn patched(image: &[u8], at: usize, bytes: &[u8]) -> Vec<u8> {
    let mut b = image.to_vec();
    b[at..at + bytes.len()].copy_from_slice(bytes);
    reseal(&mut b);
    b
}

fn restore_error(path: &Path, bytes: &[u8], delay: u32) -> String {
    fs::write(path, bytes).unwrap();
    let s = Scorer::new(ScorerConfig {
        label_delay_days: delay,
        ..ScorerConfig::default()
    });
    score(&s, &stream(99, 300, 40, 9), 0, 300, 300, 0);
    let before = s.state_size();
    let e = s.restore_from(path).unwrap_err().to_string();
    // Nothing was restored: the scorer keeps its own state.
    assert_eq!(s.state_size(), before, "{e}");
    e
}

#[test]
fn bad_snapshots_are_errors_naming_the_file_and_the_problem() {
    let dir = Dir::new("errors");
    let path = dir.file("state.snap");
    let p = path.display().to_string();
    let image = small_image();
    let mut flipped = image.clone();
    flipped[HEADER_LEN + 20] ^= 0x10;
    let cases: Vec<(Vec<u8>, u32, &str)> = vec![
        (image[..image.len() - 1].to_vec(), 7, "truncated: "),
        (
            image[..30].to_vec(),
            7,
            "truncated: 30 bytes, the header says 48",
        ),
        (flipped, 7, "checksum mismatch"),
        (
            [&image[..], &[1u8, 2][..]].concat(),
            7,
            "unexpected bytes after the end",
        ),
        (
            b"{\"not\":\"a snapshot\"}".to_vec(),
            7,
            "not a Fraudstream snapshot",
        ),
        (
            patched(&image, 8, &2u32.to_le_bytes()),
            7,
            "format version 2 is not supported (this build reads version 1)",
        ),
        (
            patched(&image, 16, &1u64.to_le_bytes()),
            7,
            "another state layout",
        ),
        (
            {
                let mut b = image.clone();
                b[17] ^= 1;
                b
            },
            7,
            "header is corrupt",
        ),
        (
            image.clone(),
            14,
            "taken with labelDelayDays 7, this scorer has 14",
        ),
        (
            // The CARD section's count, raised past what the section holds, checksums fixed.
            {
                let at = find(&image, b"CARD") + 12;
                patched(&image, at, &u64::MAX.to_le_bytes())
            },
            7,
            "corrupt: section CARD: 18446744073709551615 cards need at least",
        ),
        (
            // The thresholds inverted: review above decline.
            {
                let at = find(&image, b"CONF") + 16;
                patched(&image, at, &0.95f32.to_le_bytes())
            },
            7,
            "corrupt: section CONF: thresholds must satisfy",
        ),
    ];
    for (bytes, delay, want) in cases {
        let e = restore_error(&path, &bytes, delay);
        assert!(
            e.starts_with(&format!("snapshot {p}: ")) && e.contains(want),
            "got {e:?}, want {want:?}"
        );
    }
    // A terminal key repeated (the second terminal given the first one's key).
    let at = find(&image, b"TERM") + 12 + 8 + 4;
    let first: [u8; 8] = image[at..at + 8].try_into().unwrap();
    let e = restore_error(&path, &patched(&image, at + 8, &first), 7);
    assert!(
        e.contains("terminal slot 1 repeats the key of an earlier terminal"),
        "{e}"
    );
    fs::remove_file(&path).unwrap();
    let e = Scorer::new(ScorerConfig::default())
        .restore_from(&path)
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!("snapshot {p}: cannot read: ")),
        "{e}"
    );
}

fn find(hay: &[u8], needle: &[u8]) -> usize {
    hay.windows(needle.len()).position(|w| w == needle).unwrap()
}

#[test]
fn a_failed_write_leaves_the_previous_snapshot_and_no_temporary_file() {
    let dir = Dir::new("atomic");
    let path = dir.file("state.snap");
    let buf = stream(3, 500, 50, 5);
    let s = Scorer::new(ScorerConfig::default());
    score(&s, &buf, 0, 500, 100, 0);
    s.snapshot_to(&path, &meta()).unwrap();
    let before = fs::read(&path).unwrap();
    let big = SnapshotMeta {
        extra: vec![0; MAX_EXTRA_BYTES + 1],
        ..meta()
    };
    let e = s.snapshot_to(&path, &big).unwrap_err().to_string();
    assert!(e.contains("extra is 1048577 bytes, at most 1048576"), "{e}");
    let e = s
        .snapshot_to(&dir.file("no-such-dir/state.snap"), &meta())
        .unwrap_err()
        .to_string();
    assert!(e.contains("cannot create the temporary file"), "{e}");
    assert_eq!(fs::read(&path).unwrap(), before);
    let names: Vec<_> = fs::read_dir(&dir.0)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("state.snap")]);
}

#[test]
fn the_layout_fingerprint_is_pinned() {
    // When this fails, the state structs changed: snapshots of older builds will be refused at start. Update the
    // value here, and bump STATE_FORMAT_VERSION too if a field changed meaning without changing a size.
    assert_eq!(
        LAYOUT_FINGERPRINT, 0xd965_d2c1_1c61_9705,
        "{LAYOUT_FINGERPRINT:#018x}"
    );
}
