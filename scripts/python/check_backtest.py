"""Recomputes a backtest's metrics independently from the data CSV and the --scores file.

Usage: check_backtest.py DATA.csv SCORES.csv TRAIN_START(YYYY-MM-DD) TRAIN_DAYS DELAY_DAYS TEST_DAYS [TOP_K]

The protocol (the Fraud Detection Handbook's), re-implemented here without the TypeScript code:
- test days: TRAIN_START + TRAIN_DAYS + DELAY_DAYS, then TEST_DAYS days (UTC calendar days of TX_DATETIME);
- on test day D, a card (CUSTOMER_ID) is known compromised when it had a fraud on a day in [TRAIN_START, D - DELAY_DAYS);
  its transactions of day D are left out;
- AUC ROC and average precision: scikit-learn's roc_auc_score and average_precision_score on what is left;
- card precision@k: per test day, card score = max of its transaction scores, card label = any fraud that day; cards
  detected on earlier test days (fraud and in that day's top k) left out; share of frauded cards among the k best;
  averaged over the test days. (Cards tied exactly at the k-th score may be picked differently from the TypeScript
  code, which breaks ties by card key; with continuous scores that does not happen in practice.)
Prints a JSON object: transactions, frauds, aucRoc, averagePrecision, cardPrecisionAtK.
"""

import csv
import datetime as dt
import json
import sys

from sklearn.metrics import average_precision_score, roc_auc_score


def day_number(text: str) -> int:
    d = dt.date.fromisoformat(text[:10])
    return (d - dt.date(1970, 1, 1)).days


def main() -> None:
    data, scores_path, start, train_days, delay, test_days = sys.argv[1:7]
    k = int(sys.argv[7]) if len(sys.argv) > 7 else 100
    train_start = day_number(start)
    train_days, delay, test_days = int(train_days), int(delay), int(test_days)
    test_start = train_start + train_days + delay
    scores = {}
    with open(scores_path, newline="") as f:
        for row in csv.DictReader(f):
            scores[row["TRANSACTION_ID"]] = float(row["score"])
    first_fraud = {}
    test = []  # (day, card, fraud, score)
    with open(data, newline="") as f:
        for row in csv.DictReader(f):
            day = day_number(row["TX_DATETIME"])
            card = row["CUSTOMER_ID"]
            fraud = int(row["TX_FRAUD"])
            if fraud == 1 and train_start <= day < test_start + test_days:
                first_fraud[card] = min(first_fraud.get(card, day), day)
            if test_start <= day < test_start + test_days:
                test.append((day, card, fraud, scores[row["TRANSACTION_ID"]]))
    kept = [t for t in test if not (t[1] in first_fraud and first_fraud[t[1]] < t[0] - delay)]
    y = [t[2] for t in kept]
    s = [t[3] for t in kept]
    detected = set()
    per_day = []
    for day in sorted({t[0] for t in kept}):
        cards = {}
        for d, card, fraud, score in kept:
            if d != day or card in detected:
                continue
            best, label = cards.get(card, (float("-inf"), 0))
            cards[card] = (max(best, score), max(label, fraud))
        top = sorted(cards.items(), key=lambda kv: -kv[1][0])[:k]
        hits = [card for card, (_, label) in top if label == 1]
        detected.update(hits)
        per_day.append(len(hits) / k)
    print(
        json.dumps(
            {
                "transactions": len(kept),
                "frauds": sum(y),
                "aucRoc": roc_auc_score(y, s),
                "averagePrecision": average_precision_score(y, s),
                "cardPrecisionAtK": sum(per_day) / len(per_day),
                "cardPrecisionPerDay": per_day,
            }
        )
    )


if __name__ == "__main__":
    main()
