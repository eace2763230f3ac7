//! Scorer configuration: the defaults, the one label-delay limit, and the validation of caller options.
//!
//! The bindings hand options over as plain values ([`Options`]); [`ScorerConfig::from_options`] is the only place
//! they are checked, and every error names the option (`options.labelDelayDays ...`).

use crate::decide::Thresholds;
use crate::rules::RuleConfig;

/// Default delay of the terminal risk windows, in days (the Fraud Detection Handbook's delay period).
pub const LABEL_DELAY_DAYS_DEFAULT: u32 = 7;
/// The largest label delay a scorer accepts, in whole days. Terminal state holds `31 + delay` label buckets per
/// terminal, so the limit also bounds memory.
pub const LABEL_DELAY_DAYS_MAX: u32 = 60;

/// Scorer configuration, validated.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScorerConfig {
    /// Initial thresholds.
    pub thresholds: Thresholds,
    /// Delay of the terminal risk windows, in days, `0..=LABEL_DELAY_DAYS_MAX`.
    pub label_delay_days: u32,
    /// Rule parameters.
    pub rules: RuleConfig,
}

impl Default for ScorerConfig {
    fn default() -> Self {
        Self {
            thresholds: Thresholds::default(),
            label_delay_days: LABEL_DELAY_DAYS_DEFAULT,
            rules: RuleConfig::default(),
        }
    }
}

/// Caller options as received, unchecked; `None` means the default.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// `(review, decline)`.
    pub thresholds: Option<(f64, f64)>,
    /// Label delay in days; must be a whole number.
    pub label_delay_days: Option<f64>,
    /// `HIGH_AMOUNT` rule limit.
    pub high_amount: Option<f64>,
    /// `VELOCITY_1D` rule limit.
    pub velocity_1d: Option<f64>,
}

impl ScorerConfig {
    /// Checks caller options and fills in the defaults.
    ///
    /// # Errors
    /// A message naming the first bad option.
    pub fn from_options(o: &Options) -> Result<Self, String> {
        let mut cfg = Self::default();
        if let Some((review, decline)) = o.thresholds {
            cfg.thresholds =
                Thresholds::new(review, decline).map_err(|e| format!("options.{e}"))?;
        }
        if let Some(d) = o.label_delay_days {
            cfg.label_delay_days = label_delay_days(d)?;
        }
        if let Some(v) = o.high_amount {
            cfg.rules.high_amount = non_negative("options.rules.highAmount", v)?;
        }
        if let Some(v) = o.velocity_1d {
            cfg.rules.velocity_1d = non_negative("options.rules.velocity1d", v)?;
        }
        Ok(cfg)
    }
}

/// The label delay as whole days within `0..=LABEL_DELAY_DAYS_MAX`.
fn label_delay_days(d: f64) -> Result<u32, String> {
    if d.fract() == 0.0 && (0.0..=f64::from(LABEL_DELAY_DAYS_MAX)).contains(&d) {
        // Checked above: a whole number in 0..=60.
        #[allow(clippy::cast_sign_loss, reason = "d >= 0 was checked")]
        Ok(d as u32)
    } else {
        Err(format!(
            "options.labelDelayDays must be a whole number of days from 0 to {LABEL_DELAY_DAYS_MAX}, got {d}"
        ))
    }
}

fn non_negative(name: &str, v: f64) -> Result<f64, String> {
    if v.is_finite() && v >= 0.0 {
        Ok(v)
    } else {
        Err(format!("{name} must be a finite number >= 0, got {v}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_checked_and_errors_name_the_option() {
        assert_eq!(
            ScorerConfig::from_options(&Options::default()),
            Ok(ScorerConfig::default())
        );
        let cfg = ScorerConfig::from_options(&Options {
            thresholds: Some((0.2, 0.3)),
            label_delay_days: Some(60.0),
            high_amount: Some(10.0),
            velocity_1d: Some(0.0),
        })
        .unwrap();
        assert_eq!(cfg.label_delay_days, 60);
        assert_eq!(cfg.thresholds, Thresholds::new(0.2, 0.3).unwrap());
        assert_eq!((cfg.rules.high_amount, cfg.rules.velocity_1d), (10.0, 0.0));
        for (o, field) in [
            (
                Options {
                    label_delay_days: Some(61.0),
                    ..Options::default()
                },
                "options.labelDelayDays",
            ),
            (
                Options {
                    label_delay_days: Some(1.5),
                    ..Options::default()
                },
                "options.labelDelayDays",
            ),
            (
                Options {
                    label_delay_days: Some(-1.0),
                    ..Options::default()
                },
                "options.labelDelayDays",
            ),
            (
                Options {
                    thresholds: Some((0.9, 0.5)),
                    ..Options::default()
                },
                "options.thresholds",
            ),
            (
                Options {
                    high_amount: Some(f64::NAN),
                    ..Options::default()
                },
                "options.rules.highAmount",
            ),
            (
                Options {
                    velocity_1d: Some(-2.0),
                    ..Options::default()
                },
                "options.rules.velocity1d",
            ),
        ] {
            let err = ScorerConfig::from_options(&o).unwrap_err();
            assert!(err.starts_with(field), "{err}");
        }
    }
}
