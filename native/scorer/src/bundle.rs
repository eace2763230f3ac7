//! Decision bundles: feature-set version, model, rules, lists and thresholds as one JSON artifact with a content
//! hash, and the live rule set a scorer applies (with its per-rule hit counters).
//!
//! ```text
//! {
//!   "format": "fraudstream-bundle/1",
//!   "name": "champion",                               optional label, part of the version
//!   "featureSet": "fs26-1a2b3c4d",                    must equal the scorer's featureSet()
//!   "model": { "format": "xgboost-json", "model": {...} }   or "text": "<XGBoost JSON or LightGBM text>"
//!            | { "format": "lightgbm-text", "text": "..." } | null (every score 0)
//!   "thresholds": { "review": 0.5, "decline": 0.9 },
//!   "rules": "rule HIGH review: amount > 5000\n...",  optional, the rule language
//!   "lists": { "allow": { "card": [..], "terminal": [..], "mcc": [..], "country": [..] }, "block": {...} },
//!   "hash": "sha256:<64 hex>"                         optional; checked when present
//! }
//! ```
//!
//! The hash is SHA-256 over the canonical JSON of the document without `hash` (keys sorted, no spaces); the
//! bundle's version is `name@` + its first 12 hex digits.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use crate::decide::{APPROVE, DECLINE, DEFAULT_DECLINE, DEFAULT_REVIEW, REVIEW, Thresholds};
use crate::features::{N_FEATURES, NAMES};
use crate::lists::{Kind, hash_key, pack_country};
use crate::model::Model;
use crate::record::Record;
use crate::rules::{ALLOW_LIST, BLOCK_LIST, DYNAMIC_RULE};
use crate::rules_lang::{Action, RuleSet};
use crate::sha256;

/// The bundle format this build reads.
pub const FORMAT: &str = "fraudstream-bundle/1";
/// The largest bundle accepted, bytes.
pub const MAX_BUNDLE: usize = 64 << 20;
/// Result value of the rule byte when no dynamic rule decided.
pub const NO_RULE: u8 = 255;

/// The feature-set version: the feature count and a hash of the ordered names. A model trained on other
/// features (another order, another definition set) names another version and is refused.
#[must_use]
pub fn feature_set() -> String {
    let joined = NAMES.join(",");
    format!("fs{N_FEATURES}-{}", &sha256::hex(joined.as_bytes())[..8])
}

/// A rule set in force, with its hit counters (added to once per batch).
pub struct LiveRules {
    /// The compiled rules and lists.
    pub set: RuleSet,
    /// The text it was compiled from.
    pub text: String,
    /// Hits per rule, then the allow-list and block-list hits.
    hits: Vec<AtomicU64>,
}

impl LiveRules {
    /// A live set with zeroed counters.
    #[must_use]
    pub fn new(set: RuleSet, text: String) -> Self {
        let hits = (0..set.rules.len() + 2)
            .map(|_| AtomicU64::new(0))
            .collect();
        Self { set, text, hits }
    }

    /// The empty set (nothing to evaluate).
    #[must_use]
    pub fn empty() -> Self {
        Self::new(RuleSet::default(), String::new())
    }

    /// Counters of this set: one per rule, then allow and block.
    #[must_use]
    pub fn hits(&self) -> Vec<u64> {
        self.hits
            .iter()
            .map(|h| h.load(Ordering::Relaxed))
            .collect()
    }

    /// Adds a batch's hits (`local` as sized by [`LiveRules::counters`]).
    pub fn add_hits(&self, local: &[u32]) {
        for (h, &n) in self.hits.iter().zip(local) {
            if n != 0 {
                h.fetch_add(u64::from(n), Ordering::Relaxed);
            }
        }
    }

    /// The number of per-batch counters (rules + allow + block).
    #[must_use]
    pub fn counters(&self) -> usize {
        self.hits.len()
    }

