// A pure-JavaScript evaluator of an XGBoost JSON model (binary:logistic, gbtree): the baseline the Rust scorer is
// compared with. Written to be fast in V8: every tree flattened into typed arrays (structure of arrays, absolute
// child indices), thresholds in a Float32Array so `x < t` compares the same f32 values as the Rust scorer, leaf
// values summed in f64 in tree order (so scores are bit-identical to the addon's), monomorphic loops, no allocation
// per row.

/** Parses model text; `ourNames` maps the model's feature names to columns of the rows (the scorer's order). */
export function loadXgbModel(text, ourNames) {
  const learner = JSON.parse(text).learner;
  const names = learner.feature_names?.length ? learner.feature_names : ourNames.slice(0, Number(learner.learner_model_param.num_feature));
  const column = names.map((n) => {
    const i = ourNames.indexOf(n);
    if (i < 0) throw new Error(`feature ${n} is not one of ours`);
    return i;
  });
  const trees = learner.gradient_booster.model.trees;
  const total = trees.reduce((s, t) => s + t.left_children.length, 0);
  const feature = new Int32Array(total);
  const threshold = new Float32Array(total);
  const left = new Int32Array(total);
  const right = new Int32Array(total);
  const defaultLeft = new Uint8Array(total);
  const roots = new Int32Array(trees.length);
  let off = 0;
  trees.forEach((t, k) => {
    roots[k] = off;
    for (let i = 0; i < t.left_children.length; i++) {
      const leaf = t.left_children[i] < 0;
      feature[off + i] = leaf ? -1 : column[t.split_indices[i]];
      threshold[off + i] = t.split_conditions[i];
      left[off + i] = leaf ? -1 : off + t.left_children[i];
      right[off + i] = leaf ? -1 : off + t.right_children[i];
      defaultLeft[off + i] = t.default_left[i] ? 1 : 0;
    }
    off += t.left_children.length;
  });
  const bs = Number(String(learner.learner_model_param.base_score).replace(/[[\]]/g, ''));
  return { feature, threshold, left, right, defaultLeft, roots, baseMargin: Math.log(bs / (1 - bs)), trees: trees.length, nodes: total };
}

/** Scores `n` rows of `width` f32 features into `out` (probabilities). */
export function predictJs(m, rows, width, n, out) {
  const { feature, threshold, left, right, defaultLeft, roots, baseMargin } = m;
  const nTrees = roots.length;
  for (let r = 0; r < n; r++) {
    const base = r * width;
    let sum = baseMargin;
    for (let k = 0; k < nTrees; k++) {
      let i = roots[k];
      let f = feature[i];
      while (f >= 0) {
        const x = rows[base + f];
        i = x < threshold[i] || (x !== x && defaultLeft[i] === 1) ? left[i] : right[i];
        f = feature[i];
      }
      sum += threshold[i];
    }
    out[r] = 1 / (1 + Math.exp(-sum));
  }
}

/** Tree depths (edges to the deepest leaf) of a loaded model, for the suite's description. */
export function depths(m) {
  const out = [];
  for (let k = 0; k < m.roots.length; k++) {
    let max = 0;
    const stack = [[m.roots[k], 0]];
    while (stack.length > 0) {
      const [i, d] = stack.pop();
      if (m.feature[i] < 0) max = Math.max(max, d);
      else stack.push([m.left[i], d + 1], [m.right[i], d + 1]);
    }
    out.push(max);
  }
  return out;
}
