//! Per-card and per-terminal state stores: a fast hash map from the 64-bit key to an index into a slab.

use rustc_hash::FxHashMap;

use crate::record::Record;
use crate::windows::{self, CARD_DAYS, CardWindow, EMPTY, WIDTHS};

/// A card's state: daily buckets, the time of its previous transaction, its previous card-present transaction
/// (time, place, country) and today's count of small amounts. 192 bytes.
#[derive(Clone, Debug)]
pub struct CardState {
    /// Daily count and amount buckets.
    pub window: CardWindow,
    /// Event time of the previous transaction in stream order, NaN before the first.
    pub prev_ts: f64,
    /// Event time of the previous card-present transaction with a known location, NaN before the first.
    pub present_ts: f64,
    /// Its terminal's latitude and longitude.
    pub present_lat: f32,
    pub present_lon: f32,
    /// Its country (packed), 0 unknown.
    pub present_country: u16,
    /// Small-amount transactions on day `small_day`.
    pub small_count: u16,
    /// The newest day a transaction was counted for `small_count`.
    pub small_day: i32,
    /// Days with a high-ratio transaction: bit k set = day `high_day - k` had one (k < 32).
    pub high_mask: u32,
    /// The newest day with a high-ratio transaction, [`EMPTY`] before the first.
    pub high_day: i32,
    /// The largest amount so far (stream order; `amount_to_card_max`), NaN before the first transaction.
    pub max_amount: f32,
}

impl CardState {
    /// Days in `[day - 13, day]` on which the card had a high-ratio transaction (those recorded so far).
    #[must_use]
    pub fn high_ratio_days(&self, day: i32) -> u8 {
        if self.high_day == EMPTY {
            return 0;
        }
        // Bit k of `bits` is day `day - k`.
        let shift = i64::from(day) - i64::from(self.high_day);
        let bits = if shift >= 0 {
            if shift >= 32 {
                0
            } else {
                self.high_mask << shift
            }
        } else if -shift >= 32 {
            0
        } else {
            self.high_mask >> (-shift)
        };
        (bits & ((1u32 << crate::features::HIGH_RATIO_WINDOW) - 1)).count_ones() as u8
    }

    /// Records a high-ratio transaction on `day` (dropped when 32 days or more older than the newest one).
    pub fn mark_high_ratio(&mut self, day: i32) {
        if self.high_day == EMPTY || day > self.high_day {
            let shift = if self.high_day == EMPTY {
                32
            } else {
                i64::from(day) - i64::from(self.high_day)
            };
            self.high_mask = if shift >= 32 {
                0
            } else {
                self.high_mask << shift
            } | 1;
            self.high_day = day;
        } else {
            let off = i64::from(self.high_day) - i64::from(day);
            if off < 32 {
                self.high_mask |= 1 << off;
            }
        }
    }
}

impl Default for CardState {
    fn default() -> Self {
        Self {
            window: CardWindow::default(),
            prev_ts: f64::NAN,
            present_ts: f64::NAN,
            present_lat: f32::NAN,
            present_lon: f32::NAN,
            present_country: 0,
            small_count: 0,
            small_day: i32::MIN,
            high_mask: 0,
            high_day: EMPTY,
            max_amount: f32::NAN,
        }
    }
}

/// All cards' state.
#[derive(Default)]
pub struct CardStore {
    index: FxHashMap<u64, u32>,
    slab: Vec<CardState>,
}

