//! The binary layouts as data: every offset, size, flag bit and code of `record.rs`, `decide.rs`, in one table.
//!
//! Two readers: the addon's `layout()` export, and [`render_typescript`], which writes
//! `packages/schema/src/generated/layout.ts`. The test `layout_typescript_is_current` fails when the committed file
//! differs from the rendering; `UPDATE_LAYOUT=1 cargo test -p fraudstream-scorer layout` rewrites it.

use std::fmt::Write as _;

use crate::decide::{APPROVE, DECLINE, REVIEW};
use crate::record::{
    CHANNEL_ATM, CHANNEL_ONLINE, CHANNEL_POS, CHANNEL_UNKNOWN, FLAG_CARD_PRESENT,
    FLAG_CARD_PRESENT_KNOWN, FLAG_FRAUD, FLAG_LABEL, NO_REASON, OFF_AMOUNT, OFF_CARD, OFF_CHANNEL,
    OFF_COUNTRY, OFF_CURRENCY, OFF_FLAGS, OFF_INGEST, OFF_LAT, OFF_LON, OFF_MCC, OFF_TERM, OFF_TS,
    OFF_TX_NUM, REASON_COUNT, RECORD_SIZE, RES_DECISION, RES_GENERATION, RES_REASONS, RES_RULE,
    RES_RULES, RES_SCORE, RES_STATUS, RESULT_SIZE, STATUS_FALLBACK, STATUS_INVALID, STATUS_LABEL,
    STATUS_SCORED,
};

/// One named constant: name (as TypeScript spells it), value, and what it is.
pub type Entry = (&'static str, u32, &'static str);

/// A group of constants, rendered as one nested object.
pub struct Group {
    /// Property name.
    pub name: &'static str,
    /// What the group holds.
    pub doc: &'static str,
    /// The constants.
    pub entries: &'static [Entry],
}

/// Every layout constant, grouped.
pub const GROUPS: &[Group] = &[
    Group {
        name: "record",
        doc: "The 64-byte record: byte offsets of its fields (little-endian), and its size.",
        entries: &[
            ("size", RECORD_SIZE as u32, "bytes per record"),
            (
                "txNum",
                OFF_TX_NUM as u32,
                "f64: numeric transaction id (NaN when not numeric); labels: the labelled record's sequence number",
            ),
            ("tsMs", OFF_TS as u32, "f64: event time, epoch ms"),
            (
                "amount",
                OFF_AMOUNT as u32,
                "f64: amount in major units (labels: 0)",
            ),
            (
                "ingestMs",
                OFF_INGEST as u32,
                "f64: wall clock when the record entered the system, epoch ms",
            ),
            (
                "cardKey",
                OFF_CARD as u32,
                "u32 x 2: 64-bit card key, low word first",
            ),
            (
                "termKey",
                OFF_TERM as u32,
                "u32 x 2: 64-bit terminal key, low word first",
            ),
            (
                "mcc",
                OFF_MCC as u32,
                "u16: merchant category code, 0 unknown",
            ),
            ("channel", OFF_CHANNEL as u32, "u8: channel code"),
            ("flags", OFF_FLAGS as u32, "u8: flag bits"),
            (
                "country",
                OFF_COUNTRY as u32,
                "u16: ISO 3166 alpha-2 packed c0 | c1 << 8, 0 unknown",
            ),
            (
                "currency",
                OFF_CURRENCY as u32,
                "u16: packed ISO 4217 alpha-3, 0 unknown",
            ),
            (
                "lat",
                OFF_LAT as u32,
                "f32: terminal latitude, degrees, NaN unknown",
            ),
            (
                "lon",
                OFF_LON as u32,
                "f32: terminal longitude, degrees, NaN unknown",
            ),
        ],
    },
    Group {
        name: "result",
        doc: "The 16-byte result at the same slot index: byte offsets of its fields, its size, the reason slots.",
        entries: &[
            ("size", RESULT_SIZE as u32, "bytes per result"),
            ("score", RES_SCORE as u32, "f32: probability of fraud"),
            ("decision", RES_DECISION as u32, "u8: decision code"),
            ("status", RES_STATUS as u32, "u8: status code"),
            (
                "rules",
                RES_RULES as u32,
                "u16: bitmask of the rules that fired",
            ),
            (
                "reasons",
                RES_REASONS as u32,
                "u8 x reasonCount: feature indices of the top contributions",
            ),
            ("reasonCount", REASON_COUNT as u32, "number of reason slots"),
            (
                "rule",
                RES_RULE as u32,
                "u8: index of the live rule set's rule that decided (with the DYNAMIC_RULE bit), 255 none",
            ),
            (
                "generation",
                RES_GENERATION as u32,
                "u32: the scorer's live generation (bundle, rules, model) that decided; 0 fallback",
            ),
        ],
    },
    Group {
        name: "flag",
        doc: "Bits of the record's flags byte.",
        entries: &[
            (
                "label",
                FLAG_LABEL as u32,
                "the record is a label, not a transaction",
            ),
            (
                "fraud",
                FLAG_FRAUD as u32,
                "label value: the labelled transaction was fraud",
            ),
            (
                "cardPresent",
                FLAG_CARD_PRESENT as u32,
                "the card was present (with cardPresentKnown)",
            ),
            (
                "cardPresentKnown",
                FLAG_CARD_PRESENT_KNOWN as u32,
                "cardPresent carries information",
            ),
        ],
    },
    Group {
        name: "channel",
        doc: "Codes of the record's channel byte.",
        entries: &[
            ("unknown", CHANNEL_UNKNOWN as u32, "not given"),
            ("pos", CHANNEL_POS as u32, "point of sale"),
            ("online", CHANNEL_ONLINE as u32, "online"),
            ("atm", CHANNEL_ATM as u32, "ATM"),
        ],
    },
    Group {
        name: "status",
        doc: "Codes of the result's status byte.",
        entries: &[
            (
                "scored",
                STATUS_SCORED as u32,
                "decided by the model and rules",
            ),
            (
                "invalid",
                STATUS_INVALID as u32,
                "the record failed the scorer's checks (REVIEW, INVALID_RECORD)",
            ),
            (
                "label",
                STATUS_LABEL as u32,
                "a label record applied to state, no decision",
            ),
            (
                "fallback",
                STATUS_FALLBACK as u32,
                "decided by the fallback after a scorer failure (REVIEW, SCORER_ERROR, score NaN)",
            ),
        ],
    },
    Group {
        name: "decision",
        doc: "Codes of the result's decision byte.",
        entries: &[
            ("approve", APPROVE as u32, "APPROVE"),
            ("review", REVIEW as u32, "REVIEW"),
            ("decline", DECLINE as u32, "DECLINE"),
        ],
    },
    Group {
        name: "reason",
        doc: "Values of a reason slot.",
        entries: &[("none", NO_REASON as u32, "no reason in this slot")],
    },
];

