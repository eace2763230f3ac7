//! An isolation forest (Liu, Ting and Zhou, 2008) over feature rows: an anomaly score for patterns that have no
//! labels yet. Trees are flat node arrays; missing values (NaN) always go left, like a value below every threshold.

use crate::features::N_FEATURES;

/// One node: a split (`feature < threshold` or NaN goes to `left`, else `right`) or a leaf (`left == LEAF`) holding
/// the number of training rows that reached it.
#[derive(Clone, Copy, Debug)]
struct Node {
    feature: u16,
    threshold: f32,
    left: u32,
    right: u32,
    size: u32,
}

const LEAF: u32 = u32::MAX;

/// Training options.
#[derive(Clone, Debug)]
pub struct ForestParams {
    /// Number of trees (100 in the paper).
    pub trees: usize,
    /// Rows sampled per tree, without replacement (256 in the paper).
    pub sample: usize,
    /// Feature columns the trees may split on (indices into the feature vector).
    pub columns: Vec<usize>,
    /// Seed of the sampling and of the random splits.
    pub seed: u64,
}

impl Default for ForestParams {
    /// The paper's defaults over every feature: 100 trees of 256 rows, seed 0.
    fn default() -> Self {
        Self {
            trees: 100,
            sample: 256,
            columns: (0..N_FEATURES).collect(),
            seed: 0,
        }
    }
}

