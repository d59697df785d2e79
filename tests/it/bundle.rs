//! Issue 15: `rhetor fit` writes a pipeline bundle, `rhetor apply` applies it to new
//! documents without refitting; `run` = fit + apply.

use crate::common::{demo_corpus, fit, ints, read, rhetor, shared_data, strings};
use predicates::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn apply(model: &Path, corpus: &Path, out: &Path, extra: &[&str]) {
    crate::common::apply(model, corpus, out, extra, None);
}

fn parquet_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    v.sort();
    v
}

/// A bundle fitted on the demo corpus (k given, so the test is quick).
fn demo_bundle(dir: &Path) -> PathBuf {
    let model = dir.join("model");
    fit(
        &demo_corpus(),
        &model,
        &[
            "--k",
            "3",
            "--codebook",
            "stance",
            "--target",
            "immigration enforcement",
        ],
    );
    model
}

#[test]
fn issue15_fit_then_apply_on_the_fit_corpus_gives_the_run_tables() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    rhetor()
        .arg("-q")
        .arg("run")
        .arg(demo_corpus())
        .args([
            "--k",
            "3",
            "--codebook",
            "stance",
            "--target",
            "immigration enforcement",
        ])
        .arg("--out")
        .arg(&run)
        .assert()
        .code(0);
    let model = demo_bundle(dir.path());
    let applied = dir.path().join("applied");
    apply(&model, &demo_corpus(), &applied, &[]);
    let files = parquet_files(&run);
    assert_eq!(files.len(), 7);
    for f in files {
        let name = f.file_name().unwrap();
        let (a, b) = (read(&f), read(&applied.join(name)));
        assert!(
            a.equals_missing(&b),
            "{name:?} differs between run and fit + apply"
        );
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(applied.join("manifest.json")).unwrap())
            .unwrap();
    assert_eq!(m["command"], "apply");
    assert_eq!(m["bundle"]["fitted_on"]["paragraphs"], 63);
    assert_eq!(m["stages"]["cluster"]["k"], 3);
    let report = std::fs::read_to_string(applied.join("report.md")).unwrap();
    assert!(report.contains("not fitted on this corpus"), "{report}");
}

#[test]
fn issue15_bundle_read_by_fresh_processes_gives_byte_identical_apply_output() {
    let dir = tempfile::tempdir().unwrap();
    let model = demo_bundle(dir.path());
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    apply(&model, &demo_corpus(), &a, &[]);
    rhetor()
        .env("RAYON_NUM_THREADS", "1")
        .arg("-q")
        .arg("apply")
        .arg(&model)
        .arg(demo_corpus())
        .arg("--out")
        .arg(&b)
        .assert()
        .code(0);
    for f in parquet_files(&a) {
        let g = b.join(f.file_name().unwrap());
        assert!(
            std::fs::read(&f).unwrap() == std::fs::read(&g).unwrap(),
            "{} differs",
            f.display()
        );
    }
}

#[test]
fn issue15_apply_to_a_table_keeps_topic_ids_labels_and_terms() {
    let dir = tempfile::tempdir().unwrap();
    let model = demo_bundle(dir.path());
    let bundle: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("bundle.json")).unwrap()).unwrap();
    let table = dir.path().join("new.jsonl");
    let rows = [
        (
            "a",
            "left",
            "ICE raids terrorise families and workers in our neighbourhoods.",
        ),
        (
            "b",
            "left",
            "Organise rapid response networks to defend immigrants from deportation.",
        ),
        (
            "c",
            "right",
            "Border security and enforcement of immigration law protect wages.",
        ),
        (
            "d",
            "right",
            "Illegal immigration strains public budgets; enforce the law.",
        ),
        (
            "e",
            "none",
            "The recipe needs two eggs, flour and a pinch of salt.",
        ),
    ];
    let text: String = rows
        .iter()
        .map(|(id, side, t)| {
            serde_json::json!({"id": id, "side": side, "text": t}).to_string() + "\n"
        })
        .collect();
    std::fs::write(&table, text).unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("apply")
        .arg(&model)
        .arg(&table)
        .args(["--group-by", "side", "--out"])
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "1 of 5 paragraphs share no term with the bundle's vocabulary",
        ));
    let paras = read(&out.join("paragraphs.parquet"));
    assert!(rhetor::schema::check_frame("paragraphs.parquet", &paras).is_empty());
    assert_eq!(paras.height(), 5);
    let k = bundle["cluster"]["k"].as_u64().unwrap();
    let ids = ints(&paras, "topic_id");
    assert!(ids.iter().all(|&t| t < k));
    // Labels are the bundle's, whatever this corpus's terms are.
    let labels = strings(&paras, "topic_label");
    for (t, l) in ids.iter().zip(&labels) {
        assert_eq!(
            l.as_deref(),
            bundle["topics"][*t as usize]["label"].as_str()
        );
    }
    let topics = read(&out.join("topics.parquet"));
    assert_eq!(topics.height() as u64, k);
    let dist: Vec<f32> = paras
        .column("topic_distance")
        .unwrap()
        .f32()
        .unwrap()
        .into_no_null_iter()
        .collect();
    assert!(dist.iter().all(|d| d.is_finite() && *d >= 0.0), "{dist:?}");
    // The off-topic recipe shares no term with the fitted vocabulary: the run says so.
    let e = strings(&paras, "doc_id")
        .iter()
        .position(|d| d.as_deref() == Some("e"))
        .unwrap();
    assert!(dist[e] > 0.0);
    assert!(
        paras.column("stance").is_ok(),
        "the bundle's codebook labels"
    );
    let docs = read(&out.join("doc_labels.parquet"));
    let groups: std::collections::BTreeSet<String> =
        strings(&docs, "group_id").into_iter().flatten().collect();
    assert_eq!(groups.len(), 3, "{groups:?}");
}

