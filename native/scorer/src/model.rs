//! `XGBoost` JSON models flattened into structure-of-arrays nodes, evaluation and Saabas attribution.

use serde_json::Value;

use crate::features::{N_FEATURES, NAMES, index_of};

/// `feature` of a leaf node.
const LEAF: u32 = u32::MAX;

/// A loaded model: every tree's nodes in flat arrays, indices absolute.
#[derive(Clone, Debug)]
pub struct Model {
    /// Split feature (our feature index), `LEAF` for leaves.
    feature: Vec<u32>,
    /// Split threshold; the leaf value for leaves.
    threshold: Vec<f32>,
    left: Vec<u32>,
    right: Vec<u32>,
    default_left: Vec<bool>,
    /// Node weight (`XGBoost` `base_weights`) for Saabas attribution.
    weight: Vec<f32>,
    /// Root node of each tree.
    roots: Vec<u32>,
    /// `logit(base_score)`.
    base_margin: f64,
    /// `base_score` as given.
    base_score: f64,
    /// Feature names of the model's inputs in our naming (ours, in order, when the model names none).
    features: Vec<String>,
}

/// A model load error: a message naming the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl std::fmt::Display for ModelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "model: {}", self.0)
    }
}

impl std::error::Error for ModelError {}

fn err<T>(msg: impl Into<String>) -> Result<T, ModelError> {
    Err(ModelError(msg.into()))
}

fn get<'a>(v: &'a Value, path: &[&str]) -> Result<&'a Value, ModelError> {
    let mut cur = v;
    for (i, key) in path.iter().enumerate() {
        cur = match cur.get(key) {
            Some(next) => next,
            None => return err(format!("missing '{}'", path[..=i].join("."))),
        };
    }
    Ok(cur)
}

/// Parses a number that `XGBoost` may write as a JSON number, a string ("5E-1") or a bracketed string ("[5E-1]").
fn loose_f64(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .trim()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .trim()
            .parse()
            .ok(),
        _ => None,
    }
}

fn num_array(tree: &Value, t: usize, key: &str, len: usize) -> Result<Vec<f64>, ModelError> {
    let Some(arr) = tree.get(key).and_then(Value::as_array) else {
        return err(format!("tree {t}: missing array '{key}'"));
    };
    if arr.len() != len {
        return err(format!(
            "tree {t}: {key} has {} entries, expected {len}",
            arr.len()
        ));
    }
    arr.iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::Bool(b) => Ok(f64::from(u8::from(*b))),
            _ => v
                .as_f64()
                .ok_or_else(|| ModelError(format!("tree {t}: {key}[{i}] is not a number"))),
        })
        .collect()
}

/// Summary of a loaded model.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    /// Number of trees.
    pub trees: u32,
    /// The model's feature names (our names).
    pub features: Vec<String>,
    /// `base_score` (a probability).
    pub base_score: f64,
}

impl Model {
    /// A model with no trees that scores every transaction 0 (used before `loadModel`).
    #[must_use]
    pub fn empty() -> Self {
        Self {
            feature: Vec::new(),
            threshold: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            default_left: Vec::new(),
            weight: Vec::new(),
            roots: Vec::new(),
            base_margin: f64::NEG_INFINITY,
            base_score: 0.0,
            features: Vec::new(),
        }
    }

    /// Summary of the model.
    #[must_use]
    pub fn info(&self) -> ModelInfo {
        ModelInfo {
            trees: self.roots.len() as u32,
            features: self.features.clone(),
            base_score: self.base_score,
        }
    }

