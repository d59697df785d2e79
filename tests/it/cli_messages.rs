//! Issue 14, items 10, 16 and 17: typos that used to pass validation, progress, and the
//! messages of a run (collapsed skips, -q, -v timings, the chosen k and the report path).

use crate::common::rhetor;
use predicates::prelude::*;
use std::path::{Path, PathBuf};

/// Words of six topics that share no vocabulary.
const TOPICS: [[&str; 8]; 6] = [
    [
        "tariffs",
        "exports",
        "inflation",
        "wages",
        "budget",
        "deficit",
        "markets",
        "prices",
    ],
    [
        "police",
        "arrest",
        "prosecutor",
        "jury",
        "verdict",
        "prison",
        "sentence",
        "crime",
    ],
    [
        "glacier",
        "emissions",
        "carbon",
        "drought",
        "warming",
        "wildfire",
        "climate",
        "ocean",
    ],
    [
        "vaccine", "hospital", "nurses", "patients", "clinic", "surgery", "doctors", "illness",
    ],
    [
        "teachers",
        "pupils",
        "classroom",
        "school",
        "exams",
        "tuition",
        "campus",
        "lessons",
    ],
    [
        "soldiers", "missile", "troops", "army", "navy", "defence", "weapons", "battle",
    ],
];

/// A sentence of 14 words of topic `t`, varied by `i` (every sentence uses all eight words
/// of its topic: the step through them is odd).
fn sentence(t: usize, i: usize) -> String {
    let w = &TOPICS[t];
    let words: Vec<&str> = (0..14)
        .map(|j| w[(i * 3 + j * (1 + 2 * (i % 3))) % 8])
        .collect();
    let mut s = words.join(" ");
    s[..1].make_ascii_uppercase();
    s + "."
}

/// A folder of `docs_per_topic` documents per topic, each of `paras` paragraphs of its
/// topic: six well-separated clusters.
fn six_topic_corpus(dir: &Path, docs_per_topic: usize, paras: usize) -> PathBuf {
    let c = dir.join("corpus");
    std::fs::create_dir_all(&c).unwrap();
    for t in 0..TOPICS.len() {
        for d in 0..docs_per_topic {
            let text: Vec<String> = (0..paras).map(|p| sentence(t, d * paras + p)).collect();
            std::fs::write(c.join(format!("t{t}_d{d}.txt")), text.join("\n\n") + "\n").unwrap();
        }
    }
    c
}

fn stderr_of(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

// ---------------------------------------------------------------------------------------
// Item 10: typos that passed validation
// ---------------------------------------------------------------------------------------

#[test]
fn issue14_item10_label_methods_key_must_name_a_dimension() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = six_topic_corpus(dir.path(), 1, 2);
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        "[label]\ncodebooks = [\"stance\"]\ntarget = \"tariffs\"\n\n[label.methods]\nnonexistent_dim = \"prototype\"\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    rhetor()
        .arg("segment")
        .arg(&corpus)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("'nonexistent_dim' is not a dimension")
                .and(predicate::str::contains("their dimensions are: stance")),
        );
    assert!(!out.exists());
    // The right name passes.
    std::fs::write(
        &cfg,
        "[label]\ncodebooks = [\"stance\"]\ntarget = \"tariffs\"\n\n[label.methods]\nstance = \"prototype\"\n",
    )
    .unwrap();
    rhetor()
        .arg("segment")
        .arg(&corpus)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
}

fn stance_rows(dir: &Path) -> PathBuf {
    let f = dir.join("stance.csv");
    std::fs::write(
        &f,
        "id,text,label\n1,We support tariffs and we favor them strongly.,FAVOR\n2,We oppose tariffs; they are wrong and we are against them.,AGAINST\n3,Tariffs were discussed at the meeting on Tuesday.,NONE\n4,I am in favor of tariffs; support them.,FAVOR\n",
    )
    .unwrap();
    f
}

fn zero_shot(dir: &Path, map: &str) -> assert_cmd::assert::Assert {
    let f = stance_rows(dir);
    let m = dir.join("map.toml");
    std::fs::write(&m, map).unwrap();
    rhetor()
        .arg("evaluate")
        .arg(&f)
        .args(["--codebook", "stance", "--target", "tariffs", "--label-map"])
        .arg(&m)
        .arg("--out")
        .arg(dir.join("z"))
        .arg("--force")
        .assert()
}

