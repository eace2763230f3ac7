//! `LightGBM` text models (`model.txt`, `Booster.save_model`): parsed and rewritten as the same flat trees an
//! `XGBoost` JSON model loads into, so they score through the same evaluator (SIMD kernels, reasons).
//!
//! Supported: `objective=binary` (any `sigmoid:` coefficient), one tree per iteration, numerical splits with any
//! missing-value type whose default direction the flat form can express. Categorical splits, linear trees and
//! multi-class models are refused with an error naming the problem.
//!
//! Two differences in the split rule are translated exactly: `LightGBM` sends `x <= t` left with `t` a double,
//! the flat form sends `x < t'` left with `t'` an f32; for an f32 feature `x`, `x <= t` holds exactly when
//! `x < next_up(largest f32 <= t)`. `LightGBM` replaces a missing value by 0 unless the split's missing type is
//! NaN; the flat form sends NaN by a default direction, set to where 0 goes.

use rustc_hash::FxHashMap;

use crate::features::{N_FEATURES, NAMES, index_of};
use crate::model::{Model, ModelError};
use crate::xgb_json::{self, XgbTree};

/// Decision type bit: categorical split.
const CATEGORICAL: u32 = 1;
/// Decision type bit: missing values go left.
const DEFAULT_LEFT: u32 = 2;
/// Missing type (bits 2-3): none (NaN is read as 0).
const MISSING_NONE: u32 = 0;
/// Missing type: zero (and NaN) is missing.
const MISSING_ZERO: u32 = 1;
/// Missing type: NaN is missing.
const MISSING_NAN: u32 = 2;

/// Whether `text` looks like a `LightGBM` text model (it starts with the `tree` header line).
#[must_use]
pub fn is_lightgbm(text: &str) -> bool {
    text.trim_start()
        .lines()
        .next()
        .is_some_and(|l| l.trim() == "tree")
}

fn err<T>(msg: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError(format!("lightgbm: {}", msg.into())))
}

impl Model {
    /// Loads a model from text: a `LightGBM` text model or an `XGBoost` JSON one, told apart by their first line.
    ///
    /// # Errors
    /// A `ModelError` naming the problem.
    pub fn from_text(text: &str) -> Result<Self, ModelError> {
        if is_lightgbm(text) {
            Self::from_xgboost_json(&to_xgboost_json(text)?)
        } else {
            Self::from_xgboost_json(text)
        }
    }
}

/// The `XGBoost` JSON form of a `LightGBM` text model (scores identically through [`Model`]).
///
/// # Errors
/// A `ModelError` naming the problem (a key, a tree and a node where it applies).
pub fn to_xgboost_json(text: &str) -> Result<String, ModelError> {
    let mut sections = text.split("\nTree=");
    let header = kv(sections.next().unwrap_or(""));
    let objective = header.get("objective").copied().unwrap_or("");
    let mut words = objective.split_whitespace();
    if words.next() != Some("binary") {
        return err(format!(
            "objective '{objective}' is not supported (expected binary)"
        ));
    }
    let mut sigmoid = 1.0;
    for w in words {
        if let Some(v) = w.strip_prefix("sigmoid:") {
            sigmoid = v
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0)
                .ok_or_else(|| {
                    ModelError(format!(
                        "lightgbm: objective sigmoid '{v}' is not a positive number"
                    ))
                })?;
        }
    }
    for (key, want) in [("num_class", "1"), ("num_tree_per_iteration", "1")] {
        if let Some(v) = header.get(key)
            && *v != want
        {
            return err(format!("{key}={v} is not supported (expected {want})"));
        }
    }
    let names: Vec<&str> = header
        .get("feature_names")
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default();
    let max_feature: usize = header
        .get("max_feature_idx")
        .and_then(|v| v.parse::<usize>().ok())
        .map_or(names.len(), |m| m + 1);
    // Model position -> our name: by name when the model names our features, by position otherwise.
    let ours: Vec<&str> = if !names.is_empty() && names.iter().all(|n| index_of(n).is_some()) {
        names.clone()
    } else if max_feature <= N_FEATURES {
        NAMES[..max_feature].to_vec()
    } else {
        let unknown = names.iter().find(|n| index_of(n).is_none()).unwrap_or(&"?");
        return err(format!("feature '{unknown}' is not a Fraudstream feature"));
    };
    let mut trees = Vec::new();
    for section in sections {
        // The trailing `end of trees` block and the parameters follow the last tree.
        let body = section.split("\nend of trees").next().unwrap_or("");
        let id = body.lines().next().unwrap_or("?").trim().to_string();
        trees.push(tree(&id, &kv(body), sigmoid, ours.len())?);
    }
    if trees.is_empty() {
        return err("the model has no trees");
    }
    // The flat form's base score: 0.5 is a margin of 0, as LightGBM's raw score has no base.
    Ok(xgb_json::write(&trees, 0.5, &ours))
}

