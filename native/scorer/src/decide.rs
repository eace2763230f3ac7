//! Thresholds and the final decision.

/// Decision code: approve.
pub const APPROVE: u8 = 0;
/// Decision code: review.
pub const REVIEW: u8 = 1;
/// Decision code: decline.
pub const DECLINE: u8 = 2;

/// Score thresholds, `0 <= review <= decline <= 1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Thresholds {
    /// Scores at or above this are at least REVIEW.
    pub review: f32,
    /// Scores at or above this are DECLINE.
    pub decline: f32,
}

/// Default review threshold.
pub const DEFAULT_REVIEW: f64 = 0.5;
/// Default decline threshold.
pub const DEFAULT_DECLINE: f64 = 0.9;

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            review: DEFAULT_REVIEW as f32,
            decline: DEFAULT_DECLINE as f32,
        }
    }
}

impl Thresholds {
    /// Checked constructor.
    ///
    /// # Errors
    /// A message when the thresholds are not `0 <= review <= decline <= 1`.
    pub fn new(review: f64, decline: f64) -> Result<Self, String> {
        if (0.0..=1.0).contains(&review) && (0.0..=1.0).contains(&decline) && review <= decline {
            Ok(Self {
                review: review as f32,
                decline: decline as f32,
            })
        } else {
            Err(format!(
                "thresholds must satisfy 0 <= review <= decline <= 1, got review {review}, decline {decline}"
            ))
        }
    }

    /// The decision for a score and a rule mask: the larger of the threshold decision and the rules' floor.
    #[must_use]
    pub fn decide(&self, score: f32, rules: u16) -> u8 {
        let by_score = if score >= self.decline {
            DECLINE
        } else if score >= self.review {
            REVIEW
        } else {
            APPROVE
        };
        let floor = if rules == 0 { APPROVE } else { REVIEW };
        by_score.max(floor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decision_is_max_of_score_and_rules() {
        let t = Thresholds::default();
        assert_eq!(t.decide(0.1, 0), APPROVE);
        assert_eq!(t.decide(0.5, 0), REVIEW);
        assert_eq!(t.decide(0.95, 0), DECLINE);
        assert_eq!(t.decide(0.1, 1), REVIEW);
        assert_eq!(t.decide(0.95, 1), DECLINE);
        assert!(Thresholds::new(0.6, 0.5).is_err());
        assert!(Thresholds::new(-0.1, 0.5).is_err());
        assert!(Thresholds::new(f64::NAN, 0.5).is_err());
    }
}
