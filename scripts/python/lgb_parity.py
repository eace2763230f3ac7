"""Trains a real LightGBM model on the scorer's own exported features, for the parity test (tests/lightgbm-parity.test.ts).

Usage: lgb_parity.py EXPORT_DIR OUT_DIR

Reads EXPORT_DIR/features.csv (written by `fraudstream export-features`: transaction_id, day, timestamp_ms, the
feature columns, label, scenario; an empty cell is a missing value), trains LightGBM (objective binary, names kept)
on the feature columns and labels, and writes into OUT_DIR:
  model.txt         the model (LightGBM's own text format, Booster.save_model)
  features.f32      the feature rows, float32 little-endian, row-major, columns in the file's order
  predictions.f64   LightGBM's own predicted probabilities on those rows, float64 little-endian
  meta.json         rows, feature columns, frauds, the LightGBM version
"""

import csv
import json
import os
import sys

import lightgbm as lgb
import numpy as np


def main() -> None:
    src, out = sys.argv[1], sys.argv[2]
    with open(os.path.join(src, "features.csv"), newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        body = list(reader)
    first, last = header.index("timestamp_ms") + 1, header.index("label")
    names = header[first:last]
    x = np.array([[float(c) if c != "" else np.nan for c in row[first:last]] for row in body], dtype=np.float32)
    y = np.array([int(row[last]) for row in body], dtype=np.float32)
    params = {
        "objective": "binary",
        "num_leaves": 31,
        "learning_rate": 0.1,
        "min_data_in_leaf": 20,
        "seed": 0,
        "deterministic": True,
        "num_threads": 1,
        "verbose": -1,
    }
    bst = lgb.train(params, lgb.Dataset(x, label=y, feature_name=names, free_raw_data=False), num_boost_round=60)
    os.makedirs(out, exist_ok=True)
    bst.save_model(os.path.join(out, "model.txt"))
    pred = bst.predict(x).astype(np.float64)
    x.astype("<f4").tofile(os.path.join(out, "features.f32"))
    pred.astype("<f8").tofile(os.path.join(out, "predictions.f64"))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"rows": len(y), "columns": names, "frauds": int(y.sum()), "lightgbm": lgb.__version__}, f)


if __name__ == "__main__":
    main()
