"""Peer (b) of bench/score-api.mjs: what a team would otherwise write. A FastAPI service (run by uvicorn, one process,
so the per-card state in its dicts is consistent) validating the transaction with pydantic, computing the 34 features
of models/default.json in Python from per-card and per-terminal day buckets (the definitions of
native/scorer/FEATURES.md: 1/7/30-day counts and means, time since the previous transaction, amount against the
previous 1/7/30-day means, high-ratio days in 14, terminal counts, delayed risk and fraud counts, small amounts today,
travel since the previous card-present transaction) and calling XGBoost's own predictor on one row. It takes no
labels, like the bench's load (so the terminal risk, fraud counts and streak stay 0, the streak age NaN).
bench/peers/feature-parity.mjs checks its features and scores against the Rust scorer's.

Run: .venv/bin/python -m uvicorn --app-dir bench/peers fastapi_xgb:app --host 127.0.0.1 --port PORT --no-access-log
Model: env FRAUDSTREAM_MODEL (default models/default.json). Thresholds: REVIEW >= 0.5, DECLINE >= 0.9 (the scorer's).
"""
import hashlib
import math
import os
import time
from typing import Literal, Optional, Union

import numpy as np
import xgboost as xgb
from fastapi import FastAPI
from pydantic import BaseModel, Field

MODEL = os.environ.get("FRAUDSTREAM_MODEL", os.path.join(os.path.dirname(__file__), "..", "..", "models", "default.json"))
booster = xgb.Booster(model_file=MODEL)
booster.set_param({"nthread": 1})
MS_PER_DAY = 86_400_000
LABEL_DELAY_DAYS = 7
SMALL_AMOUNT = 5.0
HIGH_RATIO = 2.5
HIGH_RATIO_WINDOW = 14
CHANNELS = {"POS": 1, "ONLINE": 2, "ATM": 3}
NAN = float("nan")


class Transaction(BaseModel):
    id: Union[str, int]
    cardId: Union[str, int]
    terminalId: Union[str, int]
    amount: float = Field(ge=0, le=1e9)
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    timestamp: Union[int, float, str]
    mcc: Optional[int] = Field(default=None, ge=0, le=9999)
    channel: Optional[Literal["POS", "ONLINE", "ATM"]] = None
    cardPresent: Optional[bool] = None
    country: Optional[str] = Field(default=None, pattern=r"^[A-Z]{2}$")
    lat: Optional[float] = Field(default=None, ge=-90, le=90)
    lon: Optional[float] = Field(default=None, ge=-180, le=180)


class Card:
    __slots__ = ("days", "prev_ts", "small_day", "small_count", "present_ts", "present_lat", "present_lon", "present_country", "high_days", "max_amount")

    def __init__(self):
        self.days = {}  # day -> [count, sum]
        self.prev_ts = NAN
        self.small_day = -(10**9)
        self.small_count = 0
        self.present_ts = NAN
        self.present_lat = NAN
        self.present_lon = NAN
        self.present_country = None
        self.high_days = set()  # days with a high-ratio transaction (amount > 2.5 x the previous 30-day mean)
        self.max_amount = NAN  # the largest amount so far (stream order), kept as f32 like the scorer


class Terminal:
    __slots__ = ("days", "streak", "streak_day")

    def __init__(self):
        self.days = {}  # day -> [count, fraud labels, labels]
        self.streak = 0  # fraud labels in a row since the last genuine one (this peer takes no labels: stays 0)
        self.streak_day = 0


cards: dict = {}
terminals: dict = {}


def to_ms(ts) -> float:
    if isinstance(ts, (int, float)):
        return float(ts)
    from datetime import datetime, timezone

    d = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.timestamp() * 1000.0


def haversine_km(lat1, lon1, lat2, lon2):
    # R = 6371 km, as the scorer (native/scorer/src/features.rs haversine_km).
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(min(1.0, math.sqrt(a)))


def ratio(amount, count, total):
    return amount / (total / count) if count and total > 0 else NAN


