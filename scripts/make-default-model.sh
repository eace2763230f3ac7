#!/usr/bin/env bash
# Rebuilds models/default.json, the model `fraudstream start` serves by default, from the generator's defaults.
# Deterministic: the same commit gives the same bytes (seeded simulator, seeded deterministic trainer).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p data
node apps/cli/dist/main.js generate --out data/default.csv --seed 0
node apps/cli/dist/main.js train --data data/default.csv --out models/default.json --from 2018-04-01 --days 122 --trees 300 --max-depth 4 --learning-rate 0.05 --min-child-weight 5 --bins 1024 --seed 0
# Hyper-parameters: what backtest uses by default, chosen by prequential validation on handbook-mode seeds 0-2
# (native/scorer/FEATURES.md, 'Issue 12'). Window: every day from the first to the end of the protocol's training
# window (122 days), so the cold start of a live stream (empty card and terminal state) is inside the training data
# (models/README.md).
