//! The validation loop on the demo corpus: `rhetor sample`, `rhetor agreement`, `rhetor
//! validate`, with the hand-coded fixture tests/fixtures/demo_coded.csv (40 paragraphs drawn
//! by `rhetor sample --n 40 --stratify group --seed 7`, coded independently by two coders —
//! two separate AI-assistant sessions that read only the paragraphs and the codebooks, not
//! rhetor's labels; their `note` column gives the reason for each hard call).

use super::common::{read, rhetor, run_demo, strings};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/demo_coded.csv")
}

fn sample(run: &Path, out: &Path, extra: &[&str]) -> assert_cmd::assert::Assert {
    rhetor()
        .arg("sample")
        .arg(run)
        .args(extra)
        .arg("--out")
        .arg(out)
        .assert()
}

fn floats(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<f64>> {
    df.column(col)
        .expect("column")
        .f64()
        .expect("f64")
        .iter()
        .collect()
}

#[test]
fn sample_is_seeded_stratified_and_keeps_predictions_apart() {
    let (dir, run) = run_demo("2", &[]);
    let a = dir.path().join("a/sample.csv");
    std::fs::create_dir_all(a.parent().unwrap()).unwrap();
    sample(
        &run,
        &a,
        &["--n", "40", "--stratify", "group", "--seed", "7"],
    )
    .code(0);
    // The fixture was drawn with exactly these settings: same paragraphs, same order.
    let drawn = std::fs::read_to_string(&a).unwrap();
    let fixture = std::fs::read_to_string(fixture()).unwrap();
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .skip(1)
            .filter_map(|l| {
                let f: Vec<&str> = l.splitn(5, ',').collect();
                (f.len() == 5 && f[0].parse::<u32>().is_ok())
                    .then(|| format!("{}/{}/{}", f[0], f[2], f[3]))
            })
            .collect()
    };
    let (da, fx) = (ids(&drawn), ids(&fixture));
    assert_eq!(da.len(), 40);
    assert_eq!(da[..], fx[..40], "the fixture is the sample of seed 7");

    // Same seed: the same bytes; another seed: another sample.
    let b = dir.path().join("b.csv");
    sample(
        &run,
        &b,
        &["--n", "40", "--stratify", "group", "--seed", "7"],
    )
    .code(0);
    assert_eq!(drawn, std::fs::read_to_string(&b).unwrap());
    let c = dir.path().join("c.csv");
    sample(
        &run,
        &c,
        &["--n", "40", "--stratify", "group", "--seed", "8"],
    )
    .code(0);
    assert_ne!(ids(&drawn), ids(&std::fs::read_to_string(&c).unwrap()));

    // Equal allocation over the four essays (38, 11, 10 and 4 paragraphs): 15, 11, 10, 4,
    // with inclusion probabilities n_h / N_h.
    let csv = read_csv(&a);
    let doc = col(&csv, "doc_id");
    let prob = col(&csv, "inclusion_prob");
    let count = |d: &str| doc.iter().filter(|x| x.starts_with(d)).count();
    assert_eq!(
        [count("000"), count("001"), count("002"), count("003")],
        [15, 11, 10, 4]
    );
    for (d, p) in doc.iter().zip(&prob) {
        let want = if d.starts_with("000") {
            15.0 / 38.0
        } else {
            1.0
        };
        assert!((p.parse::<f64>().unwrap() - want).abs() < 1e-12, "{d} {p}");
    }
    // Coders get empty dimension columns; rhetor's labels are in the predictions file.
    for dim in ["stance", "frame", "collective_action", "coder"] {
        assert!(
            col(&csv, dim).iter().all(String::is_empty),
            "{dim} is empty"
        );
    }
    let pred = read_csv(&dir.path().join("a/sample.predictions.csv"));
    assert!(
        pred[0].iter().all(|h| h != "text"),
        "no text in the predictions"
    );
    assert!(col(&pred, "stance").iter().any(|s| s == "favor"));
    // The guide defines every label of every dimension, with the target filled in.
    let guide = std::fs::read_to_string(dir.path().join("a/sample.guide.md")).unwrap();
    for l in [
        "`favor`",
        "`against`",
        "`neutral`",
        "`crime_and_punishment`",
        "`prognostic`",
    ] {
        assert!(guide.contains(l), "{l} in the guide");
    }
    assert!(guide.contains("stricter immigration enforcement"));
    assert!(guide.contains("The paragraph supports stricter immigration enforcement"));
    let html = std::fs::read_to_string(dir.path().join("a/sample.guide.html")).unwrap();
    assert!(html.contains("<h3><code>favor</code></h3>"));

    // Existing files are kept without --force, replaced with it; a file rhetor did not
    // write is never replaced.
    sample(&run, &a, &["--n", "5"])
        .code(1)
        .stderr(predicates::str::contains("exists"));
    assert_eq!(drawn, std::fs::read_to_string(&a).unwrap());
    sample(&run, &a, &["--n", "5", "--force"]).code(0);
    assert_eq!(ids(&std::fs::read_to_string(&a).unwrap()).len(), 5);
    let mine = dir.path().join("mine.csv");
    std::fs::write(&mine, "my,own\n1,2\n").unwrap();
    sample(&run, &mine, &["--n", "5", "--force"])
        .code(1)
        .stderr(predicates::str::contains(
            "not a file `rhetor sample` wrote",
        ));
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my,own\n1,2\n");
}

