//! Node bindings of the Fraudstream scorer: each function converts JS values and delegates to the core modules.
//! Typed arrays are read zero-copy by `js_buffers`; options are checked by `config`; the JS-facing package is
//! `@fraudstream/scorer` (packages/scorer), the only importer of this one.
#![allow(
    clippy::missing_errors_doc,
    reason = "binding errors become JS exceptions, documented in README.md"
)]
#![allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands JS strings and objects over by value"
)]

pub mod bundle;
pub mod config;
pub mod decide;
pub mod decision_columns;
pub mod features;
pub mod isolation;
pub mod js_buffers;
pub mod layout;
pub mod lightgbm;
pub mod lists;
pub mod model;
pub mod record;
pub mod registry;
pub mod rules;
pub mod rules_lang;
pub mod rules_napi;
pub mod scorer;
pub mod sha256;
pub mod simd;
pub mod state;
pub mod ticket;
pub mod train;
pub mod windows;
pub mod xgb_json;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use napi::Task;
use napi::bindgen_prelude::{AsyncTask, Buffer, Env, Error, Result, Status, Unknown};
use napi_derive::napi;

use crate::config::{LABEL_DELAY_DAYS_MAX, Options, ScorerConfig};
use crate::decide::Thresholds;
use crate::features::N_FEATURES;
use crate::js_buffers::{Kind, TypedArray};
use crate::model::Model;
use crate::record::{RECORD_SIZE, RESULT_SIZE};
use crate::scorer::Scorer;
use crate::scorer::snapshot::SnapshotMeta;
use crate::train::TrainParams;

/// Score thresholds: `0 <= review <= decline <= 1`.
#[napi(object)]
pub struct ThresholdValues {
    /// Scores at or above this are at least REVIEW.
    pub review: f64,
    /// Scores at or above this are DECLINE.
    pub decline: f64,
}

/// Rule parameters.
#[napi(object)]
pub struct RuleOptions {
    /// `HIGH_AMOUNT` fires when amount > highAmount.
    pub high_amount: Option<f64>,
    /// `VELOCITY_1D` fires when `card_tx_count_1d` > velocity1d.
    #[napi(js_name = "velocity1d")]
    pub velocity_1d: Option<f64>,
}

/// Scorer configuration; every field defaults to `scorerDefaults()`.
#[napi(object)]
pub struct ScorerOptions {
    /// Initial thresholds.
    pub thresholds: Option<ThresholdValues>,
    /// Delay of the terminal risk windows, whole days from 0 to `labelDelayDaysMax`.
    pub label_delay_days: Option<f64>,
    /// Rule parameters.
    pub rules: Option<RuleOptions>,
}

/// Rule parameters in force.
#[napi(object)]
pub struct RuleValues {
    /// `HIGH_AMOUNT` limit.
    pub high_amount: f64,
    /// `VELOCITY_1D` limit.
    #[napi(js_name = "velocity1d")]
    pub velocity_1d: f64,
}

/// The scorer's defaults and limits.
#[napi(object)]
pub struct ScorerDefaults {
    /// Default thresholds.
    pub thresholds: ThresholdValues,
    /// Default label delay, days.
    pub label_delay_days: u32,
    /// Largest label delay accepted, days.
    pub label_delay_days_max: u32,
    /// Default rule parameters.
    pub rules: RuleValues,
}

/// Summary of a loaded model.
#[napi(object)]
pub struct ModelSummary {
    /// Number of trees.
    pub trees: u32,
    /// The model's input feature names.
    pub features: Vec<String>,
    /// `base_score`, a probability.
    pub base_score: f64,
}

/// Training parameters.
#[napi(object)]
pub struct TrainOptions {
    /// Number of trees (default 100).
    pub trees: Option<u32>,
    /// Maximum depth (default 6).
    pub max_depth: Option<u32>,
    /// Learning rate (default 0.1).
    pub learning_rate: Option<f64>,
    /// Minimum hessian sum per child (default 1).
    pub min_child_weight: Option<f64>,
    /// Seed (default 0).
    pub seed: Option<u32>,
    /// Histogram bins per feature, 2..=4096 (default 256).
    pub bins: Option<u32>,
}

