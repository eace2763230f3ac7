"""Trains a real XGBoost model for the parity test (tests/xgboost-parity.test.ts).

Usage: xgb_parity.py OUT_DIR NAME[,NAME...] [--no-names]

Generates a random data set whose columns are the given Fraudstream feature names (about 10% of values NaN), with a
label that depends on several columns, trains XGBoost (binary:logistic, hist) on it, and writes into OUT_DIR:
  model.json        the model (XGBoost's own JSON; feature names kept unless --no-names)
  features.f32      the rows, float32 little-endian, row-major, columns in the order given
  predictions.f64   XGBoost's own predicted probabilities, float64 little-endian
  meta.json         rows, columns, the XGBoost version
"""

import json
import os
import sys

import numpy as np
import xgboost as xgb


def main() -> None:
    out, names = sys.argv[1], sys.argv[2].split(",")
    keep_names = "--no-names" not in sys.argv[3:]
    rng = np.random.default_rng(7)
    rows, cols = 4000, len(names)
    x = rng.normal(0.0, 1.0, size=(rows, cols)).astype(np.float32)
    x[:, 0] = rng.gamma(2.0, 40.0, size=rows).astype(np.float32)
    score = 0.02 * x[:, 0] + x[:, 1 % cols] - 0.5 * x[:, 2 % cols] * x[:, 3 % cols]
    y = (score + rng.normal(0.0, 0.5, size=rows) > 2.0).astype(np.float32)
    x[rng.random(size=(rows, cols)) < 0.1] = np.nan
    d = xgb.DMatrix(x, label=y, feature_names=names if keep_names else None, missing=np.nan)
    params = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "max_depth": 5,
        "eta": 0.3,
        "base_score": 0.3,
        "seed": 0,
        "nthread": 1,
    }
    bst = xgb.train(params, d, num_boost_round=40)
    os.makedirs(out, exist_ok=True)
    bst.save_model(os.path.join(out, "model.json"))
    pred = bst.predict(d).astype(np.float64)
    x.astype("<f4").tofile(os.path.join(out, "features.f32"))
    pred.astype("<f8").tofile(os.path.join(out, "predictions.f64"))
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump({"rows": rows, "columns": names, "xgboost": xgb.__version__}, f)


if __name__ == "__main__":
    main()
