//! Crate tests: windows and features against a brute-force reference, scorer batches, models and training.
#![allow(
    clippy::float_cmp,
    reason = "the expected values are exact: small integers and hand-computed f32 results"
)]
#![allow(
    clippy::many_single_char_names,
    reason = "x, y, r, c, t follow the usual data-matrix notation"
)]

use std::collections::HashMap;

use crate::decide::{APPROVE, DECLINE, REVIEW, Thresholds};
use crate::features::{self, N_FEATURES, NAMES};
use crate::model::{Model, top3};
use crate::record::{
    FLAG_FRAUD, FLAG_LABEL, Outcome, RECORD_SIZE, RESULT_SIZE, Record, STATUS_INVALID,
    STATUS_LABEL, STATUS_SCORED,
};
use crate::record::{NO_REASON, STATUS_FALLBACK, write_fallback};
use crate::rules::SCORER_ERROR;
use crate::rules::{HIGH_AMOUNT, INVALID_RECORD, VELOCITY_1D};
use crate::scorer::{BatchCounts, Counts, Scorer, ScorerConfig, extract_features};
use crate::state::State;
use crate::train::{TrainParams, train, up_to_f32};

const DAY: f64 = 86_400_000.0;

/// splitmix64: a small deterministic generator for randomized streams (the crate's tests share it).
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// The brute-force reference: every event kept in a Vec, each feature recomputed from its definition.
/// State keeps only the days within the ring of the newest day seen per key (31 days; 31 + delay for labels).
struct Reference {
    delay: i64,
    card_tx: HashMap<u64, Vec<(i64, f64)>>,
    card_newest: HashMap<u64, i64>,
    card_prev_ts: HashMap<u64, f64>,
    term_tx: HashMap<u64, Vec<i64>>,
    term_labels: HashMap<u64, Vec<(i64, bool)>>,
    term_newest: HashMap<u64, i64>,
    /// Per card: every (day, small?) transaction, and every card-present transaction with a location.
    card_small: HashMap<u64, Vec<(i64, bool)>>,
    card_present: HashMap<u64, Vec<(f64, f32, f32, u16)>>,
    /// Per card: the days of its high-ratio transactions still remembered (within 32 days of the newest).
    card_high: HashMap<u64, Vec<i64>>,
    /// Per terminal: every label in arrival order (event day, fraud).
    term_label_seq: HashMap<u64, Vec<(i64, bool)>>,
    /// Per card: every transaction's amount in stream order (feature 33).
    card_amounts: HashMap<u64, Vec<f64>>,
}

fn ref_day(ts: f64) -> i64 {
    (ts as i64).div_euclid(86_400_000)
}

impl Reference {
    fn new(delay: u32) -> Self {
        Self {
            delay: i64::from(delay),
            card_tx: HashMap::new(),
            card_newest: HashMap::new(),
            card_prev_ts: HashMap::new(),
            term_tx: HashMap::new(),
            term_labels: HashMap::new(),
            term_newest: HashMap::new(),
            card_small: HashMap::new(),
            card_present: HashMap::new(),
            card_high: HashMap::new(),
            term_label_seq: HashMap::new(),
            card_amounts: HashMap::new(),
        }
    }

    fn label(&mut self, rec: &Record) {
        let day = ref_day(rec.ts_ms);
        self.term_label_seq
            .entry(rec.term)
            .or_default()
            .push((day, rec.is_fraud()));
        let newest = self.term_newest.entry(rec.term).or_insert(day);
        *newest = (*newest).max(day);
        if day > *newest - 31 - self.delay {
            self.term_labels
                .entry(rec.term)
                .or_default()
                .push((day, rec.is_fraud()));
        }
    }

