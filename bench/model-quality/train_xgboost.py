"""Trains XGBoost on a feature CSV written by export-features.mjs (or raw float32 rows, FILE.f32 with its header in
FILE.f32.names, as validate-configs.mjs writes them), with the hyper-parameters Fraudstream's own trainer
uses, and saves the model as XGBoost JSON for `fraudstream backtest --model` (same protocol, same scorer).

Usage: train_xgboost.py FEATURES.csv OUT_MODEL.json [TREES=300] [DEPTH=6] [ETA=0.05] [MIN_CHILD_WEIGHT=5] [BINS=1024]
"""

import csv
import sys

import numpy as np
import xgboost as xgb


def main() -> None:
    path, out = sys.argv[1], sys.argv[2]
    trees, depth, eta, mcw, bins = (sys.argv[3:] + ["300", "6", "0.05", "5", "1024"][len(sys.argv[3:]):])[:5]
    if path.endswith(".f32"):
        with open(path + ".names") as f:
            header = f.read().strip().split(",")
        a = np.fromfile(path, dtype=np.float32).reshape(-1, len(header))
    else:
        with open(path, newline="") as f:
            r = csv.reader(f)
            header = next(r)
            rows = [[float(v) if v != "" else np.nan for v in row] for row in r]
        a = np.asarray(rows, dtype=np.float32)
    names = header[:-1]
    x, y = a[:, :-1], a[:, -1]
    d = xgb.DMatrix(x, label=y, feature_names=names, missing=np.nan)
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": int(depth),
        "eta": float(eta),
        "min_child_weight": float(mcw),
        "max_bin": int(bins),
        "seed": 0,
        "nthread": 1,
    }
    bst = xgb.train(params, d, num_boost_round=int(trees))
    bst.save_model(out)
    print(f"trained XGBoost {xgb.__version__} on {len(y)} rows ({int(y.sum())} fraud), {params}, {trees} trees -> {out}")


if __name__ == "__main__":
    main()