#[test]
fn issue15_damaged_or_foreign_bundles_are_refused_with_the_file_named() {
    let dir = tempfile::tempdir().unwrap();
    let model = demo_bundle(dir.path());
    let copy = |name: &str| -> PathBuf {
        let to = dir.path().join(name);
        std::fs::create_dir(&to).unwrap();
        for e in std::fs::read_dir(&model).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
        to
    };
    let refused = |m: &Path, wants: &[&str]| {
        let out = m.with_extension("out");
        let got = rhetor()
            .arg("apply")
            .arg(m)
            .arg(demo_corpus())
            .arg("--out")
            .arg(&out)
            .assert()
            .code(1);
        let err = String::from_utf8_lossy(&got.get_output().stderr).to_string();
        for w in wants {
            assert!(err.contains(w), "{w:?} not in {err}");
        }
        assert!(!out.exists(), "nothing written for a refused bundle");
    };
    // A flipped byte in the centroids.
    let m = copy("flipped");
    let p = m.join("centroids.safetensors");
    let mut bytes = std::fs::read(&p).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&p, bytes).unwrap();
    refused(&m, &["centroids.safetensors", "has sha256", "damaged"]);
    // A missing file.
    let m = copy("missing");
    std::fs::remove_file(m.join("lsa.safetensors")).unwrap();
    refused(&m, &["lsa.safetensors", "is missing"]);
    // A newer and an older format version.
    for (v, hint) in [("99", "newer rhetor"), ("0", "fit the bundle again")] {
        let m = copy(&format!("v{v}"));
        let p = m.join("bundle.json");
        let text = std::fs::read_to_string(&p).unwrap();
        let text = text.replace(
            "\"format_version\": 1,",
            &format!("\"format_version\": {v},"),
        );
        std::fs::write(&p, text).unwrap();
        refused(
            &m,
            &[
                &format!("bundle format version {v}"),
                "reads version 1",
                hint,
            ],
        );
    }
    // Not a bundle at all: a run directory, and a corrupt manifest.
    refused(
        &demo_corpus(),
        &["is not a rhetor pipeline bundle", "rhetor fit"],
    );
    let m = copy("garbage");
    std::fs::write(
        m.join("bundle.json"),
        "{\"format\": \"rhetor-pipeline\", \"form",
    )
    .unwrap();
    refused(&m, &["bundle.json", "not a valid bundle file"]);
    let m = copy("edited");
    let p = m.join("bundle.json");
    let text = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, text.replace("\"k\": 3,", "\"k\": 4,")).unwrap();
    refused(&m, &["centroids are 3×", "k = 4"]);
}

#[test]
fn issue15_apply_takes_no_fitting_flags_and_fit_no_output_formats() {
    let dir = tempfile::tempdir().unwrap();
    for flag in [
        ["--k", "4"],
        ["--codebook", "stance"],
        ["--unit", "document"],
    ] {
        rhetor()
            .args(["apply", "m", "c", "--out"])
            .arg(dir.path().join("x"))
            .args(flag)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(flag[0]));
    }
    rhetor()
        .arg("fit")
        .arg(demo_corpus())
        .args(["--format", "csv", "--out"])
        .arg(dir.path().join("m"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("writes a bundle"));
    assert!(!dir.path().join("m").exists());
}