impl CardStore {
    /// The state of `key`, created empty on first use.
    pub fn entry(&mut self, key: u64) -> &mut CardState {
        let next = self.slab.len() as u32;
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.slab.push(CardState::default());
        }
        &mut self.slab[i as usize]
    }

    /// Starts fetching the state of `key` into the cache; returns its slot, [`UNKNOWN`] when the card is new.
    #[allow(
        clippy::must_use_candidate,
        reason = "the prefetch alone is worth calling"
    )]
    pub fn prefetch(&self, key: u64) -> u32 {
        match self.index.get(&key) {
            Some(&i) => {
                prefetch_slice(std::slice::from_ref(&self.slab[i as usize]));
                i
            }
            None => UNKNOWN,
        }
    }

    /// [`CardStore::entry`] with the slot a [`CardStore::prefetch`] of `key` returned (slots never move), which
    /// saves the hash lookup; [`UNKNOWN`] looks it up.
    pub fn entry_in(&mut self, key: u64, slot: u32) -> &mut CardState {
        if slot == UNKNOWN {
            self.entry(key)
        } else {
            debug_assert_eq!(self.index.get(&key), Some(&slot));
            &mut self.slab[slot as usize]
        }
    }

    /// Number of cards seen.
    #[must_use]
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// The card keys in slot order: `keys_by_slot()[i]` is the key of `states()[i]` (snapshots).
    #[must_use]
    pub fn keys_by_slot(&self) -> Vec<u64> {
        keys_by_slot(&self.index, self.slab.len())
    }

    /// The card states in slot order (snapshots).
    #[must_use]
    pub fn states(&self) -> &[CardState] {
        &self.slab
    }

    /// A store in which card `keys[i]` has state `states[i]` (snapshots); slots keep their order.
    ///
    /// # Errors
    /// When the lengths differ, a key appears twice, or there are more cards than slots (`u32::MAX - 1`).
    pub fn from_parts(keys: &[u64], states: Vec<CardState>) -> Result<Self, String> {
        let index = index_of_keys(keys, states.len(), "card")?;
        Ok(Self {
            index,
            slab: states,
        })
    }

    /// Heap bytes held (allocated capacity, not just used): the slab plus the hash index (key, value and one
    /// control byte per bucket, as hashbrown lays it out).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.slab.capacity() * size_of::<CardState>() + index_bytes(&self.index)
    }

    /// Whether no card was seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.slab.is_empty()
    }
}

/// Transaction counts and delayed fraud risk of a terminal for the 1, 7 and 30-day windows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TermTotals {
    /// Transactions in the windows ending on the event day, the current one included.
    pub count: [u32; 3],
    /// Fraud labels / labels for transactions whose event day is in the delayed windows, 0 when none.
    pub risk: [f32; 3],
    /// Fraud labels for transactions whose event day is in the delayed windows.
    pub frauds: [u32; 3],
    /// Fraud labels received in a row since the terminal's last genuine label (label arrival order).
    pub streak: u32,
    /// Event day of the first label of that run (meaningful when `streak > 0`).
    pub streak_day: i32,
}

/// A terminal's newest event day and its run of fraud labels (see [`TermTotals::streak`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TermMeta {
    /// The newest event day seen, [`EMPTY`] before the first.
    pub last: i32,
    /// Fraud labels received in a row since the last genuine label.
    pub streak: u32,
    /// Event day of the first label of that run (meaningful when `streak > 0`).
    pub streak_day: i32,
}

/// All terminals' state, structure-of-arrays: per terminal a ring of `CARD_DAYS` transaction-count buckets and a
/// ring of `CARD_DAYS + delay` days of label buckets (fraud count, labelled count), sharing one newest day.
pub struct TermStore {
    delay: i32,
    label_days: usize,
    index: FxHashMap<u64, u32>,
    /// Per terminal: its newest day and its fraud run, side by side (one cache line for both).
    meta: Vec<TermMeta>,
    tx: Vec<u32>,
    /// Per label day (fraud count, labelled count): the two are always read together, so they share cache lines.
    labels: Vec<[u32; 2]>,
}

impl TermStore {
    /// An empty store whose risk windows are delayed by `delay_days`.
    #[must_use]
    pub fn new(delay_days: u32) -> Self {
        Self {
            delay: i32::try_from(delay_days).unwrap_or(i32::MAX / 2),
            label_days: CARD_DAYS + delay_days as usize,
            index: FxHashMap::default(),
            meta: Vec::new(),
            tx: Vec::new(),
            labels: Vec::new(),
        }
    }

