//! `XGBoost` JSON models flattened into structure-of-arrays nodes, evaluation and Saabas attribution.

use serde_json::Value;

use crate::features::{N_FEATURES, NAMES, index_of};
use crate::simd::{Complete, Nodes};

/// `feature` of a leaf node.
const LEAF: u32 = u32::MAX;

/// A node packed for evaluation (16 bytes, one load per step). A leaf points at itself on both sides, so a walk of
/// exactly the tree's depth ends on the leaf whatever path it took: no leaf test in the loop, and rows of a block
/// can walk the same tree in lockstep without branches.
#[derive(Clone, Copy, Debug, Default)]
#[repr(C)]
struct Packed {
    threshold: f32,
    left: u32,
    right: u32,
    /// Split feature; 0 for leaves (whatever it reads, both children are the leaf itself).
    feature: u16,
    default_left: bool,
}

/// Rows walked through a tree together: independent dependency chains the CPU overlaps.
const BLOCK: usize = 8;

/// A loaded model: every tree's nodes in flat arrays, indices absolute.
#[derive(Clone, Debug)]
pub struct Model {
    /// The nodes packed for evaluation (same indices as the arrays below).
    packed: Vec<Packed>,
    /// Depth of each tree (edges from the root to its deepest leaf).
    depth: Vec<u8>,
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
    /// The trees in complete layout for the SIMD kernels; `None` when a tree is too deep for it.
    complete: Option<Complete>,
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
            packed: Vec::new(),
            depth: Vec::new(),
            feature: Vec::new(),
            threshold: Vec::new(),
            left: Vec::new(),
            right: Vec::new(),
            default_left: Vec::new(),
            weight: Vec::new(),
            roots: Vec::new(),
            complete: None,
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
        m.complete = Complete::build(&Nodes {
            roots: &m.roots,
            depth: &m.depth,
            feature: &m.feature,
            threshold: &m.threshold,
            left: &m.left,
            right: &m.right,
            default_left: &m.default_left,
        });
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
        let mut stack = vec![(0usize, 0u32)];
        let mut depth = 0u32;
        while let Some((i, d)) = stack.pop() {
            depth = depth.max(d);
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
                stack.push((c as usize, d + 1));
            }
            let f = split[i];
            if f < 0.0 || f >= mapping.len() as f64 {
                return err(format!(
                    "tree {t}: node {i} splits on feature {f}, the model has {}",
                    mapping.len()
                ));
            }
        }
        if depth > 64 {
            return err(format!("tree {t}: depth {depth} is above 64"));
        }
        for i in 0..n {
            let is_leaf = left[i] < 0.0;
            let me = offset + i as u32;
            self.packed.push(if is_leaf {
                Packed {
                    threshold: 0.0,
                    left: me,
                    right: me,
                    feature: 0,
                    default_left: true,
                }
            } else {
                Packed {
                    threshold: cond[i] as f32,
                    left: offset + left[i] as u32,
                    right: offset + right[i] as u32,
                    feature: mapping[split[i] as usize] as u16,
                    default_left: dleft[i] != 0.0,
                }
            });
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
        self.depth.push(depth as u8);
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

    /// One branch-free step of the packed walk (a leaf steps to itself).
    #[inline]
    fn step(&self, i: u32, row: &[f32; N_FEATURES]) -> u32 {
        let n = self.packed[i as usize];
        let x = row[n.feature as usize];
        // `x < t` is false for NaN, so NaN goes by the default direction: the same rule as `child`.
        let go_left = (x < n.threshold) | (x.is_nan() & n.default_left);
        if go_left { n.left } else { n.right }
    }

    /// The raw margin: sum of leaf values (in tree order) plus `logit(base_score)`.
    #[must_use]
    pub fn margin(&self, row: &[f32; N_FEATURES]) -> f64 {
        let mut sum = self.base_margin;
        for (&root, &depth) in self.roots.iter().zip(&self.depth) {
            let mut i = root;
            for _ in 0..depth {
                i = self.step(i, row);
            }
            sum += f64::from(self.threshold[i as usize]);
        }
        sum
    }

    /// The raw margins of `rows` into `out` (same length), bit-identical to [`Model::margin`] per row.
    /// The SIMD kernels of [`crate::simd`] (AVX-512F or AVX2, chosen at run time) take as many rows as fill their
    /// blocks when every tree fits their layout; the rest go through [`Model::margins_scalar`].
    ///
    /// # Panics
    /// When `rows` and `out` differ in length.
    pub fn margins(&self, rows: &[[f32; N_FEATURES]], out: &mut [f64]) {
        assert_eq!(rows.len(), out.len(), "one margin per row");
        let done = match &self.complete {
            Some(c) => c.margins(self.base_margin, rows, out),
            None => 0,
        };
        self.margins_scalar(&rows[done..], &mut out[done..]);
    }

    /// The scalar half of [`Model::margins`]: packed nodes, rows through each tree in blocks of eight, in lockstep:
    /// eight independent load chains per step instead of one, which hides most of the latency of the node loads.
    fn margins_scalar(&self, rows: &[[f32; N_FEATURES]], out: &mut [f64]) {
        let mut blocks = rows.chunks_exact(BLOCK);
        let mut outs = out.chunks_exact_mut(BLOCK);
        for (block, o) in (&mut blocks).zip(&mut outs) {
            let mut sum = [self.base_margin; BLOCK];
            for (&root, &depth) in self.roots.iter().zip(&self.depth) {
                let mut idx = [root; BLOCK];
                for _ in 0..depth {
                    for k in 0..BLOCK {
                        idx[k] = self.step(idx[k], &block[k]);
                    }
                }
                for k in 0..BLOCK {
                    sum[k] += f64::from(self.threshold[idx[k] as usize]);
                }
            }
            o.copy_from_slice(&sum);
        }
        for (row, o) in blocks.remainder().iter().zip(outs.into_remainder()) {
            *o = self.margin(row);
        }
    }

    /// The fraud probability: sigmoid(margin).
    #[must_use]
    pub fn score(&self, row: &[f32; N_FEATURES]) -> f32 {
        sigmoid(self.margin(row))
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

/// The probability of a margin, as the scorer reports it.
#[must_use]
pub fn sigmoid(margin: f64) -> f32 {
    (1.0 / (1.0 + (-margin).exp())) as f32
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
        let rows: Vec<[f32; N_FEATURES]> = features
            .chunks_exact(N_FEATURES)
            .map(|row| {
                let mut r = [0f32; N_FEATURES];
                r.copy_from_slice(row);
                r
            })
            .collect();
        let n = rows.len().min(out.len());
        let mut margins = vec![0f64; n];
        self.margins(&rows[..n], &mut margins);
        for (o, m) in out.iter_mut().zip(margins) {
            *o = sigmoid(m);
        }
    }
}

#[cfg(test)]
mod packed_tests {
    use super::*;

    /// Rows with a spread of values and some missing features, from a small LCG (deterministic).
    fn rows(n: usize) -> Vec<[f32; N_FEATURES]> {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            s = s
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (s >> 33) as u32
        };
        (0..n)
            .map(|_| {
                let mut r = [0f32; N_FEATURES];
                for v in &mut r {
                    let u = next();
                    *v = if u % 17 == 0 {
                        f32::NAN
                    } else {
                        (u % 100_000) as f32 / 97.0 - 200.0
                    };
                }
                r
            })
            .collect()
    }

    /// The straightforward walk with leaf tests (the evaluator the packed one replaced).
    fn reference(m: &Model, row: &[f32; N_FEATURES]) -> f64 {
        let mut sum = m.base_margin;
        for &root in &m.roots {
            let mut i = root as usize;
            while m.feature[i] != LEAF {
                i = m.child(i, row);
            }
            sum += f64::from(m.threshold[i]);
        }
        sum
    }

    fn default_model() -> Model {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../models/default.json"
        ))
        .unwrap();
        Model::from_xgboost_json(&text).unwrap()
    }

    /// Checks every evaluator we have (single packed walk, `margins`, each SIMD kernel this CPU runs) against the
    /// reference walk, bit for bit.
    fn assert_all_paths_equal_reference(m: &Model, rs: &[[f32; N_FEATURES]]) {
        let want: Vec<u64> = rs.iter().map(|r| reference(m, r).to_bits()).collect();
        let mut out = vec![0f64; rs.len()];
        m.margins(rs, &mut out);
        for (i, (r, o)) in rs.iter().zip(&out).enumerate() {
            assert_eq!(m.margin(r).to_bits(), want[i], "packed walk, row {i}");
            assert_eq!(o.to_bits(), want[i], "margins, row {i}");
        }
        let mut scalar = vec![0f64; rs.len()];
        m.margins_scalar(rs, &mut scalar);
        assert!(
            scalar.iter().zip(&want).all(|(o, w)| o.to_bits() == *w),
            "blocked scalar walk"
        );
        if let Some(c) = &m.complete {
            type Kernel = fn(&Complete, f64, &[[f32; N_FEATURES]], &mut [f64]) -> usize;
            let kernels: [(&str, Kernel, bool); 2] = [
                (
                    "avx2",
                    Complete::margins_avx2_only,
                    cfg!(target_arch = "x86_64") && avx2(),
                ),
                (
                    "avx512",
                    Complete::margins_avx512_only,
                    cfg!(target_arch = "x86_64") && avx512(),
                ),
            ];
            for (name, kernel, available) in kernels {
                let mut simd = vec![f64::NAN; rs.len()];
                let done = kernel(c, m.base_margin, rs, &mut simd);
                let width = if name == "avx2" { 8 } else { 16 };
                assert_eq!(
                    done,
                    if available {
                        rs.len() / width * width
                    } else {
                        0
                    },
                    "{name} rows done"
                );
                for i in 0..done {
                    assert_eq!(simd[i].to_bits(), want[i], "{name}, row {i}");
                }
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn avx2() -> bool {
        std::arch::is_x86_feature_detected!("avx2")
    }

    #[cfg(target_arch = "x86_64")]
    fn avx512() -> bool {
        std::arch::is_x86_feature_detected!("avx512f")
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn avx2() -> bool {
        false
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn avx512() -> bool {
        false
    }

    #[test]
    fn every_evaluator_equals_the_reference_bit_for_bit_on_the_default_model() {
        let m = default_model();
        assert!(
            m.complete.is_some(),
            "the default model (depth 6) takes the SIMD layout"
        );
        assert_all_paths_equal_reference(&m, &rows(1003));
    }

    /// A deterministic LCG for the random models.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }
    }

    /// Values the random thresholds and rows share, so rows hit thresholds exactly; includes -0.0, 0.0, the f32
    /// extremes and an f32 that is not a short decimal (JSON has no infinities; rows get them besides).
    const VALUES: [f32; 10] = [
        -3.5,
        -0.0,
        0.0,
        0.1,
        1.0,
        2.5,
        1e30,
        f32::MAX,
        f32::MIN,
        0.333_333_34,
    ];

    /// A random `XGBoost` JSON model: `trees` trees, each grown at random (a node splits with probability 0.7 until
    /// `max_depth`), random features, thresholds from `VALUES`, random default directions and leaf values.
    fn random_model_json(g: &mut Lcg, trees: usize, max_depth: u32) -> String {
        let mut out = Vec::new();
        for _ in 0..trees {
            let (mut left, mut right, mut split, mut cond, mut dleft, mut weight) =
                (vec![], vec![], vec![], vec![], vec![], vec![]);
            // Breadth-first growth: (node, depth).
            let mut queue = std::collections::VecDeque::from([(0usize, 0u32)]);
            left.push(-1i64);
            right.push(-1i64);
            split.push(0u32);
            cond.push(0f64);
            dleft.push(0u8);
            weight.push(0f64);
            while let Some((i, d)) = queue.pop_front() {
                let value = f64::from(g.next() % 2000) / 1000.0 - 1.0;
                weight[i] = value;
                if d < max_depth && g.next() % 10 < 7 {
                    split[i] = g.next() % N_FEATURES as u32;
                    cond[i] = f64::from(VALUES[(g.next() % VALUES.len() as u32) as usize]);
                    dleft[i] = u8::from(g.next().is_multiple_of(2));
                    for side in 0..2 {
                        let c = left.len();
                        left.push(-1);
                        right.push(-1);
                        split.push(0);
                        cond.push(0.0);
                        dleft.push(0);
                        weight.push(0.0);
                        if side == 0 {
                            left[i] = i64::try_from(c).unwrap();
                        } else {
                            right[i] = i64::try_from(c).unwrap();
                        }
                        queue.push_back((c, d + 1));
                    }
                } else {
                    cond[i] = value;
                }
            }
            out.push(serde_json::json!({
                "tree_param": { "num_nodes": left.len().to_string() },
                "left_children": left, "right_children": right, "split_indices": split,
                "split_conditions": cond, "default_left": dleft, "base_weights": weight,
            }));
        }
        serde_json::json!({ "learner": {
            "objective": { "name": "binary:logistic" },
            "learner_model_param": { "base_score": "3E-1", "num_feature": N_FEATURES.to_string() },
            "gradient_booster": { "name": "gbtree", "model": { "trees": out } },
        }})
        .to_string()
    }

    /// Random rows over `VALUES`, NaN and arbitrary values.
    fn random_rows(g: &mut Lcg, n: usize) -> Vec<[f32; N_FEATURES]> {
        (0..n)
            .map(|_| {
                let mut r = [0f32; N_FEATURES];
                for v in &mut r {
                    *v = match g.next() % 5 {
                        0 => f32::NAN,
                        1 => (g.next() % 10_000) as f32 / 1000.0 - 5.0,
                        2 => [f32::INFINITY, f32::NEG_INFINITY][(g.next() % 2) as usize],
                        _ => VALUES[(g.next() % VALUES.len() as u32) as usize],
                    };
                }
                r
            })
            .collect()
    }

    #[test]
    fn every_evaluator_equals_the_reference_bit_for_bit_on_random_models() {
        let mut g = Lcg(42);
        for (trees, max_depth) in [(1, 0), (7, 1), (30, 3), (50, 6), (20, 8), (3, 11)] {
            for _ in 0..4 {
                let m =
                    Model::from_xgboost_json(&random_model_json(&mut g, trees, max_depth)).unwrap();
                let deepest = m.depth.iter().copied().max().unwrap_or(0);
                assert_eq!(
                    m.complete.is_some(),
                    u32::from(deepest) <= crate::simd::MAX_DEPTH
                );
                // 16 * 20 + 13 rows: full AVX-512 and AVX2 blocks and a scalar remainder.
                assert_all_paths_equal_reference(&m, &random_rows(&mut g, 333));
            }
        }
    }

    /// `cargo test --release -p fraudstream-scorer model_speed -- --ignored --nocapture`: thread CPU ns per row of
    /// each evaluator, interleaved, for profiling (`MODEL=path` for another model).
    #[test]
    #[ignore = "timing, run by hand"]
    fn model_speed() {
        fn cpu_ns() -> f64 {
            let mut ts = libc_timespec { sec: 0, nsec: 0 };
            // SAFETY: clock_gettime writes one timespec; CLOCK_THREAD_CPUTIME_ID is 3 on Linux.
            unsafe { clock_gettime(3, &raw mut ts) };
            ts.sec as f64 * 1e9 + ts.nsec as f64
        }
        #[repr(C)]
        struct libc_timespec {
            sec: i64,
            nsec: i64,
        }
        unsafe extern "C" {
            fn clock_gettime(clock: i32, ts: *mut libc_timespec) -> i32;
        }
        let m = match std::env::var("MODEL") {
            Ok(path) => Model::from_xgboost_json(&std::fs::read_to_string(path).unwrap()).unwrap(),
            Err(_) => default_model(),
        };
        let rs = rows(65_536);
        let mut out = vec![0f64; rs.len()];
        let c = m.complete.clone().unwrap();
        let per_row = |t0: f64| (cpu_ns() - t0) / rs.len() as f64;
        for _ in 0..5 {
            let t = cpu_ns();
            m.margins_scalar(&rs, &mut out);
            let scalar = per_row(t);
            let t = cpu_ns();
            c.margins_avx2_only(m.base_margin, &rs, &mut out);
            let avx2 = per_row(t);
            let t = cpu_ns();
            c.margins_avx512_only(m.base_margin, &rs, &mut out);
            let avx512 = per_row(t);
            let t = cpu_ns();
            m.margins(&rs, &mut out);
            let dispatched = per_row(t);
            println!(
                "CPU ns/row: scalar blocked {scalar:.0}, avx2 {avx2:.0}, avx512 {avx512:.0}, margins {dispatched:.0}"
            );
        }
    }
}