/// A CSV as rows of cells (header first), read with the polars reader rhetor uses.
fn read_csv(path: &Path) -> Vec<Vec<String>> {
    let (n, cols, _) = rhetor::corpus::read_columns(path, ',').expect("csv");
    let mut rows = vec![cols.iter().map(|c| c.name.clone()).collect::<Vec<_>>()];
    for r in 0..n {
        rows.push(
            cols.iter()
                .map(|c| match &c.values {
                    rhetor::corpus::MetaValues::Str(v) => v[r].clone().unwrap_or_default(),
                    other => format!("{other:?}"),
                })
                .collect(),
        );
    }
    rows
}

fn col(rows: &[Vec<String>], name: &str) -> Vec<String> {
    let i = rows[0].iter().position(|h| h == name).expect("column");
    rows[1..].iter().map(|r| r[i].clone()).collect()
}

#[test]
fn the_loop_on_the_demo_corrects_keyword_stance() {
    let (dir, run) = run_demo("2", &[]);
    let val = dir.path().join("val");
    let out = rhetor()
        .arg("validate")
        .arg(&run)
        .arg(fixture())
        .arg("--out")
        .arg(&val)
        .assert()
        .code(0);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("stance: 40 coded paragraphs (2 coders)"),
        "{err}"
    );
    for f in [
        "validation_summary.parquet",
        "validation_labels.parquet",
        "corrected_shares.parquet",
        "validation.json",
        "validation.md",
        "validation.html",
    ] {
        assert!(val.join(f).is_file(), "{f}");
    }
    let summary = read(&val.join("validation_summary.parquet"));
    assert_eq!(
        strings(&summary, "dimension"),
        ["frame", "collective_action", "stance"].map(|s| Some(s.to_string()))
    );
    // The two coders agree on every stance; keyword stance does not.
    let acc = floats(&summary, "accuracy");
    let alpha_coders = floats(&summary, "alpha_coders");
    let alpha_rhetor = floats(&summary, "alpha_rhetor");
    assert_eq!(alpha_coders[2], Some(1.0));
    assert!(
        acc[2].unwrap() < 0.5,
        "keyword stance accuracy {:?}",
        acc[2]
    );
    assert!(alpha_rhetor[2].unwrap() < 0.2);

    // Essay 003 argues against ICE; keyword stance calls 2 of its 3 labelled paragraphs
    // "favor" (66.7%). The corrected share of "favor" is 0 with an interval that excludes
    // 66.7%, and "against" is corrected up.
    let shares = read(&val.join("corrected_shares.parquet"));
    let (dim, group, label) = (
        strings(&shares, "dimension"),
        strings(&shares, "group_id"),
        strings(&shares, "label"),
    );
    let naive = floats(&shares, "naive_share");
    let corr = floats(&shares, "corrected_share");
    let (lo, hi) = (
        floats(&shares, "corrected_low"),
        floats(&shares, "corrected_high"),
    );
    assert_eq!(
        shares.height(),
        4 * (15 + 4 + 3),
        "groups × labels of every dimension"
    );
    let row = |d: &str, g: &str, l: &str| {
        (0..shares.height())
            .find(|&i| {
                dim[i].as_deref() == Some(d)
                    && group[i].as_deref().is_some_and(|x| x.starts_with(g))
                    && label[i].as_deref() == Some(l)
            })
            .expect("row")
    };
    let fav = row("stance", "003", "favor");
    assert!((naive[fav].unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(corr[fav], Some(0.0));
    assert!(hi[fav].unwrap() < 2.0 / 3.0, "{:?}", hi[fav]);
    let against = row("stance", "003", "against");
    assert_eq!(corr[against], Some(1.0));
    for i in 0..shares.height() {
        let (l, c, h) = (lo[i].unwrap(), corr[i].unwrap(), hi[i].unwrap());
        assert!((0.0..=1.0).contains(&l) && (0.0..=1.0).contains(&h));
        assert!(l <= c + 1e-12 && c <= h + 1e-12, "row {i}: {l} {c} {h}");
    }
    let html = std::fs::read_to_string(val.join("validation.html")).unwrap();
    assert!(html.contains("corrected share"));

    // Agreement between the two coders: α per dimension and label, with intervals.
    let agr = dir.path().join("agr");
    let out = rhetor()
        .args(["agreement"])
        .arg(fixture())
        .args(["--label-col", "stance", "--label-col", "frame", "--out"])
        .arg(&agr)
        .assert()
        .code(0);
    let printed = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        printed.contains("| stance | (all) | nominal | 1.000 |"),
        "{printed}"
    );
    let t = read(&agr.join("agreement.parquet"));
    let a = floats(&t, "alpha");
    let d = strings(&t, "dimension");
    let l = strings(&t, "label");
    let frame_all = (0..t.height())
        .find(|&i| d[i].as_deref() == Some("frame") && l[i].is_none())
        .unwrap();
    assert!(a[frame_all].unwrap() > 0.9 && a[frame_all].unwrap() < 1.0);
    assert!(agr.join("coder_confusion.parquet").is_file());
}