fn kv(block: &str) -> FxHashMap<&str, &str> {
    block
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn array<T: std::str::FromStr>(
    t: &FxHashMap<&str, &str>,
    id: &str,
    key: &str,
    len: usize,
) -> Result<Vec<T>, ModelError> {
    let Some(text) = t.get(key) else {
        return err(format!("tree {id}: missing '{key}'"));
    };
    let values: Vec<T> = text
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| {
            ModelError(format!(
                "lightgbm: tree {id}: '{key}' holds a value that is not a number"
            ))
        })?;
    if values.len() != len {
        return err(format!(
            "tree {id}: '{key}' has {} values, expected {len}",
            values.len()
        ));
    }
    Ok(values)
}

/// The f32 threshold `t'` with `x < t'` exactly when `x <= t`, for every f32 `x` but one: a threshold at or above
/// `f32::MAX` (`LightGBM` writes such edges when a split's upper side holds only huge or infinite values) becomes
/// `f32::MAX`, not infinity, which the `XGBoost` JSON form cannot hold (JSON has no
/// infinity); only a feature value of exactly `f32::MAX` then goes the other way.
fn strict_threshold(t: f64) -> f32 {
    if t.is_nan() {
        return f32::NAN;
    }
    if t >= f64::from(f32::MAX) {
        return f32::MAX;
    }
    let mut f = t as f32;
    if f64::from(f) > t {
        f = f.next_down();
    }
    f.next_up()
}

