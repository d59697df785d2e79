//! Topics: `rhetor run` writes topics, topic columns and embeddings; identical for any
//! thread count; small and degenerate corpora.

use crate::common::{demo_corpus, ints, read, rhetor, run_demo, strings};
use predicates::prelude::*;

#[test]
fn run_writes_topics_and_topic_columns() {
    let (_d, out) = run_demo("2", &[]);
    let topics = read(&out.join("topics.parquet"));
    assert!(topics.height() >= 2);
    for c in [
        "topic_id",
        "size",
        "share",
        "label",
        "top_terms",
        "term_scores",
        "representative_doc_ids",
        "representative_para_ids",
    ] {
        assert!(topics.column(c).is_ok(), "topics.parquet lacks {c}");
    }
    let paras = read(&out.join("paragraphs.parquet"));
    let sizes: u64 = ints(&topics, "size").iter().sum();
    assert_eq!(sizes as usize, paras.height());
    let labels = strings(&paras, "topic_label");
    assert!(labels
        .iter()
        .all(|l| l.as_deref().is_some_and(|s| !s.is_empty())));
    let probs = paras.column("topic_prob").unwrap().f32().unwrap().clone();
    assert!(probs.iter().all(|p| p.is_some_and(|p| p > 0.0 && p <= 1.0)));
    let emb = read(&out.join("embeddings.parquet"));
    assert_eq!(emb.height(), paras.height());
    assert!(out.join("tfidf_vectorizer.json").is_file());
    // The essay on labour competition (000) and the internationalist essay (002) do not
    // share their main topic.
    let docs = strings(&paras, "doc_id");
    let ids = ints(&paras, "topic_id");
    let main = |prefix: &str| {
        let mut counts = std::collections::BTreeMap::new();
        for (d, t) in docs.iter().zip(&ids) {
            if d.as_deref().unwrap().starts_with(prefix) {
                *counts.entry(*t).or_insert(0) += 1;
            }
        }
        counts
            .into_iter()
            .max_by_key(|&(t, n)| (n, std::cmp::Reverse(t)))
            .unwrap()
            .0
    };
    assert_ne!(main("000_"), main("002_"));
}

#[test]
fn fixed_k_is_honoured() {
    let (_d, out) = run_demo("2", &["--k", "4"]);
    assert_eq!(read(&out.join("topics.parquet")).height(), 4);
}

#[test]
fn one_and_two_threads_give_byte_identical_tables() {
    let (_a, a) = run_demo("1", &[]);
    let (_b, b) = run_demo("2", &[]);
    for t in [
        "documents.parquet",
        "paragraphs.parquet",
        "topics.parquet",
        "embeddings.parquet",
        "tfidf_vectorizer.json",
    ] {
        let x = std::fs::read(a.join(t)).unwrap();
        let y = std::fs::read(b.join(t)).unwrap();
        assert!(x == y, "{t} differs between 1 and 2 threads");
    }
}

#[test]
fn other_seed_still_gives_valid_run() {
    let (_d, out) = run_demo("2", &["--seed", "7"]);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["seed"], 7);
    assert!(m["stages"]["cluster"]["k"].as_u64().unwrap() >= 2);
}

#[test]
fn fewer_paragraphs_than_k_names_both_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(
        c.join("a.txt"),
        "One paragraph about borders.\n\nAnother about wages.\n\nA third about courts.\n",
    )
    .unwrap();
    rhetor()
        .arg("run")
        .arg(&c)
        .args(["--k", "8", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("k = 8").and(predicate::str::contains("3 paragraphs")));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn k_zero_is_a_params_error() {
    let dir = tempfile::tempdir().unwrap();
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .args(["--k", "0", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("[cluster]").and(predicate::str::contains("k")));
}

#[test]
fn corpus_of_one_paragraph() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(
        c.join("a.txt"),
        "Deportations split families across the border.\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("run")
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let topics = read(&out.join("topics.parquet"));
    assert_eq!(topics.height(), 1);
    assert_eq!(ints(&topics, "size"), vec![1]);
}

#[test]
fn duplicate_paragraphs() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    // Thirty copies of one paragraph plus thirty varied ones: duplicates must not break
    // k-means++ seeding or the silhouette.
    let words = [
        "border", "wages", "courts", "asylum", "police", "unions", "farms", "votes",
    ];
    let mut body = "The same paragraph about enforcement, repeated.\n\n".repeat(15);
    for i in 0..15 {
        let (a, b) = (words[i % 8], words[(i * 3 + 1) % 8]);
        body.push_str(&format!("A paragraph on {a} and {b}, the {a} debate.\n\n"));
    }
    std::fs::write(c.join("a.txt"), &body).unwrap();
    std::fs::write(c.join("b.txt"), &body).unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("run")
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("panicked").not());
    let paras = read(&out.join("paragraphs.parquet"));
    assert_eq!(paras.height(), 60);
}

#[test]
fn empty_vocabulary_names_the_params() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    // Every paragraph is different: with min_df = 5 nothing is left.
    let body: String = (0..30)
        .map(|i| format!("Paragraph number{i} word{i} alone{i}.\n\n"))
        .collect();
    std::fs::write(c.join("a.txt"), body).unwrap();
    let cfg = dir.path().join("cfg.toml");
    std::fs::write(&cfg, "[embed]\nmin_df = 5\n").unwrap();
    rhetor()
        .arg("run")
        .arg(&c)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("min_df = 5").and(predicate::str::contains("max_df")));
}

#[test]
fn bbc_news_clusters_match_sections() {
    let Some(data) = crate::common::shared_data("bbc_news") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("cluster")
        .arg(&data)
        .args(["--unit", "document", "--k", "5", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let paras = read(&out.join("paragraphs.parquet"));
    let docs = strings(&paras, "doc_id");
    let topics = ints(&paras, "topic_id");
    // doc ids are "<section>/<file>": purity of the clustering against the sections.
    let mut table = std::collections::BTreeMap::new();
    for (d, t) in docs.iter().zip(&topics) {
        let section = d.as_deref().unwrap().split('/').next().unwrap().to_string();
        *table.entry((*t, section)).or_insert(0usize) += 1;
    }
    let mut best = std::collections::BTreeMap::new();
    for ((t, _), n) in &table {
        let e = best.entry(*t).or_insert(0usize);
        *e = (*e).max(*n);
    }
    let purity = best.values().sum::<usize>() as f64 / docs.len() as f64;
    assert!(purity > 0.85, "purity {purity}");
}