    /// Applies the set to one scored transaction: returns the new decision, rule mask and deciding rule index.
    /// A block list match declines, else an allow list match approves, else the strongest rule that fired floors
    /// the decision. Every rule is evaluated so each one's hits count whatever decided. `fired` and `local` are
    /// per-batch scratch of `set.rules.len()` and [`LiveRules::counters`] entries.
    #[must_use]
    pub fn apply(
        &self,
        row: &[f32; N_FEATURES],
        rec: &Record,
        decision: u8,
        mask: u16,
        fired: &mut [bool],
        local: &mut [u32],
    ) -> (u8, u16, u8) {
        let v = self.set.evaluate(row, rec, fired);
        for (n, &f) in local.iter_mut().zip(fired.iter()) {
            *n += u32::from(f);
        }
        let n = self.set.rules.len();
        let (mut decision, mut mask, mut rule) = (decision, mask, NO_RULE);
        if let Some(action) = v.action {
            mask |= DYNAMIC_RULE;
            rule = v.rule;
            decision = decision.max(if action == Action::Decline {
                DECLINE
            } else {
                REVIEW
            });
        }
        if v.blocked {
            local[n + 1] += 1;
            mask |= BLOCK_LIST;
            decision = DECLINE;
        } else if v.allowed {
            local[n] += 1;
            mask |= ALLOW_LIST;
            decision = APPROVE;
        }
        (decision, mask, rule)
    }
}

/// A parsed, checked bundle.
pub struct Bundle {
    /// The label (may be empty).
    pub name: String,
    /// SHA-256 of the canonical content, 64 hex digits.
    pub hash: String,
    /// `name@hash[..12]`.
    pub version: String,
    /// The model (`Model::empty()` when the bundle has none).
    pub model: Model,
    /// The thresholds.
    pub thresholds: Thresholds,
    /// The thresholds as written (decimal), `(review, decline)`.
    pub thresholds_given: (f64, f64),
    /// The rules and lists, ready to go live.
    pub rules: LiveRules,
}

fn field<'a>(doc: &'a Value, key: &str) -> Option<&'a Value> {
    doc.get(key).filter(|v| !v.is_null())
}

