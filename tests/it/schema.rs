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
    // `--time-col date` writes the optional time_labels.parquet too (one document of the
    // demo has a date).
    let (_dir, out) = run_demo("2", &["--time-col", "date"]);
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
        .args([
            "--format",
            "csv",
            "--format",
            "json",
            "--time-col",
            "date",
            "--out",
        ])
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

/// Issue 14, item 14: doc_labels named a topic "0: people, …" while topics.label had no
/// prefix, had no topic_id, sorted topics as text (0, 10, 1, 2) and called a column
/// `group` (an SQL reserved word). Topic rows now carry topics.label and topic_id, in
/// topic_id order; groups are `group_id` (doc_labels, keyness) and `group_a`/`group_b`.
#[test]
fn issue14_item14_doc_labels_join_topics_on_topic_id() {
    use crate::common::strings;
    use polars::prelude::DataType;
    let (_dir, out) = run_demo("2", &["--k", "12"]);
    let topics = read(&out.join("topics.parquet"));
    let topic_label: std::collections::BTreeMap<i32, String> = topics
        .column("topic_id")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .zip(strings(&topics, "label"))
        .map(|(i, l)| (i.unwrap(), l.unwrap()))
        .collect();
    assert_eq!(topic_label.len(), 12);

    let dl = read(&out.join("doc_labels.parquet"));
    assert_eq!(dl.column("topic_id").unwrap().dtype(), &DataType::Int32);
    let groups = strings(&dl, "group_id");
    let dims = strings(&dl, "dimension");
    let labels = strings(&dl, "label");
    let ids: Vec<Option<i32>> = dl
        .column("topic_id")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect();
    let mut last: Option<(String, i32)> = None;
    let mut topic_rows = 0;
    for i in 0..dl.height() {
        let (g, d, l) = (
            groups[i].clone().unwrap(),
            dims[i].as_deref().unwrap(),
            labels[i].clone().unwrap(),
        );
        if d == "topic" {
            topic_rows += 1;
            let id = ids[i].expect("topic rows have a topic_id");
            assert_eq!(
                l, topic_label[&id],
                "row {i}: label differs from topics.label"
            );
            if let Some((lg, lid)) = &last {
                if *lg == g {
                    assert!(
                        id > *lid,
                        "row {i}: topic {id} after topic {lid} in group {g}"
                    );
                }
            }
            last = Some((g, id));
        } else {
            assert_eq!(ids[i], None, "row {i}: {d} row with a topic_id");
            last = None;
        }
    }
    assert!(topic_rows >= 12);

    // paragraphs.topic_label joins too.
    let paras = read(&out.join("paragraphs.parquet"));
    let pid: Vec<i32> = paras
        .column("topic_id")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .map(|x| x.unwrap())
        .collect();
    for (id, l) in pid.iter().zip(strings(&paras, "topic_label")) {
        assert_eq!(l.unwrap(), topic_label[id]);
    }

    // No column is called `group`, `a` or `b`; divergence and keyness name doc_labels' groups.
    let group_set: std::collections::BTreeSet<String> = groups.into_iter().flatten().collect();
    for t in rhetor::schema::TABLES.iter().filter(|t| !t.optional) {
        let df = read(&out.join(t.file));
        for c in df.get_column_names() {
            assert!(
                !["group", "a", "b"].contains(&c.as_str()),
                "{}: column {c}",
                t.file
            );
        }
    }
    let div = read(&out.join("divergence.parquet"));
    for c in ["group_a", "group_b"] {
        assert!(strings(&div, c)
            .iter()
            .all(|g| group_set.contains(g.as_ref().unwrap())));
    }
    let key = read(&out.join("keyness.parquet"));
    assert!(strings(&key, "group_id")
        .iter()
        .all(|g| group_set.contains(g.as_ref().unwrap())));
}

/// Issue 14, item 14: `date` held whatever text was given. It now holds only valid ISO
/// calendar days (so `CAST(date AS DATE)` never fails); the value as given stays in
/// `date_raw` (never silently nulled), and the run warns.
#[test]
fn issue14_item14_dates_are_parquet_dates_and_raw_values_stay() {
    use crate::common::strings;
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.jsonl");
    let dates = [
        Some("2012-09-04"),
        Some("2012"),
        Some("2012-09-04T20:15:00Z"),
        Some("2023-02-29"),
        Some("Sept. 4"),
        None,
    ];
    let mut lines = String::new();
    for (i, d) in dates.iter().enumerate() {
        let date = d.map_or(String::new(), |d| format!(", \"date\": \"{d}\""));
        lines.push_str(&format!(
            "{{\"id\": \"d{i}\"{date}, \"text\": \"Border enforcement and raids, paragraph {i}.\\n\\nFamilies and courts respond to the raids.\"}}\n"
        ));
    }
    std::fs::write(&f, lines).unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("run")
        .arg(&f)
        .args(["--k", "2", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicates::str::contains(
            "3 documents have a date that is not a calendar date YYYY-MM-DD (e.g. '2012')",
        ));
    let docs = read(&out.join("documents.parquet"));
    assert!(rhetor::schema::check_frame("documents.parquet", &docs).is_empty());
    let date = crate::common::days(&docs, "date");
    let day = rhetor::corpus::parse_date("2012-09-04");
    assert_eq!(day, Some(15_587));
    assert_eq!(date, vec![day, None, day, None, None, None]);
    let raw = strings(&docs, "date_raw");
    let want: Vec<Option<String>> = dates.iter().map(|d| d.map(str::to_string)).collect();
    assert_eq!(raw, want);
}
