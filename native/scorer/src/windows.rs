//! Calendar-day bucket windows in UTC.
//!
//! A ring of `len` daily buckets remembers the days `(last - len, last]`, where `last` is the newest event day the
//! key has seen. Day `d` lives in bucket `d mod len`. When a newer day arrives the ring is rebased: the buckets of
//! the days that enter are cleared (all of them after a gap of `len` days or more). An event older than the ring
//! is applied to nothing; an out-of-order event inside the ring goes into its own day's bucket.
#![allow(
    clippy::cast_possible_wrap,
    reason = "ring lengths are at most 31 + 365 days"
)]

/// Milliseconds in a UTC day.
pub const MS_PER_DAY: f64 = 86_400_000.0;

/// Days in a card's ring: enough for the 30-day window plus the current day's rebase.
pub const CARD_DAYS: usize = 31;

/// `last` of a ring that has seen nothing yet.
pub const EMPTY: i32 = i32::MIN;

/// The UTC day number of an epoch-millisecond time.
#[must_use]
pub fn day_of(ts_ms: f64) -> i32 {
    (ts_ms / MS_PER_DAY).floor() as i32
}

/// Whether a ring of `len` days whose newest day is `last` holds `day`.
#[must_use]
pub fn held(last: i32, day: i32, len: usize) -> bool {
    last != EMPTY && day <= last && i64::from(last) - i64::from(day) < len as i64
}

/// Bucket index of `day` in a ring of `buckets.len()` days.
#[must_use]
pub fn slot(day: i32, len: usize) -> usize {
    i64::from(day).rem_euclid(len as i64) as usize
}

/// Clears the buckets of the days `(last, day]` that enter a ring whose newest day is `last` when `day` arrives.
/// Call it for every array of the ring, then set `last = max(last, day)`.
pub fn rebase<T: Copy + Default>(buckets: &mut [T], last: i32, day: i32) {
    if day <= last && last != EMPTY {
        return;
    }
    let len = buckets.len();
    if last == EMPTY || i64::from(day) - i64::from(last) >= len as i64 {
        buckets.fill(T::default());
        return;
    }
    // The entering days' buckets, walked with a wrapping index (one division for the first, none per day).
    let mut i = slot(last + 1, len);
    for _ in (last + 1)..=day {
        buckets[i] = T::default();
        i = if i + 1 == len { 0 } else { i + 1 };
    }
}

/// The range of `k` (days back from `day`) for which a ring of `len` days whose newest day is `last` holds
/// `day - k - shift`: `held(last, day - k - shift, len)` is true exactly for `lo <= k < hi` (empty when `lo >= hi`).
/// Summing loops use it instead of testing every day.
#[must_use]
pub fn held_range(last: i32, day: i32, shift: i32, len: usize) -> (i64, i64) {
    if last == EMPTY {
        return (0, 0);
    }
    // held: d <= last and last - d < len, with d = day - shift - k.
    let gap = i64::from(last) - (i64::from(day) - i64::from(shift));
    ((-gap).max(0), len as i64 - gap)
}

/// The previous bucket index in a ring of `len` (the day before).
#[must_use]
pub fn prev_slot(i: usize, len: usize) -> usize {
    if i == 0 { len - 1 } else { i - 1 }
}

/// Counts and amount sums of the 1-, 7- and 30-day windows ending on a day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CardTotals {
    /// Transaction counts for the 1, 7 and 30-day windows.
    pub count: [u32; 3],
    /// Amount sums for the 1, 7 and 30-day windows.
    pub sum: [f64; 3],
}

/// Widths of the card and terminal windows, in days.
pub const WIDTHS: [i32; 3] = [1, 7, 30];

/// A card's daily buckets: transaction count (saturating at 255 a day) and amount sum per day. 160 bytes.
#[derive(Clone, Debug)]
pub struct CardWindow {
    count: [u8; CARD_DAYS],
    sum: [f32; CARD_DAYS],
    last: i32,
}

impl Default for CardWindow {
    fn default() -> Self {
        Self {
            count: [0; CARD_DAYS],
            sum: [0.0; CARD_DAYS],
            last: EMPTY,
        }
    }
}

impl CardWindow {
    /// The ring as it is held: day counts, day amount sums and the newest day (snapshots).
    #[must_use]
    pub fn parts(&self) -> (&[u8; CARD_DAYS], &[f32; CARD_DAYS], i32) {
        (&self.count, &self.sum, self.last)
    }

    /// A ring from the parts [`CardWindow::parts`] gave (snapshots).
    #[must_use]
    pub fn from_parts(count: [u8; CARD_DAYS], sum: [f32; CARD_DAYS], last: i32) -> Self {
        Self { count, sum, last }
    }

    /// Rebases the ring so that it ends at `max(last, day)`.
    pub fn advance(&mut self, day: i32) {
        rebase(&mut self.count, self.last, day);
        rebase(&mut self.sum, self.last, day);
        if self.last == EMPTY || day > self.last {
            self.last = day;
        }
    }