    /// Features 19-25 from their definitions.
    fn extras(&mut self, rec: &Record, day: i64, f: &mut [f32; N_FEATURES]) {
        f[19] = if rec.channel == 0 {
            f32::NAN
        } else {
            f32::from(rec.channel)
        };
        f[20] = match rec.flags & 0b1100 {
            0b1100 => 1.0,
            0b1000 => 0.0,
            _ => f32::NAN,
        };
        f[21] = if rec.mcc == 0 {
            f32::NAN
        } else {
            f32::from(rec.mcc)
        };
        // Small amounts: the newest day counted so far; an older event sees only itself.
        let smalls = self.card_small.entry(rec.card).or_default();
        let newest_small = smalls.iter().map(|(d, _)| *d).max();
        let small = rec.amount < 5.0;
        smalls.push((day, small));
        f[22] = if newest_small.is_some_and(|n| day < n) {
            f32::from(u8::from(small))
        } else {
            smalls.iter().filter(|(d, s)| *d == day && *s).count() as f32
        };
        f[23] = f32::NAN;
        f[24] = f32::NAN;
        f[25] = f32::NAN;
        if rec.flags & 0b1100 == 0b1100 && rec.lat.is_finite() && rec.lon.is_finite() {
            let seen = self.card_present.entry(rec.card).or_default();
            if let Some(&(pt, plat, plon, pc)) = seen.last() {
                let km = features::haversine_km(
                    f64::from(plat),
                    f64::from(plon),
                    f64::from(rec.lat),
                    f64::from(rec.lon),
                );
                f[23] = km as f32;
                f[24] = (km * 3600.0 / ((rec.ts_ms - pt).abs() / 1000.0).max(60.0)) as f32;
                if pc != 0 && rec.country != 0 {
                    f[25] = if pc == rec.country { 0.0 } else { 1.0 };
                }
            }
            seen.push((rec.ts_ms, rec.lat, rec.lon, rec.country));
        }
    }

    /// Features 13-18 and 29-32 from their definitions.
    fn terminal(&mut self, rec: &Record, day: i64, f: &mut [f32; N_FEATURES]) {
        let newest = self.term_newest.entry(rec.term).or_insert(day);
        *newest = (*newest).max(day);
        let newest = *newest;
        let txs = self.term_tx.entry(rec.term).or_default();
        if day > newest - 31 {
            txs.push(day);
        }
        let labels = self.term_labels.entry(rec.term).or_default();
        for (k, w) in [1i64, 7, 30].into_iter().enumerate() {
            f[13 + k] = txs
                .iter()
                .filter(|d| **d > newest - 31 && **d <= day && **d > day - w)
                .count() as f32;
            let (hi, lo) = (day - self.delay, day - self.delay - w + 1);
            let sel: Vec<bool> = labels
                .iter()
                .filter(|(d, _)| *d > newest - 31 - self.delay && *d >= lo && *d <= hi)
                .map(|(_, fr)| *fr)
                .collect();
            let frauds = sel.iter().filter(|x| **x).count();
            f[16 + k] = if sel.is_empty() {
                0.0
            } else {
                (frauds as f64 / sel.len() as f64) as f32
            };
            if k > 0 {
                f[28 + k] = frauds as f32;
            }
        }
        let seq = self.term_label_seq.entry(rec.term).or_default();
        let run = seq.iter().rev().take_while(|(_, fr)| *fr).count();
        f[31] = run as f32;
        f[32] = if run == 0 {
            f32::NAN
        } else {
            (day - seq[seq.len() - run].0) as f32
        };
    }

