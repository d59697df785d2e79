//! `rhetor sample`: a random sample of a run's paragraphs for hand-coding, with each
//! paragraph's inclusion probability, rhetor's own labels in a separate file (so coders are
//! not primed), and a coding guide written from the codebooks.
//!
//! Designs:
//! - no stratification: a simple random sample of `n` paragraphs; every paragraph has
//!   inclusion probability `n / N`;
//! - `--stratify group` or `--stratify topic`: the sample is split as evenly as the strata
//!   allow (a stratum smaller than its share gives all its paragraphs, the rest goes to the
//!   others), then a simple random sample is drawn within each stratum; a paragraph of
//!   stratum h has inclusion probability `n_h / N_h`. Equal allocation gives every group
//!   enough coded paragraphs to correct its shares; the probabilities are the weights that
//!   make estimates over all paragraphs unbiased again.
//!
//! The draw is a partial Fisher–Yates shuffle per stratum, seeded from `(seed, stratum)`, so
//! the same run, `n`, design and seed give the same sample on any machine.

use super::run_data::RunData;
use super::ValidateError;
use crate::label::{Codebook, Kind};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::collections::BTreeMap;

/// The seed path of the sample's random streams ("SAMPLE").
const SAMPLE_STREAM: u64 = 0x5341_4D50_4C45;

/// How the sample is stratified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stratify {
    /// A simple random sample of all paragraphs.
    #[default]
    None,
    /// Equal allocation over the run's groups.
    Group,
    /// Equal allocation over topics.
    Topic,
}

/// One sampled paragraph.
#[derive(Clone, Debug, PartialEq)]
pub struct Drawn {
    /// Its index in the run's paragraphs.
    pub row: usize,
    /// Its stratum (`all`, a group or a topic).
    pub stratum: String,
    /// Probability that the design includes it.
    pub inclusion_prob: f64,
}

/// Splits `n` over strata of the given sizes as evenly as they allow.
fn allocate(sizes: &[usize], n: usize) -> Vec<usize> {
    let mut out = vec![0; sizes.len()];
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&h| (sizes[h], h));
    let mut left = n;
    for (k, &h) in order.iter().enumerate() {
        let remaining = order.len() - k;
        let share = left.div_ceil(remaining);
        out[h] = share.min(sizes[h]);
        left -= out[h];
    }
    out
}

/// Draws the sample: `n` paragraphs (all of them when the run has fewer), in a random
/// order.
pub fn draw(
    run: &RunData,
    n: usize,
    stratify: Stratify,
    seed: u64,
) -> Result<Vec<Drawn>, ValidateError> {
    if n == 0 {
        return Err(ValidateError::Params("--n must be at least 1".into()));
    }
    let key = |i: usize| -> String {
        match stratify {
            Stratify::None => "all".to_string(),
            Stratify::Group => run.group[i].clone(),
            Stratify::Topic => run.topic[i].clone().unwrap_or_else(|| "(no topic)".into()),
        }
    };
    if stratify == Stratify::Topic && run.topic.iter().all(Option::is_none) {
        return Err(ValidateError::Params(
            "--stratify topic: the run has no topics (it stopped before clustering)".into(),
        ));
    }
    let mut strata: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for i in 0..run.len() {
        strata.entry(key(i)).or_default().push(i);
    }
    let sizes: Vec<usize> = strata.values().map(Vec::len).collect();
    let alloc = allocate(&sizes, n);
    let mut drawn = Vec::new();
    for (h, ((name, rows), &take)) in strata.iter().zip(&alloc).enumerate() {
        let mut rows = rows.clone();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(crate::seed::derive(
            seed,
            &[SAMPLE_STREAM, h as u64],
        ));
        for k in 0..take {
            let j = rng.gen_range(k..rows.len());
            rows.swap(k, j);
        }
        let p = take as f64 / rows.len() as f64;
        drawn.extend(rows[..take].iter().map(|&row| Drawn {
            row,
            stratum: name.clone(),
            inclusion_prob: p,
        }));
    }
    // A random order, so coders do not read the strata one after the other.
    let mut rng =
        Xoshiro256PlusPlus::seed_from_u64(crate::seed::derive(seed, &[SAMPLE_STREAM, u64::MAX]));
    for k in 0..drawn.len() {
        let j = rng.gen_range(k..drawn.len());
        drawn.swap(k, j);
    }
    Ok(drawn)
}

/// The files `rhetor sample` writes beside each other.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleFiles {
    /// The sample to code (`--out`).
    pub sample: std::path::PathBuf,
    /// rhetor's labels of the sampled paragraphs (`STEM.predictions.csv`).
    pub predictions: std::path::PathBuf,
    /// The coding guide (`STEM.guide.md`).
    pub guide_md: std::path::PathBuf,
    /// The coding guide (`STEM.guide.html`).
    pub guide_html: std::path::PathBuf,
}

