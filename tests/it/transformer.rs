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