#[test]
fn validate_outputs_do_not_depend_on_the_thread_count() {
    let (dir, run) = run_demo("2", &[]);
    let mut bytes = Vec::new();
    for threads in ["1", "2"] {
        let val = dir.path().join(format!("val{threads}"));
        rhetor()
            .env("RAYON_NUM_THREADS", threads)
            .arg("validate")
            .arg(&run)
            .arg(fixture())
            .arg("--out")
            .arg(&val)
            .assert()
            .code(0);
        bytes.push(
            [
                "validation_summary.parquet",
                "validation_labels.parquet",
                "corrected_shares.parquet",
                "validation.json",
            ]
            .map(|f| std::fs::read(val.join(f)).unwrap()),
        );
    }
    assert!(bytes[0] == bytes[1]);
}

/// `rhetor validate` on an edited copy of the fixture must fail with `message`, writing
/// nothing.
fn refused(run: &Path, dir: &Path, name: &str, edit: impl Fn(&str) -> String, message: &str) {
    let coded = dir.join(format!("{name}.csv"));
    std::fs::write(&coded, edit(&std::fs::read_to_string(fixture()).unwrap())).unwrap();
    let out = dir.join(format!("{name}-out"));
    rhetor()
        .arg("validate")
        .arg(run)
        .arg(&coded)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(message));
    assert!(!out.exists(), "{name}: nothing written");
}

