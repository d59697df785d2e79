//! Codebook labelling: the demo run labels every paragraph on the three shipped codebooks;
//! codebook errors name the file and the label.

use crate::common::{demo_corpus, read, rhetor, run_demo, strings};
use predicates::prelude::*;

#[test]
fn demo_run_labels_every_paragraph_on_three_codebooks() {
    let (_dir, out) = run_demo("2", &[]);
    let paras = read(&out.join("paragraphs.parquet"));
    for dim in ["frame", "collective_action", "stance"] {
        let labels = strings(&paras, dim);
        assert_eq!(labels.len(), paras.height());
        assert!(
            labels.iter().filter(|l| l.is_some()).count() > 5,
            "{dim} labels almost nothing"
        );
        let score = paras
            .column(&format!("{dim}_score"))
            .unwrap()
            .f32()
            .unwrap()
            .clone();
        assert!(score
            .iter()
            .all(|s| s.is_some_and(|s| (0.0..=1.0).contains(&s))));
    }
    assert!(paras.column("frame__economic").is_ok());
    assert!(paras.column("stance__favor").is_ok());
    let shares = read(&out.join("doc_labels.parquet"));
    let dims = strings(&shares, "dimension");
    for d in ["topic", "frame", "collective_action", "stance"] {
        assert!(
            dims.iter().any(|x| x.as_deref() == Some(d)),
            "no shares for {d}"
        );
    }
}

#[test]
fn label_command_with_one_codebook_and_target() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("l");
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    rhetor()
        .arg("label")
        .arg(demo_corpus())
        .arg("--config")
        .arg(&empty)
        .args(["--codebook", "stance", "--target", "deportations", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let paras = read(&out.join("paragraphs.parquet"));
    assert!(paras.column("stance").is_ok());
    assert!(paras.column("frame").is_err());
}

#[test]
fn stance_without_target_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty.toml");
    std::fs::write(&empty, "").unwrap();
    rhetor()
        .arg("label")
        .arg(demo_corpus())
        .arg("--config")
        .arg(&empty)
        .args(["--codebook", "stance", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("stance.toml").and(predicate::str::contains("target")));
}

#[test]
fn broken_codebook_names_file_and_label() {
    let dir = tempfile::tempdir().unwrap();
    let cb = dir.path().join("mine.toml");
    std::fs::write(
        &cb,
        "[codebook]\nname = \"mine\"\n[[dimension]]\nname = \"tone\"\n[[dimension.label]]\nname = \"angry\"\ndescription = \"Anger.\"\n[[dimension.label]]\nname = \"angry\"\ndescription = \"Again.\"\n",
    )
    .unwrap();
    rhetor()
        .arg("label")
        .arg(demo_corpus())
        .arg("--codebook")
        .arg(&cb)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("mine.toml").and(predicate::str::contains("'angry' twice")),
        );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn missing_codebook_says_where_shipped_ones_are() {
    let dir = tempfile::tempdir().unwrap();
    rhetor()
        .arg("label")
        .arg(demo_corpus())
        .args(["--codebook", "no_such_codebook", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no_such_codebook")
                .and(predicate::str::contains("models/codebooks")),
        );
}
