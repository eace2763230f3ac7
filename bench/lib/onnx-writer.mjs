// Converts an XGBoost JSON model (binary:logistic, gbtree) to ONNX: one ai.onnx.ml TreeEnsembleRegressor node
// (SUM of leaf values + logit(base_score) = the margin) and a Sigmoid node (onnxruntime applies no post_transform
// LOGISTIC to a regressor, so the sigmoid is its own node) = the fraud probability, written with a small
// protobuf encoder of our own (only the fields ONNX needs). Input "features" float[N, width], output "score" float[N, 1].

const enc = new TextEncoder();

function varint(n) {
  const out = [];
  let v = BigInt.asUintN(64, BigInt(n));
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (field, wire) => varint((field << 3) | wire);
const bytesField = (field, bytes) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const strField = (field, s) => bytesField(field, enc.encode(s));
const intField = (field, n) => [...key(field, 0), ...varint(n)];
function floatField(field, x) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, x, true);
  return [...key(field, 5), ...b];
}
function packedFloats(field, xs) {
  const b = new Uint8Array(xs.length * 4);
  const dv = new DataView(b.buffer);
  xs.forEach((x, i) => dv.setFloat32(i * 4, x, true));
  return bytesField(field, b);
}
const packedInts = (field, xs) => bytesField(field, xs.flatMap((x) => varint(x)));

// AttributeProto: name 1, f 2, i 3, s 4, floats 7, ints 8, strings 9, type 20 (FLOAT 1, INT 2, STRING 3, FLOATS 6, INTS 7, STRINGS 8).
const attrInts = (name, xs) => [...strField(1, name), ...packedInts(8, xs), ...intField(20, 7)];
const attrFloats = (name, xs) => [...strField(1, name), ...packedFloats(7, xs), ...intField(20, 6)];
const attrString = (name, s) => [...strField(1, name), ...bytesField(4, enc.encode(s)), ...intField(20, 3)];
const attrStrings = (name, xs) => [...strField(1, name), ...xs.flatMap((s) => bytesField(9, enc.encode(s))), ...intField(20, 8)];
const attrInt = (name, n) => [...strField(1, name), ...intField(3, n), ...intField(20, 2)];

// ValueInfoProto { name 1, type 2: TypeProto { tensor_type 1: { elem_type 1, shape 2: { dim 1: { dim_value 1 | dim_param 2 } } } } }
function valueInfo(name, dims) {
  const shape = dims.flatMap((d) => bytesField(1, typeof d === 'string' ? strField(2, d) : intField(1, d)));
  const tensor = [...intField(1, 1 /* FLOAT */), ...bytesField(2, shape)];
  return [...strField(1, name), ...bytesField(2, bytesField(1, tensor))];
}

/** Returns the ONNX model bytes; `ourNames` are the row's columns (the scorer's feature order). */
export function xgbJsonToOnnx(text, ourNames) {
  const learner = JSON.parse(text).learner;
  const names = learner.feature_names?.length ? learner.feature_names : ourNames.slice(0, Number(learner.learner_model_param.num_feature));
  const column = names.map((n) => ourNames.indexOf(n));
  const bs = Number(String(learner.learner_model_param.base_score).replace(/[[\]]/g, ''));
  const a = { treeIds: [], nodeIds: [], featureIds: [], modes: [], values: [], trueIds: [], falseIds: [], missingTrue: [] };
  const t = { treeIds: [], nodeIds: [], ids: [], weights: [] };
  learner.gradient_booster.model.trees.forEach((tree, k) => {
    for (let i = 0; i < tree.left_children.length; i++) {
      const leaf = tree.left_children[i] < 0;
      a.treeIds.push(k);
      a.nodeIds.push(i);
      a.featureIds.push(leaf ? 0 : column[tree.split_indices[i]]);
      a.modes.push(leaf ? 'LEAF' : 'BRANCH_LT');
      a.values.push(leaf ? 0 : tree.split_conditions[i]);
      a.trueIds.push(leaf ? 0 : tree.left_children[i]);
      a.falseIds.push(leaf ? 0 : tree.right_children[i]);
      a.missingTrue.push(!leaf && tree.default_left[i] ? 1 : 0);
      if (leaf) {
        t.treeIds.push(k);
        t.nodeIds.push(i);
        t.ids.push(0);
        t.weights.push(tree.split_conditions[i]);
      }
    }
  });
  const node = [
    ...strField(1, 'features'),
    ...strField(2, 'margin'),
    ...strField(3, 'trees'),
    ...strField(4, 'TreeEnsembleRegressor'),
    ...strField(7, 'ai.onnx.ml'),
    ...[
      attrString('aggregate_function', 'SUM'),
      attrFloats('base_values', [Math.log(bs / (1 - bs))]),
      attrInt('n_targets', 1),
      attrInts('nodes_falsenodeids', a.falseIds),
      attrInts('nodes_featureids', a.featureIds),
      attrInts('nodes_missing_value_tracks_true', a.missingTrue),
      attrStrings('nodes_modes', a.modes),
      attrInts('nodes_nodeids', a.nodeIds),
      attrInts('nodes_treeids', a.treeIds),
      attrInts('nodes_truenodeids', a.trueIds),
      attrFloats('nodes_values', a.values),
      attrString('post_transform', 'NONE'),
      attrInts('target_ids', t.ids),
      attrInts('target_nodeids', t.nodeIds),
      attrInts('target_treeids', t.treeIds),
      attrFloats('target_weights', t.weights),
    ].flatMap((attr) => bytesField(5, attr)),
  ];
  const sigmoid = [...strField(1, 'margin'), ...strField(2, 'score'), ...strField(3, 'sigmoid'), ...strField(4, 'Sigmoid')];
  const graph = [
    ...bytesField(1, node),
    ...bytesField(1, sigmoid),
    ...strField(2, 'fraudstream'),
    ...bytesField(11, valueInfo('features', ['N', ourNames.length])),
    ...bytesField(12, valueInfo('score', ['N', 1])),
  ];
  const opset = (domain, version) => [...strField(1, domain), ...intField(2, version)];
  const model = [
    ...intField(1, 8), // ir_version
    ...bytesField(8, opset('', 17)),
    ...bytesField(8, opset('ai.onnx.ml', 3)),
    ...strField(2, 'fraudstream-bench'),
    ...bytesField(7, graph),
  ];
  return Uint8Array.from(model);
}