    fn transaction(&mut self, rec: &Record) -> [f32; N_FEATURES] {
        let mut f = [0f32; N_FEATURES];
        let ts = rec.ts_ms as i64;
        let day = ref_day(rec.ts_ms);
        let hour = ts.rem_euclid(86_400_000) / 3_600_000;
        // Day 3 after the epoch (1970-01-04) was a Sunday.
        let dow_from_sunday = (day - 3).rem_euclid(7);
        f[0] = rec.amount as f32;
        f[1] = (1.0 + rec.amount).ln() as f32;
        f[2] = hour as f32;
        f[3] = if dow_from_sunday == 0 || dow_from_sunday == 6 {
            1.0
        } else {
            0.0
        };
        f[4] = if hour < 6 { 1.0 } else { 0.0 };

        let newest = self.card_newest.entry(rec.card).or_insert(day);
        *newest = (*newest).max(day);
        let horizon = *newest - 31;
        let events = self.card_tx.entry(rec.card).or_default();
        let window = |events: &Vec<(i64, f64)>, w: i64| {
            let sel: Vec<f64> = events
                .iter()
                .filter(|(d, _)| *d > horizon && *d <= day && *d > day - w)
                .map(|(_, a)| *a)
                .collect();
            (sel.len(), sel.iter().sum::<f64>())
        };
        let (pc, ps) = window(events, 30);
        let events_before = events.clone();
        if day > horizon {
            events.push((day, rec.amount));
        }
        for (k, w) in [1, 7, 30].into_iter().enumerate() {
            let (c, s) = window(events, w);
            f[5 + 2 * k] = c as f32;
            f[6 + 2 * k] = if c == 0 {
                f32::NAN
            } else {
                (s / c as f64) as f32
            };
        }
        let prev = self.card_prev_ts.insert(rec.card, rec.ts_ms);
        f[11] = prev.map_or(f32::NAN, |p| ((rec.ts_ms - p) / 1000.0) as f32);
        let ratio = |c: usize, s: f64| {
            if c == 0 || s <= 0.0 {
                f64::NAN
            } else {
                rec.amount / (s / c as f64)
            }
        };
        f[12] = ratio(pc, ps) as f32;
        for (k, w) in [1, 7].into_iter().enumerate() {
            let (c, s) = window(&events_before, w);
            f[26 + k] = ratio(c, s) as f32;
        }
        // High-ratio days: distinct remembered days in [day - 13, day].
        let highs = self.card_high.entry(rec.card).or_default();
        let mut days: Vec<i64> = highs
            .iter()
            .copied()
            .filter(|d| *d <= day && *d > day - 14)
            .collect();
        days.sort_unstable();
        days.dedup();
        f[28] = days.len() as f32;
        if ratio(pc, ps) > 2.5 {
            let newest = highs.iter().copied().max().map_or(day, |n| n.max(day));
            highs.push(day);
            highs.retain(|d| *d > newest - 32);
        }

        self.extras(rec, day, &mut f);
        self.amount_max(rec, &mut f);

        self.terminal(rec, day, &mut f);
        f
    }
}

impl Reference {
    /// Feature 33: the largest of the card's earlier amounts, recomputed from all of them.
    fn amount_max(&mut self, rec: &Record, f: &mut [f32; N_FEATURES]) {
        let amounts = self.card_amounts.entry(rec.card).or_default();
        let max = amounts.iter().copied().fold(f64::NAN, f64::max);
        // The scorer keeps the largest amount as f32.
        let max = f64::from(max as f32);
        f[33] = if max > 0.0 {
            (rec.amount / max) as f32
        } else {
            f32::NAN
        };
        amounts.push(rec.amount);
    }
}

fn close(a: f32, b: f32) -> bool {
    (a.is_nan() && b.is_nan()) || (a - b).abs() <= 1e-4 * b.abs().max(1.0)
}