def features(tx: Transaction) -> list:
    """The 34 features of native/scorer/FEATURES.md, in its order (the order of the model's feature_names)."""
    ts = to_ms(tx.timestamp)
    day = int(ts // MS_PER_DAY)
    hour = min(23.0, max(0.0, math.floor((ts - day * MS_PER_DAY) / 3_600_000)))
    weekday = (day + 4) % 7
    f = [tx.amount, math.log1p(tx.amount), hour, float(weekday in (0, 6)), float(hour < 6)]
    card = cards.get(tx.cardId)
    if card is None:
        card = cards[tx.cardId] = Card()
    for d in [d for d in card.days if d <= day - 31]:
        del card.days[d]
    # The card's previous transactions per window (1, 7, 30 days), then this one added.
    prev = []
    for w in (1, 7, 30):
        prev.append((sum(v[0] for d, v in card.days.items() if day - w < d <= day), sum(v[1] for d, v in card.days.items() if day - w < d <= day)))
    bucket = card.days.setdefault(day, [0, 0.0])
    bucket[0] += 1
    bucket[1] += tx.amount
    for c, s in prev:
        f += [float(c + 1), (s + tx.amount) / (c + 1)]
    f.append((ts - card.prev_ts) / 1000.0)
    card.prev_ts = ts
    ratio_30d = ratio(tx.amount, *prev[2])
    f.append(ratio_30d)
    term = terminals.get(tx.terminalId)
    if term is None:
        term = terminals[tx.terminalId] = Terminal()
    for d in [d for d in term.days if d <= day - 31 - LABEL_DELAY_DAYS]:
        del term.days[d]
    term.days.setdefault(day, [0, 0, 0])[0] += 1
    for w in (1, 7, 30):
        f.append(float(sum(v[0] for d, v in term.days.items() if day - w < d <= day)))
    end = day - LABEL_DELAY_DAYS
    frauds = []
    for w in (1, 7, 30):
        fraud = sum(v[1] for d, v in term.days.items() if end - w < d <= end)
        labelled = sum(v[2] for d, v in term.days.items() if end - w < d <= end)
        frauds.append(fraud)
        f.append(fraud / labelled if labelled else 0.0)
    f.append(float(CHANNELS[tx.channel]) if tx.channel else NAN)
    f.append(NAN if tx.cardPresent is None else float(tx.cardPresent))
    f.append(float(tx.mcc) if tx.mcc else NAN)
    small = int(tx.amount < SMALL_AMOUNT)
    if day == card.small_day:
        card.small_count += small
        f.append(float(card.small_count))
    elif day > card.small_day:
        card.small_day, card.small_count = day, small
        f.append(float(small))
    else:
        f.append(float(small))
    km = kmh = changed = NAN
    if tx.cardPresent and tx.lat is not None and tx.lon is not None:
        if not math.isnan(card.present_ts):
            km = haversine_km(card.present_lat, card.present_lon, tx.lat, tx.lon)
            secs = max(abs(ts - card.present_ts) / 1000.0, 60.0)
            kmh = km / (secs / 3600.0)
            if tx.country and card.present_country:
                changed = float(tx.country != card.present_country)
        card.present_ts, card.present_lat, card.present_lon, card.present_country = ts, tx.lat, tx.lon, tx.country
    f += [km, kmh, changed]
    f.append(ratio(tx.amount, *prev[0]))
    f.append(ratio(tx.amount, *prev[1]))
    # Days in [day - 13, day] with an EARLIER high-ratio transaction; then this one is recorded if it is one.
    f.append(float(sum(1 for d in card.high_days if day - HIGH_RATIO_WINDOW < d <= day)))
    if ratio_30d > HIGH_RATIO:
        card.high_days.add(day)
        newest = max(card.high_days)
        card.high_days = {d for d in card.high_days if d > newest - 32}
    f += [float(frauds[1]), float(frauds[2]), float(term.streak), NAN if term.streak == 0 else float(day - term.streak_day)]
    # The amount against the card's largest earlier amount (all of its history).
    f.append(tx.amount / card.max_amount if card.max_amount > 0 else NAN)
    if math.isnan(card.max_amount) or tx.amount > card.max_amount:
        card.max_amount = float(np.float32(tx.amount))
    return f


app = FastAPI()


@app.post("/v1/score")
async def score(tx: Transaction):
    # async: runs on the event loop (no thread pool), so the state dicts see one request at a time.
    start = time.perf_counter()
    row = np.asarray([features(tx)], dtype=np.float32)
    p = float(booster.inplace_predict(row)[0])
    decision = "DECLINE" if p >= 0.9 else "REVIEW" if p >= 0.5 else "APPROVE"
    tid = str(tx.id)
    return {
        "id": tid,
        "decisionId": hashlib.sha256(b"fraudstream decision-id v1\0" + tid.encode()).hexdigest()[:32],
        "score": p,
        "decision": decision,
        "reasons": [],
        "modelVersion": "default",
        "latencyUs": round((time.perf_counter() - start) * 1e6),
    }