/// What one batch wrote, counted in Rust while writing the outcomes.
#[napi(object)]
pub struct BatchCounts {
    /// Transactions with status Scored.
    pub scored: u32,
    /// Label records applied (status Label).
    pub labels: u32,
    /// Records that failed the scorer's checks (status Invalid).
    pub invalid: u32,
}

/// A scorer's cumulative counts.
#[napi(object)]
pub struct ScorerCounts {
    /// Transactions with status Scored.
    pub scored: f64,
    /// Label records applied.
    pub labels: f64,
    /// Records that failed the scorer's checks.
    pub invalid: f64,
    /// Batches completed.
    pub batches: f64,
}

/// Size of a scorer's state: entries and the heap bytes they hold (allocated capacity, hash index included).
#[napi(object)]
pub struct StateSize {
    pub cards: u32,
    pub card_bytes: f64,
    pub terminals: u32,
    pub terminal_bytes: f64,
}

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

fn range_error(env: Env, msg: String) -> Error {
    match env.throw_range_error(&msg, Some("ERR_OUT_OF_RANGE")) {
        Ok(()) => Error::new(Status::PendingException, msg),
        Err(e) => e,
    }
}

fn to_config(o: Option<ScorerOptions>) -> Result<ScorerConfig> {
    let Some(o) = o else {
        return Ok(ScorerConfig::default());
    };
    let rules = o.rules.as_ref();
    ScorerConfig::from_options(&Options {
        thresholds: o.thresholds.map(|t| (t.review, t.decline)),
        label_delay_days: o.label_delay_days,
        high_amount: rules.and_then(|r| r.high_amount),
        velocity_1d: rules.and_then(|r| r.velocity_1d),
    })
    .map_err(invalid)
}

fn scorer(handle: u32) -> Result<Arc<Scorer>> {
    registry::get(handle).ok_or_else(|| invalid(format!("unknown scorer handle {handle}")))
}

fn ticket_of(ticket: i64) -> Result<u64> {
    u64::try_from(ticket).map_err(|_| invalid(format!("ticket must be >= 0, got {ticket}")))
}

fn array(value: &Unknown<'_>, kind: Kind, name: &str) -> Result<TypedArray> {
    TypedArray::from_js(value, kind, name).map_err(invalid)
}

/// The defaults and limits of a scorer's options (the one source of these values).
#[must_use]
#[napi(catch_unwind)]
pub fn scorer_defaults() -> ScorerDefaults {
    let d = ScorerConfig::default();
    ScorerDefaults {
        // The thresholds as configured (decimal), not their f32 form.
        thresholds: ThresholdValues {
            review: decide::DEFAULT_REVIEW,
            decline: decide::DEFAULT_DECLINE,
        },
        label_delay_days: d.label_delay_days,
        label_delay_days_max: LABEL_DELAY_DAYS_MAX,
        rules: RuleValues {
            high_amount: d.rules.high_amount,
            velocity_1d: d.rules.velocity_1d,
        },
    }
}

/// The record and result layouts: group -> constant name -> value (see `layout.rs`).
#[must_use]
#[napi(catch_unwind)]
pub fn layout() -> HashMap<String, HashMap<String, u32>> {
    layout::GROUPS
        .iter()
        .map(|g| {
            let entries = g.entries.iter().map(|(n, v, _)| ((*n).to_string(), *v));
            (g.name.to_string(), entries.collect())
        })
        .collect()
}

/// Creates a scorer with fresh state and no model; returns its process-wide handle.
#[napi(catch_unwind)]
pub fn create_scorer(options: Option<ScorerOptions>) -> Result<u32> {
    Ok(registry::create(to_config(options)?))
}

/// Loads an `XGBoost` JSON or `LightGBM` text model, replacing the current one atomically; state is kept.
#[napi(catch_unwind)]
pub fn load_model(handle: u32, xgboost_json: String) -> Result<ModelSummary> {
    let s = scorer(handle)?;
    let model = Model::from_text(&xgboost_json).map_err(|e| invalid(e.to_string()))?;
    let info = model.info();
    s.set_model(model);
    Ok(ModelSummary {
        trees: info.trees,
        features: info.features,
        base_score: info.base_score,
    })
}

/// Throws a `RangeError` unless `0 <= review <= decline <= 1` (the one threshold rule).
#[napi(catch_unwind)]
pub fn check_thresholds(env: Env, review: f64, decline: f64) -> Result<()> {
    Thresholds::new(review, decline)
        .map(|_| ())
        .map_err(|msg| range_error(env, msg))
}

