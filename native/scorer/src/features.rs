//! The feature vector: names, indices and the stateful computation (see `FEATURES.md`).

use crate::record::Record;
use std::cmp::Ordering;

use crate::state::{CardState, Slots, State};
use crate::windows::{MS_PER_DAY, day_of};

/// Number of features.
pub const N_FEATURES: usize = 34;

/// Feature names, in vector order. This is the one place the order is defined.
pub const NAMES: [&str; N_FEATURES] = [
    "amount",
    "log_amount",
    "hour",
    "is_weekend",
    "is_night",
    "card_tx_count_1d",
    "card_mean_amount_1d",
    "card_tx_count_7d",
    "card_mean_amount_7d",
    "card_tx_count_30d",
    "card_mean_amount_30d",
    "secs_since_prev_card_tx",
    "amount_to_card_mean_30d",
    "terminal_tx_count_1d",
    "terminal_tx_count_7d",
    "terminal_tx_count_30d",
    "terminal_risk_1d",
    "terminal_risk_7d",
    "terminal_risk_30d",
    "channel",
    "card_present",
    "mcc",
    "card_small_tx_count_1d",
    "km_from_prev_present",
    "kmh_from_prev_present",
    "country_changed",
    "amount_to_card_mean_1d",
    "amount_to_card_mean_7d",
    "card_high_ratio_days_14d",
    "terminal_fraud_count_7d",
    "terminal_fraud_count_30d",
    "terminal_fraud_streak",
    "terminal_streak_days",
    "amount_to_card_max",
];

/// Index of `amount`.
pub const AMOUNT: usize = 0;
/// Index of `log_amount`.
pub const LOG_AMOUNT: usize = 1;
/// Index of `hour`.
pub const HOUR: usize = 2;
/// Index of `is_weekend`.
pub const IS_WEEKEND: usize = 3;
/// Index of `is_night`.
pub const IS_NIGHT: usize = 4;
/// Index of `card_tx_count_1d`; the 7d and 30d count follow at +2 and +4, the means at +1, +3, +5.
pub const CARD_TX_COUNT_1D: usize = 5;
/// Index of `secs_since_prev_card_tx`.
pub const SECS_SINCE_PREV: usize = 11;
/// Index of `amount_to_card_mean_30d`.
pub const AMOUNT_TO_MEAN_30D: usize = 12;
/// Index of `terminal_tx_count_1d`; 7d and 30d follow.
pub const TERM_TX_COUNT_1D: usize = 13;
/// Index of `terminal_risk_1d`; 7d and 30d follow.
pub const TERM_RISK_1D: usize = 16;

/// Index of `channel`.
pub const CHANNEL: usize = 19;
/// Index of `card_present`.
pub const CARD_PRESENT: usize = 20;
/// Index of `mcc`.
pub const MCC: usize = 21;
/// Index of `card_small_tx_count_1d`.
pub const SMALL_COUNT_1D: usize = 22;
/// Index of `km_from_prev_present`.
pub const KM_FROM_PREV: usize = 23;
/// Index of `kmh_from_prev_present`.
pub const KMH_FROM_PREV: usize = 24;
/// Index of `country_changed`.
pub const COUNTRY_CHANGED: usize = 25;
/// Index of `amount_to_card_mean_1d`; `amount_to_card_mean_7d` follows.
pub const AMOUNT_TO_MEAN_1D: usize = 26;
/// Index of `card_high_ratio_days_14d`.
pub const HIGH_RATIO_DAYS: usize = 28;
/// Index of `terminal_fraud_count_7d`; `terminal_fraud_count_30d` follows.
pub const TERM_FRAUD_COUNT_7D: usize = 29;
/// Index of `terminal_fraud_streak`.
pub const TERM_STREAK: usize = 31;
/// Index of `terminal_streak_days`.
pub const TERM_STREAK_DAYS: usize = 32;
/// Index of `amount_to_card_max`.
pub const AMOUNT_TO_CARD_MAX: usize = 33;
/// A transaction whose `amount_to_card_mean_30d` exceeds this is a high-ratio one (`card_high_ratio_days_14d`).
pub const HIGH_RATIO: f64 = 2.5;
/// Days in the `card_high_ratio_days_14d` window (the event day included).
pub const HIGH_RATIO_WINDOW: i32 = 14;
/// Amounts below this count as small (card testing), major units.
pub const SMALL_AMOUNT: f64 = 5.0;
/// The shortest time used for a speed, seconds (so two transactions a few seconds apart do not divide by ~0).
pub const MIN_TRAVEL_SECS: f64 = 60.0;

