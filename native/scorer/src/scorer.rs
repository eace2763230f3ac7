//! One scorer: state, model, thresholds and the two-phase batch (ordered state phase, parallel scoring phase).

pub mod snapshot;

use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

use crate::decide::{APPROVE, REVIEW, Thresholds};
use crate::features::{self, N_FEATURES};
use crate::model::{Model, sigmoid, top3};
use crate::record::{
    NO_REASON, Outcome, RECORD_SIZE, RESULT_SIZE, Record, STATUS_INVALID, STATUS_LABEL,
    STATUS_SCORED,
};
use crate::rules::{self, INVALID_RECORD, RuleConfig};
use crate::state::{Slots, State};
use crate::ticket::{Gate, GateError, TicketGuard, WAIT_LIMIT};

/// Scorer configuration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScorerConfig {
    /// Initial thresholds.
    pub thresholds: Thresholds,
    /// Delay of the terminal risk windows, in days.
    pub label_delay_days: u32,
    /// Rule parameters.
    pub rules: RuleConfig,
}

impl Default for ScorerConfig {
    fn default() -> Self {
        Self {
            thresholds: Thresholds::default(),
            label_delay_days: 7,
            rules: RuleConfig::default(),
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
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The model and thresholds a batch uses, swapped as a whole.
struct Live {
    model: Arc<Model>,
    thresholds: Thresholds,
}

/// One scorer instance.
pub struct Scorer {
    rules: RuleConfig,
    gate: Gate,
    state: Mutex<State>,
    live: Mutex<Live>,
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
            }),
        }
    }

    fn live(&self) -> std::sync::MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Replaces the model; batches already running keep the one they started with.
    pub fn set_model(&self, model: Model) {
        self.live().model = Arc::new(model);
    }

    /// Replaces the thresholds.
    pub fn set_thresholds(&self, t: Thresholds) {
        self.live().thresholds = t;
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

    /// Marks a ticket done without a batch (the batch failed before reaching the scorer).
    pub fn skip_ticket(&self, ticket: u64) {
        self.gate.done(ticket);
    }

    /// Scores one batch: `records` holds whole 64-byte records, `results` the matching 16-byte slots.
    /// Phase A (state, in ticket order) runs once the gate reaches `ticket`; phase B (model, rules) runs in
    /// parallel with other batches. The ticket is consumed on every path, error and panic included.
    /// Returns the number of transactions scored.
    ///
    /// # Errors
    /// When the ticket was already used or its turn did not come in time.
    ///
    /// # Panics
    /// When `results` is not `RESULT_SIZE` bytes per record.
    pub fn score_batch(
        &self,
        records: &[u8],
        results: &mut [u8],
        ticket: u64,
    ) -> Result<u32, GateError> {
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
            let (model, thresholds) = {
                let live = self.live();
                (Arc::clone(&live.model), live.thresholds)
            };
            let mut transactions = 0;
            {
                let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
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
            let mut contrib = [0f32; N_FEATURES];
            for (i, slot) in results.chunks_exact_mut(RESULT_SIZE).enumerate() {
                let out = match s.kinds[i] {
                    Kind::Transaction => {
                        let row = &s.rows[scored];
                        let score = sigmoid(s.margins[scored]);
                        scored += 1;
                        let rules = rules::evaluate(&self.rules, row);
                        let decision = thresholds.decide(score, rules);
                        // Reasons cost a second tree walk, so only alerts get them.
                        let reasons = if decision >= REVIEW {
                            model.contributions(row, &mut contrib);
                            top3(&contrib)
                        } else {
                            [NO_REASON; 3]
                        };
                        Outcome {
                            score,
                            decision,
                            status: STATUS_SCORED,
                            rules,
                            reasons,
                        }
                    }
                    Kind::Label => Outcome {
                        score: 0.0,
                        decision: APPROVE,
                        status: STATUS_LABEL,
                        rules: 0,
                        reasons: [NO_REASON; 3],
                    },
                    Kind::Invalid => Outcome {
                        score: 0.0,
                        decision: REVIEW,
                        status: STATUS_INVALID,
                        rules: INVALID_RECORD,
                        reasons: [NO_REASON; 3],
                    },
                };
                out.write(slot);
            }
            Ok(scored as u32)
        })
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
