//! Node bindings of the Fraudstream scorer: each function converts JS values and delegates to the core modules.
//! Typed arrays are read zero-copy through `napi_get_typedarray_info`, which also accepts views over a
//! `SharedArrayBuffer`; only the slots of the batch are turned into Rust slices.
#![allow(
    clippy::missing_errors_doc,
    reason = "binding errors become JS exceptions, documented in README.md"
)]
#![allow(
    clippy::needless_pass_by_value,
    reason = "napi-rs hands JS strings over as owned `String`s"
)]

pub mod decide;
pub mod features;
pub mod isolation;
pub mod model;
pub mod record;
pub mod registry;
pub mod rules;
pub mod scorer;
pub mod simd;
pub mod state;
pub mod ticket;
pub mod train;
pub mod windows;
pub mod xgb_json;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use napi::bindgen_prelude::{Env, Error, JsValue, Result, Status, Unknown};
use napi::sys;
use napi_derive::napi;

use crate::decide::Thresholds;
use crate::features::N_FEATURES;
use crate::model::Model;
use crate::record::{RECORD_SIZE, RESULT_SIZE};
use crate::rules::RuleConfig;
use crate::scorer::{Scorer, ScorerConfig};
use crate::train::TrainParams;

/// Rule parameters.
#[napi(object)]
pub struct RuleOptions {
    /// `HIGH_AMOUNT` fires when amount > highAmount (default 5000).
    pub high_amount: Option<f64>,
    /// `VELOCITY_1D` fires when `card_tx_count_1d` > velocity1d (default 30).
    #[napi(js_name = "velocity1d")]
    pub velocity_1d: Option<f64>,
}

/// Scorer configuration.
#[napi(object)]
pub struct ScorerOptions {
    /// Scores at or above this are at least REVIEW (default 0.5).
    pub review_threshold: Option<f64>,
    /// Scores at or above this are DECLINE (default 0.9).
    pub decline_threshold: Option<f64>,
    /// Delay of the terminal risk windows in days (default 7, at most 365).
    pub label_delay_days: Option<u32>,
    /// Rule parameters.
    pub rules: Option<RuleOptions>,
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

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

fn to_config(o: Option<ScorerOptions>) -> Result<ScorerConfig> {
    let mut cfg = ScorerConfig::default();
    let Some(o) = o else { return Ok(cfg) };
    cfg.thresholds = Thresholds::new(
        o.review_threshold
            .unwrap_or(f64::from(cfg.thresholds.review)),
        o.decline_threshold
            .unwrap_or(f64::from(cfg.thresholds.decline)),
    )
    .map_err(invalid)?;
    if let Some(d) = o.label_delay_days {
        if d > 365 {
            return Err(invalid(format!(
                "labelDelayDays must be at most 365, got {d}"
            )));
        }
        cfg.label_delay_days = d;
    }
    if let Some(r) = o.rules {
        let d = RuleConfig::default();
        cfg.rules = RuleConfig {
            high_amount: r.high_amount.unwrap_or(d.high_amount),
            velocity_1d: r.velocity_1d.unwrap_or(d.velocity_1d),
        };
    }
    Ok(cfg)
}

fn scorer(handle: u32) -> Result<Arc<Scorer>> {
    registry::get(handle).ok_or_else(|| invalid(format!("unknown scorer handle {handle}")))
}

/// Pointer and element count of a typed array of the wanted type (SharedArrayBuffer-backed ones included).
fn typed_array(value: &Unknown<'_>, want: i32, name: &str, what: &str) -> Result<(*mut u8, usize)> {
    let v = value.value();
    let mut is_typed = false;
    // SAFETY: `v.env` and `v.value` come from the live call frame of this binding.
    let status = unsafe { sys::napi_is_typedarray(v.env, v.value, &raw mut is_typed) };
    if status != sys::Status::napi_ok || !is_typed {
        return Err(invalid(format!("{name} must be a {what}")));
    }
    let (mut kind, mut len, mut data, mut buffer, mut offset) =
        (0, 0usize, std::ptr::null_mut(), std::ptr::null_mut(), 0);
    // SAFETY: as above; the out-pointers are valid locals.
    let status = unsafe {
        sys::napi_get_typedarray_info(
            v.env,
            v.value,
            &raw mut kind,
            &raw mut len,
            &raw mut data,
            &raw mut buffer,
            &raw mut offset,
        )
    };
    if status != sys::Status::napi_ok || kind != want {
        return Err(invalid(format!("{name} must be a {what}")));
    }
    Ok((data.cast::<u8>(), len))
}

fn u8_slice<'a>(ptr: *mut u8, len: usize, start: usize, count: usize) -> &'a [u8] {
    debug_assert!(start + count <= len);
    if count == 0 {
        return &[];
    }
    // SAFETY: the caller checked `start + count <= len` elements of a live typed array; JS does not run during
    // this call, and the engine gives this batch's slots to one call at a time.
    unsafe { std::slice::from_raw_parts(ptr.add(start), count) }
}

fn u8_slice_mut<'a>(ptr: *mut u8, len: usize, start: usize, count: usize) -> &'a mut [u8] {
    debug_assert!(start + count <= len);
    if count == 0 {
        return &mut [];
    }
    // SAFETY: as in `u8_slice`; no other slice of this range exists during the call.
    unsafe { std::slice::from_raw_parts_mut(ptr.add(start), count) }
}

#[allow(
    clippy::cast_ptr_alignment,
    reason = "a Float32Array's data is always 4-byte aligned"
)]
fn f32_slice<'a>(ptr: *mut u8, len: usize) -> &'a [f32] {
    if len == 0 {
        return &[];
    }
    // SAFETY: a Float32Array's data is 4-byte aligned and holds `len` f32 values.
    unsafe { std::slice::from_raw_parts(ptr.cast::<f32>(), len) }
}

