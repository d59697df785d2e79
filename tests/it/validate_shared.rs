//! The validation loop (`train` → `run --classifier` → `sample` → `agreement` →
//! `validate`) on a real labelled dataset, where the gold labels and the real crowd workers
//! play the hand-coders: GWSD/DeSMOG (Luo, Card & Jurafsky 2020), news sentences about
//! global warming with a stance (agree / neutral / disagree) from a Bayesian model over 8
//! MTurk workers, and the 8 workers' raw ratings. Skipped with a message when
//! `../shared/data/gwsd_desmog` is absent.
//!
//! - Only the `train` split is read (the held-out test split is kept for later scoring:
//!   its rows are dropped before any field but `split` is looked at). Its rows are split in
//!   file order: even rows are half A (the classifier's training data), odd rows half B
//!   (the corpus the loop analyses).
//! - Groups of half B: sentence length terciles (words, split on whitespace; thresholds are
//!   the 1/3 and 2/3 order statistics of B's lengths): `short`, `medium`, `long`. The `id`
//!   (`round_batch_tN`) encodes the annotation round and HIT batch, not the outlet or the
//!   article, so it cannot stand for a source; the length terciles genuinely differ in
//!   stance (disagree 17–25%, neutral 37–48%, agree 34–45%) and in how well a bag-of-n-grams
//!   classifier reads them. The annotation round (`round1`…`round5`; round 5 has more
//!   "disagree") is a second grouping, validated on the same length-stratified sample, so
//!   the coded paragraphs' inclusion probabilities differ within a group and the weighted
//!   PPI++ path is used.
//! - Every sentence of B has a gold label, so each group's TRUE label shares are known:
//!   the naive shares (rhetor's labels) and the PPI++ corrected shares of `rhetor validate`
//!   are compared with them.
//! - Coverage threshold for one sample: at most 2 of the 9 group × label cells may miss
//!   (3 of 15 for the rounds). With independent 95% intervals more than 2 misses of 9 has
//!   probability 0.8% (more than 3 of 15: 0.55%); requiring at most one miss would fail for
//!   about 1 seed in 10 (cells of one group are correlated: a sample that over-represents
//!   one label under-represents another). Over 40 further seeds the pooled coverage must be
//!   at least 90% (nominal 95%; 360 and 600 cells) and above the naive intervals'.
//! - The data's licence forbids copying it: every derived file is written to a temp dir.
//!
//! Run with `cargo test --test it validate_shared -- --nocapture` to see every number.

use crate::common::{read, rhetor, shared_data, strings};
use polars::prelude::{DataFrame, DataType};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The labels, in the order the tables are printed.
const LABELS: [&str; 3] = ["agree", "neutral", "disagree"];
/// The primary sample's seed (rhetor's default seed).
const SEED: u64 = 42;
/// Seeds of the repeated-sampling coverage check.
const COVERAGE_SEEDS: std::ops::RangeInclusive<u64> = 1..=40;

/// One train sentence of GWSD.
struct Sentence {
    id: String,
    text: String,
    label: String,
    /// The 8 workers' ratings, mapped to the label names.
    workers: Vec<String>,
}

/// A worker's rating as a label name.
fn worker_label(rating: &str) -> String {
    match rating {
        "agrees" => "agree",
        "disagrees" => "disagree",
        "neutral" => "neutral",
        other => panic!("unexpected worker rating '{other}'"),
    }
    .to_string()
}

/// The train split (test rows are dropped before their label is looked at).
fn train_rows(path: &Path) -> Vec<Sentence> {
    let text = std::fs::read_to_string(path).expect("readable data.jsonl");
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        if v["split"].as_str() != Some("train") {
            continue;
        }
        let s = |k: &str| {
            v[k].as_str()
                .unwrap_or_else(|| panic!("field {k}"))
                .to_string()
        };
        let workers = v["workers"]
            .as_array()
            .expect("workers")
            .iter()
            .map(|w| worker_label(w.as_str().expect("worker rating")))
            .collect::<Vec<_>>();
        assert_eq!(workers.len(), 8, "8 workers per sentence");
        out.push(Sentence {
            id: s("id"),
            text: s("text"),
            label: s("label"),
            workers,
        });
    }
    out
}