    fn slot_of(&mut self, key: u64) -> usize {
        let next = self.meta.len() as u32;
        let i = *self.index.entry(key).or_insert(next);
        if i == next {
            self.meta.push(TermMeta {
                last: EMPTY,
                streak: 0,
                streak_day: 0,
            });
            self.tx.resize(self.tx.len() + CARD_DAYS, 0);
            self.labels
                .resize(self.labels.len() + self.label_days, [0, 0]);
        }
        i as usize
    }

    fn advance(&mut self, t: usize, day: i32) {
        let last = self.meta[t].last;
        let ld = self.label_days;
        windows::rebase(&mut self.tx[t * CARD_DAYS..(t + 1) * CARD_DAYS], last, day);
        windows::rebase(&mut self.labels[t * ld..(t + 1) * ld], last, day);
        if last == EMPTY || day > last {
            self.meta[t].last = day;
        }
    }

    /// Starts fetching the buckets of terminal `key` into the cache (nothing when the terminal is new): the
    /// transaction ring when `transaction`, and the label ring.
    /// Returns the terminal's slot, [`UNKNOWN`] when it is new.
    #[allow(
        clippy::must_use_candidate,
        reason = "the prefetch alone is worth calling"
    )]
    pub fn prefetch(&self, key: u64, transaction: bool) -> u32 {
        let Some(&slot) = self.index.get(&key) else {
            return UNKNOWN;
        };
        let t = slot as usize;
        prefetch_slice(std::slice::from_ref(&self.meta[t]));
        if transaction {
            prefetch_slice(&self.tx[t * CARD_DAYS..(t + 1) * CARD_DAYS]);
        }
        let ld = self.label_days;
        prefetch_slice(&self.labels[t * ld..(t + 1) * ld]);
        slot
    }

    /// The slot of `key`: `slot` when a prefetch found it (slots never move), else looked up or created.
    fn slot_in(&mut self, key: u64, slot: u32) -> usize {
        if slot == UNKNOWN {
            self.slot_of(key)
        } else {
            debug_assert_eq!(self.index.get(&key), Some(&slot));
            slot as usize
        }
    }

    /// Applies a label for a transaction of terminal `key` on event day `day`; dropped when older than the ring.
    pub fn label(&mut self, key: u64, day: i32, fraud: bool) {
        self.label_in(key, day, fraud, UNKNOWN);
    }

    /// [`TermStore::label`] with the slot a prefetch returned ([`UNKNOWN`]: look it up).
    pub fn label_in(&mut self, key: u64, day: i32, fraud: bool, slot: u32) {
        let t = self.slot_in(key, slot);
        self.advance(t, day);
        let run = &mut self.meta[t];
        if fraud {
            if run.streak == 0 {
                run.streak_day = day;
            }
            run.streak = run.streak.saturating_add(1);
        } else {
            run.streak = 0;
        }
        let ld = self.label_days;
        if windows::held(self.meta[t].last, day, ld) {
            let i = t * ld + windows::slot(day, ld);
            let [f, l] = &mut self.labels[i];
            *l = l.saturating_add(1);
            *f = f.saturating_add(u32::from(fraud));
        }
    }

    /// Records a transaction of terminal `key` on `day` and returns the terminal's totals including it.
    pub fn transaction(&mut self, key: u64, day: i32) -> TermTotals {
        self.transaction_in(key, day, UNKNOWN)
    }

    #[allow(
        clippy::many_single_char_names,
        reason = "t, c, f, l, k, w, i, j: terminal, counts, window and bucket indices"
    )]
    /// [`TermStore::transaction`] with the slot a prefetch returned ([`UNKNOWN`]: look it up).
    pub fn transaction_in(&mut self, key: u64, day: i32, slot: u32) -> TermTotals {
        let t = self.slot_in(key, slot);
        self.advance(t, day);
        let last = self.meta[t].last;
        if windows::held(last, day, CARD_DAYS) {
            let i = t * CARD_DAYS + windows::slot(day, CARD_DAYS);
            self.tx[i] = self.tx[i].saturating_add(1);
        }
        let ld = self.label_days;
        let mut out = TermTotals {
            streak: self.meta[t].streak,
            streak_day: self.meta[t].streak_day,
            ..TermTotals::default()
        };
        let (mut c, mut f, mut l) = (0u32, 0u32, 0u32);
        // The held days of each ring are a contiguous range of k, and their buckets are walked backwards from
        // `day`'s (delayed `day - delay`'s): no division or test per day; same days in the same order as testing
        // each day, so the same totals.
        let (tlo, thi) = windows::held_range(last, day, 0, CARD_DAYS);
        let (llo, lhi) = windows::held_range(last, day, self.delay, ld);
        let tx = &self.tx[t * CARD_DAYS..(t + 1) * CARD_DAYS];
        let labels = &self.labels[t * ld..(t + 1) * ld];
        let mut i = windows::slot(day, CARD_DAYS);
        let mut j = windows::slot(day.wrapping_sub(self.delay), ld);
        let mut k = 0;
        for (w, &width) in WIDTHS.iter().enumerate() {
            while k < width {
                let kk = i64::from(k);
                if kk >= tlo && kk < thi {
                    c += tx[i];
                }
                if kk >= llo && kk < lhi {
                    f += labels[j][0];
                    l += labels[j][1];
                }
                i = windows::prev_slot(i, CARD_DAYS);
                j = windows::prev_slot(j, ld);
                k += 1;
            }
            out.count[w] = c;
            out.frauds[w] = f;
            out.risk[w] = if l == 0 {
                0.0
            } else {
                (f64::from(f) / f64::from(l)) as f32
            };
        }
        out
    }

    /// Adds aggregates merged from other instances to terminal `key` on `day`: `tx` transactions, `labelled`
    /// labels of which `fraud` say fraud. A negative value takes back part of an earlier merge (a bucket never goes
    /// below 0). Dropped for a ring whose days no longer hold `day`; the fraud run is not touched.
    pub fn merge_day(&mut self, key: u64, day: i32, tx: i32, labelled: i32, fraud: i32) {
        let t = self.slot_of(key);
        self.advance(t, day);
        let last = self.meta[t].last;
        if windows::held(last, day, CARD_DAYS) {
            let i = t * CARD_DAYS + windows::slot(day, CARD_DAYS);
            self.tx[i] = self.tx[i].saturating_add_signed(tx);
        }
        let ld = self.label_days;
        if windows::held(last, day, ld) {
            let [f, l] = &mut self.labels[t * ld + windows::slot(day, ld)];
            *l = l.saturating_add_signed(labelled);
            *f = f.saturating_add_signed(fraud);
        }
    }

    /// Number of terminals seen.
    #[must_use]
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Delay of the risk windows, in days.
    #[must_use]
    pub fn label_delay_days(&self) -> u32 {
        (self.label_days - CARD_DAYS) as u32
    }

    /// Days in each terminal's label ring: `CARD_DAYS + label_delay_days`.
    #[must_use]
    pub fn label_days(&self) -> usize {
        self.label_days
    }

    /// The terminal keys in slot order (snapshots).
    #[must_use]
    pub fn keys_by_slot(&self) -> Vec<u64> {
        keys_by_slot(&self.index, self.meta.len())
    }

    /// The rings in slot order (snapshots): per terminal its newest day and fraud run, `CARD_DAYS` transaction
    /// counts and `label_days()` (fraud, labelled) pairs.
    #[must_use]
    pub fn rings(&self) -> (&[TermMeta], &[u32], &[[u32; 2]]) {
        (&self.meta, &self.tx, &self.labels)
    }

    /// A store with the rings [`TermStore::rings`] gave, terminal `keys[i]` in slot `i` (snapshots).
    ///
    /// # Errors
    /// When a ring's length does not match the number of keys, a key appears twice, or there are too many.
    pub fn from_parts(
        delay_days: u32,
        keys: &[u64],
        meta: Vec<TermMeta>,
        tx: Vec<u32>,
        labels: Vec<[u32; 2]>,
    ) -> Result<Self, String> {
        let mut s = Self::new(delay_days);
        let n = keys.len();
        if meta.len() != n || tx.len() != n * CARD_DAYS || labels.len() != n * s.label_days {
            return Err(format!(
                "terminal rings do not match {n} terminals: {} newest days, {} transaction buckets, {} label buckets",
                meta.len(),
                tx.len(),
                labels.len()
            ));
        }
        s.index = index_of_keys(keys, n, "terminal")?;
        s.meta = meta;
        s.tx = tx;
        s.labels = labels;
        Ok(s)
    }

    /// Heap bytes held (allocated capacity): the bucket arrays plus the hash index.
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.meta.capacity() * size_of::<TermMeta>()
            + self.tx.capacity() * size_of::<u32>()
            + self.labels.capacity() * size_of::<[u32; 2]>()
            + index_bytes(&self.index)
    }

    /// Whether no terminal was seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }
}