#[test]
fn issue14_item10_label_map_with_a_misspelt_codebook_label_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    zero_shot(dir.path(), "nuetral = \"NONE\"\n")
        .code(1)
        .stderr(
            predicate::str::contains("'nuetral' is not a label of the codebook dimension 'stance'")
                .and(predicate::str::contains("favor, against, neutral")),
        );
    assert!(!dir.path().join("z").exists());
}

#[test]
fn issue14_item10_label_map_with_an_unknown_gold_label_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    zero_shot(dir.path(), "neutral = \"NEUTRAL\"\n")
        .code(1)
        .stderr(
            predicate::str::contains(
                "'NEUTRAL' (for codebook label 'neutral') is not a gold label",
            )
            .and(predicate::str::contains("AGAINST, FAVOR, NONE")),
        );
    // A correct map is accepted and every codebook label then has a gold label: no warning.
    let a = zero_shot(dir.path(), "neutral = \"NONE\"\n").code(0);
    assert!(
        !stderr_of(&a).contains("match no gold label"),
        "{}",
        stderr_of(&a)
    );
    // Without the mapping, `neutral` matches no gold label: said, not silent.
    zero_shot(dir.path(), "")
        .code(0)
        .stderr(predicate::str::contains(
            "codebook label(s) neutral match no gold label",
        ));
}

/// Four documents; the first `dated` have a `date` line.
fn dated_corpus(dir: &Path, dated: usize) -> PathBuf {
    let c = dir.join(format!("dated{dated}"));
    std::fs::create_dir_all(&c).unwrap();
    for d in 0..4 {
        let head = if d < dated {
            format!("date 2024-0{}-01 Speech {d}\n\n", d + 1)
        } else {
            String::new()
        };
        let body: Vec<String> = (0..4).map(|p| sentence(d % 6, d * 4 + p)).collect();
        std::fs::write(
            c.join(format!("doc{d}.txt")),
            head + &body.join("\n\n") + "\n",
        )
        .unwrap();
    }
    c
}

#[test]
fn issue14_item10_group_by_column_missing_from_most_documents_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dated_corpus(dir.path(), 1);
    let out = dir.path().join("out");
    rhetor()
        .arg("compare")
        .arg(&corpus)
        .args(["--group-by", "date", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("--group-by 'date': 3 of 4 documents have no value")
                .and(predicate::str::contains("date YYYY-MM-DD")),
        );
    assert!(!out.exists());
}

#[test]
fn issue14_item10_group_by_column_missing_from_a_few_documents_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = dated_corpus(dir.path(), 3);
    rhetor()
        .arg("compare")
        .arg(&corpus)
        .args(["--group-by", "date", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains(
            "warning: --group-by 'date': 1 of 4 documents have no value in this column ('doc3.txt')",
        ));
}

#[test]
fn issue14_item10_stage_commands_reject_flags_of_later_stages() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = six_topic_corpus(dir.path(), 1, 2);
    let out = dir.path().join("out");
    for (cmd, flags, flag, stage) in [
        ("segment", &["--k", "5"][..], "--k", "`rhetor cluster`"),
        (
            "segment",
            &["--codebook", "stance"][..],
            "--codebook",
            "`rhetor label`",
        ),
        ("segment", &["--seed", "3"][..], "--seed", "`rhetor embed`"),
        ("embed", &["--k=5"][..], "--k", "`rhetor cluster`"),
        (
            "cluster",
            &["--target", "x"][..],
            "--target",
            "`rhetor label`",
        ),
        (
            "label",
            &["--group-by", "party"][..],
            "--group-by",
            "`rhetor compare`",
        ),
    ] {
        let a = rhetor()
            .arg(cmd)
            .arg(&corpus)
            .args(flags)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(2);
        let err = stderr_of(&a);
        assert!(
            err.contains(&format!("unexpected argument '{flag}")),
            "{cmd}: {err}"
        );
        assert!(
            err.contains(&format!("{flag} is not used by `rhetor {cmd}`")) && err.contains(stage),
            "{cmd} {flags:?}: {err}"
        );
        assert!(!out.exists());
    }
    // --help shows only what applies.
    let help = rhetor().args(["segment", "--help"]).assert().code(0);
    let text = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(
        text.contains("--doc-col") && text.contains("--force"),
        "{text}"
    );
    for absent in ["--k", "--codebook", "--group-by", "--seed", "--embed"] {
        assert!(
            !text.contains(absent),
            "segment --help shows {absent}: {text}"
        );
    }
    let help = rhetor().args(["cluster", "--help"]).assert().code(0);
    let text = String::from_utf8_lossy(&help.get_output().stdout).into_owned();
    assert!(
        text.contains("--k") && !text.contains("--group-by"),
        "{text}"
    );
}

