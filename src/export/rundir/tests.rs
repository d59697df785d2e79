use super::*;

fn write_run(dir: &RunDir) {
    super::super::write_text(&dir.file("report.md").unwrap(), "# r\n").unwrap();
}

#[test]
fn nothing_is_created_before_the_first_file() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("sub/run");
    let dir = RunDir::create(&out, false).unwrap();
    assert!(!t.path().join("sub").exists());
    drop(dir);
    assert!(!t.path().join("sub").exists());
}

#[test]
fn new_run_commits_with_marker_and_no_lock() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let dir = RunDir::create(&out, false).unwrap();
    write_run(&dir);
    dir.commit().unwrap();
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, vec![MARKER.to_string(), "report.md".to_string()]);
    // Nothing else is left beside it.
    assert_eq!(std::fs::read_dir(t.path()).unwrap().count(), 1);
    assert_eq!(inspect(&out).unwrap(), Existing::RhetorRun);
}

#[test]
fn force_replaces_only_rhetor_runs() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    let dir = RunDir::create(&out, false).unwrap();
    write_run(&dir);
    dir.commit().unwrap();
    assert!(matches!(
        RunDir::create(&out, false),
        Err(ExportError::Exists(_))
    ));
    let dir = RunDir::create(&out, true).unwrap();
    write_run(&dir);
    dir.commit().unwrap();
    std::fs::write(out.join("thesis.docx"), b"x").unwrap();
    let err = RunDir::create(&out, true).unwrap_err();
    assert!(err.to_string().contains("thesis.docx"), "{err}");
}

#[test]
fn empty_directory_is_fine_without_force() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    std::fs::create_dir(&out).unwrap();
    let dir = RunDir::create(&out, false).unwrap();
    write_run(&dir);
    dir.commit().unwrap();
    assert!(out.join("report.md").is_file());
}

#[test]
fn legacy_run_is_recognised_by_its_manifest() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("run");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(
        out.join("manifest.json"),
        r#"{"rhetor_version":"0.1.0","tables":{"paragraphs.parquet":{}}}"#,
    )
    .unwrap();
    std::fs::write(out.join("paragraphs.parquet"), b"x").unwrap();
    std::fs::write(out.join("paragraphs.csv"), b"x").unwrap();
    std::fs::write(out.join("report.html"), b"x").unwrap();
    assert_eq!(inspect(&out).unwrap(), Existing::RhetorRun);
    std::fs::write(out.join("notes.csv"), b"x").unwrap();
    assert!(inspect(&out).is_err());
}

#[test]
fn stale_staging_is_removed_and_live_staging_kept() {
    let t = tempfile::tempdir().unwrap();
    // A dead run's staging: a lock file nobody holds.
    let dead = t.path().join(".run.rhetor-tmp-999999999");
    std::fs::create_dir(&dead).unwrap();
    std::fs::write(dead.join(LOCK), b"").unwrap();
    // A live one: locked by a handle we keep.
    let live = t.path().join(".other.rhetor-tmp-1");
    std::fs::create_dir(&live).unwrap();
    let held = File::create(live.join(LOCK)).unwrap();
    held.lock().unwrap();
    let notes = clean_stale(t.path());
    assert!(!dead.exists());
    assert!(live.exists());
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("interrupted"), "{notes:?}");
}

#[test]
fn overlap_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let corpus = t.path().join("c");
    std::fs::create_dir(&corpus).unwrap();
    assert!(check_no_overlap(&corpus, &corpus, "corpus").is_err());
    assert!(check_no_overlap(&corpus, &corpus.join("out"), "corpus").is_err());
    assert!(check_no_overlap(&corpus, t.path(), "corpus").is_err());
    assert!(check_no_overlap(&corpus, &t.path().join("out"), "corpus").is_ok());
    assert!(check_no_overlap(&corpus, &corpus.join("x/../../out"), "corpus").is_ok());
}
