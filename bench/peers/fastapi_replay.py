"""Replays JSON transactions (one per stdin line) through the FastAPI peer's own feature code and XGBoost predictor
(bench/peers/fastapi_xgb.py, fresh state), printing one JSON line per transaction: {"f": [34 features], "score": p}
with NaN as null. Used by bench/peers/feature-parity.mjs to compare the peer with the Rust scorer."""
import json
import math
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
import fastapi_xgb as peer  # noqa: E402  (the module loads the model once)

for line in sys.stdin:
    if not line.strip():
        continue
    tx = peer.Transaction.model_validate_json(line)
    row = peer.features(tx)
    p = float(peer.booster.inplace_predict(np.asarray([row], dtype=np.float32))[0])
    print(json.dumps({"f": [None if math.isnan(x) else x for x in row], "score": p}))
