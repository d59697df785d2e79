//! Issue 17, part 2: `rhetor apply --shard I/N` and `rhetor merge`. The merged run is
//! byte-identical to `rhetor apply` without shards (every table, the report, the codebook
//! copies); its manifest differs only in `command` and `timings_s`.

use crate::common::{demo_corpus, fit, rhetor, shared_data};
use std::path::{Path, PathBuf};

fn apply(bundle: &Path, corpus: &Path, out: &Path, extra: &[&str], threads: &str) {
    crate::common::apply(bundle, corpus, out, extra, Some(threads));
}

fn merge(parts: &Path, out: &Path) -> assert_cmd::assert::Assert {
    rhetor()
        .arg("-q")
        .arg("merge")
        .arg(parts)
        .arg("--out")
        .arg(out)
        .assert()
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The manifest without what may differ: the command and the timings.
fn manifest_core(dir: &Path) -> serde_json::Value {
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let o = m.as_object_mut().unwrap();
    o.remove("command");
    o.remove("timings_s");
    m
}

/// Every file of `a` and `b` is the same, byte for byte (the manifest modulo command and
/// timings).
fn assert_same_run(a: &Path, b: &Path) {
    let rel = |d: &Path| -> Vec<PathBuf> {
        files(d)
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().to_path_buf())
            .collect()
    };
    let names = rel(a);
    assert_eq!(names, rel(b), "the same files");
    assert!(names.len() > 10, "{names:?}");
    for n in &names {
        if n == Path::new("manifest.json") {
            assert_eq!(manifest_core(a), manifest_core(b));
            continue;
        }
        assert!(
            std::fs::read(a.join(n)).unwrap() == std::fs::read(b.join(n)).unwrap(),
            "{} differs between '{}' and '{}'",
            n.display(),
            a.display(),
            b.display()
        );
    }
}

fn shards(bundle: &Path, corpus: &Path, parts: &Path, n: usize, extra: &[&str]) {
    for i in 1..=n {
        // Shards on 1 and 2 threads alike.
        let threads = if i % 2 == 0 { "1" } else { "2" };
        let mut args = vec!["--shard".to_string(), format!("{i}/{n}")];
        args.extend(extra.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        apply(bundle, corpus, parts, &args, threads);
    }
}

#[test]
fn issue17_merged_shards_are_byte_identical_to_one_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bundle = d.join("bundle");
    fit(&demo_corpus(), &bundle, &[]);
    let reference = d.join("reference");
    apply(
        &bundle,
        &demo_corpus(),
        &reference,
        &["--group-by", "title"],
        "2",
    );
    // 7 shards of 4 documents: some parts are empty.
    for n in [1, 3, 7] {
        let parts = d.join(format!("parts{n}"));
        shards(&bundle, &demo_corpus(), &parts, n, &["--group-by", "title"]);
        assert_eq!(std::fs::read_dir(&parts).unwrap().count(), n);
        let merged = d.join(format!("merged{n}"));
        merge(&parts, &merged).code(0);
        assert_same_run(&reference, &merged);
        let m: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(merged.join("manifest.json")).unwrap())
                .unwrap();
        assert_eq!(m["command"], "merge");
    }
}

#[test]
fn issue17_missing_foreign_or_damaged_parts_are_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bundle = d.join("bundle");
    fit(&demo_corpus(), &bundle, &[]);
    let parts = d.join("parts");
    for i in [1, 3] {
        apply(
            &bundle,
            &demo_corpus(),
            &parts,
            &["--shard", &format!("{i}/3")],
            "2",
        );
    }
    let out = d.join("run");
    merge(&parts, &out)
        .code(1)
        .stderr(predicates::str::contains(
            "1 of 3 parts are missing: shard(s) 2",
        ))
        .stderr(predicates::str::contains("--array=2"));
    assert!(!out.exists());
    apply(&bundle, &demo_corpus(), &parts, &["--shard", "2/3"], "2");
    // A part again without --force: refused.
    rhetor()
        .arg("apply")
        .arg(&bundle)
        .arg(demo_corpus())
        .args(["--shard", "2/3", "--out"])
        .arg(&parts)
        .assert()
        .code(1)
        .stderr(predicates::str::contains("part-0002-of-0003"));
    // A part of another shard count in the same folder.
    let other = d.join("other");
    apply(&bundle, &demo_corpus(), &other, &["--shard", "1/2"], "2");
    std::fs::rename(
        other.join("part-0001-of-0002"),
        parts.join("part-0001-of-0002"),
    )
    .unwrap();
    merge(&parts, &out)
        .code(1)
        .stderr(predicates::str::contains("shard count"));
    std::fs::remove_dir_all(parts.join("part-0001-of-0002")).unwrap();
    // A part from another bundle.
    let bundle2 = d.join("bundle2");
    fit(&demo_corpus(), &bundle2, &["--k", "2"]);
    let foreign = d.join("foreign");
    apply(&bundle2, &demo_corpus(), &foreign, &["--shard", "3/3"], "2");
    let kept = d.join("kept");
    std::fs::rename(parts.join("part-0003-of-0003"), &kept).unwrap();
    std::fs::rename(
        foreign.join("part-0003-of-0003"),
        parts.join("part-0003-of-0003"),
    )
    .unwrap();
    merge(&parts, &out)
        .code(1)
        .stderr(predicates::str::contains("has bundle"));
    std::fs::remove_dir_all(parts.join("part-0003-of-0003")).unwrap();
    std::fs::rename(&kept, parts.join("part-0003-of-0003")).unwrap();
    // Damaged vectors: named, with what to do.
    let emb = parts.join("part-0002-of-0003/embedding.f32");
    let mut bytes = std::fs::read(&emb).unwrap();
    bytes[7] ^= 1;
    std::fs::write(&emb, &bytes).unwrap();
    merge(&parts, &out)
        .code(1)
        .stderr(predicates::str::contains("part-0002-of-0003"))
        .stderr(predicates::str::contains("run the shard again"));
    assert!(!out.exists());
    bytes[7] ^= 1;
    std::fs::write(&emb, &bytes).unwrap();
    merge(&parts, &out).code(0);
    // A bad --shard.
    rhetor()
        .arg("apply")
        .arg(&bundle)
        .arg(demo_corpus())
        .args(["--shard", "4/3", "--out"])
        .arg(d.join("x"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("1 ≤ I ≤ N"));
}

