#!/usr/bin/env python3
"""The ceiling of card precision@100 under the label delay, from a labelled data CSV (Python standard library only).

Usage: cp-ceiling.py DATA.csv TRAIN_START [SCORES.csv] [--delay 7] [--train-days 7] [--test-days 7]

The protocol is `fraudstream backtest`'s: test day D of the test window (which starts TRAIN_START + train days + delay)
leaves out the cards known compromised (a fraud on a day in [TRAIN_START, D - delay)) and, for the model, the cards
caught (fraud and in the top 100) on earlier test days.

A fraud is *unrevealed* when it is a compromised-terminal fraud (scenario 2) whose terminal has no scenario-2 fraud on
a day in [D - 28, D - delay]: no label of that compromise can have arrived, and in the simulator its transactions are
the customers' ordinary ones, so nothing in the stream tells it from a genuine one. (Counting the delay day itself as
revealing, although its labels arrive during day D, makes the ceiling higher, never lower.) A card is reachable on D
when it has a fraud that is not unrevealed.

The ceiling on D is what a scorer gets that puts every reachable card first and then fills the top 100 from the other
cards, among which it cannot tell the unrevealed fraud cards from genuine ones: (min(100, R) + (100 - min(100, R)) *
U / O) / 100, with R reachable cards, U cards frauded only by unrevealed frauds, O all other cards. Its caught cards
(removed on the following days) are the reachable ones it ranked. With SCORES.csv (`backtest --scores`) the model's own
per-day figures are printed beside it: its CP@100 (the backtest's figure) and the reachable cards it left out of the
top 100.
"""

import collections
import csv
import datetime
import sys

DAY0 = datetime.date(2018, 4, 1)


def main(argv):
    opts = {'--delay': 7, '--train-days': 7, '--test-days': 7}
    pos = []
    i = 0
    while i < len(argv):
        if argv[i] in opts:
            if i + 1 >= len(argv):
                sys.exit(f'{argv[i]} needs a number')
            opts[argv[i]] = int(argv[i + 1])
            i += 2
        else:
            pos.append(argv[i])
            i += 1
    if len(pos) not in (2, 3):
        sys.exit(__doc__)
    data, start = pos[0], pos[1]
    try:
        train_start = (datetime.date.fromisoformat(start) - DAY0).days
    except ValueError:
        sys.exit(f'TRAIN_START: {start!r} is not a YYYY-MM-DD date')
    delay = opts['--delay']
    test_start = train_start + opts['--train-days'] + delay
    test_end = test_start + opts['--test-days']

    scores = {}
    if len(pos) == 3:
        with open(pos[2], newline='') as f:
            r = csv.reader(f)
            next(r)
            for row in r:
                scores[int(row[0])] = float(row[1])

    s2_days = collections.defaultdict(set)  # terminal -> days with a scenario-2 fraud
    fraud_days = collections.defaultdict(list)  # card -> days with a fraud
    test = collections.defaultdict(list)  # day -> (tx id, card, terminal, fraud, scenario)
    with open(data, newline='') as f:
        r = csv.reader(f)
        head = next(r)
        col = {name: k for k, name in enumerate(head)}
        for name in ('TRANSACTION_ID', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_TIME_DAYS', 'TX_FRAUD', 'TX_FRAUD_SCENARIO'):
            if name not in col:
                sys.exit(f'{data}: no {name} column')
        for row in r:
            day = int(row[col['TX_TIME_DAYS']])
            fraud = row[col['TX_FRAUD']] == '1'
            scen = int(row[col['TX_FRAUD_SCENARIO']])
            card = int(row[col['CUSTOMER_ID']])
            term = int(row[col['TERMINAL_ID']])
            if fraud:
                fraud_days[card].append(day)
            if scen == 2:
                s2_days[term].add(day)
            if test_start <= day < test_end:
                test[day].append((int(row[col['TRANSACTION_ID']]), card, term, fraud, scen))

    def revealed(term, day):
        return any(d in s2_days[term] for d in range(day - 28, day - delay + 1))

    caught_oracle, caught_model = set(), set()
    sums = collections.Counter()
    print('day        fraud-cards unrevealed reachable ceiling' + ('  model-CP reachable-missed' if scores else ''))
    for day in range(test_start, test_end):
        cards = {}
        for tid, card, term, fraud, scen in test[day]:
            if any(train_start <= d < day - delay for d in fraud_days[card]):
                continue  # known compromised
            c = cards.setdefault(card, {'fraud': False, 'reach': False, 'score': -1.0})
            if fraud:
                c['fraud'] = True
                if scen != 2 or revealed(term, day):
                    c['reach'] = True
            if scores:
                c['score'] = max(c['score'], scores.get(tid, -1.0))
        pool = {k: v for k, v in cards.items() if k not in caught_oracle}
        reach = [k for k, v in pool.items() if v['reach']]
        unrev = sum(1 for v in pool.values() if v['fraud'] and not v['reach'])
        top = min(100, len(reach))
        others = len(pool) - len(reach)
        ceiling = (top + (100 - top) * (unrev / others if others else 0.0)) / 100
        caught_oracle |= set(sorted(reach)[:top])
        fraud_cards = sum(1 for v in pool.values() if v['fraud'])
        line = f'{DAY0 + datetime.timedelta(days=day)} {fraud_cards:11d} {unrev:10d} {len(reach):9d} {ceiling:7.4f}'
        sums['ceiling'] += ceiling
        if scores:
            mpool = {k: v for k, v in cards.items() if k not in caught_model}
            ranked = sorted(mpool.items(), key=lambda kv: -kv[1]['score'])[:100]
            in_top = {k for k, _ in ranked}
            hits = [k for k, v in ranked if v['fraud']]
            missed = sum(1 for k, v in mpool.items() if v['reach'] and k not in in_top)
            caught_model |= set(hits)
            sums['model'] += len(hits) / 100
            line += f'  {len(hits) / 100:8.4f} {missed:16d}'
        print(line)
    n = test_end - test_start
    tail = f', model CP@100 {sums["model"] / n:.4f}' if scores else ''
    print(f'mean: ceiling {sums["ceiling"] / n:.4f}{tail}')


if __name__ == '__main__':
    main(sys.argv[1:])
