//! Arbitrary text as a LightGBM text model. Checks: loading never panics; a model that loads evaluates rows of 0,
//! -0, NaN, infinities and huge values without panic, and the block evaluator equals the plain walk bit for bit.
#![no_main]

use fraudstream_scorer::features::N_FEATURES;
use fraudstream_scorer::model::Model;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Only the LightGBM path: XGBoost JSON has its own target (model_json).
    if !fraudstream_scorer::lightgbm::is_lightgbm(text) {
        return;
    }
    let Ok(model) = Model::from_text(text) else {
        return;
    };
    let specials = [
        0.0,
        -0.0,
        0.5,
        100.5,
        f32::NAN,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::MAX,
        1e-30,
    ];
    let rows: Vec<[f32; N_FEATURES]> = (0..21)
        .map(|r| std::array::from_fn(|f| specials[(r * (f + 1) + f) % specials.len()]))
        .collect();
    let mut block = vec![0f64; rows.len()];
    model.margins(&rows, &mut block);
    for (row, m) in rows.iter().zip(&block) {
        let plain = model.margin(row);
        assert!(
            plain.to_bits() == m.to_bits() || (plain.is_nan() && m.is_nan()),
            "block {m} != plain {plain}"
        );
    }
});
