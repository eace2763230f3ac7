//! One scorer: state, model, thresholds and the two-phase batch (ordered state phase, parallel scoring phase).

pub mod snapshot;

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use crate::bundle::{Bundle, LiveRules, NO_RULE};
use crate::decide::{REVIEW, Thresholds};
use crate::features::{self, N_FEATURES};
use crate::model::{Model, sigmoid, top3};
use crate::record::{NO_REASON, Outcome, RECORD_SIZE, RESULT_SIZE, Record, STATUS_SCORED};
use crate::rules::{self, RuleConfig};
use crate::state::{Slots, State};
use crate::ticket::{Gate, GateError, TicketGuard, WAIT_LIMIT};

pub use crate::config::ScorerConfig;

/// What one batch wrote, counted while writing the outcomes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchCounts {
    /// Transactions written with status Scored.
    pub scored: u32,
    /// Label records applied to state (status Label).
    pub labels: u32,
    /// Records that failed the scorer's checks (status Invalid).
    pub invalid: u32,
}

/// A scorer's cumulative counts since it was created.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Transactions written with status Scored.
    pub scored: u64,
    /// Label records applied.
    pub labels: u64,
    /// Records that failed the scorer's checks.
    pub invalid: u64,
    /// Batches that completed (wrote every outcome).
    pub batches: u64,
}

/// The cumulative counters, added to once per batch after its outcomes are written.
#[derive(Default)]
struct Counters {
    scored: AtomicU64,
    labels: AtomicU64,
    invalid: AtomicU64,
    batches: AtomicU64,
}

/// No ticket armed.
#[cfg(feature = "test-hooks")]
const UNARMED: u64 = u64::MAX;

/// Test-only faults (cargo feature `test-hooks`): the ticket whose batch panics in the state phase, and the one
/// whose batch reports one more scored transaction than it wrote.
#[cfg(feature = "test-hooks")]
struct Hooks {
    panic: AtomicU64,
    miscount: AtomicU64,
}

#[cfg(feature = "test-hooks")]
impl Default for Hooks {
    fn default() -> Self {
        Self {
            panic: AtomicU64::new(UNARMED),
            miscount: AtomicU64::new(UNARMED),
        }
    }
}

/// What phase A found a record to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Transaction,
    Label,
    Invalid,
}

/// Per-thread buffers reused across batches so the hot loop does not allocate per transaction.
#[derive(Default)]
struct Scratch {
    /// Feature rows of the batch's transactions only, in record order (labels and invalid records take none).
    rows: Vec<[f32; N_FEATURES]>,
    kinds: Vec<Kind>,
    margins: Vec<f64>,
    /// Which live rules fired on the current transaction, and the batch's hits per rule (then allow, block).
    fired: Vec<bool>,
    hits: Vec<u32>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The model, thresholds and rules a batch uses, swapped as a whole; `generation` names the combination in every
/// result it decides, `version` is the bundle's (or the caller's label).
struct Live {
    model: Arc<Model>,
    thresholds: Thresholds,
    rules: Arc<LiveRules>,
    generation: u32,
    version: Arc<str>,
}

/// What a scorer has live: its generation, version label and rule set.
pub struct LiveInfo {
    /// Changes with every swap (model, rules, bundle); written into each result.
    pub generation: u32,
    /// The bundle version (or the label given with the last swap).
    pub version: Arc<str>,
    /// The live rules and their hit counters.
    pub rules: Arc<LiveRules>,
}

/// One scorer instance.
pub struct Scorer {
    rules: RuleConfig,
    gate: Gate,
    state: Mutex<State>,
    live: Mutex<Live>,
    counters: Counters,
    #[cfg(feature = "test-hooks")]
    hooks: Hooks,
}

impl Scorer {
    /// A scorer with fresh state and no model (every transaction scores 0 until a model is loaded).
    #[must_use]
    pub fn new(cfg: ScorerConfig) -> Self {
        Self {
            rules: cfg.rules,
            gate: Gate::default(),
            state: Mutex::new(State::new(cfg.label_delay_days)),
            live: Mutex::new(Live {
                model: Arc::new(Model::empty()),
                thresholds: cfg.thresholds,
                rules: Arc::new(LiveRules::empty()),
                generation: 1,
                version: Arc::from(""),
            }),
            counters: Counters::default(),
            #[cfg(feature = "test-hooks")]
            hooks: Hooks::default(),
        }
    }