fn write_jsonl(path: &Path, rows: impl Iterator<Item = serde_json::Value>) {
    let mut s = String::new();
    for r in rows {
        s.push_str(&r.to_string());
        s.push('\n');
    }
    std::fs::write(path, s).expect("write jsonl");
}

/// A CSV field, quoted when it needs to be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// A CSV file with every column as text.
fn read_csv_text(path: &Path) -> DataFrame {
    use polars::prelude::{CsvReadOptions, SerReader};
    CsvReadOptions::default()
        .with_has_header(true)
        .with_infer_schema_length(Some(0))
        .try_into_reader_with_file_path(Some(path.to_path_buf()))
        .expect("csv reader")
        .finish()
        .expect("readable csv")
}

/// The sample `rhetor sample` wrote: its columns as text, in file order.
struct Sample {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Sample {
    fn read(path: &Path) -> Sample {
        let df = read_csv_text(path);
        let columns: Vec<String> = df
            .get_column_names()
            .iter()
            .map(|c| c.to_string())
            .collect();
        let cols: Vec<Vec<Option<String>>> = columns.iter().map(|c| strings(&df, c)).collect();
        let rows = (0..df.height())
            .map(|i| {
                cols.iter()
                    .map(|c| c[i].clone().unwrap_or_default())
                    .collect()
            })
            .collect();
        Sample { columns, rows }
    }

    fn col(&self, name: &str) -> usize {
        self.columns
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("sample has no column {name}: {:?}", self.columns))
    }

    fn doc_ids(&self) -> Vec<String> {
        let d = self.col("doc_id");
        self.rows.iter().map(|r| r[d].clone()).collect()
    }

    /// The sample with `stance` and `coder` filled in: one copy per coder, concatenated;
    /// `code(k, doc_id)` is coder `k`'s label.
    fn write_coded(&self, path: &Path, coders: &[String], code: &dyn Fn(usize, &str) -> String) {
        let (d, st, co) = (self.col("doc_id"), self.col("stance"), self.col("coder"));
        let line = |r: &[String]| r.iter().map(|x| csv_field(x)).collect::<Vec<_>>().join(",");
        let mut s = line(&self.columns);
        s.push('\n');
        for (k, name) in coders.iter().enumerate() {
            for r in &self.rows {
                let mut r = r.clone();
                r[st] = code(k, &r[d]);
                r[co] = name.clone();
                s.push_str(&line(&r));
                s.push('\n');
            }
        }
        std::fs::write(path, s).expect("write coded csv");
    }
}

/// Krippendorff's α (nominal) from each unit's values (an independent implementation, to
/// check `rhetor agreement` on real data): `1 − (n − 1)·D_o / Σ_{c≠k} n_c·n_k`.
fn nominal_alpha(units: &[Vec<&str>]) -> f64 {
    let mut o: BTreeMap<(&str, &str), f64> = BTreeMap::new();
    for vals in units.iter().filter(|v| v.len() >= 2) {
        let m = vals.len() as f64;
        for (i, a) in vals.iter().enumerate() {
            for (j, b) in vals.iter().enumerate() {
                if i != j {
                    *o.entry((a, b)).or_default() += 1.0 / (m - 1.0);
                }
            }
        }
    }
    let mut n_c: BTreeMap<&str, f64> = BTreeMap::new();
    for (&(c, _), v) in &o {
        *n_c.entry(c).or_default() += v;
    }
    let n: f64 = n_c.values().sum();
    let d_o: f64 = o.iter().filter(|((c, k), _)| c != k).map(|(_, v)| v).sum();
    let tot: f64 = n_c.values().sum::<f64>().powi(2) - n_c.values().map(|x| x * x).sum::<f64>();
    1.0 - (n - 1.0) * d_o / tot
}

fn f64s(df: &DataFrame, col: &str) -> Vec<Option<f64>> {
    df.column(col)
        .expect("column")
        .cast(&DataType::Float64)
        .expect("float")
        .f64()
        .expect("f64")
        .iter()
        .collect()
}

fn f64_at(df: &DataFrame, col: &str, row: usize) -> f64 {
    f64s(df, col)[row].unwrap_or(f64::NAN)
}

/// Covered-cell counts of one `corrected_shares.parquet` against the true shares.
#[derive(Default, Clone, Copy)]
struct Coverage {
    cells: usize,
    corrected: usize,
    naive: usize,
}