#[allow(
    clippy::cast_ptr_alignment,
    reason = "a Float32Array's data is always 4-byte aligned"
)]
fn f32_slice_mut<'a>(ptr: *mut u8, len: usize) -> &'a mut [f32] {
    if len == 0 {
        return &mut [];
    }
    // SAFETY: as in `f32_slice`; the array is only written through this slice during the call.
    unsafe { std::slice::from_raw_parts_mut(ptr.cast::<f32>(), len) }
}

const U8: i32 = sys::TypedarrayType::uint8_array;
const F32: i32 = sys::TypedarrayType::float32_array;

/// Creates a scorer with fresh state and no model; returns its process-wide handle.
#[napi(catch_unwind)]
pub fn create_scorer(config: Option<ScorerOptions>) -> Result<u32> {
    Ok(registry::create(to_config(config)?))
}

/// Loads an `XGBoost` JSON model, replacing the current one atomically; state is kept.
#[napi(catch_unwind)]
pub fn load_model(handle: u32, xgboost_json: String) -> Result<ModelSummary> {
    let s = scorer(handle)?;
    let model = Model::from_xgboost_json(&xgboost_json).map_err(|e| invalid(e.to_string()))?;
    let info = model.info();
    s.set_model(model);
    Ok(ModelSummary {
        trees: info.trees,
        features: info.features,
        base_score: info.base_score,
    })
}

/// Sets the thresholds; throws a `RangeError` unless `0 <= review <= decline <= 1`.
#[napi(catch_unwind)]
pub fn set_thresholds(env: Env, handle: u32, review: f64, decline: f64) -> Result<()> {
    let s = scorer(handle)?;
    match Thresholds::new(review, decline) {
        Ok(t) => {
            s.set_thresholds(t);
            Ok(())
        }
        Err(msg) => {
            env.throw_range_error(&msg, Some("ERR_OUT_OF_RANGE"))?;
            Err(Error::new(Status::PendingException, msg))
        }
    }
}

