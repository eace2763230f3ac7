//! Node bindings of the live rules, lists and decision bundles (kept beside `lib.rs` so that file stays the
//! bindings of the core scorer); each function converts values and delegates to `rules_lang` and `bundle`.

use napi::bindgen_prelude::{Error, Result, Status};
use napi_derive::napi;

use crate::bundle::{self, LiveRules};
use crate::registry;
use crate::rules_lang::RuleSet;
use crate::scorer::Scorer;

fn invalid(msg: impl Into<String>) -> Error {
    Error::new(Status::InvalidArg, msg.into())
}

fn scorer(handle: u32) -> Result<std::sync::Arc<Scorer>> {
    registry::get(handle).ok_or_else(|| invalid(format!("unknown scorer handle {handle}")))
}

/// One rule of a rule set.
#[napi(object)]
pub struct RuleInfo {
    /// The rule's name.
    pub name: String,
    /// `flag`, `review` or `decline`.
    pub action: String,
    /// The expression as written.
    pub source: String,
    /// Transactions it fired on since it went live (0 from `checkRules`).
    pub hits: f64,
}

/// Entries of one side of the lists, per kind.
#[napi(object)]
pub struct ListSizes {
    pub cards: u32,
    pub terminals: u32,
    pub mccs: u32,
    pub countries: u32,
}

/// A rule set: its rules (with hits), list sizes and hits, and the generation it went live with.
#[napi(object)]
pub struct RulesInfo {
    /// The scorer's live generation (0 from `checkRules`).
    pub generation: u32,
    /// The live bundle's version ('' when none was loaded).
    pub version: String,
    pub rules: Vec<RuleInfo>,
    pub allow: ListSizes,
    pub block: ListSizes,
    /// Transactions approved by the allow list.
    pub allow_hits: f64,
    /// Transactions declined by the block list.
    pub block_hits: f64,
}

/// A loaded bundle.
#[napi(object)]
pub struct BundleInfo {
    /// The scorer's generation the bundle went live with (written into every result it decides).
    pub generation: u32,
    /// `name@` + the first 12 hex digits of the hash.
    pub version: String,
    pub name: String,
    /// `sha256:` + 64 hex digits.
    pub hash: String,
    pub feature_set: String,
    /// Trees of the bundle's model (0: no model).
    pub trees: u32,
    pub review: f64,
    pub decline: f64,
    /// Names of the bundle's rules, in order (the result's rule byte indexes this).
    pub rules: Vec<String>,
}

fn sizes(s: [usize; 4]) -> ListSizes {
    ListSizes {
        cards: s[0] as u32,
        terminals: s[1] as u32,
        mccs: s[2] as u32,
        countries: s[3] as u32,
    }
}

fn info(generation: u32, version: &str, live: &LiveRules) -> RulesInfo {
    let hits = live.hits();
    let n = live.set.rules.len();
    RulesInfo {
        generation,
        version: version.to_string(),
        rules: live
            .set
            .rules
            .iter()
            .zip(&hits)
            .map(|(r, &h)| RuleInfo {
                name: r.name.clone(),
                action: r.action.name().to_string(),
                source: r.source.clone(),
                hits: h as f64,
            })
            .collect(),
        allow: sizes(live.set.lists.allow.sizes()),
        block: sizes(live.set.lists.block.sizes()),
        allow_hits: hits[n] as f64,
        block_hits: hits[n + 1] as f64,
    }
}

fn compile(text: &str) -> Result<LiveRules> {
    let set = RuleSet::compile(text).map_err(|e| invalid(e.to_string()))?;
    Ok(LiveRules::new(set, text.to_string()))
}

/// Parses and checks a rules text without a scorer; throws naming the rule, line and column of the first error.
#[napi(catch_unwind)]
pub fn check_rules(text: String) -> Result<RulesInfo> {
    Ok(info(0, "", &compile(&text)?))
}

/// Replaces a scorer's rules and lists between batches (hit counters start at 0); throws naming the rule, line
/// and column of the first error, leaving the live set in force.
#[napi(catch_unwind)]
pub fn set_rules(handle: u32, text: String) -> Result<RulesInfo> {
    let s = scorer(handle)?;
    let live = compile(&text)?;
    let generation = s.set_rules(live);
    let li = s.live_info();
    Ok(info(generation, &li.version, &li.rules))
}

/// The live rules of a scorer with their hit counts.
#[napi(catch_unwind)]
pub fn rule_stats(handle: u32) -> Result<RulesInfo> {
    let li = scorer(handle)?.live_info();
    Ok(info(li.generation, &li.version, &li.rules))
}

/// The rules text live in a scorer.
#[napi(catch_unwind)]
pub fn rules_text(handle: u32) -> Result<String> {
    Ok(scorer(handle)?.live_info().rules.text.clone())
}

/// The feature-set version a bundle must name.
#[must_use]
#[napi(catch_unwind)]
pub fn feature_set() -> String {
    bundle::feature_set()
}

/// A bundle's text with its `hash` field set to its content hash.
#[napi(catch_unwind)]
pub fn seal_bundle(text: String) -> Result<String> {
    bundle::seal(&text).map_err(invalid)
}

fn bundle_info(generation: u32, b: &bundle::Bundle) -> BundleInfo {
    BundleInfo {
        generation,
        version: b.version.clone(),
        name: b.name.clone(),
        hash: format!("sha256:{}", b.hash),
        feature_set: bundle::feature_set(),
        trees: b.model.info().trees,
        review: b.thresholds_given.0,
        decline: b.thresholds_given.1,
        rules: b.rules.set.rules.iter().map(|r| r.name.clone()).collect(),
    }
}

/// Parses and checks a bundle without a scorer; throws naming the field of the first error.
#[napi(catch_unwind)]
pub fn check_bundle(text: String) -> Result<BundleInfo> {
    let b = bundle::parse(&text).map_err(invalid)?;
    Ok(bundle_info(0, &b))
}

/// Swaps a scorer's model, thresholds, rules and lists for a bundle's, atomically between batches; throws naming
/// the field of the first error, leaving the live bundle in force.
#[napi(catch_unwind)]
pub fn load_bundle(handle: u32, text: String) -> Result<BundleInfo> {
    let s = scorer(handle)?;
    let b = bundle::parse(&text).map_err(invalid)?;
    let mut out = bundle_info(0, &b);
    out.generation = s.swap_bundle(b);
    Ok(out)
}

/// The `XGBoost` JSON form of a `LightGBM` text model (scores identically).
#[napi(catch_unwind)]
pub fn lightgbm_to_xgboost(text: String) -> Result<String> {
    crate::lightgbm::to_xgboost_json(&text).map_err(|e| invalid(e.to_string()))
}