impl SampleFiles {
    /// The file names derived from `--out` (e.g. `sample.csv` → `sample.predictions.csv`).
    pub fn new(out: &std::path::Path) -> Self {
        let stem = out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sample".into());
        let sib = |suffix: &str| out.with_file_name(format!("{stem}.{suffix}"));
        SampleFiles {
            sample: out.to_path_buf(),
            predictions: sib("predictions.csv"),
            guide_md: sib("guide.md"),
            guide_html: sib("guide.html"),
        }
    }

    fn all(&self) -> [&std::path::Path; 4] {
        [
            &self.sample,
            &self.predictions,
            &self.guide_md,
            &self.guide_html,
        ]
    }
}

/// First bytes of every file `rhetor sample` writes (CSV header or guide marker), so
/// `--force` replaces only its own files.
const CSV_HEAD: &str = "sample_id,run_id,";
const GUIDE_MARK: &str = "rhetor sample";

/// Refuses to overwrite: every target must be absent, or (with `force`) a file `rhetor
/// sample` wrote.
fn check_targets(files: &SampleFiles, force: bool) -> Result<(), ValidateError> {
    use crate::export::ExportError;
    for p in files.all() {
        if std::fs::symlink_metadata(p).is_err() {
            continue;
        }
        if !force {
            return Err(ExportError::Exists(p.to_path_buf()).into());
        }
        let head: String = std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b[..b.len().min(400)]).into_owned())
            .unwrap_or_default();
        if !(head.starts_with(CSV_HEAD) || head.contains(GUIDE_MARK)) {
            return Err(ExportError::NotRhetorOutput {
                path: p.to_path_buf(),
                what: "content".into(),
                examples: "it is not a file `rhetor sample` wrote".into(),
            }
            .into());
        }
    }
    Ok(())
}

fn str_col(name: &str, v: Vec<Option<String>>) -> polars::prelude::Column {
    polars::prelude::Column::new(name.into(), v)
}

/// Writes the sample, the predictions and the coding guide (each atomically; nothing is
/// written when a target exists and `force` is off).
pub fn write(
    run: &RunData,
    drawn: &[Drawn],
    stratify: Stratify,
    seed: u64,
    out: &std::path::Path,
    force: bool,
) -> Result<SampleFiles, ValidateError> {
    use polars::prelude::Column;
    if run.dims.is_empty() {
        return Err(ValidateError::NoDimensions(run.dir.clone()));
    }
    let files = SampleFiles::new(out);
    check_targets(&files, force)?;
    let n = drawn.len();
    let ids: Vec<u32> = (1..=n as u32).collect();
    let run_id = vec![run.run_id.clone(); n];
    let doc: Vec<String> = drawn.iter().map(|d| run.doc_id[d.row].clone()).collect();
    let para: Vec<u32> = drawn.iter().map(|d| run.para_id[d.row]).collect();
    let base = |cols: &mut Vec<Column>| {
        cols.push(Column::new("sample_id".into(), ids.clone()));
        cols.push(Column::new("run_id".into(), run_id.clone()));
        cols.push(Column::new("doc_id".into(), doc.clone()));
        cols.push(Column::new("para_id".into(), para.clone()));
    };
    let mut cols = Vec::new();
    base(&mut cols);
    cols.push(str_col(
        "section",
        drawn.iter().map(|d| run.section[d.row].clone()).collect(),
    ));
    cols.push(str_col(
        "text",
        drawn
            .iter()
            .map(|d| Some(run.text[d.row].clone()))
            .collect(),
    ));
    for d in &run.dims {
        cols.push(str_col(&d.name, vec![None; n]));
    }
    cols.push(str_col("coder", vec![None; n]));
    cols.push(str_col("note", vec![None; n]));
    cols.push(str_col(
        "stratum",
        drawn.iter().map(|d| Some(d.stratum.clone())).collect(),
    ));
    cols.push(Column::new(
        "inclusion_prob".into(),
        drawn.iter().map(|d| d.inclusion_prob).collect::<Vec<f64>>(),
    ));
    let sample = crate::export::frame("sample", n, cols)?;

    let mut cols = Vec::new();
    base(&mut cols);
    for d in &run.dims {
        cols.push(str_col(
            &d.name,
            drawn.iter().map(|x| d.predicted[x.row].clone()).collect(),
        ));
    }
    let predictions = crate::export::frame("predictions", n, cols)?;

    let guide = guide_markdown(run, n, stratify, seed);
    crate::export::write_csv(&files.sample, &sample)?;
    crate::export::write_csv(&files.predictions, &predictions)?;
    crate::export::write_text(&files.guide_md, &guide)?;
    crate::export::write_text(&files.guide_html, &guide_html(run, n, stratify, seed))?;
    Ok(files)
}

/// The codebook dimension behind a run dimension, when the run kept the codebook.
fn spec<'a>(
    run: &'a RunData,
    dim: &str,
) -> Option<(&'a Codebook, &'a crate::label::DimensionSpec)> {
    run.codebooks
        .iter()
        .find_map(|cb| cb.dimension.iter().find(|d| d.name == dim).map(|d| (cb, d)))
}