    /// Cumulative counts of every batch completed so far.
    pub fn counts(&self) -> Counts {
        Counts {
            scored: self.counters.scored.load(Ordering::Relaxed),
            labels: self.counters.labels.load(Ordering::Relaxed),
            invalid: self.counters.invalid.load(Ordering::Relaxed),
            batches: self.counters.batches.load(Ordering::Relaxed),
        }
    }

    /// Whether the ordering gate has passed `ticket` (its batch finished its state phase, failed or was skipped).
    pub fn ticket_done(&self, ticket: u64) -> bool {
        self.gate.is_done(ticket)
    }

    /// Test-only: the batch of `ticket` panics inside its state phase (with the state lock held).
    #[cfg(feature = "test-hooks")]
    pub fn arm_panic(&self, ticket: u64) {
        self.hooks.panic.store(ticket, Ordering::Relaxed);
    }

    /// Test-only: the batch of `ticket` reports one more scored transaction than it wrote.
    #[cfg(feature = "test-hooks")]
    pub fn arm_miscount(&self, ticket: u64) {
        self.hooks.miscount.store(ticket, Ordering::Relaxed);
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the model; batches already running keep the one they started with.
    pub fn set_model(&self, model: Model) {
        let mut live = self.live();
        live.model = Arc::new(model);
        live.generation += 1;
    }

    /// Replaces the thresholds. The generation stays: it names what labels a decision (version, rule names), which
    /// thresholds do not change, and a restored scorer then writes the same bytes as the one that went on.
    pub fn set_thresholds(&self, t: Thresholds) {
        self.live().thresholds = t;
    }

    /// Replaces the rules and lists (counters start at 0); batches already running keep the set they started
    /// with. Returns the new generation.
    pub fn set_rules(&self, rules: LiveRules) -> u32 {
        let mut live = self.live();
        live.rules = Arc::new(rules);
        live.generation += 1;
        live.generation
    }

    /// Replaces model, thresholds and rules together (one lock: a batch sees all of the old bundle or all of the
    /// new one). Returns the new generation.
    pub fn swap_bundle(&self, b: Bundle) -> u32 {
        let mut live = self.live();
        live.model = Arc::new(b.model);
        live.thresholds = b.thresholds;
        live.rules = Arc::new(b.rules);
        live.version = Arc::from(b.version.as_str());
        live.generation += 1;
        live.generation
    }

    /// The live generation, version and rules.
    pub fn live_info(&self) -> LiveInfo {
        let live = self.live();
        LiveInfo {
            generation: live.generation,
            version: Arc::clone(&live.version),
            rules: Arc::clone(&live.rules),
        }
    }

    /// Scores feature rows with the live model (no state, no gate): the model half of a batch, for benchmarks.
    pub fn score_rows(&self, rows: &[[f32; N_FEATURES]], out: &mut [f32]) {
        let model = Arc::clone(&self.live().model);
        let mut margins = vec![0f64; rows.len()];
        model.margins(rows, &mut margins);
        for (o, m) in out.iter_mut().zip(margins) {
            *o = sigmoid(m);
        }
    }

    /// Cards and terminals held, and the heap bytes of each store.
    pub fn state_size(&self) -> [usize; 4] {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        [
            state.cards.len(),
            state.cards.heap_bytes(),
            state.terms.len(),
            state.terms.heap_bytes(),
        ]
    }

    /// Merges terminal-day aggregates of other instances into the terminal state (see `TermStore::merge_day`):
    /// `entries` holds 6 words per entry, the terminal key's low and high 32 bits, the event day, then the
    /// transactions, labels and fraud labels to add. A trailing partial entry is ignored.
    pub fn merge_terminal_days(&self, entries: &[i32]) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        for e in entries.chunks_exact(6) {
            let lo = u64::from(u32::from_ne_bytes(e[0].to_ne_bytes()));
            let hi = u64::from(u32::from_ne_bytes(e[1].to_ne_bytes()));
            state
                .terms
                .merge_day(lo | (hi << 32), e[2], e[3], e[4], e[5]);
        }
    }

    /// Marks a ticket done without a batch (the batch failed before reaching the scorer).
    pub fn skip_ticket(&self, ticket: u64) {
        self.gate.done(ticket);
    }

