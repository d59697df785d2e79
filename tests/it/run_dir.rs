//! Issue 14, items 1–4: a run never deletes or hides a user's files, and never leaves
//! staging folders behind. Every test runs the real CLI.

use crate::common::{demo_corpus, rhetor};
use predicates::prelude::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A copy of the demo corpus's essays (without its config) in `dir/name`.
fn copy_corpus(dir: &Path, name: &str) -> PathBuf {
    let dst = dir.join(name);
    std::fs::create_dir_all(&dst).unwrap();
    for e in std::fs::read_dir(demo_corpus()).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt" || x == "md") {
            std::fs::copy(&p, dst.join(p.file_name().unwrap())).unwrap();
        }
    }
    dst
}

/// Names of all entries of `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    names(dir)
        .into_iter()
        .map(|n| {
            let bytes = std::fs::read(dir.join(&n)).unwrap_or_default();
            (n, bytes)
        })
        .collect()
}

fn run_ok(corpus: &Path, out: &Path, extra: &[&str]) {
    rhetor()
        .args(["-q", "run"])
        .arg(corpus)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
        .code(0);
}

/// Starts `rhetor run CORPUS --out OUT` that pauses before its commit until `flag` is removed.
fn spawn_paused(corpus: &Path, out: &Path, flag: &Path, extra: &[&str]) -> Child {
    let bin = assert_cmd::cargo::cargo_bin("rhetor");
    Command::new(bin)
        .env("RAYON_NUM_THREADS", "2")
        .env("RHETOR_TEST_PAUSE_BEFORE_COMMIT", flag)
        .args(["-q", "run"])
        .arg(corpus)
        .args(extra)
        .arg("--out")
        .arg(out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for(flag: &Path) {
    let start = Instant::now();
    while !flag.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "run never reached its commit"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn finish(child: Child) -> (i32, String) {
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn issue14_item01_force_never_deletes_the_corpus() {
    let t = tempfile::tempdir().unwrap();
    let v = copy_corpus(t.path(), "v");
    let before = snapshot(&v);
    rhetor()
        .arg("run")
        .arg(&v)
        .arg("--out")
        .arg(&v)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("corpus itself")
                .and(predicate::str::contains("panicked").not()),
        );
    assert_eq!(snapshot(&v), before, "the corpus changed");
    // --out = the corpus's parent: the corpus would be inside it.
    rhetor()
        .arg("run")
        .arg(&v)
        .arg("--out")
        .arg(t.path())
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is inside --out"));
    assert_eq!(snapshot(&v), before, "the corpus changed");
}

#[test]
fn issue14_item01_force_never_deletes_foreign_files() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("d");
    std::fs::create_dir(&d).unwrap();
    std::fs::write(d.join("thesis.docx"), b"four years of work").unwrap();
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .arg("--out")
        .arg(&d)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("thesis.docx")
                .and(predicate::str::contains("rhetor did not write")),
        );
    assert_eq!(
        std::fs::read(d.join("thesis.docx")).unwrap(),
        b"four years of work"
    );
    assert_eq!(names(t.path()), vec!["d"], "nothing may be left beside it");

    // A user's file added to a finished run protects the run from --force as well.
    let run = t.path().join("run");
    run_ok(&demo_corpus(), &run, &[]);
    std::fs::write(run.join("my_notes.md"), b"notes").unwrap();
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .arg("--out")
        .arg(&run)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("my_notes.md"));
    assert!(run.join("my_notes.md").is_file());
    assert!(run.join("manifest.json").is_file());
}

#[test]
fn issue14_item01_out_inside_the_corpus_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let v = copy_corpus(t.path(), "v");
    rhetor()
        .arg("run")
        .arg(&v)
        .arg("--out")
        .arg(v.join("runs/x"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("inside the corpus folder"));
    assert!(!v.join("runs").exists());
}

#[test]
fn issue14_item01_force_replaces_a_rhetor_run() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    run_ok(&demo_corpus(), &out, &[]);
    let first = std::fs::read(out.join("paragraphs.parquet")).unwrap();
    run_ok(&demo_corpus(), &out, &["--force", "--k", "3"]);
    assert!(out.join(".rhetor-run.json").is_file());
    assert_ne!(
        std::fs::read(out.join("paragraphs.parquet")).unwrap(),
        first
    );
    assert_eq!(
        names(t.path()),
        vec!["run"],
        "nothing may be left beside it"
    );
}