#[allow(
    clippy::cast_sign_loss,
    reason = "child indices are range-checked before the casts"
)]
fn tree(
    id: &str,
    t: &FxHashMap<&str, &str>,
    sigmoid: f64,
    n_features: usize,
) -> Result<XgbTree, ModelError> {
    if t.get("is_linear").is_some_and(|v| *v != "0") {
        return err(format!("tree {id}: linear trees are not supported"));
    }
    let leaves: usize = t
        .get("num_leaves")
        .and_then(|v| v.parse().ok())
        .filter(|&n| n >= 1)
        .ok_or_else(|| ModelError(format!("lightgbm: tree {id}: missing or bad 'num_leaves'")))?;
    let leaf_value: Vec<f64> = array(t, id, "leaf_value", leaves)?;
    let scale = |v: f64| (v * sigmoid) as f32;
    if leaves == 1 {
        return Ok(XgbTree {
            left: vec![-1],
            right: vec![-1],
            split_index: vec![0],
            split_condition: vec![scale(leaf_value[0])],
            default_left: vec![true],
            base_weight: vec![scale(leaf_value[0])],
            loss_change: vec![0.0],
            sum_hessian: vec![0.0],
        });
    }
    let inner = leaves - 1;
    let feature: Vec<usize> = array(t, id, "split_feature", inner)?;
    let threshold: Vec<f64> = array(t, id, "threshold", inner)?;
    let decision: Vec<u32> = array(t, id, "decision_type", inner)?;
    let left: Vec<i64> = array(t, id, "left_child", inner)?;
    let right: Vec<i64> = array(t, id, "right_child", inner)?;
    let internal: Vec<f64> =
        array(t, id, "internal_value", inner).unwrap_or_else(|_| vec![0.0; inner]);
    let gain: Vec<f64> = array(t, id, "split_gain", inner).unwrap_or_else(|_| vec![0.0; inner]);
    let n = inner + leaves;
    let mut x = XgbTree {
        left: vec![-1; n],
        right: vec![-1; n],
        split_index: vec![0; n],
        split_condition: vec![0.0; n],
        default_left: vec![true; n],
        base_weight: vec![0.0; n],
        loss_change: vec![0.0; n],
        sum_hessian: vec![0.0; n],
    };
    // LightGBM's child c >= 0 is internal node c; c < 0 is leaf !c, placed after the internal nodes.
    let node_of = |c: i64, side: &str, i: usize| -> Result<i32, ModelError> {
        let idx = if c >= 0 {
            c as usize
        } else {
            inner + (!c) as usize
        };
        if (c >= 0 && idx >= inner) || idx >= n {
            return err(format!(
                "tree {id}: node {i} has {side} child {c}, outside the tree"
            ));
        }
        i32::try_from(idx).map_err(|_| ModelError(format!("lightgbm: tree {id}: too many nodes")))
    };
    for i in 0..inner {
        let d = decision[i];
        if d & CATEGORICAL != 0 {
            return err(format!(
                "tree {id}: node {i} is a categorical split (not supported)"
            ));
        }
        if feature[i] >= n_features {
            return err(format!(
                "tree {id}: node {i} splits on feature {}, the model has {n_features}",
                feature[i]
            ));
        }
        let th = strict_threshold(threshold[i]);
        let default_left = d & DEFAULT_LEFT != 0;
        let zero_left = 0.0 < th;
        let nan_left = match (d >> 2) & 3 {
            MISSING_NAN => default_left,
            MISSING_NONE => zero_left,
            MISSING_ZERO if default_left == zero_left => default_left,
            MISSING_ZERO => {
                return err(format!(
                    "tree {id}: node {i} treats zero as missing with a default direction 0 would not take (not supported)"
                ));
            }
            other => {
                return err(format!(
                    "tree {id}: node {i} has an unknown missing type {other}"
                ));
            }
        };
        x.left[i] = node_of(left[i], "left", i)?;
        x.right[i] = node_of(right[i], "right", i)?;
        x.split_index[i] = feature[i] as u32;
        x.split_condition[i] = th;
        x.default_left[i] = nan_left;
        x.base_weight[i] = scale(internal[i]);
        x.loss_change[i] = gain[i] as f32;
    }
    for (j, &v) in leaf_value.iter().enumerate() {
        x.split_condition[inner + j] = scale(v);
        x.base_weight[inner + j] = scale(v);
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_threshold_matches_less_or_equal_on_f32() {
        for t in [
            0.5,
            0.1,
            -0.1,
            1e-30,
            3.000_000_1,
            1e300,
            -1e300,
            0.0,
            1.0e-45,
            123_456.789,
        ] {
            let th = strict_threshold(t);
            let mut x = (t as f32).next_down().next_down();
            for _ in 0..5 {
                // The one documented exception: x == f32::MAX against a threshold at or above it.
                if x.to_bits() != f32::MAX.to_bits() {
                    assert_eq!(x < th, f64::from(x) <= t, "t {t} x {x}");
                }
                x = x.next_up();
            }
            // The flat form is finite, so its JSON is valid (JSON has no infinity).
            assert!(th.is_finite(), "t {t}");
        }
    }

    const TINY: &str = "tree\nversion=v4\nnum_class=1\nnum_tree_per_iteration=1\nlabel_index=0\nmax_feature_idx=1\n\
objective=binary sigmoid:1\nfeature_names=amount hour\n\nTree=0\nnum_leaves=3\nnum_cat=0\nsplit_feature=0 1\n\
split_gain=1 1\nthreshold=100.5 12\ndecision_type=10 2\nleft_child=1 -1\nright_child=-3 -2\n\
leaf_value=-0.5 0.25 1.5\nleaf_weight=1 1 1\nleaf_count=1 1 1\ninternal_value=0 0.1\ninternal_weight=1 1\n\
internal_count=3 2\nis_linear=0\nshrinkage=1\n\n\nend of trees\n";

    #[test]
    fn a_small_model_scores_by_lightgbm_rules() {
        let m = Model::from_text(TINY).unwrap();
        let mut row = [0f32; N_FEATURES];
        let margin = |m: &Model, amount: f32, hour: f32| {
            let mut r = row;
            r[0] = amount;
            r[2] = hour;
            m.margin(&r)
        };
        // amount <= 100.5 -> node 1: hour <= 12 -> leaf 0 (-0.5) else leaf 1 (0.25); amount > 100.5 -> leaf 2.
        assert!((margin(&m, 100.5, 12.0) - -0.5).abs() < 1e-7);
        assert!((margin(&m, 100.5, 13.0) - 0.25).abs() < 1e-7);
        assert!((margin(&m, 100.6, 0.0) - 1.5).abs() < 1e-7);
        // Node 0 (decision type 10: NaN missing, default left) sends a missing amount left.
        assert!((margin(&m, f32::NAN, 0.0) - -0.5).abs() < 1e-7);
        // Node 1 (decision type 2: no missing type) reads a missing hour as 0, which goes left.
        row[0] = 1.0;
        row[2] = f32::NAN;
        assert!((m.margin(&row) - -0.5).abs() < 1e-7);
    }

    #[test]
    fn unsupported_models_are_refused_naming_the_problem() {
        let multi = TINY.replace(
            "objective=binary sigmoid:1",
            "objective=multiclass num_class:3",
        );
        assert!(
            Model::from_text(&multi)
                .unwrap_err()
                .0
                .contains("objective")
        );
        let cat = TINY.replace("decision_type=10 2", "decision_type=1 2");
        assert!(
            Model::from_text(&cat)
                .unwrap_err()
                .0
                .contains("categorical")
        );
        let bad = TINY.replace("left_child=1 -1", "left_child=7 -1");
        assert!(
            Model::from_text(&bad)
                .unwrap_err()
                .0
                .contains("outside the tree")
        );
        let short = TINY.replace("leaf_value=-0.5 0.25 1.5", "leaf_value=-0.5 0.25");
        assert!(
            Model::from_text(&short)
                .unwrap_err()
                .0
                .contains("leaf_value")
        );
    }
}
