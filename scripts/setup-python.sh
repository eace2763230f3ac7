#!/usr/bin/env bash
# Creates .venv at the repository root with the pinned Python packages the XGBoost-parity and metrics-check tests use:
# xgboost-cpu (XGBoost without the CUDA payload), numpy, scikit-learn, lightgbm (the LightGBM-parity test); fastapi +
# uvicorn for the scoring-API bench peer (bench/peers/fastapi_xgb.py). Idempotent: an up-to-date .venv is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
REQ="xgboost-cpu==3.2.0 numpy==2.3.5 scikit-learn==1.7.2 lightgbm==4.6.0 fastapi==0.142.2 uvicorn==0.54.0"
STAMP=.venv/.fraudstream-requirements
if [ -x .venv/bin/python ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQ" ]; then
  echo "python env up to date (.venv: $REQ)"
  exit 0
fi
if ! "$PY" -c 'import venv, ensurepip' 2>/dev/null; then
  # Debian splits venv out of the interpreter package.
  if command -v apt-get >/dev/null; then apt-get update -qq && apt-get install -y -qq python3-venv; fi
fi
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check $REQ
.venv/bin/python -c 'import xgboost, sklearn, numpy, lightgbm; print("xgboost", xgboost.__version__, "scikit-learn", sklearn.__version__, "numpy", numpy.__version__, "lightgbm", lightgbm.__version__)'
echo "$REQ" > "$STAMP"