/// The keys of an index in slot order (slots are `0..len`, each used once).
fn keys_by_slot(index: &FxHashMap<u64, u32>, len: usize) -> Vec<u64> {
    let mut keys = vec![0u64; len];
    for (&k, &slot) in index {
        keys[slot as usize] = k;
    }
    keys
}

/// An index mapping `keys[i]` to slot `i`, checked: as many keys as `len`, none twice, fewer than [`UNKNOWN`].
fn index_of_keys(keys: &[u64], len: usize, what: &str) -> Result<FxHashMap<u64, u32>, String> {
    if keys.len() != len {
        return Err(format!("{} {what} keys for {len} {what}s", keys.len()));
    }
    if u32::try_from(len).map_or(true, |n| n == UNKNOWN) {
        return Err(format!("{len} {what}s is more than a store can hold"));
    }
    let mut index = FxHashMap::default();
    index.reserve(len);
    for (slot, &k) in keys.iter().enumerate() {
        if index.insert(k, slot as u32).is_some() {
            return Err(format!(
                "{what} slot {slot} repeats the key of an earlier {what}"
            ));
        }
    }
    Ok(index)
}

/// Bytes of a hash index: hashbrown allocates `buckets` = capacity / 7 * 8 rounded up to a power of two, each with
/// one entry and one control byte, plus a group (16 bytes) of trailing control bytes.
fn index_bytes(index: &FxHashMap<u64, u32>) -> usize {
    if index.capacity() == 0 {
        return 0;
    }
    let buckets = (index.capacity() * 8 / 7).next_power_of_two();
    buckets * (size_of::<(u64, u32)>() + 1) + 16
}