#[test]
fn bad_coded_files_are_clear_errors_and_write_nothing() {
    let (dir, run) = run_demo("2", &[]);
    let d = dir.path();
    // A paragraph that is not in the run.
    refused(
        &run,
        d,
        "unknown-para",
        |t| t.replacen(",003_59368f71a5e36a87.txt,", ",003_missing.txt,", 1),
        "name a paragraph that is not in the run, e.g. 003_missing.txt/",
    );
    // Labels not in the codebook are listed with their rows.
    refused(
        &run,
        d,
        "bad-label",
        |t| t.replace(",against,", ",opposed,"),
        "'opposed' (row",
    );
    // A sample from another run (its run_id differs).
    let run_id = {
        let line = std::fs::read_to_string(fixture()).unwrap();
        line.lines()
            .nth(1)
            .unwrap()
            .split(',')
            .nth(1)
            .unwrap()
            .to_string()
    };
    refused(
        &run,
        d,
        "other-run",
        |t| t.replace(&run_id, "0123456789abcdef"),
        "sampled from a different run",
    );
    // Too few coded paragraphs in a group for a corrected share.
    refused(
        &run,
        d,
        "thin-group",
        |t| {
            let mut kept = 0;
            t.lines()
                .filter(|l| {
                    if !l.contains(",003_59368f71a5e36a87.txt,") {
                        return true;
                    }
                    kept += 1;
                    kept == 1
                })
                .collect::<Vec<_>>()
                .join("\n")
        },
        "group '003_59368f71a5e36a87.txt' has 1 coded paragraph(s); a corrected share needs at least 2",
    );
    // One coder gives one paragraph two different stances.
    refused(
        &run,
        d,
        "duplicate",
        |t| {
            let second = t.lines().nth(1).unwrap().replace(",against,", ",neutral,");
            format!("{t}{second}\n")
        },
        "twice in 'stance'",
    );

    // Agreement needs two coders.
    let one = d.join("one-coder.csv");
    let text = std::fs::read_to_string(fixture()).unwrap();
    std::fs::write(&one, text.replace(",B,", ",A,")).unwrap();
    let out = d.join("one-out");
    rhetor()
        .arg("agreement")
        .arg(&one)
        .args(["--label-col", "stance", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "α needs at least two coders; the file has 1 ('A')",
        ));
    assert!(!out.exists());
    // A run directory that is not one.
    let not_run = d.join("not-a-run");
    std::fs::create_dir(&not_run).unwrap();
    rhetor()
        .arg("sample")
        .arg(&not_run)
        .args(["--out"])
        .arg(d.join("s.csv"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("manifest.json"));
    // Nor inside the run: replacing the run would delete the sample.
    rhetor()
        .arg("sample")
        .arg(&run)
        .args(["--out"])
        .arg(run.join("s.csv"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "replacing the run (`--force`) would delete",
        ));
}

#[test]
fn a_validation_attached_to_the_report_corrects_its_headlines() {
    let (dir, run) = run_demo("2", &[]);
    let val = dir.path().join("val");
    rhetor()
        .arg("validate")
        .arg(&run)
        .arg(fixture())
        .arg("--out")
        .arg(&val)
        .assert()
        .code(0);
    let before = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(!before.contains("## Validation"));
    assert!(before.contains("not validated"));
    rhetor()
        .arg("report")
        .arg(&run)
        .arg("--validation")
        .arg(&val)
        .assert()
        .code(0);
    let md = std::fs::read_to_string(run.join("report.md")).unwrap();
    assert!(md.contains("\n## Validation\n"), "{md}");
    assert!(md.contains("> ⚠ Checked against 40 hand-coded paragraphs (2 coders, α between coders 1.00): rhetor's label is correct for 20%"));
    assert!(md.contains("Do not cite these shares"));
    assert!(md.contains("**Corrected for classifier error:"));
    let html = std::fs::read_to_string(run.join("report.html")).unwrap();
    assert!(html.contains("<section id=\"validation\">"));
    assert!(html.contains("Corrected for classifier error"));
    // report.json keeps it: a plain re-render shows it again.
    rhetor().arg("report").arg(&run).assert().code(0);
    assert_eq!(md, std::fs::read_to_string(run.join("report.md")).unwrap());

    // A validation of other paragraphs is refused, and the report is left as it was.
    let (_dir2, other) = run_demo("2", &["--unit", "document"]);
    rhetor()
        .arg("report")
        .arg(&other)
        .arg("--validation")
        .arg(&val)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("sampled from a different run"));
    assert!(!std::fs::read_to_string(other.join("report.md"))
        .unwrap()
        .contains("## Validation"));
}

