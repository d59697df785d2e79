//! Issue 19, part 1: shares over time (`--time-col`, `--period`, `time_labels.parquet`).

use crate::common::{days, demo_corpus, read, rhetor, shared_data, strings};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The UK manifesto sentences (Benoit et al. 2016) as a table: id, text, party, year.
fn manifestos(dir: &Path) -> Option<PathBuf> {
    let src = shared_data("uk_manifesto_sentences")?;
    let out = dir.join("manifestos.jsonl");
    let mut f = std::fs::File::create(&out).unwrap();
    for line in std::fs::read_to_string(src).unwrap().lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        let row = serde_json::json!({
            "id": r["id"], "text": r["text"], "party": r["party"], "year": r["year"],
        });
        writeln!(f, "{row}").unwrap();
    }
    Some(out)
}

fn run_manifestos(corpus: &Path, out: &Path, threads: &str) {
    rhetor()
        .env("RAYON_NUM_THREADS", threads)
        .args(["-q", "run"])
        .arg(corpus)
        .args([
            "--unit",
            "document",
            "--codebook",
            "policy_frames",
            "--k",
            "8",
            "--group-by",
            "party",
            "--time-col",
            "year",
            "--period",
            "year",
            "--out",
        ])
        .arg(out)
        .assert()
        .code(0);
}

/// Rows of one dimension, label and group of `time_labels`, by period: (period, share,
/// ci_low, ci_high, trend_rho, p_trend_adjusted).
type Series = Vec<(String, f64, f64, f64, f64, f64)>;

fn series(t: &polars::prelude::DataFrame, dim: &str, label: &str, group: &str) -> Series {
    let f = |c: &str| -> Vec<Option<f64>> { t.column(c).unwrap().f64().unwrap().iter().collect() };
    let (dims, labels, groups, periods) = (
        strings(t, "dimension"),
        strings(t, "label"),
        strings(t, "group_id"),
        strings(t, "period"),
    );
    let (share, lo, hi, rho, p) = (
        f("share"),
        f("ci_low"),
        f("ci_high"),
        f("trend_rho"),
        f("p_trend_adjusted"),
    );
    (0..t.height())
        .filter(|&i| {
            dims[i].as_deref() == Some(dim)
                && labels[i].as_deref() == Some(label)
                && groups[i].as_deref() == Some(group)
        })
        .map(|i| {
            (
                periods[i].clone().unwrap(),
                share[i].unwrap(),
                lo[i].unwrap(),
                hi[i].unwrap(),
                rho[i].unwrap(),
                p[i].unwrap(),
            )
        })
        .collect()
}

/// The economy frame by party over the manifesto years (1987–2005): a row per party and
/// year with its interval, a trend test, DATE columns, a chart in the report, and the same
/// bytes on 1 and 2 threads. The crowd coders' "Economic" policy-domain share falls for the
/// Conservatives (0.63 → 0.34) and Labour (0.55 → 0.41) over these years; the keyword
/// frame must fall with it (not a check of the codebook's accuracy: of its direction).
#[test]
fn issue19_manifesto_economy_frame_by_party_over_years() {
    let dir = tempfile::tempdir().unwrap();
    let Some(corpus) = manifestos(dir.path()) else {
        return;
    };
    let out = dir.path().join("run");
    run_manifestos(&corpus, &out, "2");
    let t = read(&out.join("time_labels.parquet"));
    // Every table of the run, time_labels included, matches the schema.
    for spec in rhetor::schema::TABLES {
        let df = read(&out.join(spec.file));
        let problems = rhetor::schema::check_frame(spec.file, &df);
        assert!(problems.is_empty(), "{problems:#?}");
    }
    let starts = days(&t, "period_start");
    let ends = days(&t, "period_end");
    assert!(starts
        .iter()
        .zip(&ends)
        .all(|(s, e)| s.unwrap() < e.unwrap()));
    let years = ["1987", "1992", "1997", "2001", "2005"];
    for party in ["Con", "Lab", "LD"] {
        let s = series(&t, "frame", "economic", party);
        let periods: Vec<&str> = s.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(periods, years, "{party}");
        for r in &s {
            assert!(r.2 <= r.1 && r.1 <= r.3, "{party} {r:?}");
        }
    }
    for party in ["Con", "Lab"] {
        let s = series(&t, "frame", "economic", party);
        let (first, last) = (&s[0], &s[4]);
        assert!(
            last.1 < first.1,
            "{party}: economy frame {first:?} → {last:?}"
        );
        assert!(last.4 < 0.0, "{party}: trend ρ {}", last.4);
        eprintln!(
            "{party}: economy frame {:.3} → {:.3}, ρ = {:.3}, adjusted p = {:.4}",
            first.1, last.1, last.4, last.5
        );
    }
    let con = series(&t, "frame", "economic", "Con");
    assert!(con[0].5 < 0.05, "Conservatives' trend: {:?}", con[0]);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("<h2>Over time</h2>") && html.contains("class=\"time-chart\""));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["time"]["period"], "year");
    assert_eq!(report["time"]["column"], "year");

    // Byte-identical on one thread.
    let again = dir.path().join("run1");
    run_manifestos(&corpus, &again, "1");
    assert_eq!(
        std::fs::read(out.join("time_labels.parquet")).unwrap(),
        std::fs::read(again.join("time_labels.parquet")).unwrap()
    );
}

