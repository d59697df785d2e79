//! Tabular corpora: JSONL, CSV, Parquet, --doc-col, --unit document.

use crate::common::{ints, read, rhetor, shared_data, strings};
use predicates::prelude::*;

#[test]
fn jsonl_with_metadata_columns() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.jsonl");
    std::fs::write(
        &f,
        concat!(
            "{\"id\": \"a\", \"text\": \"First paragraph of a.\\n\\nSecond paragraph of a.\", \"party\": \"dem\", \"year\": 2012}\n",
            "\n",
            "{\"id\": \"b\", \"text\": \"Only paragraph of b.\", \"party\": \"rep\", \"year\": 2012, \"score\": 0.5}\n",
            "{\"id\": \"c\", \"text\": \"   \", \"party\": \"rep\", \"year\": 2016}\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "doc_id"),
        vec![Some("a".into()), Some("b".into())]
    );
    assert_eq!(
        strings(&docs, "party"),
        vec![Some("dem".into()), Some("rep".into())]
    );
    assert_eq!(ints(&docs, "year"), vec![2012, 2012]);
    assert_eq!(ints(&docs, "n_paragraphs"), vec![2, 1]);
    let paras = read(&out.join("paragraphs.parquet"));
    assert_eq!(ints(&paras, "para_id"), vec![0, 1, 0]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["skipped_empty"], 1);
    assert!(manifest["skipped"][0]["source"]
        .as_str()
        .unwrap()
        .ends_with("d.jsonl:4"));
}

#[test]
fn csv_with_named_columns_and_row_number_ids() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("t.csv");
    std::fs::write(
        &f,
        "tweet,who\n\"Build the wall, they said.\",x\n\"Abolish ICE now.\",y\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .args(["--text-col", "tweet", "--unit", "document", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let paras = read(&out.join("paragraphs.parquet"));
    assert_eq!(
        strings(&paras, "doc_id"),
        vec![Some("0".into()), Some("1".into())]
    );
    assert_eq!(
        strings(&paras, "text")[0].as_deref(),
        Some("Build the wall, they said.")
    );
}

#[test]
fn parquet_input_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.jsonl");
    std::fs::write(&f, "{\"id\": \"x\", \"text\": \"One.\\n\\nTwo.\"}\n").unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    // Feed paragraphs.parquet back in as a corpus of rows.
    let out2 = dir.path().join("out2");
    rhetor()
        .arg("segment")
        .arg(out.join("paragraphs.parquet"))
        .args(["--doc-col", "doc_id", "--out"])
        .arg(&out2)
        .assert()
        .code(0);
    let paras = read(&out2.join("paragraphs.parquet"));
    assert_eq!(
        strings(&paras, "text"),
        vec![Some("One.".into()), Some("Two.".into())]
    );
}

#[test]
fn doc_col_groups_rows_without_resegmenting() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.jsonl");
    std::fs::write(
        &f,
        concat!(
            "{\"id\": \"s1_0\", \"speech_id\": \"s1\", \"party\": \"dem\", \"speaker\": \"A\", \"text\": \"Short Heading Like Row\"}\n",
            "{\"id\": \"s2_0\", \"speech_id\": \"s2\", \"party\": \"rep\", \"speaker\": \"B\", \"text\": \"Row of s2.\"}\n",
            "{\"id\": \"s1_1\", \"speech_id\": \"s1\", \"party\": \"dem\", \"speaker\": null, \"text\": \"Second row of s1.\\n\\nStill the same row.\"}\n"
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .args(["--doc-col", "speech_id", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "doc_id"),
        vec![Some("s1".into()), Some("s2".into())]
    );
    assert_eq!(
        strings(&docs, "party"),
        vec![Some("dem".into()), Some("rep".into())]
    );
    assert!(
        docs.column("speaker").is_err(),
        "varying column is paragraph metadata"
    );
    let paras = read(&out.join("paragraphs.parquet"));
    assert_eq!(
        strings(&paras, "id"),
        vec![
            Some("s1_0".into()),
            Some("s1_1".into()),
            Some("s2_0".into())
        ]
    );
    assert_eq!(
        strings(&paras, "speaker"),
        vec![Some("A".into()), None, Some("B".into())]
    );
    assert_eq!(
        strings(&paras, "text")[1].as_deref(),
        Some("Second row of s1. Still the same row.")
    );
}

#[test]
fn duplicate_ids_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("d.jsonl");
    std::fs::write(
        &f,
        "{\"id\": 1, \"text\": \"a\"}\n{\"id\": 1, \"text\": \"b\"}\n",
    )
    .unwrap();
    rhetor()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("twice").and(predicate::str::contains("--doc-col")));
}

