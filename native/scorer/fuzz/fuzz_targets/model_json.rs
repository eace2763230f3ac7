//! Arbitrary text as XGBoost JSON. Checks: loading never panics; a model that loads evaluates every row (zeros,
//! NaN, infinities, -0.0, huge values) without panic, the block evaluator (SIMD where available) equals the plain
//! walk bit for bit, and Saabas contributions and `info` work.
#![no_main]

use fraudstream_scorer::features::N_FEATURES;
use fraudstream_scorer::model::Model;
use libfuzzer_sys::fuzz_target;

fn rows() -> Vec<[f32; N_FEATURES]> {
    let specials = [
        0.0,
        -0.0,
        1.0,
        -1.0,
        0.5,
        100.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        f32::MIN_POSITIVE,
    ];
    // 37 rows (more than one SIMD block of 16 plus a scalar tail): each feature cycles through the specials with a
    // different stride, so rows differ in every feature.
    (0..37)
        .map(|r| std::array::from_fn(|f| specials[(r * (f + 1) + f) % specials.len()]))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(model) = Model::from_xgboost_json(text) else {
        return;
    };
    let _ = model.info();
    let rows = rows();
    let mut block = vec![0f64; rows.len()];
    model.margins(&rows, &mut block);
    let mut contrib = [0f32; N_FEATURES];
    for (row, m) in rows.iter().zip(&block) {
        let plain = model.margin(row);
        assert!(
            plain.to_bits() == m.to_bits() || (plain.is_nan() && m.is_nan()),
            "block evaluator {m} != plain walk {plain}"
        );
        model.contributions(row, &mut contrib);
    }
});
