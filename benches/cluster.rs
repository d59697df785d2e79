//! Benchmarks of the LSA reduction and k-means kernels.
//!
//! Always: a seeded synthetic sparse matrix (LSA) and seeded synthetic embeddings
//! (k-means). When `../shared/data/20newsgroups_bydate/data.jsonl` exists (a development
//! checkout with the shared data beside it): LSA of its 11,314 × V TF-IDF matrix (own simple
//! tokenizer, `min_df = 2`, `max_df = 0.5`, smooth idf, l2 rows — as scikit-learn's
//! `TfidfVectorizer(min_df=2, max_df=0.5)`), then k-means with k = 20, n_init = 10 on the
//! 100-dimensional LSA embedding. Without it those benchmarks are skipped with a message.
//!
//! Run: `cargo bench --bench cluster`.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, SamplingMode};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256Plus;
use rhetor::cluster::ClusterParams;
use rhetor::embed::lsa::ReduceParams;
use sprs::{CsMat, TriMat};

pub fn data_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/20newsgroups_bydate/data.jsonl")
}

/// Lower-cased runs of alphanumerics (and `_`) of length ≥ 2 (scikit-learn's default
/// `token_pattern`).
fn tokens(text: &str) -> Vec<String> {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|t| t.chars().count() >= 2)
        .map(str::to_string)
        .collect()
}

/// TF-IDF (smooth idf, l2-normalised rows) of `docs` with `min_df = 2`, `max_df = 0.5`.
pub fn tfidf(docs: &[String]) -> CsMat<f64> {
    let toks: Vec<Vec<String>> = docs.iter().map(|d| tokens(d)).collect();
    let mut df: HashMap<&str, usize> = HashMap::new();
    for doc in &toks {
        let mut seen: Vec<&str> = doc.iter().map(String::as_str).collect();
        seen.sort_unstable();
        seen.dedup();
        for t in seen {
            *df.entry(t).or_default() += 1;
        }
    }
    let n = docs.len();
    let mut vocab: Vec<&str> = df
        .iter()
        .filter(|&(_, &c)| c >= 2 && c as f64 <= 0.5 * n as f64)
        .map(|(&t, _)| t)
        .collect();
    vocab.sort_unstable();
    let index: HashMap<&str, usize> = vocab.iter().enumerate().map(|(i, &t)| (t, i)).collect();
    let idf: Vec<f64> = vocab
        .iter()
        .map(|t| ((1.0 + n as f64) / (1.0 + df[t] as f64)).ln() + 1.0)
        .collect();
    let mut tri = TriMat::new((n, vocab.len()));
    for (r, doc) in toks.iter().enumerate() {
        let mut counts: HashMap<usize, f64> = HashMap::new();
        for t in doc {
            if let Some(&j) = index.get(t.as_str()) {
                *counts.entry(j).or_default() += 1.0;
            }
        }
        let mut row: Vec<(usize, f64)> = counts.into_iter().map(|(j, c)| (j, c * idf[j])).collect();
        row.sort_unstable_by_key(|e| e.0);
        let norm = row.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt();
        for (j, v) in row {
            tri.add_triplet(r, j, v / norm);
        }
    }
    tri.to_csr()
}

fn load_20ng() -> Option<Vec<String>> {
    let text = std::fs::read_to_string(data_path()).ok()?;
    let docs: Vec<String> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_string))
        .collect();
    (!docs.is_empty()).then_some(docs)
}

/// Seeded sparse "documents": 40 latent topics, each with its own 300-term vocabulary
/// slice, plus common background terms; rows l2-normalised.
fn synthetic_sparse(rows: usize, cols: usize, seed: u64) -> CsMat<f64> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut tri = TriMat::new((rows, cols));
    for r in 0..rows {
        let topic = rng.gen_range(0..40usize);
        let mut row: HashMap<usize, f64> = HashMap::new();
        for _ in 0..120 {
            let j = if rng.gen::<f64>() < 0.6 {
                (topic * 300 + rng.gen_range(0..300)) % cols
            } else {
                rng.gen_range(0..cols)
            };
            *row.entry(j).or_default() += 1.0;
        }
        let mut row: Vec<(usize, f64)> = row.into_iter().collect();
        row.sort_unstable_by_key(|e| e.0);
        let norm = row.iter().map(|e| e.1 * e.1).sum::<f64>().sqrt();
        for (j, v) in row {
            tri.add_triplet(r, j, v / norm);
        }
    }
    tri.to_csr()
}