/// Sets the thresholds; throws a `RangeError` unless `0 <= review <= decline <= 1`.
#[napi(catch_unwind)]
pub fn set_thresholds(env: Env, handle: u32, review: f64, decline: f64) -> Result<()> {
    let s = scorer(handle)?;
    let t = Thresholds::new(review, decline).map_err(|msg| range_error(env, msg))?;
    s.set_thresholds(t);
    Ok(())
}

/// Scores records `[startSlot, startSlot + count)` of the ring region into the same slots of the results region,
/// once batch `ticket` is next. Consumes the ticket on every path. Returns what it wrote, counted in Rust.
/// Refuses results that share memory with the records.
#[napi(catch_unwind)]
pub fn score_batch(
    handle: u32,
    #[napi(ts_arg_type = "Uint8Array")] records: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] results: Unknown<'_>,
    start_slot: u32,
    count: u32,
    ticket: i64,
) -> Result<BatchCounts> {
    let s = scorer(handle)?;
    let ticket = ticket_of(ticket)?;
    let batch = array(&records, Kind::U8, "records").and_then(|r| {
        let o = array(&results, Kind::U8, "results")?;
        // SAFETY: both arrays belong to this synchronous call (JS does not run until it returns) and the engine
        // gives the batch's slots to one call at a time, so no one else touches them; `slots` checks that the two
        // ranges do not alias.
        unsafe {
            js_buffers::slots(
                &r,
                RECORD_SIZE,
                &o,
                RESULT_SIZE,
                start_slot as usize,
                count as usize,
            )
        }
        .map_err(invalid)
    });
    let (recs, outs) = match batch {
        Ok(v) => v,
        Err(e) => {
            // The batch never reaches the gate, so its turn is given up here.
            s.skip_ticket(ticket);
            return Err(e);
        }
    };
    let c = s
        .score_batch_at(recs, outs, ticket, start_slot)
        .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))?;
    Ok(BatchCounts {
        scored: c.scored,
        labels: c.labels,
        invalid: c.invalid,
    })
}

/// Writes the fallback outcome of records `[startSlot, startSlot + count)` (transactions: score NaN, REVIEW, status
/// Fallback, rule `SCORER_ERROR`; labels: status Label). Returns the number of transactions written.
#[napi(catch_unwind)]
pub fn write_fallback(
    #[napi(ts_arg_type = "Uint8Array")] records: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] results: Unknown<'_>,
    start_slot: u32,
    count: u32,
) -> Result<u32> {
    let r = array(&records, Kind::U8, "records")?;
    let o = array(&results, Kind::U8, "results")?;
    // SAFETY: as in `score_batch`: the slots belong to this call alone and `slots` checks they do not alias.
    let (recs, outs) = unsafe {
        js_buffers::slots(
            &r,
            RECORD_SIZE,
            &o,
            RESULT_SIZE,
            start_slot as usize,
            count as usize,
        )
    }
    .map_err(invalid)?;
    Ok(record::write_fallback(recs, outs))
}

/// The 16-byte card-reference key of a deployment secret (the first half of HMAC-SHA256(secret, "fraudstream card-ref
/// v1"), as `CardRefHasher` derives it); handed to [`stage_decision_columns`].
#[napi(catch_unwind)]
pub fn card_ref_key(#[napi(ts_arg_type = "Uint8Array")] secret: Unknown<'_>) -> Result<Buffer> {
    let s = array(&secret, Kind::U8, "secret")?;
    if s.len() < 16 {
        return Err(invalid("secret must be at least 16 bytes"));
    }
    // SAFETY: the secret belongs to this synchronous call and no thread writes it.
    let bytes = unsafe { s.u8s(0..s.len()) };
    Ok(decision_columns::card_ref_key(bytes).to_vec().into())
}

