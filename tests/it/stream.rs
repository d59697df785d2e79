//! Issue 17, part 1: `rhetor apply` reads a Parquet corpus in chunks and writes its tables as
//! it goes. The run must not depend on the chunks: it is byte-identical to the run of the
//! corpus loaded whole (`rhetor merge` of one shard loads it whole), for chunks of 7 rows and
//! of the default size, with the extra CSV/JSON formats too.

use crate::common::{demo_corpus, fit};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// The demo essays as a Parquet table of one paragraph per row (documents are rows), with
/// an outlet, a date (one not a calendar date), a row without text and one without an
/// outlet.
fn demo_parquet(path: &Path, duplicate: bool) {
    let mut files: Vec<PathBuf> = std::fs::read_dir(demo_corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let (mut id, mut text, mut outlet, mut date) = (vec![], vec![], vec![], vec![]);
    for (f, file) in files.iter().enumerate() {
        let body = std::fs::read_to_string(file).unwrap();
        for (p, para) in body
            .split("\n\n")
            .filter(|p| !p.trim().is_empty())
            .enumerate()
        {
            id.push(format!("e{f}-p{p}"));
            text.push(para.trim().to_string());
            outlet.push(if id.len() == 4 {
                None
            } else {
                Some(format!("outlet-{}", f % 3))
            });
            date.push(Some(if p == 1 {
                "spring 2024".to_string()
            } else {
                format!("2024-0{}-1{}", f + 1, p % 10)
            }));
        }
    }
    id.push("empty".into());
    text.push("   ".into());
    outlet.push(Some("outlet-0".into()));
    date.push(None);
    if duplicate {
        let n = id.len();
        id[n - 3] = id[5].clone();
    }
    let n = id.len();
    let mut df = DataFrame::new(
        n,
        vec![
            Column::new("id".into(), id),
            Column::new("text".into(), text),
            Column::new("outlet".into(), outlet),
            Column::new("date".into(), date),
        ],
    )
    .unwrap();
    ParquetWriter::new(std::fs::File::create(path).unwrap())
        .finish(&mut df)
        .unwrap();
}

/// `rhetor`, writing row groups of 10 rows: the tables have several, cut from one array
/// (whole corpus) or from chunks (streamed).
fn rhetor() -> assert_cmd::Command {
    let mut cmd = crate::common::rhetor();
    cmd.env("RHETOR_ROW_GROUP_ROWS", "10");
    cmd
}

fn apply(
    bundle: &Path,
    corpus: &Path,
    out: &Path,
    chunk: Option<&str>,
) -> assert_cmd::assert::Assert {
    let mut cmd = rhetor();
    if let Some(c) = chunk {
        cmd.env("RHETOR_CHUNK_ROWS", c);
    }
    cmd.args(["-q", "apply"])
        .arg(bundle)
        .arg(corpus)
        .args([
            "--group-by",
            "outlet",
            "--format",
            "csv",
            "--format",
            "json",
        ])
        .arg("--out")
        .arg(out)
        .assert()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Every file the same, byte for byte; the manifests differ in `command` and `timings_s`.
fn assert_same(a: &Path, b: &Path) {
    assert_eq!(files(a), files(b));
    for n in files(a) {
        if n == "manifest.json" {
            let core = |d: &Path| {
                let mut m: serde_json::Value =
                    serde_json::from_slice(&std::fs::read(d.join(&n)).unwrap()).unwrap();
                let o = m.as_object_mut().unwrap();
                o.remove("command");
                o.remove("timings_s");
                m
            };
            assert_eq!(core(a), core(b));
        } else {
            assert!(
                std::fs::read(a.join(&n)).unwrap() == std::fs::read(b.join(&n)).unwrap(),
                "{n} differs between {} and {}",
                a.display(),
                b.display()
            );
        }
    }
}

/// The rows of [`demo_parquet`] as JSON Lines, with a `year` column that is an integer in
/// every row but the last (so its type is only known at the end of the file), a blank line
/// and a last line that is not UTF-8.
fn demo_jsonl(parquet: &Path, path: &Path) {
    let df = crate::common::read(parquet);
    let ids = crate::common::strings(&df, "id");
    let texts = crate::common::strings(&df, "text");
    let outlets = crate::common::strings(&df, "outlet");
    let mut out = Vec::new();
    for (i, ((id, text), outlet)) in ids.iter().zip(&texts).zip(&outlets).enumerate() {
        let year = if i + 1 == ids.len() {
            serde_json::json!(2024.5)
        } else {
            serde_json::json!(2000 + i)
        };
        let row = serde_json::json!({"id": id, "text": text, "outlet": outlet, "year": year});
        out.extend_from_slice(row.to_string().as_bytes());
        out.push(b'\n');
        if i == 3 {
            out.push(b'\n');
        }
    }
    out.extend_from_slice(b"{\"id\": \"bad\", \"text\": \"caf\xe9\"}\n");
    std::fs::write(path, out).unwrap();
}

#[test]
fn issue17_streamed_apply_is_the_run_of_the_whole_corpus() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let corpus = d.join("essays.parquet");
    demo_parquet(&corpus, false);
    let jsonl = d.join("essays.jsonl");
    demo_jsonl(&corpus, &jsonl);
    let bundle = d.join("bundle");
    let config = demo_corpus().join("rhetor.toml");
    fit(
        &corpus,
        &bundle,
        &["--config", config.to_str().unwrap(), "--k", "4"],
    );
    // The corpus loaded whole: one shard, merged.
    let parts = d.join("parts");
    rhetor()
        .args(["-q", "apply"])
        .arg(&bundle)
        .arg(&corpus)
        .args([
            "--group-by",
            "outlet",
            "--format",
            "csv",
            "--format",
            "json",
        ])
        .args(["--shard", "1/1", "--out"])
        .arg(&parts)
        .assert()
        .code(0);
    let whole = d.join("whole");
    rhetor()
        .args(["-q", "merge"])
        .arg(&parts)
        .arg("--out")
        .arg(&whole)
        .assert()
        .code(0);
    for chunk in [Some("7"), Some("1"), None] {
        let out = d.join(format!("streamed-{}", chunk.unwrap_or("default")));
        apply(&bundle, &corpus, &out, chunk).code(0);
        assert_same(&whole, &out);
    }
    let p = crate::common::read(&whole.join("paragraphs.parquet"));
    assert!(p.height() > 20, "{}", p.height());
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(whole.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["counts"]["skipped_empty"], 1, "{}", m["counts"]);
    let report = std::fs::read_to_string(whole.join("report.json")).unwrap();
    assert!(report.contains("spring 2024"), "the bad date is reported");
    assert!(
        report.contains("(missing)"),
        "the missing outlet is reported"
    );
}

/// A duplicate id in a later chunk is the same error as in the whole file, and nothing is
/// written.
#[test]
fn issue17_streamed_apply_refuses_a_duplicate_id_in_a_later_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = d.join("good.parquet");
    demo_parquet(&good, false);
    let bundle = d.join("bundle");
    fit(&good, &bundle, &["--k", "3"]);
    let bad = d.join("bad.parquet");
    demo_parquet(&bad, true);
    let out = d.join("run");
    let streamed = apply(&bundle, &bad, &out, Some("7")).code(1);
    let msg = String::from_utf8_lossy(&streamed.get_output().stderr).into_owned();
    assert!(msg.contains("twice (rows 5 and "), "{msg}");
    assert!(!out.exists(), "nothing written");
    let whole = rhetor()
        .args(["-q", "run"])
        .arg(&bad)
        .arg("--out")
        .arg(d.join("run2"))
        .assert()
        .code(1);
    let whole_msg = String::from_utf8_lossy(&whole.get_output().stderr).into_owned();
    let tail = |m: &str| m[m.find("id column").unwrap()..].to_string();
    assert_eq!(tail(&msg), tail(&whole_msg));
}