/// Compares `corrected_shares.parquet` with the true shares (`truth[(group, label)]`);
/// the table goes to `log` when given.
fn coverage(
    shares: &DataFrame,
    truth: &HashMap<(String, String), f64>,
    log: Option<&mut String>,
) -> Coverage {
    let group = strings(shares, "group_id");
    let label = strings(shares, "label");
    let n = crate::common::ints(shares, "n");
    let n_coded = crate::common::ints(shares, "n_coded");
    let [ns, nl, nh, cs, cl, ch, lam] = [
        "naive_share",
        "naive_low",
        "naive_high",
        "corrected_share",
        "corrected_low",
        "corrected_high",
        "lambda",
    ]
    .map(|c| f64s(shares, c));
    let mut cov = Coverage::default();
    let mut out = String::new();
    for i in 0..shares.height() {
        let (g, l) = (group[i].clone().unwrap(), label[i].clone().unwrap());
        let t = truth[&(g.clone(), l.clone())];
        let (c_lo, c_hi) = (cl[i].unwrap(), ch[i].unwrap());
        let c_in = c_lo <= t && t <= c_hi;
        let n_in = match (nl[i], nh[i]) {
            (Some(lo), Some(hi)) => lo <= t && t <= hi,
            _ => false,
        };
        cov.cells += 1;
        cov.corrected += usize::from(c_in);
        cov.naive += usize::from(n_in);
        let pct = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{:5.1}", 100.0 * v));
        let _ = writeln!(
            out,
            "  {g:<8} {l:<9} {:>3}/{:<3} true {:5.1}%  naive {}% [{}, {}] {}  corrected {}% [{}, {}] {}  λ {:.2}",
            n_coded[i],
            n[i],
            100.0 * t,
            pct(ns[i]),
            pct(nl[i]),
            pct(nh[i]),
            if n_in { "covers " } else { "MISSES " },
            pct(cs[i]),
            pct(cl[i]),
            pct(ch[i]),
            if c_in { "covers" } else { "MISSES" },
            lam[i].unwrap_or(f64::NAN),
        );
    }
    if let Some(log) = log {
        log.push_str(&out);
    }
    cov
}

/// The true label shares of each group of B (printed).
fn true_shares(
    b: &[&Sentence],
    by: &str,
    group_of: &dyn Fn(&Sentence) -> String,
) -> HashMap<(String, String), f64> {
    let mut counts: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for s in b {
        *counts
            .entry(group_of(s))
            .or_default()
            .entry(s.label.clone())
            .or_default() += 1;
    }
    let mut out = HashMap::new();
    for (g, by_label) in counts {
        let n: usize = by_label.values().sum();
        let mut line = format!("true shares of B by {by}: {g:<7} n = {n:>3}:");
        for l in LABELS {
            let share = by_label.get(l).copied().unwrap_or(0) as f64 / n as f64;
            let _ = write!(line, " {l} {:.1}%", 100.0 * share);
            out.insert((g.clone(), l.to_string()), share);
        }
        eprintln!("{line}");
    }
    out
}

/// `rhetor sample RUN --n 200 --stratify group --seed SEED --out OUT`.
fn sample(run: &Path, seed: u64, out: &Path) {
    rhetor()
        .args(["-q", "sample"])
        .arg(run)
        .args([
            "--n",
            "200",
            "--stratify",
            "group",
            "--seed",
            &seed.to_string(),
            "--out",
        ])
        .arg(out)
        .assert()
        .code(0);
}

/// `rhetor validate RUN CODED --group-by GROUP --out OUT`; returns OUT.
fn validate(run: &Path, coded: &Path, group_by: &str, n_boot: usize, out: PathBuf) -> PathBuf {
    rhetor()
        .args(["-q", "validate"])
        .arg(run)
        .arg(coded)
        .args([
            "--group-by",
            group_by,
            "--n-boot",
            &n_boot.to_string(),
            "--out",
        ])
        .arg(&out)
        .assert()
        .code(0);
    out
}