/// Scores records `[startSlot, startSlot + count)` of the ring region into the same slots of the results region,
/// once batch `ticket` is next. Consumes the ticket on every path. Returns the number of transactions scored.
#[napi(catch_unwind)]
pub fn score_batch(
    handle: u32,
    #[napi(ts_arg_type = "Uint8Array")] records: Unknown<'_>,
    #[napi(ts_arg_type = "Uint8Array")] results: Unknown<'_>,
    start_slot: u32,
    count: u32,
    ticket: i64,
) -> Result<u32> {
    let s = scorer(handle)?;
    let ticket =
        u64::try_from(ticket).map_err(|_| invalid(format!("ticket must be >= 0, got {ticket}")))?;
    let prepared = (|| {
        let (rp, rlen) = typed_array(&records, U8, "records", "Uint8Array")?;
        let (op, olen) = typed_array(&results, U8, "results", "Uint8Array")?;
        let end = start_slot as usize + count as usize;
        if end * RECORD_SIZE > rlen || end * RESULT_SIZE > olen {
            return Err(Error::new(
                Status::InvalidArg,
                format!(
                    "slots {start_slot}..{end} exceed records ({} slots) or results ({} slots)",
                    rlen / RECORD_SIZE,
                    olen / RESULT_SIZE
                ),
            ));
        }
        let start = start_slot as usize;
        let count = count as usize;
        Ok((
            u8_slice(rp, rlen, start * RECORD_SIZE, count * RECORD_SIZE),
            u8_slice_mut(op, olen, start * RESULT_SIZE, count * RESULT_SIZE),
        ))
    })();
    let (recs, outs) = match prepared {
        Ok(v) => v,
        Err(e) => {
            // The batch never reaches the gate, so its turn is given up here.
            s.skip_ticket(ticket);
            return Err(e);
        }
    };
    s.score_batch(recs, outs, ticket)
        .map_err(|e| Error::new(Status::GenericFailure, e.to_string()))
}

/// Size of a scorer's state: entries and the heap bytes they hold (allocated capacity, hash index included).
#[napi(object)]
pub struct StateSize {
    pub cards: u32,
    pub card_bytes: f64,
    pub terminals: u32,
    pub terminal_bytes: f64,
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
    let (fp, flen) = typed_array(&features, F32, "features", "Float32Array")?;
    let (op, olen) = typed_array(&out, F32, "out", "Float32Array")?;
    let rows = rows as usize;
    if flen < rows * N_FEATURES || olen < rows {
        return Err(invalid(format!(
            "features needs {} values and out {rows}",
            rows * N_FEATURES
        )));
    }
    let flat = &f32_slice(fp, flen)[..rows * N_FEATURES];
    let mut packed = vec![[0f32; N_FEATURES]; rows];
    for (dst, src) in packed.iter_mut().zip(flat.chunks_exact(N_FEATURES)) {
        dst.copy_from_slice(src);
    }
    s.score_rows(&packed, &mut f32_slice_mut(op, olen)[..rows]);
    Ok(())
}