/// The transformer a bundle was fitted with is part of it: applying with a model whose
/// files differ is refused. Skips when all-MiniLM-L6-v2 is not installed.
#[test]
fn issue15_transformer_bundle_refuses_a_changed_model() {
    let installed = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/all-MiniLM-L6-v2");
    if !installed.join("model.safetensors").is_file() {
        eprintln!("skipped: {} is not installed", installed.display());
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let model_dir = dir.path().join("minilm");
    copy_dir(&installed, &model_dir);
    let model = dir.path().join("bundle");
    let model_arg = model_dir.display().to_string();
    fit(
        &demo_corpus(),
        &model,
        &[
            "--embed",
            "transformer",
            "--model",
            &model_arg,
            "--no-cache",
            "--k",
            "3",
        ],
    );
    let ok = dir.path().join("ok");
    apply(&model, &demo_corpus(), &ok, &[]);
    // Same model, same corpus: the fitted topics come back.
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(model.join("bundle.json")).unwrap()).unwrap();
    assert_eq!(b["embed"]["kind"], "transformer");
    assert!(b["embed"]["model_files"]["model.safetensors"].is_string());
    let p = model_dir.join("tokenizer_config.json");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push(' ');
    std::fs::write(&p, text).unwrap();
    rhetor()
        .arg("apply")
        .arg(&model)
        .arg(demo_corpus())
        .arg("--out")
        .arg(dir.path().join("changed"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("tokenizer_config.json")
                .and(predicate::str::contains("was fitted with model")),
        );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// Issue 15's quality bar: a bundle fitted on 80% of 20newsgroups (split by document, seeded)
/// and applied to the other 20% assigns every document, with NMI against the newsgroups
/// within 0.01 of a `run` fitted on that 20% alone (k = 20). Skips without the data.
#[test]
fn issue15_20newsgroups_fit_on_80_apply_to_20_matches_a_run_on_the_20() {
    let Some(data) = shared_data("20newsgroups_bydate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (train, test) = (
        dir.path().join("train.jsonl"),
        dir.path().join("test.jsonl"),
    );
    let mut tr = String::new();
    let mut te = String::new();
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    for line in std::fs::read_to_string(&data).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let id = v["id"].as_str().unwrap().to_string();
        // Seeded split by document: a hash of the id with seed 15.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ 15;
        for b in id.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        if h.is_multiple_of(5) {
            labels.insert(id, v["label"].as_str().unwrap().to_string());
            te.push_str(line);
            te.push('\n');
        } else {
            tr.push_str(line);
            tr.push('\n');
        }
    }
    std::fs::write(&train, tr).unwrap();
    std::fs::write(&test, te).unwrap();
    let args = ["--unit", "document", "--k", "20"];
    let model = dir.path().join("model");
    fit(&train, &model, &args);
    let applied = dir.path().join("applied");
    apply(&model, &test, &applied, &[]);
    let run = dir.path().join("run");
    rhetor()
        .arg("-q")
        .arg("run")
        .arg(&test)
        .args(args)
        .arg("--out")
        .arg(&run)
        .assert()
        .code(0);
    let score = |out: &Path| -> (usize, f64) {
        let p = read(&out.join("paragraphs.parquet"));
        let ids = strings(&p, "doc_id");
        let topics = ints(&p, "topic_id");
        let truth: Vec<String> = ids
            .iter()
            .map(|i| labels[i.as_deref().unwrap()].clone())
            .collect();
        (p.height(), crate::common::nmi(&truth, &topics))
    };
    let (n_applied, nmi_applied) = score(&applied);
    let (n_run, nmi_run) = score(&run);
    let docs = read(&run.join("documents.parquet")).height();
    eprintln!(
        "20newsgroups: {} test documents; NMI applied bundle (fitted on 80%) {nmi_applied:.4}, \
         run on the 20% alone {nmi_run:.4}",
        labels.len()
    );
    assert_eq!(n_applied, docs, "every document assigned");
    assert_eq!(n_run, docs);
    assert!(
        nmi_applied >= nmi_run - 0.01,
        "applied {nmi_applied:.4} vs run {nmi_run:.4}"
    );
}
