//! Segmentation throughput on the 20newsgroups posts in `../shared/data` (skipped when the
//! folder is absent). Reports MB/s through criterion's byte throughput.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rhetor::segment::{segment, SegmentParams};
use std::path::Path;

fn load_texts() -> Option<Vec<String>> {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/20newsgroups_bydate/data.jsonl");
    let data = std::fs::read_to_string(&p).ok()?;
    Some(
        data.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["split"] == "train")
            .filter_map(|v| v["text"].as_str().map(str::to_string))
            .collect(),
    )
}

fn bench(c: &mut Criterion) {
    let Some(texts) = load_texts() else {
        eprintln!("skipped: ../shared/data/20newsgroups_bydate/data.jsonl is absent");
        return;
    };
    let bytes: usize = texts.iter().map(String::len).sum();
    let params = SegmentParams::default()
        .check()
        .expect("defaults are valid");
    let mut g = c.benchmark_group("segment");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.sample_size(10);
    g.bench_function(BenchmarkId::new("20newsgroups_train", texts.len()), |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &texts {
                n += segment(t, 0, None, &params).paragraphs.len();
            }
            n
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