    /// Whether the ring holds `day`.
    #[must_use]
    pub fn holds(&self, day: i32) -> bool {
        held(self.last, day, CARD_DAYS)
    }

    /// Adds a transaction on `day` (after `advance`); nothing when the day is older than the ring.
    pub fn add(&mut self, day: i32, amount: f64) {
        if self.holds(day) {
            let i = slot(day, CARD_DAYS);
            self.count[i] = self.count[i].saturating_add(1);
            self.sum[i] += amount as f32;
        }
    }

    #[allow(
        clippy::many_single_char_names,
        reason = "t, c, s, k, d, i: totals, count, sum and day indices"
    )]
    /// Totals of the windows ending on `day`, over the days the ring still holds.
    #[must_use]
    pub fn totals(&self, day: i32) -> CardTotals {
        let mut t = CardTotals::default();
        let (mut c, mut s) = (0u32, 0f64);
        // The days the ring holds are a contiguous range of k, and their buckets are walked backwards from
        // `day`'s: no division or test per day (same days, same order, so the same sums as testing each day).
        let (lo, hi) = held_range(self.last, day, 0, CARD_DAYS);
        let mut i = slot(day, CARD_DAYS);
        let mut k = 0;
        for (w, &width) in WIDTHS.iter().enumerate() {
            while k < width {
                let kk = i64::from(k);
                if kk >= lo && kk < hi {
                    c += u32::from(self.count[i]);
                    s += f64::from(self.sum[i]);
                }
                i = prev_slot(i, CARD_DAYS);
                k += 1;
            }
            t.count[w] = c;
            t.sum[w] = s;
        }
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_of_is_utc_floor() {
        assert_eq!(day_of(0.0), 0);
        assert_eq!(day_of(MS_PER_DAY - 1.0), 0);
        assert_eq!(day_of(MS_PER_DAY), 1);
        assert_eq!(day_of(-1.0), -1);
    }

    #[test]
    fn held_range_is_exactly_the_held_days() {
        for len in [1usize, 31, 38] {
            for last in [EMPTY, -40, -1, 0, 5, 37, 100] {
                for day in -80..140 {
                    for shift in [0, 7, 40] {
                        let (lo, hi) = held_range(last, day, shift, len);
                        for k in 0..60i32 {
                            let d = day - k - shift;
                            let inside = i64::from(k) >= lo && i64::from(k) < hi;
                            assert_eq!(
                                inside,
                                held(last, d, len),
                                "len {len} last {last} day {day} shift {shift} k {k}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn rebase_clears_exactly_the_entering_days() {
        for len in [1usize, 7, 31] {
            for last in [-3, 0, 29, 30, 31, 62] {
                for day in last..last + 2 * len as i32 + 2 {
                    let mut b: Vec<u32> = (1..=len as u32).collect();
                    rebase(&mut b, last, day);
                    for d in (day - len as i32 + 1)..=day {
                        let cleared = d > last;
                        assert_eq!(
                            b[slot(d, len)] == 0,
                            cleared,
                            "len {len} last {last} day {day} d {d}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn ring_rebases_and_drops_old_days() {
        let mut w = CardWindow::default();
        w.advance(100);
        w.add(100, 10.0);
        w.advance(105);
        w.add(105, 5.0);
        w.add(99, 1.0); // inside the ring (105-30 = 75)
        let t = w.totals(105);
        assert_eq!(t.count, [1, 3, 3]);
        w.advance(131); // 100 leaves (131-31 = 100 is out), 105 stays
        let t = w.totals(131);
        assert_eq!(t.count, [0, 0, 1]);
        w.add(90, 1.0); // too old: ignored
        assert_eq!(w.totals(131).count, [0, 0, 1]);
        w.advance(1000); // long gap clears everything
        assert_eq!(w.totals(1000).count, [0, 0, 0]);
    }

    #[test]
    fn a_day_count_saturates_at_255_while_its_amounts_keep_adding() {
        let mut w = CardWindow::default();
        w.advance(10);
        for _ in 0..300 {
            w.add(10, 1.0);
        }
        w.advance(11);
        w.add(11, 2.0);
        let t = w.totals(11);
        assert_eq!(t.count, [1, 256, 256]);
        assert!((t.sum[2] - 302.0).abs() < 1e-9);
    }

    #[test]
    fn card_state_stays_within_its_memory_budget() {
        // 160 B of day buckets + 44 B of previous-transaction, high-ratio and largest-amount state (208 with alignment); the per-card budget (issue 4) is
        // 256 B with the slab's spare capacity and the hash index (bench/RESULTS.md, memory suite).
        assert_eq!(size_of::<CardWindow>(), 160);
        assert_eq!(size_of::<crate::state::CardState>(), 208);
    }
}
