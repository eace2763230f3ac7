//! Arbitrary bytes as 64-byte records (the last partial one zero-padded), scored by a real scorer with a small
//! model on state features, in batches whose size the first byte picks. Checks: no panic; every result is a valid
//! status, decision, score and reason; batch sizes do not change the results; `extract_features` gives one row per
//! transaction record.
#![no_main]

use fraudstream_scorer::features::N_FEATURES;
use fraudstream_scorer::model::Model;
use fraudstream_scorer::record::{
    NO_REASON, Outcome, RECORD_SIZE, RESULT_SIZE, Record, STATUS_SCORED,
};
use fraudstream_scorer::scorer::{Scorer, ScorerConfig, extract_features};
use libfuzzer_sys::fuzz_target;

/// Three trees on amount, the card's 1-day count, the seconds since its previous transaction, terminal risk and
/// the distance travelled, so that the stateful features reach the model and the reasons.
const MODEL: &str = r#"{"learner":{"feature_names":[],"learner_model_param":{"base_score":"5E-1","num_feature":"26"},
"objective":{"name":"binary:logistic"},"gradient_booster":{"name":"gbtree","model":{"trees":[
{"tree_param":{"num_nodes":"5"},"left_children":[1,3,-1,-1,-1],"right_children":[2,4,-1,-1,-1],"split_indices":[0,5,0,0,0],
 "split_conditions":[100.5,2.5,2.0,-1.0,0.5],"default_left":[1,0,0,0,0],"base_weights":[0.1,-0.2,2.0,-1.0,0.5]},
{"tree_param":{"num_nodes":"3"},"left_children":[1,-1,-1],"right_children":[2,-1,-1],"split_indices":[11,0,0],
 "split_conditions":[60.0,1.5,-0.5],"default_left":[0,0,0],"base_weights":[0.2,1.5,-0.5]},
{"tree_param":{"num_nodes":"5"},"left_children":[1,-1,3,-1,-1],"right_children":[2,-1,4,-1,-1],"split_indices":[18,0,23,0,0],
 "split_conditions":[0.25,-0.3,500.0,0.2,3.0],"default_left":[1,0,1,0,0],"base_weights":[0.0,-0.3,0.4,0.2,3.0]}]}}}}"#;

fn score(cfg: ScorerConfig, model: &Model, recs: &[u8], batch: usize) -> (Vec<u8>, u32) {
    let s = Scorer::new(cfg);
    s.set_model(model.clone());
    let n = recs.len() / RECORD_SIZE;
    let mut out = vec![0u8; n * RESULT_SIZE];
    let (mut a, mut ticket, mut scored) = (0, 0u64, 0u32);
    while a < n {
        let b = (a + batch).min(n);
        scored += s
            .score_batch(
                &recs[a * RECORD_SIZE..b * RECORD_SIZE],
                &mut out[a * RESULT_SIZE..b * RESULT_SIZE],
                ticket,
            )
            .expect("a fresh gate passes tickets in order")
            .scored;
        a = b;
        ticket += 1;
    }
    (out, scored)
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let mut recs = body.to_vec();
    recs.resize(body.len().div_ceil(RECORD_SIZE) * RECORD_SIZE, 0);
    let n = recs.len() / RECORD_SIZE;
    let cfg = ScorerConfig {
        label_delay_days: u32::from(first >> 4) * 3,
        ..ScorerConfig::default()
    };
    let model = Model::from_xgboost_json(MODEL).expect("the fixed model loads");
    let (one, scored) = score(cfg, &model, &recs, n.max(1));
    let (many, _) = score(cfg, &model, &recs, 1 + usize::from(first & 15));
    assert!(one == many, "batch sizes changed the results");
    let mut scored_status = 0;
    let mut transactions = 0;
    for (slot, res) in recs
        .chunks_exact(RECORD_SIZE)
        .zip(one.chunks_exact(RESULT_SIZE))
    {
        let rec = Record::read(slot);
        let o = Outcome::read(res);
        transactions += usize::from(!rec.is_label());
        assert!(o.status <= 2 && o.decision <= 2, "{o:?}");
        assert!(o.score.is_nan() || (0.0..=1.0).contains(&o.score), "{o:?}");
        assert!(
            o.reasons
                .iter()
                .all(|&r| r == NO_REASON || usize::from(r) < N_FEATURES),
            "{o:?}"
        );
        if o.status == STATUS_SCORED {
            scored_status += 1;
            assert!(rec.is_valid() && !rec.is_label());
        }
    }
    assert_eq!(scored, scored_status);
    let mut rows = vec![0f32; n * N_FEATURES];
    let got = extract_features(&cfg, &recs, &mut rows).expect("room for every row");
    assert_eq!(got, transactions);
});