/// Lays out the decision log's columns of the scored batch at ring slots `[startSlot, startSlot + count)` in the
/// columns region of `capacity` slots (see `decision_columns`): its transactions compacted from index `startSlot`,
/// the batch's generation at `startSlot`. Returns the number of transactions written, or -1 when more than one
/// scorer generation decided them (nothing usable written; the engine then reads the records). Does not write the
/// staged mark: the caller publishes the columns with an atomic store after this returns.
#[napi(catch_unwind)]
pub fn stage_decision_columns(
    #[napi(ts_arg_type = "Uint8Array")] records: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] results: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] columns: Unknown<'_>,
    capacity: u32,
    start_slot: u32,
    count: u32,
    #[napi(ts_arg_type = "Uint8Array")] key: Unknown<'_>,
) -> Result<i32> {
    let recs_js = array(&records, Kind::U8, "records")?;
    let outs_js = array(&results, Kind::U8, "results")?;
    let cols_js = array(&columns, Kind::U8, "columns")?;
    let key_js = array(&key, Kind::U8, "key")?;
    let (cap, start, len) = (capacity as usize, start_slot as usize, count as usize);
    if key_js.len() != 16 {
        return Err(invalid("key must be 16 bytes (cardRefKey)"));
    }
    if cols_js.len() < decision_columns::BYTES_PER_SLOT * cap {
        return Err(invalid(format!(
            "columns must be at least {} bytes for capacity {cap}",
            decision_columns::BYTES_PER_SLOT * cap
        )));
    }
    if start + len > cap {
        return Err(invalid(format!(
            "slots {start}..{} exceed the columns' capacity {cap}",
            start + len
        )));
    }
    let whole = cols_js.addresses(&(0..decision_columns::BYTES_PER_SLOT * cap));
    // SAFETY: the records and results of a scored batch are read only: their worker holds the batch until it marks
    // it done, after this returns; `slots` checks both ranges are within their arrays.
    let (recs, outs) =
        unsafe { js_buffers::slots(&recs_js, RECORD_SIZE, &outs_js, RESULT_SIZE, start, len) }
            .map_err(invalid)?;
    let record_bytes = recs_js.addresses(&(RECORD_SIZE * start..RECORD_SIZE * (start + len)));
    let result_bytes = outs_js.addresses(&(RESULT_SIZE * start..RESULT_SIZE * (start + len)));
    if !js_buffers::disjoint(&whole, &record_bytes) || !js_buffers::disjoint(&whole, &result_bytes)
    {
        return Err(invalid(
            "columns must not share memory with the records or results",
        ));
    }
    let ranges = decision_columns::column_ranges(cap, start, len);
    // SAFETY: the eight ranges are within the region (checked above), pairwise disjoint (successive columns of the
    // one layout) and the batch's own: the engine gives slots `start .. start + len` to one worker at a time and reads
    // them only after the batch is marked done; the key is read only.
    let (mut out, key) = unsafe {
        let [ts, tx_num, card, score, slot_of, generation, decision, flag] =
            ranges.map(|x| cols_js.u8s_mut(x));
        let mut kb = [0u8; 16];
        kb.copy_from_slice(key_js.u8s(0..16));
        (
            decision_columns::ColumnsMut {
                ts,
                tx_num,
                card,
                score,
                slot_of,
                generation,
                decision,
                flag,
            },
            decision_columns::SipKey::new(&kb),
        )
    };
    let written = decision_columns::stage(recs, outs, start_slot, &key, &mut out);
    Ok(written.map_or(-1, |w| i32::try_from(w).unwrap_or(i32::MAX)))
}

/// A scorer's cumulative counts (every completed batch).
#[napi(catch_unwind)]
pub fn scorer_counts(handle: u32) -> Result<ScorerCounts> {
    let c = scorer(handle)?.counts();
    Ok(ScorerCounts {
        scored: c.scored as f64,
        labels: c.labels as f64,
        invalid: c.invalid as f64,
        batches: c.batches as f64,
    })
}

/// Whether the ordering gate has passed `ticket` (done, failed or skipped).
#[napi(catch_unwind)]
pub fn ticket_done(handle: u32, ticket: i64) -> Result<bool> {
    Ok(scorer(handle)?.ticket_done(ticket_of(ticket)?))
}

/// Reports the size of a scorer's per-card and per-terminal state (for memory benchmarks and monitoring).
#[napi(catch_unwind)]
pub fn state_size(handle: u32) -> Result<StateSize> {
    let [cards, card_bytes, terminals, terminal_bytes] = scorer(handle)?.state_size();
    Ok(StateSize {
        cards: cards as u32,
        card_bytes: card_bytes as f64,
        terminals: terminals as u32,
        terminal_bytes: terminal_bytes as f64,
    })
}

