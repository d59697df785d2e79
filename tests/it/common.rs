//! Shared helpers.

use assert_cmd::Command;
use std::path::{Path, PathBuf};

/// The rhetor binary, quiet by default.
pub fn rhetor() -> Command {
    let mut c = Command::cargo_bin("rhetor").expect("binary built");
    c.env("RAYON_NUM_THREADS", "2");
    c
}

/// The repo's demo corpus.
pub fn demo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// `../shared/data/<name>/data.jsonl` when present.
pub fn shared_data(name: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(name)
        .join("data.jsonl");
    if p.is_file() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

/// Reads a Parquet file into a polars DataFrame.
pub fn read(path: &Path) -> polars::prelude::DataFrame {
    rhetor::export::read_parquet(path).expect("readable parquet")
}

/// String column as a vector.
pub fn strings(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<String>> {
    df.column(col)
        .expect("column")
        .str()
        .expect("string column")
        .iter()
        .map(|o| o.map(str::to_string))
        .collect()
}

/// A Parquet DATE column as days since 1970-01-01 (checks the type is DATE).
pub fn days(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<i32>> {
    use polars::prelude::DataType;
    let c = df.column(col).expect("column");
    assert_eq!(c.dtype(), &DataType::Date, "{col} is a DATE column");
    c.cast(&DataType::Int32)
        .expect("date as days")
        .i32()
        .expect("int32")
        .iter()
        .collect()
}

/// u32 or u64 column as u64 values.
pub fn ints(df: &polars::prelude::DataFrame, col: &str) -> Vec<u64> {
    let c = df
        .column(col)
        .expect("column")
        .cast(&polars::prelude::DataType::UInt64)
        .expect("castable");
    c.u64()
        .expect("u64")
        .iter()
        .map(|o| o.expect("non-null"))
        .collect()
}

/// `rhetor run corpus EXTRA… --out <tmp>/demo` with `threads` rayon threads; the run must
/// succeed. Keep the TempDir alive while reading the output.
pub fn run_demo(threads: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("demo");
    rhetor()
        .env("RAYON_NUM_THREADS", threads)
        .arg("run")
        .arg(demo_corpus())
        .args(extra)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    (dir, out)
}

/// `rhetor -q fit CORPUS EXTRA… --out OUT`, which must succeed.
pub fn fit(corpus: &Path, out: &Path, extra: &[&str]) {
    rhetor()
        .arg("-q")
        .arg("fit")
        .arg(corpus)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .code(0);
}

/// `rhetor -q apply BUNDLE CORPUS EXTRA… --out OUT` on `threads` rayon threads (`None`: the
/// default), which must succeed.
pub fn apply(bundle: &Path, corpus: &Path, out: &Path, extra: &[&str], threads: Option<&str>) {
    let mut cmd = rhetor();
    if let Some(t) = threads {
        cmd.env("RAYON_NUM_THREADS", t);
    }
    cmd.arg("-q")
        .arg("apply")
        .arg(bundle)
        .arg(corpus)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .code(0);
}

/// Normalised mutual information (arithmetic mean of the entropies, scikit-learn's default).
pub fn nmi(a: &[String], b: &[u64]) -> f64 {
    let n = a.len() as f64;
    let mut joint: std::collections::BTreeMap<(&str, u64), f64> = std::collections::BTreeMap::new();
    let mut pa: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    let mut pb: std::collections::BTreeMap<u64, f64> = std::collections::BTreeMap::new();
    for (x, &y) in a.iter().zip(b) {
        *joint.entry((x.as_str(), y)).or_default() += 1.0;
        *pa.entry(x.as_str()).or_default() += 1.0;
        *pb.entry(y).or_default() += 1.0;
    }
    let h = |m: &mut dyn Iterator<Item = f64>| -> f64 {
        m.map(|c| {
            let p = c / n;
            -p * p.ln()
        })
        .sum()
    };
    let (ha, hb) = (h(&mut pa.values().copied()), h(&mut pb.values().copied()));
    let mi: f64 = joint
        .iter()
        .map(|((x, y), &c)| {
            let p = c / n;
            p * (p / ((pa[x] / n) * (pb[y] / n))).ln()
        })
        .sum();
    if ha + hb == 0.0 {
        1.0
    } else {
        mi / ((ha + hb) / 2.0)
    }
}

/// A labelled dataset of ../shared/data as a table (`id`, `text`) in `dir`, only the `split`
/// rows when given, empty texts left out; with each document's label by id. `None` (and a
/// "skipped" line) when the dataset is absent.
pub fn dataset_table(
    dir: &Path,
    name: &str,
    split: Option<&str>,
) -> Option<(PathBuf, std::collections::BTreeMap<String, String>)> {
    use std::io::Write;
    let src = shared_data(name)?;
    let out = dir.join(format!("{name}.jsonl"));
    let mut f = std::fs::File::create(&out).unwrap();
    let mut labels = std::collections::BTreeMap::new();
    for line in std::fs::read_to_string(src).unwrap().lines() {
        let r: serde_json::Value = serde_json::from_str(line).unwrap();
        if split.is_some_and(|s| r["split"] != s) {
            continue;
        }
        let text = r["text"].as_str().unwrap_or_default();
        if text.trim().is_empty() {
            continue;
        }
        let id = match &r["id"] {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        labels.insert(
            id.clone(),
            r["label"].as_str().unwrap_or_default().to_string(),
        );
        writeln!(f, "{}", serde_json::json!({"id": id, "text": text})).unwrap();
    }
    Some((out, labels))
}

/// `rhetor ARGS…`, which must be refused (exit 1); its stderr.
pub fn refused<S: AsRef<std::ffi::OsStr>>(args: impl IntoIterator<Item = S>) -> String {
    let a = rhetor().args(args).assert().code(1);
    String::from_utf8_lossy(&a.get_output().stderr).to_string()
}

/// `rhetor cluster <demo corpus> --config CFG --out OUT`, which must be refused; its stderr.
pub fn demo_cluster_refused(cfg: &Path, out: &Path) -> String {
    refused([
        std::ffi::OsStr::new("cluster"),
        demo_corpus().as_os_str(),
        "--config".as_ref(),
        cfg.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
}