// The result fields fit their slot and are aligned to their width.
const _: () = assert!(
    RES_REASONS + REASON_COUNT <= RESULT_SIZE
        && RES_SCORE.is_multiple_of(4)
        && RES_RULES.is_multiple_of(2)
        && RES_GENERATION.is_multiple_of(4)
        && RES_GENERATION + 4 <= RESULT_SIZE
        && RES_RULE == RES_REASONS + REASON_COUNT
);

/// Path of the generated TypeScript file, relative to this crate's directory.
pub const TYPESCRIPT_PATH: &str = "../../packages/schema/src/generated/layout.ts";

/// The TypeScript module holding [`GROUPS`] as a `layout` constant.
#[must_use]
pub fn render_typescript() -> String {
    let mut s = String::from(
        "// Auto-generated code, DO NOT EDIT DIRECTLY.\n\
         // Generated by native/scorer/src/layout.rs from the constants of native/scorer/src/record.rs and decide.rs.\n\
         // To regenerate: `UPDATE_LAYOUT=1 cargo test -p fraudstream-scorer layout`; the same test fails when this\n\
         // file differs from what Rust would write.\n\n\
         /** The binary layouts of the record and the result, as the Rust scorer defines them. */\n\
         export const layout = {\n",
    );
    for g in GROUPS {
        let _ = writeln!(s, "  /** {} */\n  {}: {{", g.doc, g.name);
        for (name, value, doc) in g.entries {
            let _ = writeln!(s, "    /** {doc} */\n    {name}: {value},");
        }
        s.push_str("  },\n");
    }
    s.push_str(
        "} as const;\n\n/** The type of {@link layout}. */\nexport type Layout = typeof layout;\n",
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_typescript_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(TYPESCRIPT_PATH);
        let want = render_typescript();
        if std::env::var_os("UPDATE_LAYOUT").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} differs from the layout in record.rs: run `UPDATE_LAYOUT=1 cargo test -p fraudstream-scorer layout` \
             and commit the file",
            path.display()
        );
    }

    #[test]
    fn layout_fields_fit_and_do_not_overlap() {
        let widths: [(usize, usize); 13] = [
            (OFF_TX_NUM, 8),
            (OFF_TS, 8),
            (OFF_AMOUNT, 8),
            (OFF_INGEST, 8),
            (OFF_CARD, 8),
            (OFF_TERM, 8),
            (OFF_MCC, 2),
            (OFF_CHANNEL, 1),
            (OFF_FLAGS, 1),
            (OFF_COUNTRY, 2),
            (OFF_CURRENCY, 2),
            (OFF_LAT, 4),
            (OFF_LON, 4),
        ];
        let mut used = [false; RECORD_SIZE];
        for (off, w) in widths {
            assert_eq!(off % w, 0, "field at {off} is not aligned to its width {w}");
            for b in &mut used[off..off + w] {
                assert!(!*b, "byte at {off} used twice");
                *b = true;
            }
        }
        assert!(
            used.iter().all(|&b| b),
            "every record byte belongs to a field"
        );
    }
}