#[test]
fn issue14_item01_train_and_predict_never_overwrite_their_input() {
    let t = tempfile::tempdir().unwrap();
    let data = t.path().join("data.csv");
    let mut csv = String::from("text,label\n");
    for i in 0..20 {
        csv.push_str(&format!("we support the plan number {i},favor\n"));
        csv.push_str(&format!("we oppose the plan number {i},against\n"));
    }
    std::fs::write(&data, &csv).unwrap();
    rhetor()
        .arg("train")
        .arg(&data)
        .args(["--label-col", "label", "--out"])
        .arg(&data)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("training data itself"));
    assert_eq!(std::fs::read_to_string(&data).unwrap(), csv);
    // --force replaces a classifier file, but not a file that is not one.
    let other = t.path().join("thesis.json");
    std::fs::write(&other, b"{\"chapter\": 1}").unwrap();
    rhetor()
        .arg("train")
        .arg(&data)
        .args(["--label-col", "label", "--out"])
        .arg(&other)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a rhetor classifier file"));
    assert_eq!(std::fs::read(&other).unwrap(), b"{\"chapter\": 1}");
    let model = t.path().join("m.json");
    for _ in 0..2 {
        rhetor()
            .args(["-q", "train"])
            .arg(&data)
            .args(["--label-col", "label", "--force", "--out"])
            .arg(&model)
            .assert()
            .code(0);
    }
    rhetor()
        .arg("predict")
        .arg(&model)
        .arg(&data)
        .arg("--out")
        .arg(&data)
        .arg("--force")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("data itself"));
    assert_eq!(std::fs::read_to_string(&data).unwrap(), csv);
}

#[test]
fn issue14_item02_directory_created_during_the_run_is_not_replaced() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("race");
    let flag = t.path().join("flag");
    let child = spawn_paused(&demo_corpus(), &out, &flag, &[]);
    wait_for(&flag);
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("precious.txt"), b"x").unwrap();
    std::fs::remove_file(&flag).unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("while this run worked"), "{stderr}");
    assert_eq!(names(&out), vec!["precious.txt"]);
    assert_eq!(names(t.path()), vec!["race"], "staging must be gone");
}

#[test]
fn issue14_item02_second_writer_to_the_same_new_out_fails() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("race");
    let (fa, fb) = (t.path().join("flag_a"), t.path().join("flag_b"));
    let a = spawn_paused(&demo_corpus(), &out, &fa, &[]);
    let b = spawn_paused(&demo_corpus(), &out, &fb, &["--k", "3"]);
    wait_for(&fa);
    wait_for(&fb);
    std::fs::remove_file(&fa).unwrap();
    let (code_a, err_a) = finish(a);
    assert_eq!(code_a, 0, "{err_a}");
    let first = std::fs::read(out.join("manifest.json")).unwrap();
    std::fs::remove_file(&fb).unwrap();
    let (code_b, err_b) = finish(b);
    assert_eq!(code_b, 1, "the second writer must fail: {err_b}");
    assert!(err_b.contains("while this run worked"), "{err_b}");
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), first);
    assert_eq!(names(t.path()), vec!["race"], "staging must be gone");
}

#[test]
fn issue14_item03_failed_final_rename_keeps_the_previous_run() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("conc");
    run_ok(&demo_corpus(), &out, &[]);
    let before = snapshot(&out);
    // With RENAME_EXCHANGE (the normal path on Linux) and with the move-aside fallback.
    for fault in ["commit-rename", "commit-no-exchange,commit-rename"] {
        rhetor()
            .env("RHETOR_TEST_FAULT", fault)
            .args(["-q", "run"])
            .arg(demo_corpus())
            .args(["--k", "3", "--force", "--out"])
            .arg(&out)
            .assert()
            .code(1)
            .stderr(
                predicate::str::contains("could not move the finished run")
                    .and(predicate::str::contains("unchanged")),
            );
        assert_eq!(snapshot(&out), before, "{fault}: the previous run changed");
        assert_eq!(
            names(t.path()),
            vec!["conc"],
            "{fault}: nothing may be left beside it"
        );
    }
    // The fallback path without a fault replaces the run.
    rhetor()
        .env("RHETOR_TEST_FAULT", "commit-no-exchange")
        .args(["-q", "run"])
        .arg(demo_corpus())
        .args(["--k", "3", "--force", "--out"])
        .arg(&out)
        .assert()
        .code(0);
    assert_ne!(snapshot(&out), before);
    assert_eq!(names(t.path()), vec!["conc"]);
}

#[test]
fn issue14_item04_failed_runs_leave_nothing_and_killed_runs_are_cleaned() {
    let t = tempfile::tempdir().unwrap();
    // A run that fails before writing anything creates nothing, not even the parent.
    let empty = t.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    rhetor()
        .arg("run")
        .arg(&empty)
        .arg("--out")
        .arg(t.path().join("runs/x"))
        .assert()
        .code(1);
    assert_eq!(names(t.path()), vec!["empty"]);

    // A run killed (SIGKILL) after it started writing leaves its staging folder …
    let runs = t.path().join("runs");
    let flag = t.path().join("flag");
    let mut child = spawn_paused(&demo_corpus(), &runs.join("x"), &flag, &[]);
    wait_for(&flag);
    child.kill().unwrap();
    let _ = child.wait();
    let left = names(&runs);
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].starts_with(".x.rhetor-tmp-"), "{left:?}");
    // … which the next run into the same folder removes, and says so.
    rhetor()
        .arg("run")
        .arg(demo_corpus())
        .arg("--out")
        .arg(runs.join("y"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("interrupted rhetor run"));
    assert_eq!(names(&runs), vec!["y"]);
}