/// Sentence-transformer bundles: the vectors of a paragraph do not depend on the other
/// paragraphs of its batch, so shards give the same bytes. Skips without the model.
#[test]
fn issue17_transformer_shards_merge_to_the_same_run() {
    let models = std::env::var_os("RHETOR_MODELS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("models"));
    if !models.join("all-MiniLM-L6-v2/model.safetensors").is_file() {
        eprintln!("skipped: all-MiniLM-L6-v2 is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let bundle = d.join("bundle");
    fit(
        &demo_corpus(),
        &bundle,
        &["--embed", "transformer", "--no-cache"],
    );
    let reference = d.join("reference");
    apply(&bundle, &demo_corpus(), &reference, &[], "2");
    let parts = d.join("parts");
    shards(&bundle, &demo_corpus(), &parts, 3, &[]);
    let merged = d.join("merged");
    merge(&parts, &merged).code(0);
    assert_same_run(&reference, &merged);
}

/// Real text at scale: 3,000 20newsgroups posts as documents, a bundle fitted on them, 5
/// shards. Skips without ../shared/data.
#[test]
fn issue17_20newsgroups_five_shards_match_one_apply() {
    let Some(data) = shared_data("20newsgroups_bydate") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let corpus = d.join("news.jsonl");
    let text = std::fs::read_to_string(&data).unwrap();
    let lines: Vec<&str> = text.lines().take(3000).collect();
    std::fs::write(&corpus, lines.join("\n") + "\n").unwrap();
    let bundle = d.join("bundle");
    fit(&corpus, &bundle, &["--unit", "document", "--k", "20"]);
    let reference = d.join("reference");
    apply(&bundle, &corpus, &reference, &["--group-by", "label"], "2");
    let parts = d.join("parts");
    shards(&bundle, &corpus, &parts, 5, &["--group-by", "label"]);
    let merged = d.join("merged");
    merge(&parts, &merged).code(0);
    assert_same_run(&reference, &merged);
}

/// `rhetor fit --sample N` fits on a seeded random sample of N paragraphs: the same sample
/// (and bundle) for the same seed, another for another seed; the bundle applies to the whole
/// corpus.
#[test]
fn issue17_fit_on_a_seeded_sample() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (a, b, c) = (d.join("a"), d.join("b"), d.join("c"));
    fit(&demo_corpus(), &a, &["--sample", "40", "--k", "3"]);
    fit(&demo_corpus(), &b, &["--sample", "40", "--k", "3"]);
    fit(
        &demo_corpus(),
        &c,
        &["--sample", "40", "--k", "3", "--seed", "7"],
    );
    let read = |p: &Path| std::fs::read_to_string(p.join("bundle.json")).unwrap();
    assert_eq!(read(&a), read(&b));
    assert_ne!(read(&a), read(&c));
    let m: serde_json::Value = serde_json::from_str(&read(&a)).unwrap();
    assert_eq!(m["fitted_on"]["paragraphs"], 40);
    assert_eq!(m["fitted_on"]["sampled_from"], 63);
    let sizes: u64 = m["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["size"].as_u64().unwrap())
        .sum();
    assert_eq!(sizes, 40);
    let run = d.join("run");
    apply(&a, &demo_corpus(), &run, &[], "2");
    let p = crate::common::read(&run.join("paragraphs.parquet"));
    assert_eq!(p.height(), 63);
    // Without --sample the field is absent (bundles keep their bytes).
    let full = d.join("full");
    fit(&demo_corpus(), &full, &[]);
    assert!(!read(&full).contains("sampled_from"));
    rhetor()
        .arg("fit")
        .arg(demo_corpus())
        .args(["--sample", "0", "--out"])
        .arg(d.join("zero"))
        .assert()
        .code(1)
        .stderr(predicates::str::contains("--sample 0"));
}