/// A small table of the demo essays' paragraphs with a `when` column.
fn dated_table(dir: &Path, when: &[&str]) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(demo_corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let text: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let paras: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|p| p.split_whitespace().count() > 12)
        .take(40)
        .collect();
    assert!(paras.len() >= 8, "{} paragraphs", paras.len());
    let path = dir.join("dated.jsonl");
    let mut f = std::fs::File::create(&path).unwrap();
    for (i, p) in paras.iter().enumerate() {
        let w = when[i % when.len()];
        let side = if i % 2 == 0 { "a" } else { "b" };
        let row = serde_json::json!({"id": i, "text": p, "when": w, "side": side});
        writeln!(f, "{row}").unwrap();
    }
    path
}

/// `rhetor run TABLE EXTRA… --out OUT`, which must be refused; its stderr.
fn run_refused(table: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args: Vec<std::ffi::OsString> = vec!["run".into(), table.into()];
    args.extend(extra.iter().map(|a| a.into()));
    args.extend(["--out".into(), out.into()]);
    crate::common::refused(args)
}

/// Dates that are not dates are counted and reported, never silently dropped; a period
/// finer than the times, a missing column and an unknown period are clear errors.
#[test]
fn issue19_bad_times_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let table = dated_table(
        dir.path(),
        &["2024-01-15", "2024-02-03", "soon", "2024-03-30T09:00"],
    );
    let out = dir.path().join("run");
    let a = rhetor()
        .args(["run"])
        .arg(&table)
        .args([
            "--unit",
            "document",
            "--k",
            "2",
            "--time-col",
            "when",
            "--period",
            "month",
            "--group-by",
            "side",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);
    let stderr = String::from_utf8_lossy(&a.get_output().stderr).to_string();
    assert!(
        stderr.contains("left out of the shares over time") && stderr.contains("'soon'"),
        "{stderr}"
    );
    let t = read(&out.join("time_labels.parquet"));
    let mut set: Vec<String> = strings(&t, "period").into_iter().flatten().collect();
    set.sort();
    set.dedup();
    assert_eq!(set, ["2024-01", "2024-02", "2024-03"]);

    // Years only, with monthly periods: nothing usable.
    let years = dated_table(dir.path(), &["2023", "2024"]);
    let stderr = run_refused(
        &years,
        &dir.path().join("years"),
        &[
            "--unit",
            "document",
            "--k",
            "2",
            "--time-col",
            "when",
            "--period",
            "month",
        ],
    );
    assert!(
        stderr.contains("--time-col 'when'") && stderr.contains("coarser than the period"),
        "{stderr}"
    );
    assert!(!dir.path().join("years").exists(), "no half-written run");

    let stderr = run_refused(
        &years,
        &dir.path().join("nocol"),
        &["--unit", "document", "--k", "2", "--time-col", "published"],
    );
    assert!(
        stderr.contains("--time-col 'published'") && stderr.contains("when"),
        "{stderr}"
    );

    rhetor()
        .args(["run"])
        .arg(&years)
        .args(["--time-col", "when", "--period", "decade", "--out"])
        .arg(dir.path().join("decade"))
        .assert()
        .code(2);
}