/// Merges terminal-day aggregates of other instances (the global terminal table of a Kafka deployment) into a
/// scorer's terminal state: 6 integers per entry, the terminal key's low and high 32 bits (as int32), the event day
/// (days since the Unix epoch, UTC), then the transactions, labels and fraud labels to add (negative takes back).
#[napi(catch_unwind)]
pub fn merge_terminal_days(handle: u32, entries: Vec<i32>) -> Result<()> {
    if !entries.len().is_multiple_of(6) {
        return Err(invalid(format!(
            "entries must hold 6 numbers per entry (got {})",
            entries.len()
        )));
    }
    scorer(handle)?.merge_terminal_days(&entries);
    Ok(())
}

/// Scores row-major feature rows with a scorer's loaded model (the model half of `scoreBatch`, without state):
/// one probability per row into `out`.
#[napi(catch_unwind)]
pub fn score_features(
    handle: u32,
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    rows: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
) -> Result<()> {
    let s = scorer(handle)?;
    let (f, o) = feature_arrays(&features, rows, &out)?;
    let rows = rows as usize;
    // SAFETY: two distinct arrays of this synchronous call, bounds checked by `feature_arrays`; the caller does
    // not share them with another thread during the call.
    let (flat, out) = unsafe { (f.f32s(0..rows * N_FEATURES), o.f32s_mut(0..rows)) };
    let mut packed = vec![[0f32; N_FEATURES]; rows];
    for (dst, src) in packed.iter_mut().zip(flat.chunks_exact(N_FEATURES)) {
        dst.copy_from_slice(src);
    }
    s.score_rows(&packed, out);
    Ok(())
}

/// The feature-row input and the per-row output of a scoring call, checked to hold `rows` rows and not to alias.
fn feature_arrays(
    features: &Unknown<'_>,
    rows: u32,
    out: &Unknown<'_>,
) -> Result<(TypedArray, TypedArray)> {
    let f = array(features, Kind::F32, "features")?;
    let o = array(out, Kind::F32, "out")?;
    let rows = rows as usize;
    if f.len() < rows * N_FEATURES || o.len() < rows {
        return Err(invalid(format!(
            "features needs {} values and out {rows}",
            rows * N_FEATURES
        )));
    }
    if !js_buffers::disjoint(
        &f.addresses(&(0..rows * N_FEATURES)),
        &o.addresses(&(0..rows)),
    ) {
        return Err(invalid("out must not share memory with features"));
    }
    Ok((f, o))
}

/// Marks a ticket done without a batch (the batch failed before reaching the addon).
#[napi(catch_unwind)]
pub fn skip_ticket(handle: u32, ticket: i64) -> Result<()> {
    scorer(handle)?.skip_ticket(ticket_of(ticket)?);
    Ok(())
}

/// Forgets a scorer handle; batches already running finish.
#[napi(catch_unwind)]
pub fn destroy_scorer(handle: u32) -> Result<()> {
    if registry::destroy(handle) {
        Ok(())
    } else {
        Err(invalid(format!("unknown scorer handle {handle}")))
    }
}

/// The ordered feature vector names.
#[napi(catch_unwind)]
pub fn feature_names() -> Vec<String> {
    features::NAMES.iter().map(ToString::to_string).collect()
}

/// Rule names: bit i of the result's rule mask is `ruleNames()[i]`.
#[napi(catch_unwind)]
pub fn rule_names() -> Vec<String> {
    rules::NAMES.iter().map(ToString::to_string).collect()
}

/// The feature rows one batch captured: `index` (u32 per row, the record's index within the batch) and `rows`
/// (f32, `featureNames.length` per row), both host-endian bytes.
#[napi(object)]
pub struct CapturedFeatures {
    pub count: u32,
    pub index: Buffer,
    pub rows: Buffer,
}

/// Served-feature capture: with `rate` in `[0, 1]`, every later batch keeps the feature rows of its alerts and of the
/// transactions whose hash of (id number, event time, card key) falls in the sample `rate`, until
/// `takeCapturedFeatures` takes them; `null` turns capture off and drops what waits.
#[napi(catch_unwind)]
pub fn set_feature_capture(handle: u32, rate: Option<f64>) -> Result<()> {
    scorer(handle)?.capture().set(rate).map_err(invalid)
}

