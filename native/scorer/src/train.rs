//! Gradient-boosted trees training with forust-ml, exported as `XGBoost` JSON.

use forust_ml::gradientbooster::GradientBooster;
use forust_ml::objective::ObjectiveType;
use forust_ml::{Matrix, tree::Tree};

use crate::features::{N_FEATURES, NAMES};
use crate::xgb_json::{self, XgbTree};

/// Training parameters (`XGBoost`'s names and defaults where they exist).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainParams {
    /// Number of trees.
    pub trees: usize,
    /// Maximum tree depth.
    pub max_depth: usize,
    /// Learning rate (eta).
    pub learning_rate: f32,
    /// Minimum hessian sum in a child.
    pub min_child_weight: f32,
    /// Seed (the trainer uses no sampling, so runs are deterministic anyway).
    pub seed: u64,
    /// Histogram bins per feature (quantile cut points; `XGBoost`'s `max_bin`).
    pub bins: u16,
}

impl Default for TrainParams {
    fn default() -> Self {
        Self {
            trees: 100,
            max_depth: 6,
            learning_rate: 0.1,
            min_child_weight: 1.0,
            seed: 0,
            bins: 256,
        }
    }
}

impl TrainParams {
    /// Sets the histogram bins.
    ///
    /// # Errors
    /// When `bins` is not within `2..=4096`.
    pub fn set_bins(&mut self, bins: u32) -> Result<(), String> {
        match u16::try_from(bins) {
            Ok(b) if (2..=4096).contains(&b) => {
                self.bins = b;
                Ok(())
            }
            _ => Err(format!("bins must be from 2 to 4096, got {bins}")),
        }
    }
}

/// Smallest f32 `>= v`: for any f32 `x`, `f64::from(x) < v` iff `x < up_to_f32(v)`, so the f64 split thresholds
/// of forust convert to f32 thresholds that route every f32 feature value exactly the same way.
#[must_use]
pub fn up_to_f32(v: f64) -> f32 {
    let t = v as f32;
    if f64::from(t) < v { t.next_up() } else { t }
}

/// Converts a fitted forust tree to `XGBoost`'s arrays.
///
/// # Errors
/// When the tree has a separate missing branch (the trainer disables them) or nodes out of place.
fn convert(tree: &Tree) -> Result<XgbTree, String> {
    let n = tree.nodes.len();
    let mut t = XgbTree::default();
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.num != i {
            return Err(format!("forust node {i} has number {}", node.num));
        }
        t.base_weight.push(node.weight_value);
        t.sum_hessian.push(node.hessian_sum);
        if node.is_leaf {
            t.left.push(-1);
            t.right.push(-1);
            t.split_index.push(0);
            t.split_condition.push(node.weight_value);
            t.default_left.push(false);
            t.loss_change.push(0.0);
        } else {
            if node.left_child >= n || node.right_child >= n {
                return Err(format!("forust node {i} has children outside the tree"));
            }
            let default_left = if node.missing_node == node.left_child {
                true
            } else if node.missing_node == node.right_child {
                false
            } else {
                return Err(format!("forust node {i} has a separate missing branch"));
            };
            let index = |c: usize| {
                i32::try_from(c).map_err(|_| format!("forust node {i}: child {c} is too large"))
            };
            t.left.push(index(node.left_child)?);
            t.right.push(index(node.right_child)?);
            t.split_index.push(node.split_feature as u32);
            t.split_condition.push(up_to_f32(node.split_value));
            t.default_left.push(default_left);
            t.loss_change.push(node.split_gain);
        }
    }
    Ok(t)
}

/// A fitted booster and its `XGBoost` JSON.
pub struct Trained {
    /// The forust booster (tests compare its predictions with ours).
    pub booster: GradientBooster,
    /// `XGBoost` JSON text.
    pub json: String,
}

/// Trains a binary:logistic GBDT on row-major `features` (`rows` x `N_FEATURES`) and 0/1 `labels`.
///
/// # Errors
/// On inconsistent sizes, or when forust fails.
pub fn train(
    features: &[f32],
    labels: &[u8],
    rows: usize,
    p: &TrainParams,
) -> Result<Trained, String> {
    train_weighted(features, labels, None, rows, p)
}