/// The canonical JSON of a value: object keys sorted, no whitespace (`serde_json`'s number and string forms).
fn canonical(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String((*k).clone()).to_string());
                out.push(':');
                canonical(&map[*k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The content hash of a bundle document (its `hash` field left out).
fn content_hash(doc: &Value) -> String {
    let mut body = doc.clone();
    if let Some(map) = body.as_object_mut() {
        map.remove("hash");
    }
    let mut text = String::new();
    canonical(&body, &mut text);
    sha256::hex(text.as_bytes())
}

fn parse_doc(text: &str) -> Result<Value, String> {
    if text.len() > MAX_BUNDLE {
        return Err(format!(
            "bundle: {} bytes, more than {MAX_BUNDLE}",
            text.len()
        ));
    }
    let doc: Value =
        serde_json::from_str(text).map_err(|e| format!("bundle: invalid JSON: {e}"))?;
    if !doc.is_object() {
        return Err("bundle: the document must be a JSON object".into());
    }
    Ok(doc)
}

/// The bundle text with its `hash` field set to its content hash (pretty-printed keys sorted).
///
/// # Errors
/// When the text is not a JSON object.
pub fn seal(text: &str) -> Result<String, String> {
    let mut doc = parse_doc(text)?;
    let hash = content_hash(&doc);
    if let Some(map) = doc.as_object_mut() {
        map.insert("hash".into(), Value::String(format!("sha256:{hash}")));
    }
    serde_json::to_string_pretty(&doc).map_err(|e| format!("bundle: {e}"))
}

/// Parses and checks a bundle: every error names the field (`bundle.thresholds.review ...`).
///
/// # Errors
/// The first problem found.
pub fn parse(text: &str) -> Result<Bundle, String> {
    let doc = parse_doc(text)?;
    match doc.get("format").and_then(Value::as_str) {
        Some(FORMAT) => {}
        Some(other) => {
            return Err(format!(
                "bundle.format: '{other}' is not supported (expected '{FORMAT}')"
            ));
        }
        None => return Err(format!("bundle.format: missing (expected '{FORMAT}')")),
    }
    let hash = content_hash(&doc);
    if let Some(stated) = field(&doc, "hash") {
        let stated = stated.as_str().unwrap_or("");
        if stated != format!("sha256:{hash}") {
            return Err(format!(
                "bundle.hash: the content hashes to sha256:{hash}, the bundle says '{stated}' (edited after sealing?)"
            ));
        }
    }
    let name = match field(&doc, "name") {
        None => String::new(),
        Some(Value::String(s)) if s.len() <= 128 && !s.contains('@') => s.clone(),
        Some(_) => {
            return Err(
                "bundle.name: must be a string of at most 128 characters without '@'".into(),
            );
        }
    };
    let want = feature_set();
    match field(&doc, "featureSet").and_then(Value::as_str) {
        Some(fs) if fs == want => {}
        Some(fs) => {
            return Err(format!(
                "bundle.featureSet: '{fs}' differs from this scorer's '{want}'"
            ));
        }
        None => {
            return Err(format!(
                "bundle.featureSet: missing (this scorer's is '{want}')"
            ));
        }
    }
    let model = match field(&doc, "model") {
        None => Model::empty(),
        Some(m) => parse_model(m)?,
    };
    let thresholds_given = match field(&doc, "thresholds") {
        None => (DEFAULT_REVIEW, DEFAULT_DECLINE),
        Some(t) => {
            let num = |k: &str| {
                t.get(k)
                    .and_then(Value::as_f64)
                    .ok_or_else(|| format!("bundle.thresholds.{k}: missing or not a number"))
            };
            (num("review")?, num("decline")?)
        }
    };
    let thresholds = Thresholds::new(thresholds_given.0, thresholds_given.1)
        .map_err(|e| format!("bundle.thresholds: {e}"))?;
    let rules_text = match field(&doc, "rules") {
        None => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err("bundle.rules: must be a string (the rule language)".into()),
    };
    let mut set = RuleSet::compile(&rules_text).map_err(|e| format!("bundle.{e}"))?;
    if let Some(lists) = field(&doc, "lists") {
        add_lists(&mut set, lists)?;
    }
    let short = &hash[..12];
    let version = if name.is_empty() {
        short.to_string()
    } else {
        format!("{name}@{short}")
    };
    Ok(Bundle {
        name,
        hash,
        version,
        model,
        thresholds,
        thresholds_given,
        rules: LiveRules::new(set, rules_text),
    })
}

fn parse_model(m: &Value) -> Result<Model, String> {
    let format = m.get("format").and_then(Value::as_str).unwrap_or("");
    let text = match (format, m.get("text"), m.get("model")) {
        ("xgboost-json" | "lightgbm-text", Some(Value::String(t)), _) => t.clone(),
        ("xgboost-json", _, Some(obj)) if obj.is_object() => obj.to_string(),
        ("xgboost-json" | "lightgbm-text", _, _) => {
            return Err(format!(
                "bundle.model.text: missing (a {format} model as a string)"
            ));
        }
        _ => {
            return Err(format!(
                "bundle.model.format: '{format}' is not xgboost-json or lightgbm-text"
            ));
        }
    };
    let is_lgb = crate::lightgbm::is_lightgbm(&text);
    if (format == "lightgbm-text") != is_lgb {
        return Err(format!(
            "bundle.model.text: does not look like a {format} model"
        ));
    }
    Model::from_text(&text).map_err(|e| format!("bundle.model: {e}"))
}

fn add_lists(set: &mut RuleSet, lists: &Value) -> Result<(), String> {
    let Some(sides) = lists.as_object() else {
        return Err("bundle.lists: must be an object with 'allow' and/or 'block'".into());
    };
    for (side, kinds) in sides {
        let allow = match side.as_str() {
            "allow" => true,
            "block" => false,
            other => {
                return Err(format!(
                    "bundle.lists.{other}: unknown (expected allow or block)"
                ));
            }
        };
        let Some(kinds) = kinds.as_object() else {
            return Err(format!(
                "bundle.lists.{side}: must be an object of lists by kind"
            ));
        };
        for (kind_name, values) in kinds {
            let kind = match kind_name.as_str() {
                "card" => Kind::Card,
                "terminal" => Kind::Terminal,
                "mcc" => Kind::Mcc,
                "country" => Kind::Country,
                other => {
                    return Err(format!(
                        "bundle.lists.{side}.{other}: unknown kind (card, terminal, mcc, country)"
                    ));
                }
            };
            let Some(values) = values.as_array() else {
                return Err(format!("bundle.lists.{side}.{kind_name}: must be an array"));
            };
            for (i, v) in values.iter().enumerate() {
                let key = match (kind, v) {
                    (Kind::Card | Kind::Terminal, Value::String(s)) => Some(hash_key(s)),
                    (Kind::Country, Value::String(s))
                        if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) =>
                    {
                        Some(u64::from(pack_country(s)))
                    }
                    (Kind::Mcc, Value::Number(n)) => n.as_u64().filter(|m| (1..=65535).contains(m)),
                    _ => None,
                };
                let Some(key) = key else {
                    return Err(format!(
                        "bundle.lists.{side}.{kind_name}[{i}]: {v} is not a {kind_name} value"
                    ));
                };
                set.lists.insert(allow, kind, key);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decide::Thresholds;
    use crate::lists::hash_key;
    use crate::record::{
        CHANNEL_ONLINE, RECORD_SIZE, RES_DECISION, RES_GENERATION, RES_RULE, RES_RULES, RESULT_SIZE,
    };
    use crate::rules::HIGH_AMOUNT;
    use crate::scorer::{Scorer, ScorerConfig};

    fn records(list: &[(f64, &str, u8)]) -> Vec<u8> {
        let mut buf = vec![0u8; list.len() * RECORD_SIZE];
        for (i, &(amount, card, channel)) in list.iter().enumerate() {
            Record {
                ts_ms: 1.5e12 + i as f64 * 1000.0,
                amount,
                card: hash_key(card),
                term: 7,
                channel,
                country: pack_country("FR"),
                ..Record::default()
            }
            .write(&mut buf[i * RECORD_SIZE..]);
        }
        buf
    }

    fn score(s: &Scorer, buf: &[u8], ticket: u64) -> Vec<(u8, u16, u8, u32)> {
        let mut out = vec![0u8; buf.len() / RECORD_SIZE * RESULT_SIZE];
        s.score_batch(buf, &mut out, ticket).unwrap();
        out.chunks_exact(RESULT_SIZE)
            .map(|r| {
                let generation = u32::from_le_bytes([
                    r[RES_GENERATION],
                    r[RES_GENERATION + 1],
                    r[RES_GENERATION + 2],
                    r[RES_GENERATION + 3],
                ]);
                (
                    r[RES_DECISION],
                    u16::from_le_bytes([r[RES_RULES], r[RES_RULES + 1]]),
                    r[RES_RULE],
                    generation,
                )
            })
            .collect()
    }

    #[test]
    fn live_rules_decide_count_hits_and_carry_the_generation() {
        let s = Scorer::new(ScorerConfig::default());
        let buf = records(&[
            (10.0, "a", CHANNEL_ONLINE),
            (900.0, "b", CHANNEL_ONLINE),
            (20.0, "vip", 1),
            (6000.0, "bad", 1),
        ]);
        let before = score(&s, &buf, 0);
        assert_eq!(
            before.iter().map(|r| r.0).collect::<Vec<_>>(),
            [APPROVE, APPROVE, APPROVE, REVIEW]
        );
        assert!(before.iter().all(|r| r.2 == NO_RULE && r.3 == 1));
        let text = "rule BIG_ONLINE decline: amount > 500 and channel == \"ONLINE\"\nrule SMALL flag: amount < 50\n\
                    allow card \"vip\"\nblock card \"bad\"";
        let g = s.set_rules(LiveRules::new(RuleSet::compile(text).unwrap(), text.into()));
        assert_eq!(g, 2);
        let after = score(&s, &buf, 1);
        assert_eq!(
            after[0],
            (APPROVE, 0, NO_RULE, 2),
            "a flag rule changes nothing"
        );
        assert_eq!(after[1], (DECLINE, DYNAMIC_RULE, 0, 2));
        assert_eq!(after[2], (APPROVE, ALLOW_LIST, NO_RULE, 2));
        assert_eq!(after[3], (DECLINE, HIGH_AMOUNT | BLOCK_LIST, NO_RULE, 2));
        // Hits: BIG_ONLINE once, SMALL twice (10, 20), allow once, block once.
        assert_eq!(s.live_info().rules.hits(), [1, 2, 1, 1]);
        let _ = score(&s, &buf, 2);
        assert_eq!(s.live_info().rules.hits(), [2, 4, 2, 2]);
        // A new set starts from zero and a new generation; thresholds do not make one.
        s.set_rules(LiveRules::empty());
        s.set_thresholds(Thresholds::new(0.1, 0.2).unwrap());
        assert_eq!(s.live_info().generation, 3);
        assert!(
            score(&s, &buf, 3)
                .iter()
                .all(|r| r.3 == 3 && r.2 == NO_RULE)
        );
    }

    fn doc(extra: &str) -> String {
        format!(
            r#"{{"format":"{FORMAT}","name":"champion","featureSet":"{}","thresholds":{{"review":0.3,"decline":0.8}},
                "rules":"rule R review: amount > 100","lists":{{"block":{{"country":["KP"],"mcc":[7995]}}}}{extra}}}"#,
            feature_set()
        )
    }

    #[test]
    fn a_bundle_loads_with_its_hash_and_swaps_as_one() {
        let b = parse(&doc("")).unwrap();
        assert_eq!(b.version, format!("champion@{}", &b.hash[..12]));
        assert_eq!(b.thresholds, Thresholds::new(0.3, 0.8).unwrap());
        assert_eq!(b.rules.set.rules.len(), 1);
        assert_eq!(b.rules.set.lists.block.sizes(), [0, 0, 1, 1]);
        // Key order and spacing do not change the hash; content does.
        let reordered = doc("")
            .replace("\"name\":\"champion\",", "")
            .replace("{\"format\"", "{\"name\" : \"champion\", \"format\"");
        assert_eq!(parse(&reordered).unwrap().hash, b.hash);
        assert_ne!(parse(&doc("").replace("0.3", "0.31")).unwrap().hash, b.hash);
        // Sealed: the stated hash is checked.
        let sealed = seal(&doc("")).unwrap();
        assert_eq!(parse(&sealed).unwrap().hash, b.hash);
        let tampered = sealed.replace("amount > 100", "amount > 101");
        assert!(
            parse(&tampered)
                .err()
                .unwrap_or_default()
                .starts_with("bundle.hash:")
        );
        let s = Scorer::new(ScorerConfig::default());
        assert_eq!(s.swap_bundle(b), 2);
        let li = s.live_info();
        assert_eq!(
            &*li.version,
            format!("champion@{}", &parse(&sealed).unwrap().hash[..12])
        );
        assert_eq!(li.rules.set.rules[0].name, "R");
    }

    #[test]
    fn bundle_errors_name_the_field() {
        let fs = feature_set();
        for (text, field) in [
            ("[]".to_string(), "bundle: the document"),
            ("{}".to_string(), "bundle.format"),
            (doc("").replace(&fs, "fs1-x"), "bundle.featureSet"),
            (doc("").replace("0.3", "0.9"), "bundle.thresholds"),
            (
                doc("").replace("amount > 100", "amount >"),
                "bundle.rules: R at line 1",
            ),
            (
                doc("").replace("\"KP\"", "\"Korea\""),
                "bundle.lists.block.country[0]",
            ),
            (doc(r#","model":{"format":"onnx"}"#), "bundle.model.format"),
            (
                doc(r#","model":{"format":"lightgbm-text","text":"{}"}"#),
                "bundle.model.text",
            ),
            (
                doc(r#","model":{"format":"xgboost-json","text":"{}"}"#),
                "bundle.model: model: missing",
            ),
            (doc(r#","hash":"sha256:00""#), "bundle.hash"),
        ] {
            let e = parse(&text).err().unwrap_or_default();
            assert!(e.starts_with(field), "{field}: {e}");
        }
    }
}