/// Great-circle distance in km (haversine, mean Earth radius 6371 km).
#[must_use]
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0 * a.sqrt().min(1.0).asin()
}

/// Index of a feature name, `None` when it is not one of ours.
#[must_use]
pub fn index_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

/// Applies a label record to the state (terminal fraud/labelled buckets of the labelled transaction's day).
pub fn apply_label(state: &mut State, rec: &Record) {
    apply_label_in(state, rec, Slots::UNKNOWN);
}

/// [`apply_label`] with the slots [`State::prefetch`] returned for `rec`.
pub fn apply_label_in(state: &mut State, rec: &Record, slots: Slots) {
    state
        .terms
        .label_in(rec.term, day_of(rec.ts_ms), rec.is_fraud(), slots.term);
}

/// Updates the state with a valid transaction record and writes its feature vector into `out`.
pub fn transaction(state: &mut State, rec: &Record, out: &mut [f32; N_FEATURES]) {
    transaction_in(state, rec, out, Slots::UNKNOWN);
}

/// [`transaction`] with the slots [`State::prefetch`] returned for `rec` (saves the two hash lookups).
pub fn transaction_in(state: &mut State, rec: &Record, out: &mut [f32; N_FEATURES], slots: Slots) {
    let day = day_of(rec.ts_ms);
    let ms_in_day = rec.ts_ms - f64::from(day) * MS_PER_DAY;
    let hour = (ms_in_day / 3_600_000.0).floor().clamp(0.0, 23.0);
    // 1970-01-01 was a Thursday: (day + 4) mod 7 is 0 on Sunday and 6 on Saturday.
    let weekday = (i64::from(day) + 4).rem_euclid(7);
    out[AMOUNT] = rec.amount as f32;
    out[LOG_AMOUNT] = rec.amount.ln_1p() as f32;
    out[HOUR] = hour as f32;
    out[IS_WEEKEND] = f32::from(u8::from(weekday == 0 || weekday == 6));
    out[IS_NIGHT] = f32::from(u8::from(hour < 6.0));

    let card = state.cards.entry_in(rec.card, slots.card);
    card.window.advance(day);
    // Totals of the earlier transactions; the current one is added below.
    let mut t = card.window.totals(day);
    let in_ring = card.window.holds(day);
    card.window.add(day, rec.amount);
    let prev = t;
    let prev_count = t.count[2];
    let prev_sum = t.sum[2];
    if in_ring {
        for w in 0..3 {
            t.count[w] += 1;
            t.sum[w] += rec.amount;
        }
    }
    for w in 0..3 {
        let c = t.count[w];
        out[CARD_TX_COUNT_1D + 2 * w] = c as f32;
        out[CARD_TX_COUNT_1D + 2 * w + 1] = if c == 0 {
            f32::NAN
        } else {
            (t.sum[w] / f64::from(c)) as f32
        };
    }
    out[SECS_SINCE_PREV] = ((rec.ts_ms - card.prev_ts) / 1000.0) as f32;
    card.prev_ts = rec.ts_ms;
    let ratio = |count: u32, sum: f64| {
        if count == 0 || sum <= 0.0 {
            f64::NAN
        } else {
            rec.amount / (sum / f64::from(count))
        }
    };
    let ratio_30d = ratio(prev_count, prev_sum);
    out[AMOUNT_TO_MEAN_30D] = ratio_30d as f32;
    for w in 0..2 {
        out[AMOUNT_TO_MEAN_1D + w] = ratio(prev.count[w], prev.sum[w]) as f32;
    }
    out[HIGH_RATIO_DAYS] = f32::from(card.high_ratio_days(day));
    if ratio_30d > HIGH_RATIO {
        card.mark_high_ratio(day);
    }

    card_extras(card, rec, day, out);
    card_amount_max(card, rec.amount, out);

    let term = state.terms.transaction_in(rec.term, day, slots.term);
    for w in 0..3 {
        out[TERM_TX_COUNT_1D + w] = term.count[w] as f32;
        out[TERM_RISK_1D + w] = term.risk[w];
    }
    out[TERM_FRAUD_COUNT_7D] = term.frauds[1] as f32;
    out[TERM_FRAUD_COUNT_7D + 1] = term.frauds[2] as f32;
    out[TERM_STREAK] = term.streak as f32;
    out[TERM_STREAK_DAYS] = if term.streak == 0 {
        f32::NAN
    } else {
        (i64::from(day) - i64::from(term.streak_day)) as f32
    };
}