/// Takes the captured feature rows of the batch whose first ring slot is `startSlot` (count 0 when none).
#[napi(catch_unwind)]
pub fn take_captured_features(handle: u32, start_slot: u32) -> Result<CapturedFeatures> {
    let c = scorer(handle)?.capture().take(start_slot);
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a batch holds far fewer than 2^32 records"
    )]
    let count = c.index.len() as u32;
    let index: Vec<u8> = c.index.iter().flat_map(|v| v.to_ne_bytes()).collect();
    let rows: Vec<u8> = c.rows.iter().flat_map(|v| v.to_ne_bytes()).collect();
    Ok(CapturedFeatures {
        count,
        index: index.into(),
        rows: rows.into(),
    })
}

/// Offline replay with a fresh state: writes one feature row per transaction record into `out`; returns rows.
#[napi(catch_unwind)]
pub fn extract_features(
    options: Option<ScorerOptions>,
    #[napi(ts_arg_type = "Uint8Array")] records: Unknown<'_>,
    count: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
) -> Result<u32> {
    let cfg = to_config(options)?;
    let r = array(&records, Kind::U8, "records")?;
    let o = array(&out, Kind::F32, "out")?;
    let bytes = count as usize * RECORD_SIZE;
    if bytes > r.len() {
        return Err(invalid(format!(
            "count {count} exceeds records ({} records)",
            r.len() / RECORD_SIZE
        )));
    }
    if !js_buffers::disjoint(&r.addresses(&(0..bytes)), &o.addresses(&(0..o.len()))) {
        return Err(invalid("out must not share memory with records"));
    }
    // SAFETY: two non-aliasing arrays (checked) of this synchronous call, within bounds; not shared with another
    // thread during the call.
    let (recs, rows_out) = unsafe { (r.u8s(0..bytes), o.f32s_mut(0..o.len())) };
    let rows = scorer::extract_features(&cfg, recs, rows_out).map_err(invalid)?;
    Ok(rows as u32)
}

/// Trains a binary:logistic GBDT on row-major feature rows and 0/1 labels; returns `XGBoost` JSON text.
#[napi(catch_unwind)]
pub fn train_gbdt(
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] labels: Unknown<'_>,
    rows: u32,
    params: Option<TrainOptions>,
) -> Result<String> {
    let f = array(&features, Kind::F32, "features")?;
    let l = array(&labels, Kind::U8, "labels")?;
    let p = train_params(params)?;
    // SAFETY: read-only views of two arrays of this synchronous call, whole and within bounds.
    let (feats, labs) = unsafe { (f.f32s(0..f.len()), l.u8s(0..l.len())) };
    let trained = train::train(feats, labs, rows as usize, &p).map_err(invalid)?;
    Ok(trained.json)
}

fn train_params(params: Option<TrainOptions>) -> Result<TrainParams> {
    let mut p = TrainParams::default();
    if let Some(o) = params {
        p.trees = o.trees.map_or(p.trees, |v| v as usize);
        p.max_depth = o.max_depth.map_or(p.max_depth, |v| v as usize);
        p.learning_rate = o.learning_rate.map_or(p.learning_rate, |v| v as f32);
        p.min_child_weight = o.min_child_weight.map_or(p.min_child_weight, |v| v as f32);
        p.seed = o.seed.map_or(p.seed, u64::from);
        if let Some(b) = o.bins {
            p.set_bins(b).map_err(invalid)?;
        }
    }
    Ok(p)
}

/// Trains as `trainGbdt` with one positive weight per row (e.g. the inverse of a row's sample rate).
#[napi(catch_unwind)]
pub fn train_gbdt_weighted(
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] labels: Unknown<'_>,
    #[napi(ts_arg_type = "Float32Array")] weights: Unknown<'_>,
    rows: u32,
    params: Option<TrainOptions>,
) -> Result<String> {
    let f = array(&features, Kind::F32, "features")?;
    let l = array(&labels, Kind::U8, "labels")?;
    let w = array(&weights, Kind::F32, "weights")?;
    let p = train_params(params)?;
    // SAFETY: read-only views of three arrays of this synchronous call, whole and within bounds.
    let (feats, labs, ws) = unsafe { (f.f32s(0..f.len()), l.u8s(0..l.len()), w.f32s(0..w.len())) };
    let trained =
        train::train_weighted(feats, labs, Some(ws), rows as usize, &p).map_err(invalid)?;
    Ok(trained.json)
}