/// A codebook's `level = "ordinal"` reaches α in `rhetor agreement --codebook` (values from
/// the `krippendorff` package 0.9.0 on the same codes: ordinal 0.683333, nominal 0.424242),
/// and its labels are the only codes accepted.
#[test]
fn agreement_takes_the_level_and_labels_from_a_codebook() {
    let d = tempfile::tempdir().unwrap();
    let cb = d.path().join("tone.toml");
    std::fs::write(
        &cb,
        r#"[codebook]
name = "tone"
[[dimension]]
name = "tone"
level = "ordinal"
[[dimension.label]]
name = "negative"
description = "Hostile."
[[dimension.label]]
name = "neutral"
description = "Neither."
[[dimension.label]]
name = "positive"
description = "Warm."
"#,
    )
    .unwrap();
    let a = [
        "negative", "neutral", "positive", "positive", "neutral", "negative", "neutral",
        "positive", "negative", "neutral",
    ];
    let b = [
        "negative", "positive", "positive", "neutral", "neutral", "neutral", "neutral", "positive",
        "negative", "negative",
    ];
    let mut csv = String::from("id,coder,tone\n");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        csv.push_str(&format!("{i},A,{x}\n{i},B,{y}\n"));
    }
    let coded = d.path().join("coded.csv");
    std::fs::write(&coded, &csv).unwrap();
    let alpha_all = |extra: &[&str], out: &str| -> (String, f64) {
        let out = d.path().join(out);
        rhetor()
            .arg("agreement")
            .arg(&coded)
            .args(["--label-col", "tone", "--n-boot", "50", "--codebook"])
            .arg(&cb)
            .args(extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
        let t = read(&out.join("agreement.parquet"));
        let i = strings(&t, "label")
            .iter()
            .position(Option::is_none)
            .unwrap();
        (
            strings(&t, "level")[i].clone().unwrap(),
            floats(&t, "alpha")[i].unwrap(),
        )
    };
    let (level, alpha) = alpha_all(&[], "ord");
    assert_eq!(level, "ordinal");
    assert!((alpha - 0.6833333333333333).abs() < 1e-9, "{alpha}");
    // --level overrides the codebook.
    let (level, alpha) = alpha_all(&["--level", "nominal"], "nom");
    assert_eq!(level, "nominal");
    assert!((alpha - 0.4242424242424242).abs() < 1e-9, "{alpha}");
    // A code the codebook does not define is named, with the codebook's labels.
    std::fs::write(&coded, csv.replacen("0,B,negative", "0,B,hostile", 1)).unwrap();
    let out = d.path().join("bad");
    rhetor()
        .arg("agreement")
        .arg(&coded)
        .args(["--label-col", "tone", "--codebook"])
        .arg(&cb)
        .arg("--out")
        .arg(&out)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("'hostile'"))
        .stderr(predicates::str::contains("negative, neutral, positive"));
    assert!(!out.exists());
}

