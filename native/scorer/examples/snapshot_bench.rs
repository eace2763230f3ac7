//! Snapshot and restore time and size at 1,000,000 cards and 10,000 terminals (bench/RESULTS.md).
//!
//! `cargo run --release -p fraudstream-scorer --example snapshot_bench -- [cards] [terminals] [txPerCard] [dir] [keep]`
//! (defaults 1000000, 10000, 3, `data/` of the repository). The state is built by scoring generated records
//! through `Scorer::score_batch` (transactions over 30 days, 10 % of them followed by a label), so it is the state a
//! running engine holds. Peers in the same run: writing the same number of bytes with `fs::write` + fsync (the disk
//! floor) and decoding the image from memory (restore without the read).

use std::path::PathBuf;
use std::time::Instant;

use fraudstream_scorer::record::{FLAG_FRAUD, FLAG_LABEL, RECORD_SIZE, RESULT_SIZE, Record};
use fraudstream_scorer::scorer::snapshot::{SnapshotMeta, decode_image};
use fraudstream_scorer::scorer::{Scorer, ScorerConfig};

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .map_or(default, |a| a.parse().expect("arguments are numbers"))
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// A scorer whose state holds `cards` cards with `per_card` transactions each over 30 days, on `terms` terminals.
fn build(cards: u64, terms: u64, per_card: u64) -> Scorer {
    let scorer = Scorer::new(ScorerConfig::default());
    let start = 1_522_540_800_000.0;
    let span = 30.0 * 86_400_000.0;
    let total = cards * per_card;
    let chunk = 65_536u64;
    let mut recs = vec![0u8; chunk as usize * RECORD_SIZE * 2];
    let mut out = vec![0u8; chunk as usize * RESULT_SIZE * 2];
    let (mut i, mut ticket) = (0u64, 0u64);
    while i < total {
        let mut n = 0;
        while n < chunk as usize && i < total {
            let h = mix(i);
            let rec = Record {
                ts_ms: (start + span * (i as f64 / total as f64)).floor(),
                amount: (h % 20_000) as f64 / 100.0,
                card: mix(i % cards),
                term: mix((1 << 40) | ((h >> 20) % terms)),
                flags: 12,
                mcc: 5411,
                channel: 1,
                country: 0x4542,
                lat: 48.0,
                lon: 2.0,
            };
            rec.write(&mut recs[n * RECORD_SIZE..(n + 1) * RECORD_SIZE]);
            n += 1;
            if h.is_multiple_of(10) {
                let label = Record {
                    flags: FLAG_LABEL | if h.is_multiple_of(70) { FLAG_FRAUD } else { 0 },
                    ..rec
                };
                label.write(&mut recs[n * RECORD_SIZE..(n + 1) * RECORD_SIZE]);
                n += 1;
            }
            i += 1;
        }
        scorer
            .score_batch(
                &recs[..n * RECORD_SIZE],
                &mut out[..n * RESULT_SIZE],
                ticket,
            )
            .expect("score");
        ticket += 1;
    }
    scorer
}

fn main() {
    let cards = arg(1, 1_000_000);
    let terms = arg(2, 10_000);
    let per_card = arg(3, 3);
    let dir = std::env::args().nth(4).map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data"),
        PathBuf::from,
    );
    std::fs::create_dir_all(&dir).expect("create the output folder");
    let path = dir.join("snapshot-bench.snap");

    let built = Instant::now();
    let scorer = build(cards, terms, per_card);
    let [c, cb, t, tb] = scorer.state_size();
    println!(
        "state: {c} cards ({:.1} MB heap), {t} terminals ({:.1} MB heap), built in {:.1} s",
        cb as f64 / 1e6,
        tb as f64 / 1e6,
        built.elapsed().as_secs_f64()
    );

    let meta = SnapshotMeta {
        model_version: "bench".into(),
        thresholds_version: "default".into(),
        extra: Vec::new(),
    };
    let rounds = 5;
    let (mut snap, mut restore, mut decode, mut floor) = (vec![], vec![], vec![], vec![]);
    let mut bytes = 0;
    for _ in 0..rounds {
        let t0 = Instant::now();
        let info = scorer.snapshot_to(&path, &meta).expect("snapshot");
        snap.push(ms(t0));
        bytes = info.bytes;

        let fresh = Scorer::new(ScorerConfig::default());
        let t0 = Instant::now();
        let restored = fresh.restore_from(&path).expect("restore");
        restore.push(ms(t0));
        assert_eq!(restored.info.cards as u64, c as u64);

        let image = std::fs::read(&path).expect("read");
        let t0 = Instant::now();
        let (body, _) = decode_image(&image).expect("decode");
        decode.push(ms(t0));
        drop(body);

        let floor_path = dir.join("snapshot-bench.floor");
        let t0 = Instant::now();
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&floor_path).expect("create");
            f.write_all(&image).expect("write");
            f.sync_all().expect("fsync");
        }
        floor.push(ms(t0));
        std::fs::remove_file(&floor_path).expect("remove");
    }
    println!(
        "snapshot file: {bytes} bytes ({:.1} MB, {:.1} B per card)",
        bytes as f64 / 1e6,
        bytes as f64 / c as f64
    );
    println!(
        "median of {rounds}: snapshot_to {:.0} ms | restore_from {:.0} ms | peers: write+fsync of the same bytes {:.0} ms, decode from memory {:.0} ms",
        median(snap),
        median(restore),
        median(floor),
        median(decode)
    );
    // `keep` as the fifth argument leaves the last snapshot in place (the fuzz seed corpus is made this way).
    if std::env::args().nth(5).as_deref() == Some("keep") {
        println!("kept {}", path.display());
    } else {
        std::fs::remove_file(&path).expect("remove the snapshot");
    }
}
