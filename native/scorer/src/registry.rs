//! Process-wide handles: a u32 id names the same scorer on the main thread and in every worker thread.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use rustc_hash::FxHashMap;

use crate::scorer::{Scorer, ScorerConfig};

static SCORERS: LazyLock<RwLock<FxHashMap<u32, Arc<Scorer>>>> = LazyLock::new(RwLock::default);
static NEXT_ID: AtomicU32 = AtomicU32::new(1);

/// Creates a scorer and returns its handle (never 0).
pub fn create(cfg: ScorerConfig) -> u32 {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    SCORERS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(id, Arc::new(Scorer::new(cfg)));
    id
}

/// The scorer of a handle, `None` when unknown or destroyed.
#[must_use]
pub fn get(id: u32) -> Option<Arc<Scorer>> {
    SCORERS
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
        .cloned()
}

/// Forgets a handle; batches already running finish with their reference. Returns whether it existed.
pub fn destroy(id: u32) -> bool {
    SCORERS
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&id)
        .is_some()
}