/// `rhetor validate` computes α at the level the run's codebook gives: made interval in the
/// codebook copy, frame's α between the coders is the interval α `rhetor agreement` finds on
/// the same codes with that codebook, not the nominal one.
#[test]
fn validate_uses_the_codebook_level() {
    let (dir, run) = run_demo("2", &[]);
    let copy = run.join("codebook.policy_frames.toml");
    let text = std::fs::read_to_string(&copy).unwrap();
    assert!(text.contains("name = \"frame\"\n"), "{text}");
    std::fs::write(
        &copy,
        text.replacen(
            "name = \"frame\"\n",
            "name = \"frame\"\nlevel = \"interval\"\n",
            1,
        ),
    )
    .unwrap();
    let val = dir.path().join("val-interval");
    rhetor()
        .arg("validate")
        .arg(&run)
        .arg(fixture())
        .arg("--out")
        .arg(&val)
        .assert()
        .code(0);
    let s = read(&val.join("validation_summary.parquet"));
    let dims = strings(&s, "dimension");
    let i = dims
        .iter()
        .position(|d| d.as_deref() == Some("frame"))
        .unwrap();
    assert_eq!(strings(&s, "alpha_level")[i].as_deref(), Some("interval"));
    let j = dims
        .iter()
        .position(|d| d.as_deref() == Some("stance"))
        .unwrap();
    assert_eq!(strings(&s, "alpha_level")[j].as_deref(), Some("nominal"));
    let via_validate = floats(&s, "alpha_coders")[i].unwrap();
    let agreement_alpha = |extra: &[&str], out: &str| -> f64 {
        let out = dir.path().join(out);
        rhetor()
            .arg("agreement")
            .arg(fixture())
            .args(["--label-col", "frame", "--n-boot", "20", "--codebook"])
            .arg(&copy)
            .args(extra)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
        let t = read(&out.join("agreement.parquet"));
        let k = strings(&t, "label")
            .iter()
            .position(Option::is_none)
            .unwrap();
        assert_eq!(
            strings(&t, "level")[k].as_deref(),
            Some(if extra.is_empty() {
                "interval"
            } else {
                "nominal"
            })
        );
        floats(&t, "alpha")[k].unwrap()
    };
    let interval = agreement_alpha(&[], "agr-interval");
    let nominal = agreement_alpha(&["--level", "nominal"], "agr-nominal");
    assert!(
        (via_validate - interval).abs() < 1e-12,
        "{via_validate} vs {interval}"
    );
    assert!((interval - nominal).abs() > 1e-3, "{interval} vs {nominal}");
}

/// `rhetor run --coded` validates in the same step: the run holds the validation tables,
/// byte-identical to `rhetor validate` on the same run and file, and its report shows the
/// corrected shares. A coded file of another corpus stops the run and writes nothing.
#[test]
fn run_with_a_coded_sample_writes_corrected_shares() {
    let (dir, run) = run_demo("2", &[]);
    let val = dir.path().join("val");
    rhetor()
        .arg("validate")
        .arg(&run)
        .arg(fixture())
        .arg("--out")
        .arg(&val)
        .assert()
        .code(0);
    let with = dir.path().join("with-coded");
    let out = rhetor()
        .arg("run")
        .arg(super::common::demo_corpus())
        .arg("--coded")
        .arg(fixture())
        .arg("--out")
        .arg(&with)
        .assert()
        .code(0);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("stance: 40 coded paragraphs (2 coders)")
            && err.contains("corrected_shares.parquet"),
        "{err}"
    );
    for t in [
        "corrected_shares.parquet",
        "validation_summary.parquet",
        "validation_labels.parquet",
    ] {
        assert_eq!(
            std::fs::read(with.join(t)).unwrap(),
            std::fs::read(val.join(t)).unwrap(),
            "{t}"
        );
    }
    // Everything else is the run without --coded, apart from the report and the manifest.
    for t in [
        "paragraphs.parquet",
        "doc_labels.parquet",
        "documents.parquet",
    ] {
        assert_eq!(
            std::fs::read(with.join(t)).unwrap(),
            std::fs::read(run.join(t)).unwrap(),
            "{t}"
        );
    }
    let html = std::fs::read_to_string(with.join("report.html")).unwrap();
    assert!(html.contains("corrected share"), "the report shows them");
    let manifest = std::fs::read_to_string(with.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"corrected_shares.parquet\""));

    // A sample of another corpus: refused by its run_id, nothing written.
    let other = dir.path().join("other.csv");
    let text = std::fs::read_to_string(fixture()).unwrap();
    let run_id = text
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .find(|c| c.len() == 16)
        .unwrap()
        .to_string();
    std::fs::write(&other, text.replace(&run_id, "0123456789abcdef")).unwrap();
    let bad = dir.path().join("bad");
    rhetor()
        .arg("run")
        .arg(super::common::demo_corpus())
        .arg("--coded")
        .arg(&other)
        .arg("--out")
        .arg(&bad)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("0123456789abcdef"));
    assert!(!bad.exists());
    // Stage commands before the comparison refuse it.
    rhetor()
        .arg("segment")
        .arg(super::common::demo_corpus())
        .arg("--coded")
        .arg(fixture())
        .arg("--out")
        .arg(&bad)
        .assert()
        .code(2);
}