/// A stream over few cards and terminals with labels, multi-day gaps and out-of-order events.
fn random_stream(seed: u64, n: usize) -> Vec<Record> {
    let mut rng = Rng(seed);
    let mut t = 1_522_540_800_000.0; // 2018-04-01T00:00Z, a Sunday
    let mut out: Vec<Record> = Vec::with_capacity(n);
    while out.len() < n {
        let r = rng.below(100);
        if r < 3 {
            t += (32.0 + rng.below(30) as f64) * DAY; // a gap longer than the ring
        } else if r < 10 {
            t += (1.0 + rng.below(9) as f64) * DAY;
        } else {
            t += rng.unit() * 6.0 * 3_600_000.0;
        }
        let txs: Vec<&Record> = out.iter().filter(|r| !r.is_label()).collect();
        let roll = rng.below(100);
        if roll < 20 && !txs.is_empty() {
            let target = *txs[rng.below(txs.len() as u64) as usize];
            let flags = FLAG_LABEL | if rng.below(3) == 0 { FLAG_FRAUD } else { 0 };
            out.push(Record {
                amount: 0.0,
                flags,
                ..target
            });
            continue;
        }
        let ts = if roll < 30 {
            t - rng.unit() * 45.0 * DAY // out of order: inside the ring or older than it
        } else {
            t
        };
        let located = rng.below(4) != 0;
        out.push(Record {
            ts_ms: ts.floor(),
            amount: if rng.below(5) == 0 {
                (rng.unit() * 6.0 * 100.0).round() / 100.0
            } else {
                (rng.unit() * 300.0 * 100.0).round() / 100.0
            },
            card: 1 + rng.below(4),
            term: 100 + rng.below(3),
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
    out
}

fn encode(records: &[Record]) -> Vec<u8> {
    let mut buf = vec![0u8; records.len() * RECORD_SIZE];
    for (r, slot) in records.iter().zip(buf.chunks_exact_mut(RECORD_SIZE)) {
        r.write(slot);
    }
    buf
}

#[test]
fn features_match_the_brute_force_reference_on_random_streams() {
    for (seed, delay) in [(1, 7), (2, 7), (3, 0), (4, 3), (5, 14)] {
        let stream = random_stream(seed, 3000);
        let mut state = State::new(delay);
        let mut reference = Reference::new(delay);
        let mut row = [0f32; N_FEATURES];
        for (i, rec) in stream.iter().enumerate() {
            if rec.is_label() {
                features::apply_label(&mut state, rec);
                reference.label(rec);
                continue;
            }
            features::transaction(&mut state, rec, &mut row);
            let want = reference.transaction(rec);
            for k in 0..N_FEATURES {
                assert!(
                    close(row[k], want[k]),
                    "seed {seed} record {i} feature {}: got {}, want {}",
                    NAMES[k],
                    row[k],
                    want[k]
                );
            }
        }
    }
}

#[test]
fn calendar_features_are_utc() {
    let mut state = State::new(7);
    let mut row = [0f32; N_FEATURES];
    // 2018-04-01 is a Sunday; 05:30 UTC is night.
    let sunday = Record {
        ts_ms: 1_522_540_800_000.0 + 5.5 * 3_600_000.0,
        amount: 10.0,
        card: 1,
        term: 1,
        flags: 0,
        ..Default::default()
    };
    features::transaction(&mut state, &sunday, &mut row);
    assert_eq!(
        (
            row[features::HOUR],
            row[features::IS_WEEKEND],
            row[features::IS_NIGHT]
        ),
        (5.0, 1.0, 1.0)
    );
    assert!(row[features::SECS_SINCE_PREV].is_nan() && row[features::AMOUNT_TO_MEAN_30D].is_nan());
    let monday = Record {
        ts_ms: sunday.ts_ms + DAY + 3_600_000.0,
        ..sunday
    };
    features::transaction(&mut state, &monday, &mut row);
    assert_eq!(
        (
            row[features::HOUR],
            row[features::IS_WEEKEND],
            row[features::IS_NIGHT]
        ),
        (6.0, 0.0, 0.0)
    );
    assert_eq!(row[features::SECS_SINCE_PREV], 90_000.0);
    assert_eq!(row[features::AMOUNT_TO_MEAN_30D], 1.0);
    assert_eq!(row[features::CARD_TX_COUNT_1D], 1.0);
    assert_eq!(row[features::CARD_TX_COUNT_1D + 2], 2.0);
}

/// A two-tree model on `amount` (feature 0) and `terminal_risk_30d` (feature 18) with hand-computable outputs.
fn tiny_model_json(base_score: &str) -> String {
    format!(
        r#"{{"learner":{{"feature_names":[],"learner_model_param":{{"base_score":"{base_score}","num_feature":"19"}},
        "objective":{{"name":"binary:logistic"}},"gradient_booster":{{"name":"gbtree","model":{{"trees":[
        {{"tree_param":{{"num_nodes":"3"}},"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[0,0,0],
          "split_conditions":[100.5,-1.0,2.0],"default_left":[true,false,false],"base_weights":[0.1,-1.0,2.0]}},
        {{"tree_param":{{"num_nodes":"3"}},"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[18,0,0],
          "split_conditions":[0.25,0.0,1.5],"default_left":[0,0,0],"base_weights":[0.2,0.0,1.5]}}]}}}}}}}}"#
    )
}