/// Hints the CPU to load every cache line of `s` (a no-op off x86-64). Used a few records ahead of the one being
/// applied, so that the cache misses on the state of several records overlap instead of coming one after another.
#[inline]
fn prefetch_slice<T>(s: &[T]) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = s.as_ptr().cast::<i8>();
        let bytes = size_of_val(s);
        let mut off = 0;
        while off < bytes {
            // SAFETY: a prefetch is only a hint: it reads nothing architecturally and cannot fault; the addresses
            // are inside `s` anyway.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(off)) };
            off += 64;
        }
        if bytes > 0 {
            // The last line, when `s` does not start on a line boundary.
            // SAFETY: as above.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(bytes - 1)) };
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = s;
}

/// A slot not known (the key was new when prefetched): look the key up.
pub const UNKNOWN: u32 = u32::MAX;

/// The card and terminal slots of a record, as [`State::prefetch`] found them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slots {
    /// Card slot, [`UNKNOWN`] if not known.
    pub card: u32,
    /// Terminal slot, [`UNKNOWN`] if not known.
    pub term: u32,
}

impl Slots {
    /// Nothing known: every key is looked up.
    pub const UNKNOWN: Slots = Slots {
        card: UNKNOWN,
        term: UNKNOWN,
    };
}

/// The whole mutable state of one scorer.
pub struct State {
    /// Card state.
    pub cards: CardStore,
    /// Terminal state.
    pub terms: TermStore,
}