/// Feature 33: the amount against the largest amount among the card's earlier transactions (stream order, all of its
/// history); NaN for the card's first transaction or when that largest amount is not positive.
fn card_amount_max(card: &mut CardState, amount: f64, out: &mut [f32; N_FEATURES]) {
    let max = f64::from(card.max_amount);
    out[AMOUNT_TO_CARD_MAX] = if max > 0.0 {
        (amount / max) as f32
    } else {
        f32::NAN
    };
    if card.max_amount.is_nan() || amount > max {
        card.max_amount = amount as f32;
    }
}

/// Features 19-25: merchant fields, today's small amounts, travel since the previous card-present transaction.
fn card_extras(card: &mut CardState, rec: &Record, day: i32, out: &mut [f32; N_FEATURES]) {
    // Merchant fields, NaN when the input did not give them.
    out[CHANNEL] = if rec.channel == 0 {
        f32::NAN
    } else {
        f32::from(rec.channel)
    };
    let present = rec.card_present();
    out[CARD_PRESENT] = present.map_or(f32::NAN, |p| f32::from(u8::from(p)));
    out[MCC] = if rec.mcc == 0 {
        f32::NAN
    } else {
        f32::from(rec.mcc)
    };
    // Small amounts today (card testing), this one included; an event older than the counted day sees only itself.
    let small = u16::from(rec.amount < SMALL_AMOUNT);
    out[SMALL_COUNT_1D] = match day.cmp(&card.small_day) {
        Ordering::Equal => {
            card.small_count = card.small_count.saturating_add(small);
            f32::from(card.small_count)
        }
        Ordering::Greater => {
            card.small_day = day;
            card.small_count = small;
            f32::from(small)
        }
        Ordering::Less => f32::from(small),
    };
    // Travel since the previous card-present transaction with a location (impossible travel).
    out[KM_FROM_PREV] = f32::NAN;
    out[KMH_FROM_PREV] = f32::NAN;
    out[COUNTRY_CHANGED] = f32::NAN;
    if present == Some(true) && rec.lat.is_finite() && rec.lon.is_finite() {
        if card.present_ts.is_finite() {
            let km = haversine_km(
                f64::from(card.present_lat),
                f64::from(card.present_lon),
                f64::from(rec.lat),
                f64::from(rec.lon),
            );
            let secs = ((rec.ts_ms - card.present_ts) / 1000.0)
                .abs()
                .max(MIN_TRAVEL_SECS);
            out[KM_FROM_PREV] = km as f32;
            out[KMH_FROM_PREV] = (km / (secs / 3600.0)) as f32;
            if rec.country != 0 && card.present_country != 0 {
                out[COUNTRY_CHANGED] = f32::from(u8::from(rec.country != card.present_country));
            }
        }
        card.present_ts = rec.ts_ms;
        card.present_lat = rec.lat;
        card.present_lon = rec.lon;
        card.present_country = rec.country;
    }
}
