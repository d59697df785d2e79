//! The table contract: docs/schema.md is generated from src/schema.rs, and every table a
//! run writes matches it.

use crate::common::{demo_corpus, read, rhetor, run_demo};

#[test]
fn docs_schema_md_is_the_generated_schema() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/schema.md"),
    )
    .unwrap();
    assert!(
        doc == rhetor::schema::to_markdown(),
        "docs/schema.md is out of date: run `cargo run -- schema > docs/schema.md`"
    );
}

#[test]
fn every_table_of_a_run_matches_the_schema() {
    let (_dir, out) = run_demo("2", &[]);
    let mut problems = Vec::new();
    for t in rhetor::schema::TABLES {
        let df = read(&out.join(t.file));
        problems.extend(rhetor::schema::check_frame(t.file, &df));
    }
    assert!(problems.is_empty(), "{problems:#?}");
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["schema_version"], rhetor::export::SCHEMA_VERSION);
}

#[test]
fn segment_only_run_matches_the_schema_without_topic_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("seg");
    rhetor()
        .arg("segment")
        .arg(demo_corpus())
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    for f in ["documents.parquet", "paragraphs.parquet"] {
        let problems = rhetor::schema::check_frame(f, &read(&out.join(f)));
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

#[test]
fn schema_json_lists_every_table() {
    let out = rhetor()
        .args(["schema", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["tables"].as_array().unwrap().len(),
        rhetor::schema::TABLES.len()
    );
}

#[test]
fn csv_and_json_formats_carry_the_same_columns_and_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo");
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .args(["--format", "csv", "--format", "json", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    for t in rhetor::schema::TABLES {
        let stem = t.file.strip_suffix(".parquet").unwrap();
        let df = read(&out.join(t.file));
        let csv = std::fs::read_to_string(out.join(format!("{stem}.csv"))).unwrap();
        let header = csv.lines().next().unwrap();
        let names: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(header, names.join(","), "{stem}.csv header");
        let jsonl = std::fs::read_to_string(out.join(format!("{stem}.jsonl"))).unwrap();
        let rows: Vec<serde_json::Value> = jsonl
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(rows.len(), df.height(), "{stem}.jsonl rows");
        if let Some(first) = rows.first() {
            let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
            assert_eq!(keys.len(), names.len());
        }
    }
}
