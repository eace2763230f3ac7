#!/usr/bin/env bash
# Creates bench/.venv (gitignored) with XGBoost's own CPU predictor and NumPy, for the scorer suite's Python peer.
# Optional: without it the suite records the peer as unavailable. Usage: bash bench/setup-python.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
python3 -m venv "$here/.venv"
"$here/.venv/bin/pip" install --quiet --disable-pip-version-check 'xgboost-cpu>=2.1,<4' 'numpy>=1.26,<3'
"$here/.venv/bin/python" -c 'import xgboost, numpy; print("xgboost", xgboost.__version__, "numpy", numpy.__version__)'