/// Scores feature rows with a model, `XGBoost` JSON or `LightGBM` text (the same evaluator as `scoreBatch`): one probability per row into `out`.
#[napi(catch_unwind)]
pub fn predict_features(
    xgboost_json: String,
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    rows: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
) -> Result<()> {
    let model = Model::from_text(&xgboost_json).map_err(|e| invalid(e.to_string()))?;
    let (f, o) = feature_arrays(&features, rows, &out)?;
    let rows = rows as usize;
    // SAFETY: as in `score_features`.
    let (flat, out) = unsafe { (f.f32s(0..rows * N_FEATURES), o.f32s_mut(0..rows)) };
    model.predict_rows(flat, out);
    Ok(())
}

/// Test-only (cargo feature `test-hooks`): the batch of `ticket` panics inside its state phase.
#[cfg(feature = "test-hooks")]
#[napi(catch_unwind)]
pub fn arm_panic(handle: u32, ticket: i64) -> Result<()> {
    scorer(handle)?.arm_panic(ticket_of(ticket)?);
    Ok(())
}

/// Test-only (cargo feature `test-hooks`): the batch of `ticket` reports one more scored transaction than it wrote.
#[cfg(feature = "test-hooks")]
#[napi(catch_unwind)]
pub fn arm_miscount(handle: u32, ticket: i64) -> Result<()> {
    scorer(handle)?.arm_miscount(ticket_of(ticket)?);
    Ok(())
}

/// Options of `isolationScores`.
#[napi(object)]
pub struct IsolationOptions {
    /// Trees (default 100).
    pub trees: Option<u32>,
    /// Rows sampled per tree (default 256).
    pub sample: Option<u32>,
    /// Seed (default 0).
    pub seed: Option<u32>,
    /// Feature names the trees split on (default: all).
    pub features: Option<Vec<String>>,
}

/// Fits an isolation forest on `trainRows` row-major feature rows (no labels) and writes the anomaly score (0..1,
/// higher = isolated in fewer splits) of each of `rows` rows of `features` into `out`.
#[napi(catch_unwind)]
pub fn isolation_scores(
    #[napi(ts_arg_type = "Float32Array")] train: Unknown<'_>,
    train_rows: u32,
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    rows: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
    options: Option<IsolationOptions>,
) -> Result<()> {
    let mut p = isolation::ForestParams::default();
    if let Some(o) = options {
        p.trees = o.trees.map_or(p.trees, |v| v as usize);
        p.sample = o.sample.map_or(p.sample, |v| v as usize);
        p.seed = o.seed.map_or(p.seed, u64::from);
        if let Some(names) = o.features {
            p.columns = names
                .iter()
                .map(|n| {
                    features::index_of(n).ok_or_else(|| {
                        invalid(format!(
                            "options.features: '{n}' is not a Fraudstream feature"
                        ))
                    })
                })
                .collect::<Result<Vec<usize>>>()?;
        }
    }
    let t = array(&train, Kind::F32, "train")?;
    let (f, o) = feature_arrays(&features, rows, &out)?;
    let train_rows = train_rows as usize;
    if t.len() < train_rows * N_FEATURES {
        return Err(invalid(format!(
            "train needs {} values, got {}",
            train_rows * N_FEATURES,
            t.len()
        )));
    }
    if !js_buffers::disjoint(
        &t.addresses(&(0..train_rows * N_FEATURES)),
        &o.addresses(&(0..rows as usize)),
    ) {
        return Err(invalid("out must not share memory with train"));
    }
    let rows = rows as usize;
    // SAFETY: three arrays of this synchronous call, bounds checked above; `out` is checked not to alias either
    // input, and the caller does not share them with another thread during the call.
    let (train, flat, out) = unsafe {
        (
            t.f32s(0..train_rows * N_FEATURES),
            f.f32s(0..rows * N_FEATURES),
            o.f32s_mut(0..rows),
        )
    };
    isolation::score_flat(train, flat, &p, out).map_err(invalid)
}