/// Fits a forest on the row-major feature rows `train` and writes the score of each row of `rows` into `out`
/// (`out.len()` rows are scored). Errors as [`IsolationForest::fit`], or when a slice is not whole rows.
pub fn score_flat(
    train: &[f32],
    rows: &[f32],
    p: &ForestParams,
    out: &mut [f32],
) -> Result<(), String> {
    if !train.len().is_multiple_of(N_FEATURES) || rows.len() != out.len() * N_FEATURES {
        return Err(format!(
            "train and features must be whole rows of {N_FEATURES} values, one row per out value"
        ));
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
    let forest = IsolationForest::fit(&pack(train), p)?;
    for (dst, src) in out.iter_mut().zip(rows.chunks_exact(N_FEATURES)) {
        let mut r = [0f32; N_FEATURES];
        r.copy_from_slice(src);
        *dst = forest.score(&r);
    }
    Ok(())
}

/// A fitted isolation forest.
#[derive(Clone, Debug)]
pub struct IsolationForest {
    trees: Vec<Vec<Node>>,
    /// c(sample): the average path length of an unsuccessful binary-search-tree search, the score's normaliser.
    norm: f64,
}

/// splitmix64: small, seedable, good enough for sampling and split draws.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// c(n) of the paper: 2 H(n - 1) - 2 (n - 1) / n, with H(i) ~ ln(i) + Euler's constant; 0 for n <= 1.
fn average_path(n: usize) -> f64 {
    if n <= 1 {
        return 0.0;
    }
    if n == 2 {
        return 1.0;
    }
    let m = (n - 1) as f64;
    2.0 * (m.ln() + 0.577_215_664_901_532_9) - 2.0 * m / n as f64
}

impl IsolationForest {
    /// Fits a forest on `rows`. Errors: no rows, no columns, a column outside the feature vector, no tree.
    pub fn fit(rows: &[[f32; N_FEATURES]], p: &ForestParams) -> Result<Self, String> {
        if rows.is_empty() {
            return Err("an isolation forest needs at least one row".into());
        }
        if p.trees == 0 || p.sample == 0 {
            return Err("trees and sample must be at least 1".into());
        }
        if p.columns.is_empty() || p.columns.iter().any(|&c| c >= N_FEATURES) {
            return Err(format!(
                "columns must be feature indices below {N_FEATURES}"
            ));
        }
        let sample = p.sample.min(rows.len());
        // ceil(log2(sample)), the paper's height limit: the bit length of sample - 1 (at least 1).
        let height = (usize::BITS - (sample - 1).leading_zeros()).max(1) as usize;
        let mut rng = Rng(p.seed ^ 0x5eed_0f15_0f07_e577);
        let mut idx: Vec<u32> = (0..rows.len() as u32).collect();
        let mut trees = Vec::with_capacity(p.trees);
        for _ in 0..p.trees {
            // A uniform sample without replacement: a partial Fisher-Yates shuffle of the row indices.
            for j in 0..sample {
                let r = j + rng.below(idx.len() - j);
                idx.swap(j, r);
            }
            let mut part: Vec<u32> = idx[..sample].to_vec();
            let mut nodes = Vec::new();
            grow(rows, &mut part, &p.columns, height, &mut rng, &mut nodes);
            trees.push(nodes);
        }
        Ok(Self {
            trees,
            norm: average_path(sample),
        })
    }

    /// Anomaly score in (0, 1]: 2^(-mean path length / c(sample)); about 0.5 and below is ordinary, near 1 is
    /// isolated in few splits.
    #[must_use]
    pub fn score(&self, row: &[f32; N_FEATURES]) -> f32 {
        let mut total = 0.0;
        for nodes in &self.trees {
            let mut i = 0usize;
            let mut depth = 0.0;
            loop {
                let n = nodes[i];
                if n.left == LEAF {
                    total += depth + average_path(n.size as usize);
                    break;
                }
                let v = row[usize::from(n.feature)];
                i = if v.is_nan() || v < n.threshold {
                    n.left as usize
                } else {
                    n.right as usize
                };
                depth += 1.0;
            }
        }
        let mean = total / self.trees.len() as f64;
        if self.norm == 0.0 {
            return 0.5;
        }
        2f64.powf(-mean / self.norm) as f32
    }
}

/// Grows a tree over the rows `part` (reordered in place) and returns its node index.
fn grow(
    rows: &[[f32; N_FEATURES]],
    part: &mut [u32],
    columns: &[usize],
    height: usize,
    rng: &mut Rng,
    nodes: &mut Vec<Node>,
) -> u32 {
    let at = nodes.len() as u32;
    nodes.push(Node {
        feature: 0,
        threshold: 0.0,
        left: LEAF,
        right: LEAF,
        size: part.len() as u32,
    });
    if height == 0 || part.len() <= 1 {
        return at;
    }
    // A random column with a spread among these rows (NaN below everything): a few tries, then a leaf.
    for _ in 0..columns.len().max(4) {
        let c = columns[rng.below(columns.len())];
        let (mut lo, mut hi, mut nan) = (f32::INFINITY, f32::NEG_INFINITY, false);
        for &r in part.iter() {
            let v = rows[r as usize][c];
            if v.is_nan() {
                nan = true;
            } else {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        let threshold = if lo < hi {
            (f64::from(lo) + rng.unit() * (f64::from(hi) - f64::from(lo))) as f32
        } else if nan && lo.is_finite() {
            // Only NaN against one value: split them apart.
            lo
        } else {
            continue;
        };
        // `lo < threshold` can fail after rounding to f32; the split must send something each way.
        let threshold = if threshold <= lo && lo < hi {
            hi
        } else {
            threshold
        };
        let mut k = 0;
        for j in 0..part.len() {
            let v = rows[part[j] as usize][c];
            if v.is_nan() || v < threshold {
                part.swap(j, k);
                k += 1;
            }
        }
        if k == 0 || k == part.len() {
            continue;
        }
        let (l, r) = part.split_at_mut(k);
        let left = grow(rows, l, columns, height - 1, rng, nodes);
        let right = grow(rows, r, columns, height - 1, rng, nodes);
        nodes[at as usize] = Node {
            feature: c as u16,
            threshold,
            left,
            right,
            size: (k + r.len()) as u32,
        };
        return at;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[(usize, f32)]) -> [f32; N_FEATURES] {
        let mut r = [f32::NAN; N_FEATURES];
        for &(c, v) in values {
            r[c] = v;
        }
        r
    }

    fn cluster(n: usize) -> Vec<[f32; N_FEATURES]> {
        let mut rng = Rng(3);
        (0..n)
            .map(|_| {
                row(&[
                    (0, 50.0 + 10.0 * (rng.unit() as f32 - 0.5)),
                    (2, 12.0 + 4.0 * (rng.unit() as f32 - 0.5)),
                ])
            })
            .collect()
    }

    #[test]
    fn isolates_an_outlier_faster_than_the_cluster() {
        let rows = cluster(2000);
        let p = ForestParams {
            trees: 100,
            sample: 256,
            columns: vec![0, 2],
            seed: 1,
        };
        let f = IsolationForest::fit(&rows, &p).unwrap();
        let inlier = f.score(&row(&[(0, 50.0), (2, 12.0)]));
        let outlier = f.score(&row(&[(0, 400.0), (2, 3.0)]));
        let mean: f32 = rows.iter().map(|r| f.score(r)).sum::<f32>() / rows.len() as f32;
        // The centre of the cluster is deeper than its average row, the far point far shallower.
        assert!(
            outlier > 0.6 && outlier > mean + 0.1,
            "outlier {outlier}, mean {mean}"
        );
        assert!(inlier < mean, "inlier {inlier}, mean {mean}");
    }

    #[test]
    fn is_deterministic_for_a_seed_and_checks_its_input() {
        let rows = cluster(500);
        let p = ForestParams {
            trees: 20,
            sample: 64,
            columns: vec![0, 2],
            seed: 7,
        };
        let a = IsolationForest::fit(&rows, &p).unwrap();
        let b = IsolationForest::fit(&rows, &p).unwrap();
        let probe = row(&[(0, 61.0), (2, 9.0)]);
        assert_eq!(a.score(&probe).to_bits(), b.score(&probe).to_bits());
        // NaN goes left like a low value, and a column of NaN only never splits.
        let nan_only = IsolationForest::fit(
            &rows,
            &ForestParams {
                columns: vec![5],
                ..p.clone()
            },
        )
        .unwrap();
        assert!((nan_only.score(&probe) - 2f64.powf(-1.0) as f32).abs() < 1e-6);
        assert!(IsolationForest::fit(&[], &p).is_err());
        assert!(
            IsolationForest::fit(
                &rows,
                &ForestParams {
                    columns: vec![N_FEATURES],
                    ..p
                }
            )
            .is_err()
        );
    }
}