fn design(stratify: Stratify) -> &'static str {
    match stratify {
        Stratify::None => "a simple random sample of all paragraphs",
        Stratify::Group => "a random sample stratified by group (equal allocation)",
        Stratify::Topic => "a random sample stratified by topic (equal allocation)",
    }
}

/// The coding guide in Markdown.
pub fn guide_markdown(run: &RunData, n: usize, stratify: Stratify, seed: u64) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "# Coding guide\n");
    let _ = writeln!(
        s,
        "Written by `{GUIDE_MARK}` for run `{}` (run_id `{}`): {n} paragraphs, {}; seed {seed}.\n",
        run.dir.display(),
        run.run_id,
        design(stratify)
    );
    s.push_str(
        "## How to code\n\n\
         1. Make one copy of the sample file per coder and write your name in the `coder` column of every row.\n\
         2. Read each paragraph (`text`; `doc_id` and `para_id` locate it in its document if you need the context).\n\
         3. In each dimension column, write the label that fits best, exactly as named below. \
         Single-label dimensions take one label; multi-label dimensions take every label that applies, separated by `;`. \
         Leave a cell empty only if you cannot decide; use `note` for doubts.\n\
         4. Code independently: do not discuss paragraphs with other coders, and do not open the predictions file \
         until coding is finished.\n\
         5. Do not change `sample_id`, `run_id`, `doc_id`, `para_id`, `stratum` or `inclusion_prob`.\n\n",
    );
    for d in &run.dims {
        let kind = match d.kind {
            Kind::Single => "one label",
            Kind::Multi => "any number of labels, separated by `;`",
        };
        let _ = writeln!(s, "## `{}` ({kind})\n", d.name);
        match spec(run, &d.name) {
            Some((cb, ds)) => {
                if !cb.codebook.title.is_empty() {
                    let _ = writeln!(
                        s,
                        "Codebook: {} (`{}`).",
                        cb.codebook.title, cb.codebook.name
                    );
                }
                if !cb.codebook.source.is_empty() {
                    let _ = writeln!(s, "Source: {}", cb.codebook.source);
                }
                if !cb.codebook.description.is_empty() {
                    let _ = writeln!(s, "\n{}", cb.codebook.description);
                }
                s.push('\n');
                for l in &ds.label {
                    let _ = writeln!(s, "### `{}`\n\n{}\n", l.name, l.description);
                    if !l.examples.is_empty() {
                        s.push_str("Examples:\n\n");
                        for e in &l.examples {
                            let _ = writeln!(s, "- {e}");
                        }
                        s.push('\n');
                    }
                }
            }
            None => {
                let _ = writeln!(
                    s,
                    "Labels ({}; no codebook definitions in the run): {}\n",
                    d.codebook,
                    d.labels
                        .iter()
                        .map(|l| format!("`{l}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
    }
    s
}

/// The coding guide as a standalone HTML page (the Markdown's content).
pub fn guide_html(run: &RunData, n: usize, stratify: Stratify, seed: u64) -> String {
    use crate::report::html::escape;
    let md = guide_markdown(run, n, stratify, seed);
    let mut body = String::new();
    let mut in_list = false;
    for line in md.lines() {
        let inline = |t: &str| {
            // `code` spans.
            let mut out = String::new();
            for (k, part) in escape(t).split('`').enumerate() {
                if k % 2 == 1 {
                    out.push_str(&format!("<code>{part}</code>"));
                } else {
                    out.push_str(part);
                }
            }
            out
        };
        let item = line.strip_prefix("- ").or_else(|| {
            line.split_once(". ")
                .filter(|(k, _)| k.chars().all(|c| c.is_ascii_digit()) && !k.is_empty())
                .map(|(_, rest)| rest)
        });
        if item.is_none() && in_list {
            body.push_str("</ul>\n");
            in_list = false;
        }
        if let Some(t) = line.strip_prefix("### ") {
            body.push_str(&format!("<h3>{}</h3>\n", inline(t)));
        } else if let Some(t) = line.strip_prefix("## ") {
            body.push_str(&format!("<h2>{}</h2>\n", inline(t)));
        } else if let Some(t) = line.strip_prefix("# ") {
            body.push_str(&format!("<h1>{}</h1>\n", inline(t)));
        } else if let Some(t) = item {
            if !in_list {
                body.push_str("<ul>\n");
                in_list = true;
            }
            body.push_str(&format!("<li>{}</li>\n", inline(t)));
        } else if !line.trim().is_empty() {
            body.push_str(&format!("<p>{}</p>\n", inline(line)));
        }
    }
    if in_list {
        body.push_str("</ul>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Coding guide ({GUIDE_MARK})</title>\n\
         <style>body{{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}code{{background:#f2f2f2;padding:0 .2em}}</style>\n\
         </head>\n<body>\n{body}</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_is_even_and_capped() {
        assert_eq!(allocate(&[38, 11, 10, 4], 40), vec![15, 11, 10, 4]);
        assert_eq!(allocate(&[10, 10, 10], 10), vec![4, 3, 3]);
        assert_eq!(allocate(&[3, 3], 100), vec![3, 3]);
        assert_eq!(allocate(&[5], 2), vec![2]);
    }
}
