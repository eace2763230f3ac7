"""XGBoost's own predictor on the scorer suite's feature rows (the Python peer). Run by scorer.bench.mjs in bench/.venv.

Usage: python xgb_predict.py MODEL.json ROWS.f32 WIDTH  -> prints JSON {ns_per_row, rows, version, mean_score}.
Rows are float32 little-endian, row-major; NaN is missing. One thread (nthread=1), like the other peers on one core; timed in process CPU time like them.
"""
import json
import sys
import time

import numpy as np
import xgboost as xgb

model_path, rows_path, width = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = np.fromfile(rows_path, dtype="<f4").reshape(-1, width)
booster = xgb.Booster(model_file=model_path)
booster.set_param({"nthread": 1})
n_feat = booster.num_features()
names = booster.feature_names
if names is not None:
    # The model names a subset of our columns, in its own order: the suite passes them as argv[4] (JSON).
    ours = json.loads(sys.argv[4])
    rows = rows[:, [ours.index(n) for n in names]]
else:
    rows = rows[:, :n_feat]
rows = np.ascontiguousarray(rows)
booster.inplace_predict(rows[:1000])  # warm-up
best = float("inf")
scores = None
deadline = time.perf_counter() + 2.0
runs = 0
while runs < 3 or time.perf_counter() < deadline:
    t0 = time.process_time()
    scores = booster.inplace_predict(rows)
    best = min(best, time.process_time() - t0)
    runs += 1
print(json.dumps({"ns_per_row": best / len(rows) * 1e9, "rows": len(rows), "runs": runs,
                  "version": xgb.__version__, "mean_score": float(np.mean(scores))}))