// ---------------------------------------------------------------------------------------
// Item 16: progress with real totals (library level: bars are hidden in tests)
// ---------------------------------------------------------------------------------------

#[test]
fn issue14_item16_every_stage_reports_real_totals_and_increments() {
    use rhetor::config::Config;
    use rhetor::progress::{NoProgress, Recorder};
    use rhetor::run::{run, Stages};
    let dir = tempfile::tempdir().unwrap();
    let corpus = six_topic_corpus(dir.path(), 2, 5);
    let mut cfg = Config::default();
    cfg.label.codebooks = vec!["stance".into(), "collective_action".into()];
    cfg.label.target = Some("tariffs".into());
    cfg.cluster.k_max = 4;
    let checked = cfg.check().unwrap();
    let rec = Recorder::new();
    let out = dir.path().join("rec");
    run(
        "run",
        &corpus,
        &checked,
        &out,
        &Default::default(),
        Stages::All,
        &rec,
    )
    .unwrap();
    let n_docs = 12;
    let n_paras = 60;
    let stage = |name: &str| {
        rec.stage(name)
            .unwrap_or_else(|| panic!("no stage {name}: {:#?}", rec.stages()))
    };
    let full = |name: &str, total: u64| {
        let s = stage(name);
        assert_eq!((s.total, s.done), (total, total), "{name}: {s:#?}");
        assert!(s.incs >= 1, "{name}: {s:#?}");
        s
    };
    full("segment", n_docs);
    full("embed", n_paras);
    full("reduce", checked.reduce.params().n_iter as u64 + 2);
    let c = full("cluster", 3 * checked.cluster.params().n_init as u64);
    assert!(
        c.messages
            .iter()
            .any(|m| m.contains("k 4 of 2..=4, restart")),
        "{:?}",
        c.messages
    );
    full("silhouette", n_paras);
    let l = full("label", 2); // one dimension per codebook
    assert!(l.messages.iter().any(|m| m.contains("stance")), "{l:#?}");
    let dims = 1 + 2; // topic, stance, collective_action
    full("compare", dims + 2);
    // Observing never changes a result.
    let plain = dir.path().join("plain");
    run(
        "run",
        &corpus,
        &checked,
        &plain,
        &Default::default(),
        Stages::All,
        &NoProgress,
    )
    .unwrap();
    for t in [
        "paragraphs.parquet",
        "topics.parquet",
        "doc_labels.parquet",
        "embeddings.parquet",
    ] {
        assert_eq!(
            std::fs::read(out.join(t)).unwrap(),
            std::fs::read(plain.join(t)).unwrap(),
            "{t}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Item 17: messages
// ---------------------------------------------------------------------------------------

/// Three documents, 300 empty files and one binary file.
fn corpus_with_many_skips(dir: &Path) -> PathBuf {
    let c = six_topic_corpus(dir, 1, 3);
    for i in 0..300 {
        std::fs::write(c.join(format!("empty{i:03}.txt")), "  \n").unwrap();
    }
    std::fs::write(c.join("zz_binary.txt"), b"abc\0def\0").unwrap();
    c
}

#[test]
fn issue14_item17_many_skips_are_one_line_with_the_first_names() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus_with_many_skips(dir.path());
    let out = dir.path().join("out");
    let a = rhetor()
        .arg("segment")
        .arg(&corpus)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(3);
    let err = stderr_of(&a);
    let skip_lines: Vec<&str> = err.lines().filter(|l| l.contains("skipped")).collect();
    assert_eq!(skip_lines.len(), 2, "{err}"); // the collapsed warning and the "wrote" line
    let w = skip_lines[0];
    assert!(
        w.starts_with("warning: skipped 301 inputs (300 empty, 1 unreadable): "),
        "{w}"
    );
    assert!(
        w.contains("empty000.txt") && w.contains("empty004.txt"),
        "{w}"
    );
    assert!(!w.contains("empty005.txt"), "{w}");
    assert!(w.contains("and 296 more"), "{w}");
    assert!(w.contains("manifest.json"), "{w}");
    // The full list is in the manifest.
    let m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(m["skipped"].as_array().unwrap().len(), 301);
}

#[test]
fn issue14_item17_quiet_prints_nothing_but_errors() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = corpus_with_many_skips(dir.path());
    let a = rhetor()
        .arg("-q")
        .arg("compare")
        .arg(&corpus)
        .arg("--out")
        .arg(dir.path().join("out"))
        .assert()
        .code(3);
    assert_eq!(stderr_of(&a), "");
    // An error still shows.
    rhetor()
        .arg("-q")
        .arg("segment")
        .arg(dir.path().join("absent"))
        .arg("--out")
        .arg(dir.path().join("out2"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("error:"));
}

#[test]
fn issue14_item17_verbose_logs_stage_timings_without_ansi_codes() {
    let dir = tempfile::tempdir().unwrap();
    let corpus = six_topic_corpus(dir.path(), 1, 3);
    let a = rhetor()
        .arg("-v")
        .arg("cluster")
        .arg(&corpus)
        .args(["--k", "3", "--out"])
        .arg(dir.path().join("out"))
        .assert()
        .code(0);
    let err = stderr_of(&a);
    for stage in ["load", "segment", "embed", "reduce", "cluster"] {
        let found = err.lines().any(|l| {
            l.contains(&format!("{stage}: ")) && l.trim_end().ends_with(" s") && l.contains("INFO")
        });
        assert!(found, "no timing of {stage}: {err}");
    }
    assert!(!err.contains('\u{1b}'), "ANSI escape codes: {err:?}");
}

#[test]
fn issue14_item17_summary_names_k_and_report_and_warns_at_k_max() {
    let dir = tempfile::tempdir().unwrap();
    // Six well-separated topics, but k may be at most 3: the silhouette still rises at 3.
    let corpus = six_topic_corpus(dir.path(), 2, 10);
    let cfg = dir.path().join("k3.toml");
    std::fs::write(&cfg, "[cluster]\nk_max = 3\n").unwrap();
    let out = dir.path().join("run");
    let a = rhetor()
        .arg("run")
        .arg(&corpus)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(0);
    let err = stderr_of(&a);
    assert!(
        err.contains(
            "topics: k = 3, chosen automatically (highest mean silhouette for k in 2..=3)"
        ),
        "{err}"
    );
    assert!(
        err.contains(&format!("report: {}", out.join("report.html").display())),
        "{err}"
    );
    let warn = err
        .lines()
        .find(|l| l.contains("k_max"))
        .unwrap_or_else(|| panic!("no k_max warning: {err}"));
    assert!(
        warn.starts_with(
            "warning: the automatic k = 3 is the largest k tried ([cluster] k_max = 3)"
        ) && warn.contains("silhouette still rises")
            && warn.contains("raise [cluster] k_max")
            && warn.contains("--k"),
        "{warn}"
    );
    // The same warning is in the report.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(report.contains("raise [cluster] k_max"), "{report}");

    // With the k_max that lets it find all six, no warning.
    std::fs::write(&cfg, "[cluster]\nk_max = 8\n").unwrap();
    let a = rhetor()
        .arg("cluster")
        .arg(&corpus)
        .arg("--config")
        .arg(&cfg)
        .arg("--out")
        .arg(dir.path().join("k8"))
        .assert()
        .code(0);
    let err = stderr_of(&a);
    assert!(!err.contains("k_max"), "{err}");
    assert!(err.contains("topics: k = 6, chosen automatically"), "{err}");
    assert!(!err.contains("report:"), "cluster writes no report: {err}");

    // A given k is said to be given.
    rhetor()
        .arg("cluster")
        .arg(&corpus)
        .args(["--k", "4", "--out"])
        .arg(dir.path().join("k4"))
        .assert()
        .code(0)
        .stderr(predicate::str::contains("topics: k = 4, given"));
}
