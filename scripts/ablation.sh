#!/usr/bin/env bash
# Ablation: the validated hyper-parameters, one feature group hidden from training at a time.
cd "$(dirname "$0")/.."  # expects data/x.csv and data/h.csv from `generate` (see README, Model quality)
P="--trees 300 --max-depth 6 --learning-rate 0.05 --min-child-weight 5 --bins 1024"
run() { echo "== $1"; node apps/cli/dist/main.js backtest --data data/x.csv $P ${2:+--drop-features $2} | grep -E "AUC ROC|scenario"; }
run none ""
run calendar hour,is_weekend,is_night
run card_spending card_tx_count_1d,card_mean_amount_1d,card_tx_count_7d,card_mean_amount_7d,card_tx_count_30d,card_mean_amount_30d,amount_to_card_mean_30d
run time_gap secs_since_prev_card_tx
run terminal_activity terminal_tx_count_1d,terminal_tx_count_7d,terminal_tx_count_30d
run terminal_risk terminal_risk_1d,terminal_risk_7d,terminal_risk_30d
run merchant channel,card_present,mcc
run card_testing card_small_tx_count_1d
run travel km_from_prev_present,kmh_from_prev_present,country_changed
run all_new channel,card_present,mcc,card_small_tx_count_1d,km_from_prev_present,kmh_from_prev_present,country_changed
echo "== handbook-only data (generate --scenarios handbook), validated grid"
node apps/cli/dist/main.js backtest --data data/h.csv | grep -E "validation|trained|AUC ROC|scenario"