    /// Scores one batch: `records` holds whole 64-byte records, `results` the matching 16-byte slots.
    /// Phase A (state, in ticket order) runs once the gate reaches `ticket`; phase B (model, rules) runs in
    /// parallel with other batches. The ticket is consumed on every path, error and panic included.
    /// Returns what it wrote, counted while writing, and adds it to the scorer's cumulative counts.
    ///
    /// # Errors
    /// When the ticket was already used or its turn did not come in time.
    ///
    /// # Panics
    /// When `results` is not `RESULT_SIZE` bytes per record (and, with `test-hooks`, on an armed ticket).
    #[allow(
        clippy::too_many_lines,
        reason = "both phases share one borrow of the thread's scratch; split, they would pass it piecewise"
    )]
    pub fn score_batch(
        &self,
        records: &[u8],
        results: &mut [u8],
        ticket: u64,
    ) -> Result<BatchCounts, GateError> {
        let count = records.len() / RECORD_SIZE;
        assert_eq!(
            results.len(),
            count * RESULT_SIZE,
            "results must have one slot per record"
        );
        let guard = TicketGuard::new(&self.gate, ticket);
        self.gate.wait(ticket, WAIT_LIMIT)?;
        SCRATCH.with_borrow_mut(|s| {
            s.rows.resize(count, [0.0; N_FEATURES]);
            s.kinds.resize(count, Kind::Invalid);
            let (model, thresholds, live_rules, generation) = {
                let live = self.live();
                (
                    Arc::clone(&live.model),
                    live.thresholds,
                    Arc::clone(&live.rules),
                    live.generation,
                )
            };
            // An empty rule set (the default) costs one branch per transaction.
            let dynamic = !live_rules.set.is_empty();
            s.fired.resize(live_rules.set.rules.len(), false);
            s.hits.clear();
            s.hits.resize(live_rules.counters(), 0);
            let mut transactions = 0;
            {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
                #[cfg(feature = "test-hooks")]
                assert!(
                    self.hooks.panic.load(Ordering::Relaxed) != ticket,
                    "test-hooks: armed panic in the state phase of ticket {ticket}"
                );
                let mut ahead = Ahead::new(&state, records);
                for (i, slot) in records.chunks_exact(RECORD_SIZE).enumerate() {
                    let slots = ahead.next(&state, records, i);
                    let kind = apply(
                        &mut state,
                        &Record::read(slot),
                        &mut s.rows[transactions],
                        slots,
                    );
                    s.kinds[i] = kind;
                    transactions += usize::from(kind == Kind::Transaction);
                }
            }
            drop(guard);
            // The model runs over the transaction rows as a block (see `Model::margins`), outside the gate.
            s.margins.resize(transactions, 0.0);
            model.margins(&s.rows[..transactions], &mut s.margins);
            let mut scored = 0;
            let mut counts = BatchCounts::default();
            let mut contrib = [0f32; N_FEATURES];
            for (i, slot) in results.chunks_exact_mut(RESULT_SIZE).enumerate() {
                let mut rule = NO_RULE;
                let out = match s.kinds[i] {
                    Kind::Transaction => {
                        let row = &s.rows[scored];
                        let score = sigmoid(s.margins[scored]);
                        scored += 1;
                        let mut rules = rules::evaluate(&self.rules, row);
                        let mut decision = thresholds.decide(score, rules);
                        if dynamic {
                            let rec =
                                Record::read(&records[i * RECORD_SIZE..(i + 1) * RECORD_SIZE]);
                            (decision, rules, rule) = live_rules.apply(
                                row,
                                &rec,
                                decision,
                                rules,
                                &mut s.fired,
                                &mut s.hits,
                            );
                        }
                        // Reasons cost a second tree walk, so only alerts get them.
                        let reasons = if decision >= REVIEW {
                            model.contributions(row, &mut contrib);
                            top3(&contrib)
                        } else {
                            [NO_REASON; 3]
                        };
                        counts.scored += 1;
                        Outcome {
                            score,
                            decision,
                            status: STATUS_SCORED,
                            rules,
                            reasons,
                        }
                    }
                    Kind::Label => {
                        counts.labels += 1;
                        Outcome::LABEL
                    }
                    Kind::Invalid => {
                        counts.invalid += 1;
                        Outcome::INVALID
                    }
                };
                out.write(slot);
                Outcome::write_decided_by(slot, rule, generation);
            }
            if dynamic {
                live_rules.add_hits(&s.hits);
            }
            #[cfg(feature = "test-hooks")]
            if self.hooks.miscount.load(Ordering::Relaxed) == ticket {
                counts.scored += 1;
            }
            self.count(counts);
            Ok(counts)
        })
    }

    fn count(&self, c: BatchCounts) {
        let add = |counter: &AtomicU64, n: u32| counter.fetch_add(u64::from(n), Ordering::Relaxed);
        add(&self.counters.scored, c.scored);
        add(&self.counters.labels, c.labels);
        add(&self.counters.invalid, c.invalid);
        self.counters.batches.fetch_add(1, Ordering::Relaxed);
    }
}

