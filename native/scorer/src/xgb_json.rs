//! Writes trees as an `XGBoost` JSON model (`binary:logistic`, gbtree) that `XGBoost` and `Model` both load.

use serde_json::{Value, json};

/// One tree in `XGBoost`'s array form; leaves have `left == right == -1` and their value in `split_condition`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct XgbTree {
    /// Left child per node, -1 for leaves.
    pub left: Vec<i32>,
    /// Right child per node, -1 for leaves.
    pub right: Vec<i32>,
    /// Split feature per node (0 for leaves).
    pub split_index: Vec<u32>,
    /// Threshold (go left iff `x < threshold`), leaf value for leaves.
    pub split_condition: Vec<f32>,
    /// Whether NaN goes left.
    pub default_left: Vec<bool>,
    /// Node weight (the leaf value the node would have as a leaf).
    pub base_weight: Vec<f32>,
    /// Split gain.
    pub loss_change: Vec<f32>,
    /// Hessian sum of the node's rows.
    pub sum_hessian: Vec<f32>,
}

fn tree_json(id: usize, t: &XgbTree, num_feature: usize) -> Value {
    let n = t.left.len();
    let mut parents = vec![2_147_483_647_i64; n];
    for i in 0..n {
        for c in [t.left[i], t.right[i]] {
            if let Ok(c) = usize::try_from(c) {
                parents[c] = i64::try_from(i).unwrap_or(-1);
            }
        }
    }
    json!({
        "base_weights": t.base_weight,
        "categories": [],
        "categories_nodes": [],
        "categories_segments": [],
        "categories_sizes": [],
        "default_left": t.default_left.iter().map(|&b| u8::from(b)).collect::<Vec<_>>(),
        "id": id,
        "left_children": t.left,
        "loss_changes": t.loss_change,
        "parents": parents,
        "right_children": t.right,
        "split_conditions": t.split_condition,
        "split_indices": t.split_index,
        "split_type": vec![0u8; n],
        "sum_hessian": t.sum_hessian,
        "tree_param": {
            "num_deleted": "0",
            "num_feature": num_feature.to_string(),
            "num_nodes": n.to_string(),
            "size_leaf_vector": "1"
        }
    })
}

/// The `XGBoost` JSON text of a binary:logistic model with these trees, `base_score` (a probability) and features.
#[must_use]
pub fn write(trees: &[XgbTree], base_score: f64, feature_names: &[&str]) -> String {
    let nf = feature_names.len();
    let doc = json!({
        "learner": {
            "attributes": {},
            "feature_names": feature_names,
            "feature_types": vec!["float"; nf],
            "gradient_booster": {
                "model": {
                    "gbtree_model_param": { "num_parallel_tree": "1", "num_trees": trees.len().to_string() },
                    "iteration_indptr": (0..=trees.len()).collect::<Vec<_>>(),
                    "tree_info": vec![0u8; trees.len()],
                    "trees": trees.iter().enumerate().map(|(i, t)| tree_json(i, t, nf)).collect::<Vec<_>>()
                },
                "name": "gbtree"
            },
            "learner_model_param": {
                "base_score": format!("{base_score:E}"),
                "boost_from_average": "1",
                "num_class": "0",
                "num_feature": nf.to_string(),
                "num_target": "1"
            },
            "objective": { "name": "binary:logistic", "reg_loss_param": { "scale_pos_weight": "1" } }
        },
        "version": [2, 1, 0]
    });
    doc.to_string()
}
