//! TF-IDF fit + transform on the first texts of 20 Newsgroups.
//!
//! Reads `../shared/data/20newsgroups_bydate/data.jsonl` (relative to the
//! crate root; JSONL with a `text` field); prints a message and returns when
//! the file is absent.

use std::hint::black_box;
use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion};
use rhetor::embed::tfidf::{DfBound, StopWords, TfidfParams};

const N_TEXTS: usize = 2000;

fn load_texts(path: &Path, n: usize) -> Option<Vec<String>> {
    let raw = std::fs::read_to_string(path).ok()?;
    let texts: Vec<String> = raw
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
        .take(n)
        .collect();
    (!texts.is_empty()).then_some(texts)
}

fn bench_tfidf(c: &mut Criterion) {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/20newsgroups_bydate/data.jsonl");
    let Some(texts) = load_texts(&path, N_TEXTS) else {
        println!("tfidf bench skipped: {} not found or empty", path.display());
        return;
    };
    let docs: Vec<&str> = texts.iter().map(String::as_str).collect();

    let mut group = c.benchmark_group("tfidf");
    group.sample_size(10);
    let default = TfidfParams::default().check().expect("valid params");
    group.bench_function(format!("fit_transform_default_{}", docs.len()), |b| {
        b.iter(|| black_box(default.fit_transform(black_box(&docs)).expect("fit")))
    });
    let pruned = TfidfParams {
        stop_words: Some(StopWords::English),
        min_df: DfBound::Count(2),
        max_df: DfBound::Fraction(0.5),
        sublinear_tf: true,
        ..Default::default()
    }
    .check()
    .expect("valid params");
    group.bench_function(
        format!("fit_transform_english_min2_max0.5_{}", docs.len()),
        |b| b.iter(|| black_box(pruned.fit_transform(black_box(&docs)).expect("fit"))),
    );
    let bigrams = TfidfParams {
        ngram_range: (1, 2),
        min_df: DfBound::Count(2),
        ..Default::default()
    }
    .check()
    .expect("valid params");
    group.bench_function(format!("fit_transform_1_2grams_min2_{}", docs.len()), |b| {
        b.iter(|| black_box(bigrams.fit_transform(black_box(&docs)).expect("fit")))
    });
    let fitted = pruned.fit(&docs).expect("fit");
    group.bench_function(format!("transform_{}", docs.len()), |b| {
        b.iter(|| black_box(fitted.transform(black_box(&docs))))
    });
    group.finish();
}

criterion_group!(benches, bench_tfidf);
criterion_main!(benches);
