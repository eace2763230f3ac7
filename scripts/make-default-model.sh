#!/usr/bin/env bash
# Rebuilds models/default.json, the model `fraudstream start` serves by default, from the generator's defaults.
# Deterministic: the same commit gives the same bytes (seeded simulator, seeded deterministic trainer).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
node apps/cli/dist/main.js generate --out data/default.csv --seed 0
node apps/cli/dist/main.js train --data data/default.csv --out models/default.json --from 2018-07-04 --days 28 --trees 300 --max-depth 6 --learning-rate 0.05 --min-child-weight 5 --bins 1024 --seed 0
# Hyper-parameters: the ones backtest's prequential validation chose (native/scorer/FEATURES.md, 'Model selection').