/// Trains as [`train`], each row weighted by `weights` (`None`: all 1), e.g. the inverse of the rate a row was
/// sampled at, so a sample of the approvals counts as the approvals it stands for.
///
/// # Errors
/// As [`train`]; also when `weights` is shorter than `rows` or holds a weight that is not finite and positive.
pub fn train_weighted(
    features: &[f32],
    labels: &[u8],
    weights: Option<&[f32]>,
    rows: usize,
    p: &TrainParams,
) -> Result<Trained, String> {
    if rows == 0 {
        return Err("train: no rows".into());
    }
    if features.len() < rows * N_FEATURES {
        return Err(format!(
            "train: features has {} values, expected {}",
            features.len(),
            rows * N_FEATURES
        ));
    }
    if labels.len() < rows {
        return Err(format!(
            "train: labels has {} values, expected {rows}",
            labels.len()
        ));
    }
    if p.trees == 0
        || p.max_depth == 0
        || p.learning_rate.is_nan()
        || p.learning_rate <= 0.0
        || p.min_child_weight.is_nan()
        || p.min_child_weight < 0.0
    {
        return Err(
            "train: trees and maxDepth must be positive, learningRate > 0, minChildWeight >= 0"
                .into(),
        );
    }
    // forust takes a column-major f64 matrix.
    let mut cols = vec![0f64; rows * N_FEATURES];
    for r in 0..rows {
        for c in 0..N_FEATURES {
            cols[c * rows + r] = f64::from(features[r * N_FEATURES + c]);
        }
    }
    let w: Vec<f64> = match weights {
        None => vec![1.0; rows],
        Some(w) if w.len() < rows => {
            return Err(format!(
                "train: weights has {} values, expected {rows}",
                w.len()
            ));
        }
        Some(w) => {
            if let Some(i) = w[..rows].iter().position(|&v| !(v.is_finite() && v > 0.0)) {
                return Err(format!("train: weights[{i}] must be finite and positive"));
            }
            w[..rows].iter().map(|&v| f64::from(v)).collect()
        }
    };
    let y: Vec<f64> = labels[..rows]
        .iter()
        .map(|&l| f64::from(u8::from(l != 0)))
        .collect();
    // Clamped so a one-class sample still gives a finite base margin.
    let total: f64 = w.iter().sum();
    let mean = (y.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() / total).clamp(1e-6, 1.0 - 1e-6);
    let mut booster = GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(p.trees)
        .set_learning_rate(p.learning_rate)
        .set_max_depth(p.max_depth)
        .set_min_leaf_weight(p.min_child_weight)
        .set_l2(1.0)
        .set_gamma(0.0)
        .set_nbins(p.bins)
        .set_base_score((mean / (1.0 - mean)).ln())
        .set_initialize_base_score(false)
        .set_create_missing_branch(false)
        .set_parallel(false)
        .set_seed(p.seed);
    let data = Matrix::new(&cols, rows, N_FEATURES);
    booster
        .fit(&data, &y, &w, None)
        .map_err(|e| format!("train: {e}"))?;
    let trees = booster
        .trees
        .iter()
        .map(convert)
        .collect::<Result<Vec<_>, _>>()?;
    let base_prob = 1.0 / (1.0 + (-booster.base_score).exp());
    let json = xgb_json::write(&trees, base_prob, &NAMES);
    Ok(Trained { booster, json })
}

#[cfg(test)]
mod weighted_tests {
    use super::*;

    fn data(rows: usize) -> (Vec<f32>, Vec<u8>) {
        let mut f = vec![0f32; rows * N_FEATURES];
        let mut l = vec![0u8; rows];
        for r in 0..rows {
            #[allow(clippy::cast_precision_loss, reason = "small test values")]
            let x = ((r * 37) % 100) as f32 / 100.0;
            f[r * N_FEATURES] = x;
            l[r] = u8::from(x > 0.8);
        }
        (f, l)
    }

    #[test]
    fn unit_weights_equal_unweighted_and_weights_change_the_model() {
        let (f, l) = data(300);
        let p = TrainParams {
            trees: 5,
            ..TrainParams::default()
        };
        let plain = train(&f, &l, 300, &p).unwrap().json;
        let ones = train_weighted(&f, &l, Some(&[1.0; 300]), 300, &p)
            .unwrap()
            .json;
        assert_eq!(plain, ones);
        let up: Vec<f32> = l.iter().map(|&y| if y == 1 { 10.0 } else { 1.0 }).collect();
        let heavy = train_weighted(&f, &l, Some(&up), 300, &p).unwrap().json;
        assert_ne!(plain, heavy);
    }

    #[test]
    fn bad_weights_are_refused_naming_the_row() {
        let (feats, labels) = data(10);
        let params = TrainParams::default();
        let mut w = [1.0f32; 10];
        w[3] = 0.0;
        let Err(e) = train_weighted(&feats, &labels, Some(&w), 10, &params) else {
            panic!("a zero weight was accepted")
        };
        assert!(e.contains("weights[3] must be finite and positive"), "{e}");
        let Err(e) = train_weighted(&feats, &labels, Some(&w[..5]), 10, &params) else {
            panic!("short weights were accepted")
        };
        assert!(e.contains("weights has 5 values, expected 10"), "{e}");
    }
}