impl State {
    /// A fresh state with terminal risk delayed by `label_delay_days`.
    #[must_use]
    pub fn new(label_delay_days: u32) -> Self {
        Self {
            cards: CardStore::default(),
            terms: TermStore::new(label_delay_days),
        }
    }

    /// Starts fetching the state a record will touch (its card and terminal), so that applying it a few records
    /// later does not wait for memory; returns their slots for [`features::transaction_in`] and
    /// [`features::apply_label_in`] (valid as long as this state lives: slots never move). Changes nothing.
    ///
    /// [`features::transaction_in`]: crate::features::transaction_in
    /// [`features::apply_label_in`]: crate::features::apply_label_in
    #[allow(
        clippy::must_use_candidate,
        reason = "the prefetch alone is worth calling"
    )]
    pub fn prefetch(&self, rec: &Record) -> Slots {
        if !rec.is_valid() {
            return Slots::UNKNOWN;
        }
        let transaction = !rec.is_label();
        Slots {
            card: if transaction {
                self.cards.prefetch(rec.card)
            } else {
                UNKNOWN
            },
            term: self.terms.prefetch(rec.term, transaction),
        }
    }
}

#[cfg(test)]
#[allow(clippy::float_cmp, reason = "risks here are exact small fractions")]
mod tests {
    use super::*;

    #[test]
    fn terminal_risk_is_delayed() {
        let mut s = TermStore::new(7);
        s.transaction(1, 100);
        s.label(1, 100, true);
        // Day 100 is in the delayed 1-day window only on day 107.
        assert_eq!(s.transaction(1, 106).risk, [0.0, 0.0, 0.0]);
        let t = s.transaction(1, 107);
        assert_eq!(t.risk, [1.0, 1.0, 1.0]);
        assert_eq!(t.count, [1, 2, 3]);
        s.label(1, 101, false);
        assert_eq!(s.transaction(1, 108).risk, [0.0, 0.5, 0.5]);
    }

    #[test]
    fn merged_days_count_like_own_ones_and_can_be_taken_back() {
        // One store sees everything; another sees half and merges the rest: the same totals.
        let mut all = TermStore::new(7);
        let mut half = TermStore::new(7);
        for (day, fraud) in [(100, true), (101, false), (102, true)] {
            all.transaction(5, day);
            all.label(5, day, fraud);
        }
        half.transaction(5, 100);
        half.label(5, 100, true);
        half.merge_day(5, 101, 1, 1, 0);
        half.merge_day(5, 102, 1, 1, 1);
        let (h, a) = (half.transaction(5, 109), all.transaction(5, 109));
        // Counts and risk agree; the fraud run (labels in arrival order) is not merged.
        assert_eq!((h.count, h.risk, h.frauds), (a.count, a.risk, a.frauds));
        assert_ne!(h.streak_day, a.streak_day);
        // Taking a merge back (a negative delta) restores the store without it, never below 0.
        let mut other = TermStore::new(7);
        other.transaction(6, 100);
        let before = other.clone_totals(6, 107);
        other.merge_day(6, 100, 4, 2, 1);
        assert_ne!(other.clone_totals(6, 107), before);
        other.merge_day(6, 100, -4, -2, -1);
        assert_eq!(other.clone_totals(6, 107), before);
        other.merge_day(6, 100, -9, -9, -9);
        assert_eq!(other.clone_totals(6, 107).count, [0, 0, 0]);
        // A day the rings no longer hold is dropped.
        other.merge_day(6, 10, 50, 50, 50);
        assert_eq!(other.clone_totals(6, 107).count, [0, 0, 0]);
    }

    impl TermStore {
        /// The totals a transaction on `day` would see, without recording one (tests only).
        fn clone_totals(&self, key: u64, day: i32) -> TermTotals {
            let mut copy = TermStore {
                delay: self.delay,
                label_days: self.label_days,
                index: self.index.clone(),
                meta: self.meta.clone(),
                tx: self.tx.clone(),
                labels: self.labels.clone(),
            };
            let mut t = copy.transaction(key, day);
            // Without the transaction itself.
            for c in &mut t.count {
                *c -= 1;
            }
            t
        }
    }
}