/// How many records ahead of the one being applied the state is prefetched. The terminal and card state
/// (~4 MB for 10,000 terminals) does not fit in L2, so each record's buckets are mostly cache misses; fetched
/// this far ahead, the misses of several records overlap.
const PREFETCH_AHEAD: usize = 8;

/// The state slots of the next `PREFETCH_AHEAD` records, prefetched (a ring indexed by record number).
struct Ahead([Slots; PREFETCH_AHEAD]);

impl Ahead {
    /// Prefetches the first `PREFETCH_AHEAD` records of `records`.
    fn new(state: &State, records: &[u8]) -> Self {
        Self(std::array::from_fn(|i| prefetch_record(state, records, i)))
    }

    /// The slots of record `i` (prefetched earlier); prefetches record `i + PREFETCH_AHEAD` in its place.
    fn next(&mut self, state: &State, records: &[u8], i: usize) -> Slots {
        let k = i % PREFETCH_AHEAD;
        let slots = self.0[k];
        self.0[k] = prefetch_record(state, records, i + PREFETCH_AHEAD);
        slots
    }
}

/// Prefetches the state of record `i` of `records` and returns its slots (unknown past the end).
fn prefetch_record(state: &State, records: &[u8], i: usize) -> Slots {
    let at = i * RECORD_SIZE;
    match records.get(at..at + RECORD_SIZE) {
        Some(slot) => state.prefetch(&Record::read(slot)),
        None => Slots::UNKNOWN,
    }
}

/// Applies one record to the state; for a valid transaction, writes its features into `row`.
/// `slots` are the record's state slots from [`State::prefetch`] on this state ([`Slots::UNKNOWN`]: look them up).
fn apply(state: &mut State, rec: &Record, row: &mut [f32; N_FEATURES], slots: Slots) -> Kind {
    if !rec.is_valid() {
        Kind::Invalid
    } else if rec.is_label() {
        features::apply_label_in(state, rec, slots);
        Kind::Label
    } else {
        features::transaction_in(state, rec, row, slots);
        Kind::Transaction
    }
}

/// Offline replay: computes the feature rows of `records` with a fresh state, strictly in order.
/// One row per transaction record (an invalid one gets a row of NaN and leaves the state alone); labels give no row.
///
/// # Errors
/// When `out` has room for fewer rows than there are transactions.
pub fn extract_features(
    cfg: &ScorerConfig,
    records: &[u8],
    out: &mut [f32],
) -> Result<usize, String> {
    let mut state = State::new(cfg.label_delay_days);
    let mut rows = 0;
    let mut row = [0f32; N_FEATURES];
    let mut ahead = Ahead::new(&state, records);
    for (i, slot) in records.chunks_exact(RECORD_SIZE).enumerate() {
        let slots = ahead.next(&state, records, i);
        let rec = Record::read(slot);
        let kind = apply(&mut state, &rec, &mut row, slots);
        if kind == Kind::Label || (kind == Kind::Invalid && rec.is_label()) {
            continue;
        }
        if kind == Kind::Invalid {
            row.fill(f32::NAN);
        }
        let Some(dst) = out.get_mut(rows * N_FEATURES..(rows + 1) * N_FEATURES) else {
            return Err(format!(
                "out has room for {rows} rows, more transactions are in the records"
            ));
        };
        dst.copy_from_slice(&row);
        rows += 1;
    }
    Ok(rows)
}