#[test]
fn convention_speeches_by_doc_col() {
    let Some(data) = shared_data("convention2012_party") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&data)
        .args(["--doc-col", "speech_id", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(docs.height(), 189);
    let paras = read(&out.join("paragraphs.parquet"));
    assert_eq!(paras.height(), 3418);
    // party label is constant within a speech, so it is document metadata
    assert!(docs.column("label").is_ok());
}

#[test]
fn bbc_articles_segment_with_title_column() {
    let Some(data) = shared_data("bbc_news") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(docs.height(), 2225);
    let paras = read(&out.join("paragraphs.parquet"));
    let n = paras.height() as f64 / 2225.0;
    // The articles here have about five blank-line-separated paragraphs after the title.
    assert!((3.0..20.0).contains(&n), "paragraphs per article {n}");
    // The first line repeats the title column: it is the title, not a paragraph.
    let texts = strings(&paras, "text");
    assert!(texts[0]
        .as_deref()
        .unwrap()
        .starts_with("Quarterly profits at US media giant"));
}

#[test]
fn issue14_item07_csv_ids_and_metadata_keep_their_spelling() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("z.csv");
    std::fs::write(
        &f,
        "id,text,zip,year,score\n007,Secure the border.,02134,2012,1.50\n1,Abolish ICE.,10001,2016,2\n01,Close the camps.,,2020,-0.25\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "doc_id"),
        vec![Some("007".into()), Some("1".into()), Some("01".into())],
        "'1' and '01' are two ids"
    );
    assert_eq!(
        strings(&docs, "zip"),
        vec![Some("02134".into()), Some("10001".into()), None],
        "a zip code with a leading zero keeps it (the column stays text)"
    );
    // Numbers that read back as written become numbers.
    let year = docs.column("year").unwrap();
    assert_eq!(year.dtype(), &polars::prelude::DataType::Int64);
    let score = docs.column("score").unwrap();
    assert_eq!(score.dtype(), &polars::prelude::DataType::Float64);
    // --doc-col values are text too.
    let f2 = dir.path().join("rows.csv");
    std::fs::write(
        &f2,
        "speech,text\n01,First part.\n1,Other speech.\n01,Second part.\n",
    )
    .unwrap();
    let out2 = dir.path().join("out2");
    rhetor()
        .arg("segment")
        .arg(&f2)
        .args(["--doc-col", "speech", "--out"])
        .arg(&out2)
        .assert()
        .code(0);
    let docs = read(&out2.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "doc_id"),
        vec![Some("01".into()), Some("1".into())]
    );
}

#[test]
fn issue14_item08_rows_without_a_doc_col_value_are_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("s.csv");
    std::fs::write(
        &f,
        "speech,text\na,First part of a.\n,Orphan one.\nb,Only part of b.\n,Orphan two.\na,Second part of a.\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .args(["--doc-col", "speech", "--out"])
        .arg(&out)
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("s.csv row 1")
                .and(predicate::str::contains("s.csv row 3"))
                .and(predicate::str::contains("--doc-col column 'speech'")),
        );
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(
        strings(&docs, "doc_id"),
        vec![Some("a".into()), Some("b".into())],
        "no document with the id \"\""
    );
    let paras = read(&out.join("paragraphs.parquet"));
    assert!(!strings(&paras, "text")
        .iter()
        .any(|t| t.as_deref().unwrap().starts_with("Orphan")));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["skipped"].as_array().unwrap().len(), 2);
    assert_eq!(
        manifest["skipped"][0]["source"],
        format!("{} row 1", f.display())
    );
}

#[test]
fn issue14_item11_jsonl_text_that_is_not_a_string_is_skipped_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("n.jsonl");
    std::fs::write(
        &f,
        "{\"id\": \"a\", \"text\": \"Real words here.\"}\n{\"id\": \"b\", \"text\": 42}\n{\"id\": \"c\", \"text\": true}\n{\"id\": \"d\", \"text\": [\"x\"]}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&f)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("n.jsonl:2")
                .and(predicate::str::contains("'text' is a number, not a string"))
                .and(predicate::str::contains("n.jsonl:3"))
                .and(predicate::str::contains("a boolean"))
                .and(predicate::str::contains("n.jsonl:4")),
        );
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(strings(&docs, "doc_id"), vec![Some("a".into())]);
    // train reports the row too, and says so in its exit code.
    let l = dir.path().join("l.jsonl");
    let mut rows = String::new();
    for i in 0..12 {
        let (t, lab) = if i % 2 == 0 {
            ("Secure the border and enforce the law.", "FAVOR")
        } else {
            ("Abolish ICE and free the families.", "AGAINST")
        };
        rows.push_str(&format!(
            "{{\"id\": \"r{i}\", \"text\": \"{t}\", \"label\": \"{lab}\"}}\n"
        ));
    }
    rows.push_str("{\"id\": \"r12\", \"text\": 7, \"label\": \"FAVOR\"}\n");
    std::fs::write(&l, rows).unwrap();
    rhetor()
        .arg("train")
        .arg(&l)
        .arg("--out")
        .arg(dir.path().join("m.json"))
        .assert()
        .code(3)
        .stderr(predicate::str::contains("l.jsonl:13").and(predicate::str::contains("a number")));
    // When no row has text, the error says why.
    std::fs::write(&f, "{\"id\": \"b\", \"text\": 42}\n").unwrap();
    rhetor()
        .arg("segment")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("out2"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("a number, not a string"));
}