fn sigmoid(x: f64) -> f32 {
    (1.0 / (1.0 + (-x).exp())) as f32
}

#[test]
fn model_evaluates_xgboost_semantics() {
    for base in ["5E-1", "[5E-1]"] {
        let m = Model::from_xgboost_json(&tiny_model_json(base)).unwrap();
        assert_eq!(m.info().trees, 2);
        let mut row = [0f32; N_FEATURES];
        row[0] = 50.0;
        assert_eq!(m.score(&row), sigmoid(-1.0));
        row[0] = 100.5; // not < threshold: right
        assert_eq!(m.score(&row), sigmoid(2.0));
        row[0] = f32::NAN; // default left
        row[18] = 0.5;
        assert_eq!(m.score(&row), sigmoid(-1.0 + 1.5));
        let mut contrib = [0f32; N_FEATURES];
        m.contributions(&row, &mut contrib);
        assert!((contrib[0] - (-1.1)).abs() < 1e-6 && (contrib[18] - 1.3).abs() < 1e-6);
        assert_eq!(top3(&contrib), [18, 255, 255]);
    }
    let m = Model::from_xgboost_json(&tiny_model_json("2.5E-1")).unwrap();
    let row = [0f32; N_FEATURES];
    assert_eq!(m.score(&row), sigmoid((0.25f64 / 0.75).ln() - 1.0));
}

