//! Served-feature capture: the feature rows of every alert and of a deterministic sample of the other transactions,
//! kept per batch until the engine's main thread takes them for the feature log (training on what serving saw).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::features::N_FEATURES;
use crate::record::{OFF_CARD, OFF_TS, OFF_TX_NUM, RECORD_SIZE};

/// The rows one batch captured: record indices within the batch and their feature rows, row-major.
#[derive(Debug, Default, PartialEq)]
pub struct Captured {
    pub index: Vec<u32>,
    pub rows: Vec<f32>,
}

/// Capture switch, sample threshold and the batches waiting to be taken (at most the batches in flight).
#[derive(Debug, Default)]
pub struct Capture {
    on: AtomicBool,
    /// An approval is sampled when its hash is below this (`u64::MAX`: every one).
    threshold: AtomicU64,
    waiting: Mutex<HashMap<u32, Captured>>,
}

impl Capture {
    /// Turns capture on with the approvals' sample `rate` in `[0, 1]` (alerts are always captured), or off (`None`).
    ///
    /// # Errors
    /// When the rate is not within `[0, 1]`.
    pub fn set(&self, rate: Option<f64>) -> Result<(), String> {
        match rate {
            None => {
                self.on.store(false, Ordering::Relaxed);
                self.waiting
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clear();
            }
            Some(r) if (0.0..=1.0).contains(&r) => {
                self.threshold.store(threshold_of(r), Ordering::Relaxed);
                self.on.store(true, Ordering::Relaxed);
            }
            Some(r) => return Err(format!("rate must be from 0 to 1, got {r}")),
        }
        Ok(())
    }

    /// Whether capture is on, and the current threshold.
    pub fn current(&self) -> Option<u64> {
        self.on
            .load(Ordering::Relaxed)
            .then(|| self.threshold.load(Ordering::Relaxed))
    }

    /// Keeps a batch's rows under `key` (its first ring slot), replacing what a failed batch there left.
    pub fn put(&self, key: u32, captured: Captured) {
        let mut w = self.waiting.lock().unwrap_or_else(PoisonError::into_inner);
        if captured.index.is_empty() {
            w.remove(&key);
        } else {
            w.insert(key, captured);
        }
    }

    /// Takes the rows of the batch at `key` (empty when it captured none).
    pub fn take(&self, key: u32) -> Captured {
        self.waiting
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&key)
            .unwrap_or_default()
    }
}

/// The hash threshold of a sample rate: `rate` of all 64-bit hashes are below it.
#[must_use]
pub fn threshold_of(rate: f64) -> u64 {
    if rate >= 1.0 {
        u64::MAX
    } else {
        // Rounding to 2^-53 of the range is far below any useful rate's precision.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "rate in [0, 1)"
        )]
        let t = (rate * 18_446_744_073_709_551_616.0) as u64;
        t
    }
}

/// Whether the transaction in `slot` is in the sample: a hash of its id number, event time and card key (a function
/// of the transaction alone, so the same rows are sampled for any worker count and after a restart).
#[must_use]
pub fn sampled(slot: &[u8], threshold: u64) -> bool {
    if threshold == u64::MAX {
        return true;
    }
    debug_assert!(slot.len() >= RECORD_SIZE);
    let word = |off: usize| {
        let mut b = [0u8; 8];
        b.copy_from_slice(&slot[off..off + 8]);
        u64::from_ne_bytes(b)
    };
    let h = mix(word(OFF_TX_NUM) ^ mix(word(OFF_TS) ^ mix(word(OFF_CARD))));
    h < threshold
}

/// `SplitMix64`'s finaliser: a bijective 64-bit mix.
const fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Appends one captured row (record `index` of the batch).
pub fn push(c: &mut Captured, index: usize, row: &[f32; N_FEATURES]) {
    #[allow(
        clippy::cast_possible_truncation,
        reason = "a batch holds far fewer than 2^32 records"
    )]
    c.index.push(index as u32);
    c.rows.extend_from_slice(row);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_rate_is_about_right_and_deterministic() {
        let t = threshold_of(0.1);
        let mut slot = [0u8; RECORD_SIZE];
        let mut n = 0;
        for i in 0..100_000u32 {
            slot[OFF_TX_NUM..OFF_TX_NUM + 8].copy_from_slice(&f64::from(i).to_ne_bytes());
            let a = sampled(&slot, t);
            assert_eq!(a, sampled(&slot, t));
            n += usize::from(a);
        }
        assert!(
            (9_000..11_000).contains(&n),
            "sampled {n} of 100000 at rate 0.1"
        );
        assert!(!sampled(&slot, threshold_of(0.0)));
        assert!(sampled(&slot, threshold_of(1.0)));
    }

    #[test]
    fn put_take_and_replace() {
        let c = Capture::default();
        assert!(c.set(Some(1.5)).is_err());
        c.set(Some(0.5)).unwrap();
        assert_eq!(c.current(), Some(threshold_of(0.5)));
        c.put(
            7,
            Captured {
                index: vec![1],
                rows: vec![0.0; N_FEATURES],
            },
        );
        // An empty batch at the same slot clears what a failed one left.
        c.put(7, Captured::default());
        assert_eq!(c.take(7), Captured::default());
        c.put(
            8,
            Captured {
                index: vec![2],
                rows: vec![1.0; N_FEATURES],
            },
        );
        assert_eq!(c.take(8).index, vec![2]);
        assert!(c.take(8).index.is_empty());
        c.set(None).unwrap();
        assert_eq!(c.current(), None);
    }
}