/// Marks a ticket done without a batch (the batch failed before reaching the addon).
#[napi(catch_unwind)]
pub fn skip_ticket(handle: u32, ticket: i64) -> Result<()> {
    let ticket =
        u64::try_from(ticket).map_err(|_| invalid(format!("ticket must be >= 0, got {ticket}")))?;
    scorer(handle)?.skip_ticket(ticket);
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

/// Offline replay with a fresh state: writes one feature row per transaction record into `out`; returns rows.
#[napi(catch_unwind)]
pub fn extract_features(
    config: Option<ScorerOptions>,
    #[napi(ts_arg_type = "Uint8Array")] records: Unknown<'_>,
    count: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
) -> Result<u32> {
    let cfg = to_config(config)?;
    let (rp, rlen) = typed_array(&records, U8, "records", "Uint8Array")?;
    let (op, olen) = typed_array(&out, F32, "out", "Float32Array")?;
    let bytes = count as usize * RECORD_SIZE;
    if bytes > rlen {
        return Err(invalid(format!(
            "count {count} exceeds records ({} records)",
            rlen / RECORD_SIZE
        )));
    }
    let rows =
        scorer::extract_features(&cfg, u8_slice(rp, rlen, 0, bytes), f32_slice_mut(op, olen))
            .map_err(invalid)?;
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
    let (fp, flen) = typed_array(&features, F32, "features", "Float32Array")?;
    let (lp, llen) = typed_array(&labels, U8, "labels", "Uint8Array")?;
    let mut p = TrainParams::default();
    if let Some(o) = params {
        p.trees = o.trees.map_or(p.trees, |v| v as usize);
        p.max_depth = o.max_depth.map_or(p.max_depth, |v| v as usize);
        p.learning_rate = o.learning_rate.map_or(p.learning_rate, |v| v as f32);
        p.min_child_weight = o.min_child_weight.map_or(p.min_child_weight, |v| v as f32);
        p.seed = o.seed.map_or(p.seed, u64::from);
        if let Some(b) = o.bins {
            if !(2..=4096).contains(&b) {
                return Err(invalid(format!("bins must be from 2 to 4096, got {b}")));
            }
            p.bins = b as u16;
        }
    }
    let trained = train::train(
        f32_slice(fp, flen),
        u8_slice(lp, llen, 0, llen),
        rows as usize,
        &p,
    )
    .map_err(invalid)?;
    Ok(trained.json)
}

/// Scores feature rows with a model (the same evaluator as `scoreBatch`): one probability per row into `out`.
#[napi(catch_unwind)]
pub fn predict_features(
    xgboost_json: String,
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    rows: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
) -> Result<()> {
    let model = Model::from_xgboost_json(&xgboost_json).map_err(|e| invalid(e.to_string()))?;
    let (fp, flen) = typed_array(&features, F32, "features", "Float32Array")?;
    let (op, olen) = typed_array(&out, F32, "out", "Float32Array")?;
    let rows = rows as usize;
    if flen < rows * N_FEATURES || olen < rows {
        return Err(invalid(format!(
            "features needs {} values and out {rows}",
            rows * N_FEATURES
        )));
    }
    model.predict_rows(
        &f32_slice(fp, flen)[..rows * N_FEATURES],
        &mut f32_slice_mut(op, olen)[..rows],
    );
    Ok(())
}

// ---- Anomaly score (issue 12): an isolation forest over feature rows. ----

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

/// Fits an isolation forest on `trainRows` row-major feature rows and writes the anomaly score (0..1, higher = more
/// isolated) of each of `rows` rows of `features` into `out`.
#[napi(catch_unwind)]
pub fn isolation_scores(
    #[napi(ts_arg_type = "Float32Array")] train: Unknown<'_>,
    train_rows: u32,
    #[napi(ts_arg_type = "Float32Array")] features: Unknown<'_>,
    rows: u32,
    #[napi(ts_arg_type = "Float32Array")] out: Unknown<'_>,
    options: Option<IsolationOptions>,
) -> Result<()> {
    let o = options.unwrap_or(IsolationOptions {
        trees: None,
        sample: None,
        seed: None,
        features: None,
    });
    let columns = match o.features {
        None => (0..N_FEATURES).collect(),
        Some(names) => names
            .iter()
            .map(|n| {
                features::index_of(n).ok_or_else(|| {
                    invalid(format!(
                        "options.features: '{n}' is not a Fraudstream feature"
                    ))
                })
            })
            .collect::<Result<Vec<usize>>>()?,
    };
    let (tp, tlen) = typed_array(&train, F32, "train", "Float32Array")?;
    let (fp, flen) = typed_array(&features, F32, "features", "Float32Array")?;
    let (op, olen) = typed_array(&out, F32, "out", "Float32Array")?;
    let (train_rows, rows) = (train_rows as usize, rows as usize);
    if tlen < train_rows * N_FEATURES || flen < rows * N_FEATURES || olen < rows {
        return Err(invalid(format!(
            "train needs {} values, features {} and out {rows}",
            train_rows * N_FEATURES,
            rows * N_FEATURES
        )));
    }
    let pack = |flat: &[f32]| -> Vec<[f32; N_FEATURES]> {
        flat.chunks_exact(N_FEATURES)
            .map(|c| {
                let mut r = [0f32; N_FEATURES];
                r.copy_from_slice(c);
                r
            })
            .collect()
    };
    let train_rows = pack(&f32_slice(tp, tlen)[..train_rows * N_FEATURES]);
    let forest = isolation::IsolationForest::fit(
        &train_rows,
        &isolation::ForestParams {
            trees: o.trees.unwrap_or(100) as usize,
            sample: o.sample.unwrap_or(256) as usize,
            columns,
            seed: u64::from(o.seed.unwrap_or(0)),
        },
    )
    .map_err(invalid)?;
    let out = &mut f32_slice_mut(op, olen)[..rows];
    for (dst, row) in out
        .iter_mut()
        .zip(pack(&f32_slice(fp, flen)[..rows * N_FEATURES]).iter())
    {
        *dst = forest.score(row);
    }
    Ok(())
}