#[test]
fn gwsd_workers_and_gold_label_validate_a_classifier_run() {
    let Some(data) = shared_data("gwsd_desmog") else {
        return;
    };
    let started = std::time::Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let tmp = dir.path();

    // 1. Halves A and B of the train split; groups of B.
    let train = train_rows(&data);
    let a: Vec<&Sentence> = train.iter().step_by(2).collect();
    let b: Vec<&Sentence> = train.iter().skip(1).step_by(2).collect();
    let words = |s: &Sentence| s.text.split_whitespace().count();
    let mut lengths: Vec<usize> = b.iter().map(|s| words(s)).collect();
    lengths.sort_unstable();
    let (t1, t2) = (lengths[lengths.len() / 3], lengths[2 * lengths.len() / 3]);
    let length_group = move |s: &Sentence| -> String {
        let n = words(s);
        if n < t1 {
            "short"
        } else if n < t2 {
            "medium"
        } else {
            "long"
        }
        .to_string()
    };
    let round_group =
        |s: &Sentence| -> String { format!("round{}", s.id.split('_').next().expect("id prefix")) };
    eprintln!(
        "GWSD train split: {} sentences; half A {} (training), half B {} (corpus); length terciles: short < {t1} words ≤ medium < {t2} words ≤ long",
        train.len(),
        a.len(),
        b.len()
    );
    let a_path = tmp.join("A.jsonl");
    write_jsonl(
        &a_path,
        a.iter()
            .map(|s| serde_json::json!({"id": s.id, "text": s.text, "stance": s.label})),
    );
    let b_path = tmp.join("B.jsonl");
    write_jsonl(
        &b_path,
        b.iter().map(|s| {
            serde_json::json!({"id": s.id, "text": s.text, "length": length_group(s), "round": round_group(s)})
        }),
    );
    let truth_length = true_shares(&b, "length", &length_group);
    let truth_round = true_shares(&b, "round", &round_group);

    // 2. Train on A, run on B.
    let model = tmp.join("stance.json");
    rhetor()
        .args(["-q", "train"])
        .arg(&a_path)
        .args(["--label-col", "stance", "--out"])
        .arg(&model)
        .assert()
        .code(0);
    let run = tmp.join("run");
    rhetor()
        .args(["-q", "run"])
        .arg(&b_path)
        .args([
            "--unit",
            "document",
            "--group-by",
            "length",
            "--k",
            "2",
            "--classifier",
        ])
        .arg(&model)
        .arg("--out")
        .arg(&run)
        .assert()
        .code(0);
    let paras = read(&run.join("paragraphs.parquet"));
    let predicted: HashMap<String, String> = strings(&paras, "doc_id")
        .into_iter()
        .zip(strings(&paras, "stance"))
        .map(|(d, p)| (d.expect("doc_id"), p.unwrap_or_default()))
        .collect();
    let by_id: HashMap<&str, &Sentence> = b.iter().map(|s| (s.id.as_str(), *s)).collect();
    assert_eq!(predicted.len(), b.len(), "one unit per sentence of B");
    let correct_all = b.iter().filter(|s| predicted[&s.id] == s.label).count();
    eprintln!(
        "classifier (rhetor train on A) on all of B: accuracy {:.1}% ({correct_all}/{})",
        100.0 * correct_all as f64 / b.len() as f64,
        b.len()
    );

    // 3. The sample, coded by the 8 workers (long format) and by the gold label.
    let s_dir = tmp.join("coding");
    std::fs::create_dir(&s_dir).expect("coding dir");
    let sample_path = s_dir.join("sample.csv");
    sample(&run, SEED, &sample_path);
    let s = Sample::read(&sample_path);
    let ids = s.doc_ids();
    assert_eq!(ids.len(), 200);
    let workers_path = s_dir.join("coded_workers.csv");
    let workers: Vec<String> = (0..8).map(|k| format!("worker_{k}")).collect();
    s.write_coded(&workers_path, &workers, &|k, id| {
        by_id[id].workers[k].clone()
    });
    let gold_path = s_dir.join("coded_gold.csv");
    let gold = |_: usize, id: &str| by_id[id].label.clone();
    let gold_coder = ["gold".to_string()];
    s.write_coded(&gold_path, &gold_coder, &gold);

    // 4. α between the 8 workers, checked against an independent computation.
    let agr = tmp.join("agreement");
    rhetor()
        .args(["-q", "agreement"])
        .arg(&workers_path)
        .args(["--label-col", "stance", "--out"])
        .arg(&agr)
        .assert()
        .code(0);
    let at = read(&agr.join("agreement.parquet"));
    let at_label = strings(&at, "label");
    let all_row = at_label
        .iter()
        .position(Option::is_none)
        .expect("(all) row");
    let alpha_workers = f64_at(&at, "alpha", all_row);
    let units: Vec<Vec<&str>> = ids
        .iter()
        .map(|id| {
            by_id[id.as_str()]
                .workers
                .iter()
                .map(String::as_str)
                .collect()
        })
        .collect();
    let alpha_mine = nominal_alpha(&units);
    eprintln!(
        "rhetor agreement, 8 workers on the {} sampled sentences: α = {alpha_workers:.4} [{:.3}, {:.3}], percent agreement {:.1}% (independent computation in this test: α = {alpha_mine:.4})",
        ids.len(),
        f64_at(&at, "ci_low", all_row),
        f64_at(&at, "ci_high", all_row),
        100.0 * f64_at(&at, "percent_agreement", all_row)
    );
    for (i, l) in at_label.iter().enumerate() {
        if let Some(l) = l {
            eprintln!(
                "  α {l} vs rest: {:.4} [{:.3}, {:.3}]",
                f64_at(&at, "alpha", i),
                f64_at(&at, "ci_low", i),
                f64_at(&at, "ci_high", i)
            );
        }
    }
    assert!(
        (alpha_workers - alpha_mine).abs() < 1e-9,
        "{alpha_workers} vs {alpha_mine}"
    );
    assert!(
        f64_at(&at, "ci_low", all_row) <= alpha_workers
            && alpha_workers <= f64_at(&at, "ci_high", all_row)
    );

    // 5. Validate against the gold label: accuracy, F1, α, corrected shares per group.
    let val = validate(&run, &gold_path, "length", 1000, tmp.join("val_gold"));
    let sm = read(&val.join("validation_summary.parquet"));
    let (acc, acc_lo, acc_hi) = (
        f64_at(&sm, "accuracy", 0),
        f64_at(&sm, "accuracy_low", 0),
        f64_at(&sm, "accuracy_high", 0),
    );
    let correct_sample = ids
        .iter()
        .filter(|id| predicted[id.as_str()] == by_id[id.as_str()].label)
        .count();
    eprintln!(
        "rhetor validate vs gold (sample seed {SEED}, {} coded): accuracy {:.1}% [{:.1}%, {:.1}%] (recount in this test: {correct_sample}/200), macro-F1 {:.3}, α rhetor vs reference {:.3} [{:.3}, {:.3}]",
        crate::common::ints(&sm, "n_reference")[0],
        100.0 * acc,
        100.0 * acc_lo,
        100.0 * acc_hi,
        f64_at(&sm, "macro_f1", 0),
        f64_at(&sm, "alpha_rhetor", 0),
        f64_at(&sm, "alpha_rhetor_low", 0),
        f64_at(&sm, "alpha_rhetor_high", 0),
    );
    let lt = read(&val.join("validation_labels.parquet"));
    let (lt_label, support, pred) = (
        strings(&lt, "label"),
        crate::common::ints(&lt, "support"),
        crate::common::ints(&lt, "predicted"),
    );
    for i in 0..lt.height() {
        eprintln!(
            "  {:<9} support {:>3} predicted {:>3} precision {:.3} recall {:.3} F1 {:.3}",
            lt_label[i].as_deref().unwrap_or(""),
            support[i],
            pred[i],
            f64_at(&lt, "precision", i),
            f64_at(&lt, "recall", i),
            f64_at(&lt, "f1", i)
        );
    }
    assert_eq!(
        acc,
        correct_sample as f64 / 200.0,
        "validate's accuracy is the sample's"
    );
    assert!(
        acc > 0.4 && acc_lo <= acc && acc <= acc_hi,
        "accuracy {acc} [{acc_lo}, {acc_hi}]"
    );

    let mut log = String::new();
    let cov_len = coverage(
        &read(&val.join("corrected_shares.parquet")),
        &truth_length,
        Some(&mut log),
    );
    eprintln!("shares by length (coded/paragraphs, true share, naive and corrected 95% intervals):\n{log}");
    eprintln!(
        "  by length: corrected intervals cover the true share in {}/{} cells, naive in {}/{}",
        cov_len.corrected, cov_len.cells, cov_len.naive, cov_len.cells
    );
    let val_round = validate(&run, &gold_path, "round", 1000, tmp.join("val_gold_round"));
    let mut log = String::new();
    let cov_round = coverage(
        &read(&val_round.join("corrected_shares.parquet")),
        &truth_round,
        Some(&mut log),
    );
    eprintln!(
        "shares by annotation round (same sample, weighted by inclusion probability):\n{log}"
    );
    eprintln!(
        "  by round: corrected intervals cover the true share in {}/{} cells, naive in {}/{}",
        cov_round.corrected, cov_round.cells, cov_round.naive, cov_round.cells
    );
    assert_eq!((cov_len.cells, cov_round.cells), (9, 15));
    assert!(
        cov_len.corrected + 2 >= cov_len.cells,
        "by length: {} of {} covered",
        cov_len.corrected,
        cov_len.cells
    );
    assert!(
        cov_round.corrected + 3 >= cov_round.cells,
        "by round: {} of {} covered",
        cov_round.corrected,
        cov_round.cells
    );

    // The workers as coders in validate: α between them must be agreement's α.
    let val_w = validate(&run, &workers_path, "length", 1000, tmp.join("val_workers"));
    let sw = read(&val_w.join("validation_summary.parquet"));
    eprintln!(
        "rhetor validate vs the 8 workers (reference = strict majority): {} coders, {} with a reference, {} without a majority; accuracy {:.1}% [{:.1}%, {:.1}%], macro-F1 {:.3}, α coders {:.4}, α rhetor vs reference {:.3}",
        crate::common::ints(&sw, "n_coders")[0],
        crate::common::ints(&sw, "n_reference")[0],
        crate::common::ints(&sw, "n_no_majority")[0],
        100.0 * f64_at(&sw, "accuracy", 0),
        100.0 * f64_at(&sw, "accuracy_low", 0),
        100.0 * f64_at(&sw, "accuracy_high", 0),
        f64_at(&sw, "macro_f1", 0),
        f64_at(&sw, "alpha_coders", 0),
        f64_at(&sw, "alpha_rhetor", 0),
    );
    assert!((f64_at(&sw, "alpha_coders", 0) - alpha_workers).abs() < 1e-12);

    // Repeated sampling: pooled coverage over further seeds.
    let (mut len_sum, mut round_sum) = (Coverage::default(), Coverage::default());
    let mut misses_per_seed: BTreeMap<usize, usize> = BTreeMap::new();
    for seed in COVERAGE_SEEDS {
        let sp = s_dir.join(format!("sample_{seed}.csv"));
        sample(&run, seed, &sp);
        let coded = s_dir.join(format!("coded_gold_{seed}.csv"));
        Sample::read(&sp).write_coded(&coded, &gold_coder, &gold);
        for (by, truth, sum) in [
            ("length", &truth_length, &mut len_sum),
            ("round", &truth_round, &mut round_sum),
        ] {
            let v = validate(&run, &coded, by, 20, tmp.join(format!("val_{by}_{seed}")));
            let c = coverage(&read(&v.join("corrected_shares.parquet")), truth, None);
            if by == "length" {
                *misses_per_seed.entry(c.cells - c.corrected).or_default() += 1;
            }
            sum.cells += c.cells;
            sum.corrected += c.corrected;
            sum.naive += c.naive;
        }
    }
    let rate = |k: usize, n: usize| k as f64 / n as f64;
    eprintln!(
        "repeated sampling, seeds {COVERAGE_SEEDS:?}: by length corrected {:.1}% ({}/{}) vs naive {:.1}%; by round corrected {:.1}% ({}/{}) vs naive {:.1}%; seeds by number of missed length cells: {misses_per_seed:?}",
        100.0 * rate(len_sum.corrected, len_sum.cells),
        len_sum.corrected,
        len_sum.cells,
        100.0 * rate(len_sum.naive, len_sum.cells),
        100.0 * rate(round_sum.corrected, round_sum.cells),
        round_sum.corrected,
        round_sum.cells,
        100.0 * rate(round_sum.naive, round_sum.cells),
    );
    for sum in [len_sum, round_sum] {
        assert!(rate(sum.corrected, sum.cells) >= 0.90);
        assert!(sum.corrected > sum.naive);
    }
    eprintln!("validate_shared: {:.1} s", started.elapsed().as_secs_f64());
}
