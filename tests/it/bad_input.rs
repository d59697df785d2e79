//! Bad input: every case gets a clear error or a reported skip, never a panic and never a
//! half-written output.

use crate::common::{read, rhetor, strings};
use predicates::prelude::*;
use std::io::Write;

fn no_panic() -> impl Predicate<str> {
    predicate::str::contains("panicked").not()
}

#[test]
fn missing_path() {
    let dir = tempfile::tempdir().unwrap();
    rhetor()
        .args(["run", "does/not/exist", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("does/not/exist")
                .and(predicate::str::contains("does not exist"))
                .and(no_panic()),
        );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn empty_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("c")).unwrap();
    rhetor()
        .arg("run")
        .arg(dir.path().join("c"))
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no documents").and(no_panic()));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn invalid_utf8_is_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(
        c.join("good.txt"),
        "A good paragraph of text.\n\nAnother one.\n",
    )
    .unwrap();
    std::fs::write(c.join("bad.txt"), b"Caf\xe9 latin-1 text.\n").unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("run")
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("bad.txt")
                .and(predicate::str::contains("UTF-8"))
                .and(no_panic()),
        );
    let docs = read(&out.join("documents.parquet"));
    assert_eq!(strings(&docs, "doc_id"), vec![Some("good.txt".to_string())]);
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["skipped_unreadable"], 1);
    assert_eq!(manifest["skipped"][0]["source"], "bad.txt");
}

#[test]
fn empty_and_whitespace_documents_are_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(c.join("a.txt"), "Text here.\n").unwrap();
    std::fs::write(c.join("empty.txt"), "").unwrap();
    std::fs::write(c.join("ws.md"), " \n\t\n  ").unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("run")
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0)
        .stderr(predicate::str::contains("empty.txt").and(predicate::str::contains("ws.md")));
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["counts"]["skipped_empty"], 2);
    assert_eq!(manifest["counts"]["documents"], 1);
}

#[test]
fn binary_file_with_txt_name() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    std::fs::write(c.join("a.txt"), "Text here.\n").unwrap();
    let mut bin = vec![0x89u8, b'P', b'N', b'G', 0, 0, 0, 13];
    bin.extend((0..4000u32).map(|i| (i * 7 % 256) as u8));
    std::fs::write(c.join("image.txt"), bin).unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("run")
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(3)
        .stderr(
            predicate::str::contains("image.txt")
                .and(predicate::str::contains("binary"))
                .and(no_panic()),
        );
    assert!(out.join("paragraphs.parquet").is_file());
}

#[test]
fn fifty_megabyte_single_line_file() {
    let dir = tempfile::tempdir().unwrap();
    let c = dir.path().join("c");
    std::fs::create_dir(&c).unwrap();
    let mut f = std::fs::File::create(c.join("big.txt")).unwrap();
    let sentence = "The council voted on the border budget again today, and nobody was surprised. ";
    let n = 50 * 1024 * 1024 / sentence.len() + 1;
    for _ in 0..n {
        f.write_all(sentence.as_bytes()).unwrap();
    }
    drop(f);
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&c)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let paras = read(&out.join("paragraphs.parquet"));
    assert_eq!(paras.height(), 1);
    // Memory use is checked by the CI script with /usr/bin/time when available; here the run
    // must simply finish.
}

#[test]
fn malformed_jsonl_line_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("data.jsonl");
    std::fs::write(&f, "{\"id\": 1, \"text\": \"ok\"}\n{\"id\": 2, \"text\": \"ok too\"}\n{\"id\": 3, \"text\": oops}\n").unwrap();
    rhetor()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("data.jsonl:3").and(no_panic()));
    assert!(!dir.path().join("out").exists());
}

#[test]
fn csv_without_text_column_lists_columns() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("data.csv");
    std::fs::write(
        &f,
        "id,body,party\n1,Some words here.,dem\n2,More words.,rep\n",
    )
    .unwrap();
    rhetor()
        .arg("run")
        .arg(&f)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no column 'text'")
                .and(predicate::str::contains("id, body, party"))
                .and(predicate::str::contains("--text-col")),
        );
}

#[test]
fn config_with_unknown_key_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rhetor.toml");
    std::fs::write(&cfg, "seed = 1\n[segment]\nmax_heading_wrods = 5\n").unwrap();
    rhetor()
        .arg("run")
        .arg(crate::common::demo_corpus())
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("max_heading_wrods")
                .and(predicate::str::contains("rhetor.toml")),
        );
}

#[test]
fn config_with_bad_value_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("rhetor.toml");
    std::fs::write(&cfg, "[segment]\nwrap_width = \"wide\"\n").unwrap();
    rhetor()
        .arg("run")
        .arg(crate::common::demo_corpus())
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrap_width"));
    std::fs::write(&cfg, "[segment]\nwrap_width = 2\n").unwrap();
    rhetor()
        .arg("run")
        .arg(crate::common::demo_corpus())
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("wrap_width"));
}

#[test]
fn existing_output_without_force_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "mine").unwrap();
    // A folder of the user's is refused with or without --force (issue 14, item 1).
    for force in [false, true] {
        rhetor()
            .arg("segment")
            .arg(crate::common::demo_corpus())
            .arg("--out")
            .arg(&out)
            .args(if force { &["--force"][..] } else { &[][..] })
            .assert()
            .code(1)
            .stderr(
                predicate::str::contains("keep.txt")
                    .and(predicate::str::contains("rhetor did not write")),
            );
        assert_eq!(
            std::fs::read_to_string(out.join("keep.txt")).unwrap(),
            "mine"
        );
    }
    // A rhetor run is refused without --force and replaced with it.
    let run = dir.path().join("run");
    for _ in 0..2 {
        rhetor()
            .arg("segment")
            .arg(crate::common::demo_corpus())
            .arg("--out")
            .arg(&run)
            .arg("--force")
            .assert()
            .code(0);
    }
    rhetor()
        .arg("segment")
        .arg(crate::common::demo_corpus())
        .arg("--out")
        .arg(&run)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("already exists").and(predicate::str::contains("--force")),
        );
    assert!(run.join("paragraphs.parquet").is_file());
}

#[cfg(unix)]
#[test]
fn output_directory_not_writable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    // root ignores permissions; then there is nothing to test.
    if std::fs::write(ro.join("probe"), "x").is_ok() {
        let _ = std::fs::remove_file(ro.join("probe"));
        // Fall back to a path under a regular file, which nobody can create.
        let file = dir.path().join("plainfile");
        std::fs::write(&file, "x").unwrap();
        rhetor()
            .arg("run")
            .arg(crate::common::demo_corpus())
            .arg("--out")
            .arg(file.join("out"))
            .assert()
            .code(1)
            .stderr(predicate::str::contains("cannot write").and(no_panic()));
        return;
    }
    rhetor()
        .arg("run")
        .arg(crate::common::demo_corpus())
        .arg("--out")
        .arg(ro.join("out"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot write").and(no_panic()));
}