/// What a snapshot stores beside the state; the scorer does not interpret it.
#[napi(object)]
pub struct SnapshotMetaJs {
    /// The model's version or hash (at most 4096 bytes).
    pub model_version: String,
    /// The thresholds' version or hash (at most 4096 bytes).
    pub thresholds_version: String,
    /// Anything else, e.g. a checkpoint's source position (at most 1 MiB).
    pub extra: Option<Buffer>,
}

/// What a written (or restored) snapshot holds.
#[napi(object)]
pub struct SnapshotInfoJs {
    /// File size in bytes.
    pub bytes: f64,
    /// Cards in it.
    pub cards: u32,
    /// Terminals in it.
    pub terminals: u32,
    /// When it was taken, Unix milliseconds.
    pub created_unix_ms: f64,
}

/// What a restore read; the thresholds in it are now in force.
#[napi(object)]
pub struct RestoredJs {
    pub meta: SnapshotMetaJs,
    pub thresholds: ThresholdValues,
    pub label_delay_days: u32,
    pub info: SnapshotInfoJs,
}

fn info_js(i: scorer::snapshot::SnapshotInfo) -> SnapshotInfoJs {
    SnapshotInfoJs {
        bytes: i.bytes as f64,
        cards: u32::try_from(i.cards).unwrap_or(u32::MAX),
        terminals: u32::try_from(i.terminals).unwrap_or(u32::MAX),
        created_unix_ms: i.created_unix_ms as f64,
    }
}

/// A snapshot written on the libuv thread pool: with a ticket it waits for its turn in the batch order.
pub struct SnapshotTask {
    scorer: Arc<Scorer>,
    path: PathBuf,
    meta: SnapshotMeta,
    ticket: Option<u64>,
}

impl Task for SnapshotTask {
    type Output = scorer::snapshot::SnapshotInfo;
    type JsValue = SnapshotInfoJs;

    fn compute(&mut self) -> Result<Self::Output> {
        let r = match self.ticket {
            Some(t) => self.scorer.snapshot_at(&self.path, &self.meta, t),
            None => self.scorer.snapshot_to(&self.path, &self.meta),
        };
        r.map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(info_js(output))
    }
}

/// Writes the scorer's whole state and `meta` to `path` atomically (temp file, fsync, rename) off the main thread.
/// With `ticket`, the snapshot is a barrier in the batch order: it holds exactly the batches with smaller tickets
/// (the ticket is consumed whatever happens). The promise rejects with an error naming the file.
#[napi(catch_unwind, ts_return_type = "Promise<SnapshotInfoJs>")]
pub fn snapshot_state(
    handle: u32,
    path: String,
    meta: SnapshotMetaJs,
    ticket: Option<i64>,
) -> Result<AsyncTask<SnapshotTask>> {
    let s = scorer(handle)?;
    let ticket = ticket.map(ticket_of).transpose()?;
    Ok(AsyncTask::new(SnapshotTask {
        scorer: s,
        path: PathBuf::from(path),
        meta: SnapshotMeta {
            model_version: meta.model_version,
            thresholds_version: meta.thresholds_version,
            extra: meta.extra.map(|b| b.to_vec()).unwrap_or_default(),
        },
        ticket,
    }))
}

/// Replaces the scorer's state and thresholds with the snapshot at `path`, checked whole first (on any error the
/// scorer is unchanged and the error names the file). Restore before the first batch.
#[napi(catch_unwind)]
pub fn restore_state(handle: u32, path: String) -> Result<RestoredJs> {
    let s = scorer(handle)?;
    let r = s
        .restore_from(Path::new(&path))
        .map_err(|e| invalid(e.to_string()))?;
    Ok(RestoredJs {
        meta: SnapshotMetaJs {
            model_version: r.meta.model_version,
            thresholds_version: r.meta.thresholds_version,
            extra: Some(r.meta.extra.into()),
        },
        thresholds: ThresholdValues {
            // The f32 thresholds as the decimals they were set from (6 places is below f32's resolution).
            review: (f64::from(r.thresholds.review) * 1e6).round() / 1e6,
            decline: (f64::from(r.thresholds.decline) * 1e6).round() / 1e6,
        },
        label_delay_days: r.label_delay_days,
        info: info_js(r.info),
    })
}
