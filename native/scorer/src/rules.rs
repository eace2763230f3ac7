//! Rules: each fired rule sets a bit in the result's rule mask and floors the decision at REVIEW.

use crate::features::{AMOUNT, CARD_TX_COUNT_1D, N_FEATURES};

/// Rule names by bit.
pub const NAMES: [&str; 7] = [
    "HIGH_AMOUNT",
    "VELOCITY_1D",
    "INVALID_RECORD",
    "SCORER_ERROR",
    "ALLOW_LIST",
    "BLOCK_LIST",
    "DYNAMIC_RULE",
];

/// Bit of `HIGH_AMOUNT`: amount above `RuleConfig::high_amount`.
pub const HIGH_AMOUNT: u16 = 1 << 0;
/// Bit of `VELOCITY_1D`: more than `RuleConfig::velocity_1d` card transactions today.
pub const VELOCITY_1D: u16 = 1 << 1;
/// Bit of `INVALID_RECORD`: the record failed the scorer's checks.
pub const INVALID_RECORD: u16 = 1 << 2;
/// Bit of `SCORER_ERROR`: the scorer failed on the batch and the fallback decided the transaction.
pub const SCORER_ERROR: u16 = 1 << 3;

/// Bit of `ALLOW_LIST`: the card, terminal, mcc or country is on the live allow list (decision APPROVE).
pub const ALLOW_LIST: u16 = 1 << 4;
/// Bit of `BLOCK_LIST`: the card, terminal, mcc or country is on the live block list (decision DECLINE).
pub const BLOCK_LIST: u16 = 1 << 5;
/// Bit of `DYNAMIC_RULE`: a review or decline rule of the live rule set fired; the result's rule byte names it.
pub const DYNAMIC_RULE: u16 = 1 << 6;

/// Rule parameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RuleConfig {
    /// `HIGH_AMOUNT` fires when amount > this.
    pub high_amount: f64,
    /// `VELOCITY_1D` fires when `card_tx_count_1d` > this.
    pub velocity_1d: f64,
}

impl Default for RuleConfig {
    fn default() -> Self {
        Self {
            high_amount: 5000.0,
            velocity_1d: 30.0,
        }
    }
}

/// The rule mask of a transaction's feature vector.
#[must_use]
pub fn evaluate(cfg: &RuleConfig, row: &[f32; N_FEATURES]) -> u16 {
    let mut mask = 0;
    if f64::from(row[AMOUNT]) > cfg.high_amount {
        mask |= HIGH_AMOUNT;
    }
    if f64::from(row[CARD_TX_COUNT_1D]) > cfg.velocity_1d {
        mask |= VELOCITY_1D;
    }
    mask
}
