//! Arbitrary bytes as a snapshot file. Checks: decoding never panics (as read, and with both checksums recomputed so
//! the body decoder sees the mutations); a body that decodes re-encodes stably; restored into a scorer, it scores
//! records on its own cards and terminals, at far-apart times, without panic and with valid results.
#![no_main]

use fraudstream_scorer::record::{
    FLAG_FRAUD, FLAG_LABEL, Outcome, RECORD_SIZE, RESULT_SIZE, Record,
};
use fraudstream_scorer::scorer::snapshot::{
    HEADER_LEN, TRAILER_LEN, decode_image, encode_image, reseal,
};
use fraudstream_scorer::scorer::{Scorer, ScorerConfig};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_image(data);
    if data.len() < HEADER_LEN + TRAILER_LEN {
        return;
    }
    let mut image = data.to_vec();
    reseal(&mut image);
    let Ok((body, created)) = decode_image(&image) else {
        return;
    };
    let again =
        encode_image(&body.state, body.thresholds, &body.meta, created).expect("decoded meta fits");
    let (body2, _) = decode_image(&again).expect("a re-encoded snapshot decodes");
    let third = encode_image(&body2.state, body2.thresholds, &body2.meta, created).expect("fits");
    assert!(again == third, "re-encoding is not stable");

    let delay = body.state.terms.label_delay_days();
    let cards: Vec<u64> = body
        .state
        .cards
        .keys_by_slot()
        .into_iter()
        .take(6)
        .chain([7])
        .collect();
    let terms: Vec<u64> = body
        .state
        .terms
        .keys_by_slot()
        .into_iter()
        .take(6)
        .chain([9])
        .collect();
    let scorer = Scorer::new(ScorerConfig {
        label_delay_days: delay,
        ..ScorerConfig::default()
    });
    scorer
        .restore_image(&image)
        .expect("a decodable image restores");
    let times = [
        -8.64e15,
        -1.0,
        0.0,
        1.5e12,
        1.5e12 + 86_400_000.0 * 40.0,
        8.64e15,
    ];
    let mut recs = Vec::new();
    for (i, &ts_ms) in times.iter().enumerate() {
        for (j, (&card, &term)) in cards.iter().zip(&terms).enumerate() {
            let rec = Record {
                ts_ms,
                amount: (i * 7 + j) as f64,
                card,
                term,
                flags: match (i + j) % 4 {
                    0 => 12,
                    1 => FLAG_LABEL | FLAG_FRAUD,
                    2 => FLAG_LABEL,
                    _ => 0,
                },
                lat: 1.0,
                lon: 2.0,
                ..Record::default()
            };
            let mut slot = [0u8; RECORD_SIZE];
            rec.write(&mut slot);
            recs.extend_from_slice(&slot);
        }
    }
    let mut out = vec![0u8; recs.len() / RECORD_SIZE * RESULT_SIZE];
    scorer
        .score_batch(&recs, &mut out, 0)
        .expect("ticket 0 of a new scorer");
    for res in out.chunks_exact(RESULT_SIZE) {
        let o = Outcome::read(res);
        assert!(o.status <= 2 && o.decision <= 2, "{o:?}");
    }
});
