//! `--embed transformer` end to end (skipped when the model is not fetched:
//! `rhetor model fetch all-MiniLM-L6-v2`; `.ci/run` fetches it).

use crate::common::{demo_corpus, read, rhetor};
use predicates::prelude::*;

fn model_installed() -> bool {
    let dir = std::env::var_os("RHETOR_MODELS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    let ok = dir.join("all-MiniLM-L6-v2/model.safetensors").is_file();
    if !ok {
        eprintln!(
            "skipped: all-MiniLM-L6-v2 is not installed (rhetor model fetch all-MiniLM-L6-v2)"
        );
    }
    ok
}

#[test]
fn demo_run_with_transformer_embeddings() {
    if !model_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tr");
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .args(["--embed", "transformer", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    let emb = read(&out.join("embeddings.parquet"));
    let v = emb
        .column("vector")
        .unwrap()
        .list()
        .unwrap()
        .get_as_series(0)
        .unwrap();
    assert_eq!(v.len(), 384);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["stages"]["embed"]["type"], "transformer");
    // Which kernel ran and on which CPU (the fast mode's bits depend on them).
    let kernel = m["stages"]["embed"]["kernel"].as_str().unwrap();
    assert!(kernel.ends_with("-f32"), "{kernel}");
    assert!(!m["stages"]["embed"]["cpu"].as_str().unwrap().is_empty());
    // Codebook dimensions use prototypes with sentence embeddings.
    assert!(m["stages"]["label"]
        .as_array()
        .unwrap()
        .iter()
        .all(|d| d["method"] == "prototype"));
}

#[test]
fn missing_model_names_the_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    rhetor()
        .env("RHETOR_MODELS", dir.path())
        .arg("run")
        .arg(demo_corpus())
        .args(["--embed", "transformer", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "rhetor model fetch all-MiniLM-L6-v2",
        ));
}

/// Issue 18: an unusable `RHETOR_KERNEL` stops the run with the allowed values, before
/// anything is written (it was ignored with a warning).
#[test]
fn bad_kernel_variable_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    rhetor()
        .env("RHETOR_KERNEL", "avx9000")
        .arg("run")
        .arg(demo_corpus())
        .args(["--embed", "transformer", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("RHETOR_KERNEL=\"avx9000\"").and(
            predicate::str::contains("allowed values: amx, avx512, avx2, portable"),
        ));
    assert!(!out.exists());
}

/// The embedding cache: a re-run reads every vector from it, and the tables are the same with
/// the cache cold, warm, and without it (`--no-cache`).
#[test]
fn cached_rerun_gives_identical_tables() {
    if !model_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = dir.path().join(name);
        rhetor()
            .arg("run")
            .arg(demo_corpus())
            .args(["--embed", "transformer", "--out"])
            .arg(&out)
            .args(extra)
            .assert()
            .code(0);
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap())
                .unwrap();
        (out, m["stages"]["embed"].clone())
    };
    let (fresh, e0) = run("nocache", &["--no-cache"]);
    assert!(e0["cache"].is_null(), "{e0}");
    assert_eq!(e0["n_cached"], 0);
    assert_eq!(e0["n_pad_tokens"], 0);
    let (first, e1) = run("first", &[]);
    assert!(e1["cache"].as_str().unwrap().ends_with(".emb"), "{e1}");
    let (second, e2) = run("second", &[]);
    assert_eq!(e2["n_cached"], 63);
    assert_eq!(e2["n_tokens"], e0["n_tokens"]);
    for table in ["embeddings.parquet", "paragraphs.parquet", "topics.parquet"] {
        // Same bytes with the cache cold and warm; the same values without the cache (the
        // files' metadata records the config, which differs in `cache`).
        let a = std::fs::read(first.join(table)).unwrap();
        assert!(a == std::fs::read(second.join(table)).unwrap(), "{table}");
        assert!(
            read(&fresh.join(table)).equals_missing(&read(&first.join(table))),
            "{table}"
        );
    }
    // --no-cache needs --embed transformer.
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .args(["--no-cache", "--out"])
        .arg(dir.path().join("x"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--embed transformer"));
}

/// `--precision bf16` runs in bf16 where the CPU has AVX512-BF16 (else f32, said in the
/// manifest) and gives the same topics on the demo corpus.
#[test]
fn bf16_run() {
    if !model_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bf16");
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .args([
            "--embed",
            "transformer",
            "--precision",
            "bf16",
            "--no-cache",
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    let p = m["stages"]["embed"]["precision"].as_str().unwrap();
    assert!(p == "bf16" || p == "f32", "{p}");
    assert_eq!(read(&out.join("paragraphs.parquet")).height(), 63);
}

/// Issue 14 item 20: the candle reference engine is a cargo feature. Without it, a config
/// asking for `engine = "candle"` stops before any work with one message that says how to get
/// it (and that the default engine gives the same vectors).
#[cfg(not(feature = "candle"))]
#[test]
fn issue14_item20_candle_engine_without_the_feature_says_how_to_build_it() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("candle.toml");
    std::fs::write(
        &config,
        "[embed]\ntype = \"transformer\"\nengine = \"candle\"\n",
    )
    .unwrap();
    let out = dir.path().join("run");
    rhetor()
        .env("RHETOR_MODELS", dir.path())
        .arg("run")
        .arg(demo_corpus())
        .arg("--config")
        .arg(&config)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("--features candle")
                .and(predicate::str::contains("engine = \"native\"")),
        );
    assert!(!out.exists(), "nothing is written");
}