/// Seeded l2-normalised embeddings around 20 random centres.
fn synthetic_embeddings(rows: usize, dim: usize, seed: u64) -> Array2<f32> {
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut normal = move || {
        let u1: f64 = 1.0 - rng.gen::<f64>();
        let u2: f64 = rng.gen();
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    };
    let centres: Vec<Vec<f32>> = (0..20)
        .map(|_| (0..dim).map(|_| normal()).collect())
        .collect();
    let mut x = Array2::<f32>::zeros((rows, dim));
    for (i, mut row) in x.rows_mut().into_iter().enumerate() {
        let c = &centres[i % 20];
        for (v, &m) in row.iter_mut().zip(c) {
            *v = m + 1.5 * normal();
        }
        let n = row.iter().map(|v| v * v).sum::<f32>().sqrt();
        row.mapv_inplace(|v| v / n);
    }
    x
}

fn bench_synthetic(c: &mut Criterion) {
    let (rows, cols) = (11_314, 30_000);
    let x = synthetic_sparse(rows, cols, 1);
    let lsa = ReduceParams::default().check().expect("valid");
    let mut g = c.benchmark_group("lsa");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(15));
    g.bench_function(
        BenchmarkId::new(format!("synthetic_{rows}x{cols}"), "100comp"),
        |b| b.iter(|| black_box(lsa.fit_transform(black_box(&x), 42).expect("lsa"))),
    );
    g.finish();

    let e = synthetic_embeddings(rows, 100, 2);
    let km = ClusterParams {
        k: Some(20),
        ..Default::default()
    }
    .check()
    .expect("valid");
    let mut g = c.benchmark_group("kmeans");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(15));
    g.bench_function(
        BenchmarkId::new(format!("synthetic_{rows}x100"), "k20_ninit10"),
        |b| b.iter(|| black_box(km.fit(black_box(e.view()), 42).expect("kmeans"))),
    );
    g.finish();
}

fn bench_20ng(c: &mut Criterion) {
    let Some(docs) = load_20ng() else {
        eprintln!(
            "skipping the 20newsgroups benchmarks: {} not found (needs ../shared/data)",
            data_path().display()
        );
        return;
    };
    let x = tfidf(&docs);
    let name = format!("20ng_{}x{}", x.rows(), x.cols());
    let lsa = ReduceParams::default().check().expect("valid");
    let mut g = c.benchmark_group("lsa");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20));
    g.bench_function(BenchmarkId::new(name.as_str(), "100comp"), |b| {
        b.iter(|| black_box(lsa.fit_transform(black_box(&x), 42).expect("lsa")))
    });
    g.finish();

    let emb = lsa.fit_transform(&x, 42).expect("lsa").embedding;
    let km = ClusterParams {
        k: Some(20),
        ..Default::default()
    }
    .check()
    .expect("valid");
    let auto = ClusterParams::default().check().expect("valid");
    let name = format!("20ng_lsa_{}x100", emb.nrows());
    let mut g = c.benchmark_group("kmeans");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(20));
    g.bench_function(BenchmarkId::new(name.as_str(), "k20_ninit10"), |b| {
        b.iter(|| black_box(km.fit(black_box(emb.view()), 42).expect("kmeans")))
    });
    g.bench_function(BenchmarkId::new(name.as_str(), "auto_k2-12_ninit10"), |b| {
        b.iter(|| black_box(auto.fit(black_box(emb.view()), 42).expect("kmeans")))
    });
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_synthetic(&mut c);
    bench_20ng(&mut c);
    c.final_summary();
}
