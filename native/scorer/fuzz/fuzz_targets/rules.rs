//! Arbitrary text as a rules text (the rule language). Checks: compiling never panics; a set that compiles evaluates
//! rows of 0, -0, NaN, infinities and huge values, on records of every channel, country and list key, without
//! panic (the evaluation stack bound holds), and its verdict names a rule that exists.
#![no_main]

use fraudstream_scorer::bundle::LiveRules;
use fraudstream_scorer::features::N_FEATURES;
use fraudstream_scorer::lists::{hash_key, pack_country};
use fraudstream_scorer::record::Record;
use fraudstream_scorer::rules_lang::RuleSet;
use libfuzzer_sys::fuzz_target;

fn rows() -> Vec<[f32; N_FEATURES]> {
    let specials = [
        0.0,
        -0.0,
        1.0,
        2.0,
        7995.0,
        5000.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
    ];
    (0..13)
        .map(|r| std::array::from_fn(|f| specials[(r * (f + 1) + f) % specials.len()]))
        .collect()
}

fn records() -> Vec<Record> {
    let ids = ["card-1", "T-1", "x", ""];
    (0..8u16)
        .map(|i| Record {
            card: hash_key(ids[usize::from(i % 4)]),
            term: hash_key(ids[usize::from((i + 1) % 4)]),
            mcc: [0, 7995, 5967, 1][usize::from(i % 4)],
            channel: (i % 4) as u8,
            country: if i % 3 == 0 {
                0
            } else {
                pack_country(["FR", "KP"][usize::from(i % 2)])
            },
            ..Record::default()
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(set) = RuleSet::compile(text) else {
        return;
    };
    let n = set.rules.len();
    let live = LiveRules::new(set, text.to_string());
    let mut fired = vec![false; n];
    let mut hits = vec![0u32; live.counters()];
    for row in rows() {
        for rec in records() {
            let (decision, _, rule) = live.apply(&row, &rec, 0, 0, &mut fired, &mut hits);
            assert!(decision <= 2, "decision {decision}");
            assert!(
                rule == 255 || usize::from(rule) < n,
                "rule index {rule} of {n}"
            );
        }
    }
    live.add_hits(&hits);
});