    /// Loads an `XGBoost` JSON model (`binary:logistic`, gbtree).
    ///
    /// # Errors
    /// A `ModelError` naming the problem when the text is not such a model or uses a feature we do not compute.
    #[allow(
        clippy::cast_sign_loss,
        reason = "num_feature is parsed from a count; a negative one fails the tree checks"
    )]
    pub fn from_xgboost_json(text: &str) -> Result<Self, ModelError> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| ModelError(format!("invalid JSON: {e}")))?;
        let learner = get(&root, &["learner"])?;
        let objective = get(&root, &["learner", "objective", "name"])?
            .as_str()
            .unwrap_or("?");
        if objective != "binary:logistic" {
            return err(format!(
                "objective '{objective}' is not supported (expected binary:logistic)"
            ));
        }
        let booster = get(&root, &["learner", "gradient_booster"])?;
        if let Some(name) = booster.get("name").and_then(Value::as_str)
            && name != "gbtree"
        {
            return err(format!(
                "booster '{name}' is not supported (expected gbtree)"
            ));
        }
        let base_score = loose_f64(get(
            &root,
            &["learner", "learner_model_param", "base_score"],
        )?)
        .ok_or_else(|| ModelError("learner_model_param.base_score is not a number".into()))?;
        if !(base_score > 0.0 && base_score < 1.0) {
            return err(format!(
                "base_score {base_score} is not a probability in (0, 1)"
            ));
        }
        // Map the model's feature positions to ours.
        let mapping: Vec<u32> = match learner.get("feature_names").and_then(Value::as_array) {
            Some(names) if !names.is_empty() => names
                .iter()
                .map(|n| {
                    let n = n.as_str().unwrap_or("?");
                    index_of(n).map(|i| i as u32).ok_or_else(|| {
                        ModelError(format!("feature '{n}' is not a Fraudstream feature"))
                    })
                })
                .collect::<Result<_, _>>()?,
            _ => {
                let n = learner
                    .get("learner_model_param")
                    .and_then(|p| p.get("num_feature"))
                    .and_then(loose_f64)
                    .unwrap_or(N_FEATURES as f64) as usize;
                if n > N_FEATURES {
                    return err(format!(
                        "num_feature is {n}, more than the {N_FEATURES} Fraudstream features"
                    ));
                }
                (0..n as u32).collect()
            }
        };
        let features = mapping
            .iter()
            .map(|&i| NAMES[i as usize].to_string())
            .collect();
        let trees = get(&root, &["learner", "gradient_booster", "model", "trees"])?
            .as_array()
            .ok_or_else(|| ModelError("gradient_booster.model.trees is not an array".into()))?;
        let mut m = Self {
            base_margin: (base_score / (1.0 - base_score)).ln(),
            base_score,
            features,
            ..Self::empty()
        };
        for (t, tree) in trees.iter().enumerate() {
            m.push_tree(t, tree, &mapping)?;
        }
        Ok(m)
    }

    #[allow(
        clippy::cast_sign_loss,
        reason = "child and feature indices are range-checked before the casts"
    )]
    #[allow(
        clippy::many_single_char_names,
        reason = "t, n, i, l, r, c, f follow XGBoost's tree-array notation"
    )]
    fn push_tree(&mut self, t: usize, tree: &Value, mapping: &[u32]) -> Result<(), ModelError> {
        let left = tree.get("left_children").and_then(Value::as_array);
        let Some(left_len) = left.map(Vec::len) else {
            return err(format!("tree {t}: missing array 'left_children'"));
        };
        let n = tree
            .get("tree_param")
            .and_then(|p| p.get("num_nodes"))
            .and_then(loose_f64)
            .map_or(left_len, |v| v as usize);
        if n == 0 {
            return err(format!("tree {t}: has no nodes"));
        }
        let left = num_array(tree, t, "left_children", n)?;
        let right = num_array(tree, t, "right_children", n)?;
        let split = num_array(tree, t, "split_indices", n)?;
        let cond = num_array(tree, t, "split_conditions", n)?;
        let dleft = num_array(tree, t, "default_left", n)?;
        let weights = num_array(tree, t, "base_weights", n)?;
        let offset = self.feature.len() as u32;
        // Every node must be reached exactly once from the root, so evaluation always ends at a leaf.
        let mut seen = vec![false; n];
        let mut stack = vec![0usize];
        while let Some(i) = stack.pop() {
            if seen[i] {
                return err(format!("tree {t}: node {i} is reached twice (not a tree)"));
            }
            seen[i] = true;
            let (l, r) = (left[i], right[i]);
            if l < 0.0 && r < 0.0 {
                continue;
            }
            for (c, side) in [(l, "left"), (r, "right")] {
                if c < 0.0 || c >= n as f64 || c.fract() != 0.0 {
                    return err(format!(
                        "tree {t}: node {i} has {side} child {c}, outside 0..{n}"
                    ));
                }
                stack.push(c as usize);
            }
            let f = split[i];
            if f < 0.0 || f >= mapping.len() as f64 {
                return err(format!(
                    "tree {t}: node {i} splits on feature {f}, the model has {}",
                    mapping.len()
                ));
            }
        }
        for i in 0..n {
            let is_leaf = left[i] < 0.0;
            self.feature.push(if is_leaf {
                LEAF
            } else {
                mapping[split[i] as usize]
            });
            self.threshold.push(cond[i] as f32);
            self.left
                .push(if is_leaf { 0 } else { offset + left[i] as u32 });
            self.right
                .push(if is_leaf { 0 } else { offset + right[i] as u32 });
            self.default_left.push(dleft[i] != 0.0);
            self.weight.push(weights[i] as f32);
        }
        self.roots.push(offset);
        Ok(())
    }

    /// The child of internal node `i` that `row` goes to: left iff `x < threshold` in f32, NaN by default direction.
    #[inline]
    fn child(&self, i: usize, row: &[f32; N_FEATURES]) -> usize {
        let x = row[self.feature[i] as usize];
        let go_left = if x.is_nan() {
            self.default_left[i]
        } else {
            x < self.threshold[i]
        };
        (if go_left { self.left[i] } else { self.right[i] }) as usize
    }

    /// The raw margin: sum of leaf values plus `logit(base_score)`.
    #[must_use]
    pub fn margin(&self, row: &[f32; N_FEATURES]) -> f64 {
        let mut sum = self.base_margin;
        for &root in &self.roots {
            let mut i = root as usize;
            while self.feature[i] != LEAF {
                i = self.child(i, row);
            }
            sum += f64::from(self.threshold[i]);
        }
        sum
    }

    /// The fraud probability: sigmoid(margin).
    #[must_use]
    pub fn score(&self, row: &[f32; N_FEATURES]) -> f32 {
        (1.0 / (1.0 + (-self.margin(row)).exp())) as f32
    }

    /// Saabas attribution: for each split on the path, `weight(child) - weight(node)` added to its feature.
    pub fn contributions(&self, row: &[f32; N_FEATURES], out: &mut [f32; N_FEATURES]) {
        out.fill(0.0);
        for &root in &self.roots {
            let mut i = root as usize;
            while self.feature[i] != LEAF {
                let c = self.child(i, row);
                out[self.feature[i] as usize] += self.weight[c] - self.weight[i];
                i = c;
            }
        }
    }
}

/// The indices of the (up to) three largest positive contributions, largest first, 255 for none.
#[must_use]
pub fn top3(contrib: &[f32; N_FEATURES]) -> [u8; 3] {
    let mut top = [(0f32, 255u8); 3];
    for (i, &c) in contrib.iter().enumerate() {
        if c > 0.0 && c > top[2].0 {
            top[2] = (c, i as u8);
            if top[2].0 > top[1].0 || top[1].1 == 255 {
                top.swap(1, 2);
                if top[1].0 > top[0].0 || top[0].1 == 255 {
                    top.swap(0, 1);
                }
            }
        }
    }
    [top[0].1, top[1].1, top[2].1]
}

impl Model {
    /// Scores row-major feature rows into `out`, one probability per row.
    pub fn predict_rows(&self, features: &[f32], out: &mut [f32]) {
        for (row, o) in features.chunks_exact(N_FEATURES).zip(out.iter_mut()) {
            let mut r = [0f32; N_FEATURES];
            r.copy_from_slice(row);
            *o = self.score(&r);
        }
    }
}