#[test]
fn bad_models_give_clear_errors() {
    let good = tiny_model_json("5E-1");
    let cases = [
        ("{", "model: invalid JSON"),
        (r#"{"learner":{}}"#, "model: missing 'learner.objective'"),
        (
            &good.replace("binary:logistic", "reg:squarederror"),
            "model: objective 'reg:squarederror' is not supported",
        ),
        (
            &good.replace(r#""feature_names":[]"#, r#""feature_names":["foo"]"#),
            "model: feature 'foo' is not a Fraudstream feature",
        ),
        (
            &good.replacen(
                r#""left_children":[1,-1,-1]"#,
                r#""left_children":[1,-1]"#,
                1,
            ),
            "model: tree 0: left_children has 2 entries, expected 3",
        ),
        (
            &good.replacen(
                r#""left_children":[1,-1,-1]"#,
                r#""left_children":[0,-1,-1]"#,
                1,
            ),
            "model: tree 0: node 0 is reached twice",
        ),
        (
            &good.replacen(
                r#""right_children":[2,-1,-1]"#,
                r#""right_children":[7,-1,-1]"#,
                1,
            ),
            "model: tree 0: node 0 has right child 7",
        ),
        (
            &good.replace("5E-1", "1.5"),
            "model: base_score 1.5 is not a probability",
        ),
        (
            &good.replacen(
                r#""split_indices":[18,0,0]"#,
                r#""split_indices":[25,0,0]"#,
                1,
            ),
            "model: tree 1: node 0 splits on feature 25",
        ),
    ];
    for (json, want) in cases {
        let e = Model::from_xgboost_json(json).unwrap_err().to_string();
        assert!(e.starts_with(want), "got {e:?}, want {want:?}");
    }
}

fn score_in_batches(scorer: &Scorer, buf: &[u8], sizes: &[usize]) -> Vec<u8> {
    let n = buf.len() / RECORD_SIZE;
    let mut out = vec![0u8; n * RESULT_SIZE];
    let (mut start, mut ticket, mut k) = (0, 0u64, 0);
    while start < n {
        let len = sizes[k % sizes.len()].min(n - start);
        scorer
            .score_batch(
                &buf[start * RECORD_SIZE..(start + len) * RECORD_SIZE],
                &mut out[start * RESULT_SIZE..(start + len) * RESULT_SIZE],
                ticket,
            )
            .unwrap();
        start += len;
        ticket += 1;
        k += 1;
    }
    out
}

fn trained_scorer(stream: &[Record]) -> Scorer {
    let buf = encode(stream);
    let mut rows = vec![0f32; stream.len() * N_FEATURES];
    let n = extract_features(&ScorerConfig::default(), &buf, &mut rows).unwrap();
    let labels: Vec<u8> = (0..n)
        .map(|i| u8::from(rows[i * N_FEATURES + 18] > 0.2 || rows[i * N_FEATURES] > 250.0))
        .collect();
    let params = TrainParams {
        trees: 10,
        max_depth: 3,
        ..TrainParams::default()
    };
    let t = train(&rows[..n * N_FEATURES], &labels, n, &params).unwrap();
    let s = Scorer::new(ScorerConfig {
        thresholds: Thresholds::new(0.3, 0.8).unwrap(),
        ..ScorerConfig::default()
    });
    s.set_model(Model::from_xgboost_json(&t.json).unwrap());
    s
}

#[test]
fn batching_and_threads_do_not_change_results() {
    let stream = random_stream(9, 4000);
    let buf = encode(&stream);
    let one = score_in_batches(&trained_scorer(&stream), &buf, &[usize::MAX]);
    let many = score_in_batches(&trained_scorer(&stream), &buf, &[1, 7, 100, 3]);
    assert_eq!(one, many);
    // Four threads take tickets round-robin over 50-record batches.
    let s = std::sync::Arc::new(trained_scorer(&stream));
    let n = stream.len();
    let batches: Vec<(usize, usize)> = (0..n).step_by(50).map(|a| (a, (a + 50).min(n))).collect();
    let parts: Vec<Vec<(usize, Vec<u8>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|w| {
                let (s, buf, batches) = (s.clone(), &buf, &batches);
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for (ticket, &(a, b)) in batches.iter().enumerate().skip(w).step_by(4) {
                        let mut out = vec![0u8; (b - a) * RESULT_SIZE];
                        s.score_batch(
                            &buf[a * RECORD_SIZE..b * RECORD_SIZE],
                            &mut out,
                            ticket as u64,
                        )
                        .unwrap();
                        mine.push((a, out));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut threaded = vec![0u8; n * RESULT_SIZE];
    for (a, out) in parts.into_iter().flatten() {
        threaded[a * RESULT_SIZE..a * RESULT_SIZE + out.len()].copy_from_slice(&out);
    }
    assert_eq!(one, threaded);
    let decisions: Vec<u8> = one.chunks_exact(RESULT_SIZE).map(|r| r[4]).collect();
    assert!(decisions.contains(&APPROVE) && decisions.iter().any(|d| *d >= REVIEW));
}

#[test]
fn invalid_records_labels_and_rules() {
    let s = Scorer::new(ScorerConfig::default());
    let recs = [
        Record {
            ts_ms: 1.5e12,
            amount: f64::NAN,
            card: 1,
            term: 1,
            flags: 0,
            ..Default::default()
        },
        Record {
            ts_ms: 1.5e12,
            amount: 6000.0,
            card: 1,
            term: 1,
            flags: 0,
            ..Default::default()
        },
        Record {
            ts_ms: 1.5e12,
            amount: 0.0,
            card: 1,
            term: 1,
            flags: FLAG_LABEL | FLAG_FRAUD,
            ..Default::default()
        },
        Record {
            ts_ms: f64::INFINITY,
            amount: 1.0,
            card: 1,
            term: 1,
            flags: 0,
            ..Default::default()
        },
    ];
    let mut out = vec![0u8; recs.len() * RESULT_SIZE];
    let counts = s.score_batch(&encode(&recs), &mut out, 0).unwrap();
    assert_eq!(
        counts,
        BatchCounts {
            scored: 1,
            labels: 1,
            invalid: 2
        }
    );
    let r: Vec<Outcome> = out.chunks_exact(RESULT_SIZE).map(Outcome::read).collect();
    assert_eq!(
        (r[0].status, r[0].decision, r[0].rules),
        (STATUS_INVALID, REVIEW, INVALID_RECORD)
    );
    assert_eq!(
        (r[1].status, r[1].decision, r[1].rules, r[1].score),
        (STATUS_SCORED, REVIEW, HIGH_AMOUNT, 0.0)
    );
    assert_eq!(r[2].status, STATUS_LABEL);
    assert_eq!(r[3].status, STATUS_INVALID);
    // A used ticket is refused; the next one still works.
    assert!(s.score_batch(&[], &mut [], 0).is_err());
    assert_eq!(
        s.score_batch(&[], &mut [], 1).unwrap(),
        BatchCounts::default()
    );
    // Cumulative counts: two batches completed, the refused one is not counted.
    assert_eq!(
        s.counts(),
        Counts {
            scored: 1,
            labels: 1,
            invalid: 2,
            batches: 2
        }
    );
    assert!(s.ticket_done(1) && !s.ticket_done(2));
}

#[test]
fn fallback_is_written_like_a_scored_outcome() {
    let recs = [
        Record {
            ts_ms: 1.5e12,
            amount: 10.0,
            card: 1,
            term: 1,
            ..Default::default()
        },
        Record {
            ts_ms: 1.5e12,
            card: 1,
            term: 1,
            flags: FLAG_LABEL,
            ..Default::default()
        },
    ];
    let mut out = vec![0xeeu8; recs.len() * RESULT_SIZE];
    assert_eq!(write_fallback(&encode(&recs), &mut out), 1);
    let r: Vec<Outcome> = out.chunks_exact(RESULT_SIZE).map(Outcome::read).collect();
    assert!(r[0].score.is_nan());
    assert_eq!(
        (r[0].status, r[0].decision, r[0].rules, r[0].reasons),
        (STATUS_FALLBACK, REVIEW, SCORER_ERROR, [NO_REASON; 3])
    );
    assert_eq!(r[1], Outcome::LABEL);
    assert!(out[11..16].iter().all(|&b| b == 0));
}

#[test]
fn velocity_rule_and_decline_threshold() {
    let s = Scorer::new(ScorerConfig::default());
    s.set_model(Model::from_xgboost_json(&tiny_model_json("5E-1")).unwrap());
    let recs: Vec<Record> = (0..32)
        .map(|i| Record {
            ts_ms: 1.5e12 + f64::from(i),
            amount: 500.0,
            card: 7,
            term: 2,
            flags: 0,
            ..Default::default()
        })
        .collect();
    let mut out = vec![0u8; recs.len() * RESULT_SIZE];
    s.score_batch(&encode(&recs), &mut out, 0).unwrap();
    let last = Outcome::read(&out[31 * RESULT_SIZE..]);
    assert_eq!(last.rules, VELOCITY_1D);
    // amount 500 >= 100.5 goes right: margin 2 + 0 (risk 0 < 0.25): score 0.88, REVIEW; reason amount (feature 0).
    assert_eq!((last.decision, last.reasons), (REVIEW, [0, 255, 255]));
    s.set_thresholds(Thresholds::new(0.5, 0.8).unwrap());
    s.score_batch(&encode(&recs[..1]), &mut out[..RESULT_SIZE], 1)
        .unwrap();
    assert_eq!(Outcome::read(&out).decision, DECLINE);
}

#[test]
fn forust_trees_convert_exactly() {
    let mut rng = Rng(42);
    let rows = 3000;
    let mut x = vec![0f32; rows * N_FEATURES];
    let mut y = vec![0u8; rows];
    for r in 0..rows {
        for c in 0..N_FEATURES {
            x[r * N_FEATURES + c] = if rng.below(10) == 0 {
                f32::NAN
            } else {
                (rng.unit() * 100.0) as f32
            };
        }
        let a = x[r * N_FEATURES];
        let b = x[r * N_FEATURES + 5];
        let p = if a.is_nan() {
            0.7
        } else if a > 60.0 && b < 40.0 {
            0.8
        } else {
            0.1
        };
        y[r] = u8::from(rng.unit() < p);
    }
    let t = train(
        &x,
        &y,
        rows,
        &TrainParams {
            trees: 30,
            max_depth: 4,
            ..TrainParams::default()
        },
    )
    .unwrap();
    let model = Model::from_xgboost_json(&t.json).unwrap();
    assert_eq!(model.info().trees, 30);
    assert_eq!(model.info().features, NAMES.map(String::from).to_vec());
    let cols: Vec<f64> = (0..N_FEATURES)
        .flat_map(|c| (0..rows).map(move |r| (c, r)))
        .map(|(c, r)| f64::from(x[r * N_FEATURES + c]))
        .collect();
    let theirs = t
        .booster
        .predict(&forust_ml::Matrix::new(&cols, rows, N_FEATURES), false);
    let mut worst = 0f64;
    for r in 0..rows {
        let mut row = [0f32; N_FEATURES];
        row.copy_from_slice(&x[r * N_FEATURES..(r + 1) * N_FEATURES]);
        let ours = f64::from(model.score(&row));
        let want = 1.0 / (1.0 + (-theirs[r]).exp());
        worst = worst.max((ours - want).abs());
    }
    assert!(worst < 1e-5, "worst |diff| {worst}");
    // Deterministic.
    let again = train(
        &x,
        &y,
        rows,
        &TrainParams {
            trees: 30,
            max_depth: 4,
            ..TrainParams::default()
        },
    )
    .unwrap();
    assert_eq!(t.json, again.json);
}

#[test]
fn f32_rounding_of_thresholds_keeps_routing() {
    for v in [0.1f64, 1.0 / 3.0, 100.000_000_1, -2.7, 1e30, f64::MAX] {
        let t = up_to_f32(v);
        for x in [v as f32, (v as f32).next_up(), (v as f32).next_down()] {
            assert_eq!(f64::from(x) < v, x < t, "v {v} x {x}");
        }
    }
}

#[cfg(feature = "test-hooks")]
#[test]
fn a_panic_in_the_state_phase_releases_the_gate_and_the_scorer_goes_on() {
    let s = Scorer::new(ScorerConfig::default());
    let rec = [Record {
        ts_ms: 1.5e12,
        amount: 10.0,
        card: 1,
        term: 1,
        ..Default::default()
    }];
    let buf = encode(&rec);
    let mut out = vec![0u8; RESULT_SIZE];
    s.arm_panic(0);
    s.arm_miscount(2);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = s.score_batch(&buf, &mut out, 0);
    }));
    assert!(panicked.is_err());
    assert!(
        s.ticket_done(0),
        "the guard marked the panicked ticket done"
    );
    // The state mutex was poisoned by the panic; the next batch recovers it and scores.
    assert_eq!(s.score_batch(&buf, &mut out, 1).unwrap().scored, 1);
    assert_eq!(s.score_batch(&buf, &mut out, 2).unwrap().scored, 2);
    assert_eq!(s.counts().scored, 3);
    assert_eq!(s.counts().batches, 2);
}
