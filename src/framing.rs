//! The compare stage: shares with intervals, divergence with tests and distinctive terms
//! for the groups of a run, as Parquet tables and as [`ReportData`] for the report.

use crate::cluster::Assignment;
use crate::compare::{self, CompareValidParams, DivergenceRow, Grouping, ShareRow};
use crate::corpus::Corpus;
use crate::export;
use crate::report::{
    Claim, DimensionInfo, DimensionMethod, Example, GroupInfo, GroupTerms, KeyTerm, TopicInfo,
};
use crate::segment::Segmentation;
use crate::topics::Topic;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub use crate::compare::GroupParams;

/// Error of the grouping.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    /// The group-by column does not exist.
    #[error("--group-by '{column}': the documents have no such column; they have: {available}")]
    NoColumn {
        /// The column asked for.
        column: String,
        /// Columns that exist.
        available: String,
    },
    /// The group-by column has no value for more than half of the documents.
    #[error("--group-by '{column}': {missing} of {total} documents have no value in this column (e.g. {examples}), so most would be compared as one group '(missing)'; give every document a value{hint}, or group by another column")]
    MostlyMissing {
        /// The column.
        column: String,
        /// Documents without a value.
        missing: usize,
        /// All documents.
        total: usize,
        /// The first few of them.
        examples: String,
        /// How to give the value, for the columns rhetor fills itself.
        hint: String,
    },
    /// The time column does not exist.
    #[error("--time-col '{column}': the documents have no such column; they have: {available}")]
    NoTimeColumn {
        /// The column asked for.
        column: String,
        /// Columns that exist.
        available: String,
    },
    /// No document has a time usable with the period.
    #[error("--time-col '{column}': no document has a time usable with --period {period} ({detail}); times are calendar days YYYY-MM-DD, year-months YYYY-MM or years YYYY, and a period cannot be finer than the times (years need --period year)")]
    NoTimes {
        /// The column.
        column: String,
        /// The period.
        period: String,
        /// What the documents had instead.
        detail: String,
    },
    /// The statistics failed.
    #[error(transparent)]
    Compare(#[from] compare::CompareError),
}

/// Above this share of documents without a value, a group-by column is an error (below it,
/// a warning): the "(missing)" group would be most of the corpus.
pub const MAX_MISSING_GROUP_SHARE: f64 = 0.5;

/// Builds the grouping of documents. Documents without a value in the `by` column form
/// the group `(missing)`: a warning (pushed to `warnings`) says how many, and more than
/// [`MAX_MISSING_GROUP_SHARE`] of the documents is [`GroupError::MostlyMissing`].
pub fn grouping(
    corpus: &Corpus,
    seg: &Segmentation,
    by: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Grouping, GroupError> {
    let Some(col) = by else {
        return Ok(Grouping::identity(
            corpus.documents.iter().map(|d| d.id.clone()).collect(),
        ));
    };
    let values = group_values(corpus, seg, col)?;
    let mut distinct: Vec<String> = Vec::new();
    let mut index: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
    let mut doc_value = Vec::with_capacity(values.len());
    let mut missing = Vec::new();
    for (v, d) in values.into_iter().zip(&corpus.documents) {
        if v.is_empty() && missing.len() < MISSING_EXAMPLES + 1 {
            missing.push(d.id.clone());
        }
        let id = *index.entry(v).or_insert_with_key(|v| {
            distinct.push(v.clone());
            (distinct.len() - 1) as u32
        });
        doc_value.push(id);
    }
    let empty = index.get("").copied();
    let n_missing = empty.map_or(0, |e| doc_value.iter().filter(|&&v| v == e).count());
    grouping_from_values(col, distinct, doc_value, n_missing, &missing, warnings)
}

/// Each document's value in the group-by column `col` (`title`, `date`, `source` or a
/// metadata column; `""` when it has none), or [`GroupError::NoColumn`].
pub fn group_values(
    corpus: &Corpus,
    seg: &Segmentation,
    col: &str,
) -> Result<Vec<String>, GroupError> {
    Ok(match col {
        "title" => corpus
            .documents
            .iter()
            .zip(&seg.docs)
            .map(|(d, s)| {
                d.title
                    .clone()
                    .or_else(|| s.title.clone())
                    .unwrap_or_default()
            })
            .collect(),
        "date" => corpus
            .documents
            .iter()
            .map(|d| d.date.clone().unwrap_or_default())
            .collect(),
        "source" => corpus.documents.iter().map(|d| d.source.clone()).collect(),
        _ => {
            let c = corpus
                .doc_meta
                .iter()
                .find(|c| c.name == col)
                .ok_or_else(|| {
                    let mut names = vec!["title".to_string(), "date".into(), "source".into()];
                    names.extend(corpus.doc_meta.iter().map(|c| c.name.clone()));
                    GroupError::NoColumn {
                        column: col.to_string(),
                        available: names.join(", "),
                    }
                })?;
            (0..corpus.documents.len())
                .map(|i| c.values.get_string(i).unwrap_or_default())
                .collect()
        }
    })
}

/// How many ids of documents without a group value a message quotes.
pub const MISSING_EXAMPLES: usize = 5;

/// The grouping by column `col`, given each document's value as an index into `values`
/// (distinct values, `""` = none); `n_missing` documents have no value, the first of them
/// (at least [`MISSING_EXAMPLES`] + 1 when there are so many) are `missing`. Groups are the
/// values sorted, `(missing)` for documents without one: a warning, or
/// [`GroupError::MostlyMissing`] above [`MAX_MISSING_GROUP_SHARE`] of the documents.
pub fn grouping_from_values(
    col: &str,
    values: Vec<String>,
    doc_value: Vec<u32>,
    n_missing: usize,
    missing: &[String],
    warnings: &mut Vec<String>,
) -> Result<Grouping, GroupError> {
    if n_missing > 0 {
        let total = doc_value.len();
        let mut examples: Vec<String> = missing
            .iter()
            .take(MISSING_EXAMPLES)
            .map(|m| format!("'{m}'"))
            .collect();
        if n_missing > MISSING_EXAMPLES {
            examples.push("…".to_string());
        }
        let examples = examples.join(", ");
        if n_missing as f64 > MAX_MISSING_GROUP_SHARE * total as f64 {
            let hint = match col {
                "date" => " (in a folder of text files, a first line `date YYYY-MM-DD Title…` or YAML front matter `date:` gives it)",
                "title" => " (a first line `date YYYY-MM-DD Title…` or YAML front matter `title:` gives it)",
                _ => "",
            };
            return Err(GroupError::MostlyMissing {
                column: col.to_string(),
                missing: n_missing,
                total,
                examples,
                hint: hint.to_string(),
            });
        }
        warnings.push(format!(
            "--group-by '{col}': {n_missing} of {total} documents have no value in this column ({examples}); \
             they are compared as one group '(missing)'"
        ));
    }
    let names: Vec<String> = values
        .into_iter()
        .map(|v| {
            if v.is_empty() {
                "(missing)".to_string()
            } else {
                v
            }
        })
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    let index: BTreeMap<&str, usize> = sorted
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let of_value: Vec<usize> = names.iter().map(|n| index[n.as_str()]).collect();
    let doc_group = doc_value.iter().map(|&v| of_value[v as usize]).collect();
    Ok(Grouping::new(doc_group, sorted)?)
}

/// A labelling of every paragraph along one dimension.
pub struct ComparedDimension {
    /// Name (e.g. `topic`).
    pub name: String,
    /// The label names that `labels` index.
    pub names: Vec<String>,
    /// Label per paragraph, an index into `names` (`None` = unsure).
    pub labels: Vec<Option<u32>>,
    /// Confidence per paragraph, used to pick example paragraphs.
    pub scores: Vec<f32>,
    /// How the labels were made (decides the caveat the report shows next to the numbers).
    pub method: DimensionMethod,
}

impl ComparedDimension {
    /// A dimension from each paragraph's label as text (`None` = unsure); `known` are the
    /// dimension's labels (a chosen label that is not among them is added after them).
    pub fn from_chosen(
        name: &str,
        known: &[String],
        chosen: &[Option<String>],
        scores: Vec<f32>,
        method: DimensionMethod,
    ) -> Self {
        let mut names = known.to_vec();
        let mut index: std::collections::HashMap<String, u32> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i as u32))
            .collect();
        let labels = chosen
            .iter()
            .map(|c| {
                c.as_ref().map(|l| {
                    *index.entry(l.clone()).or_insert_with(|| {
                        names.push(l.clone());
                        (names.len() - 1) as u32
                    })
                })
            })
            .collect();
        ComparedDimension {
            name: name.to_string(),
            names,
            labels,
            scores,
            method,
        }
    }

    /// The label of paragraph `i` as text.
    pub fn label(&self, i: usize) -> Option<&str> {
        self.labels[i].map(|l| self.names[l as usize].as_str())
    }

    /// The dimension's sufficient statistics: paragraph `i` is a unit of document
    /// `para_doc[i]`. A document's paragraphs are counted together when they are adjacent.
    pub fn counts(&self, para_doc: &[u32]) -> compare::DimensionCounts {
        let mut c = compare::DimensionCounts::new(self.name.as_str());
        add_counts(&mut c, &self.names, para_doc, &self.labels);
        c
    }
}

/// Adds paragraphs to a dimension's sufficient statistics: paragraph `i` is a unit of
/// document `para_doc[i]` with label `labels[i]` (an index into `names`; `None` = unsure).
/// A document's paragraphs are counted together when they are adjacent. A streamed run adds
/// each chunk as it goes; the counts do not depend on how the paragraphs are cut.
pub fn add_counts(
    c: &mut compare::DimensionCounts,
    names: &[String],
    para_doc: &[u32],
    labels: &[Option<u32>],
) {
    let mut run: Vec<(Option<u32>, u64)> = Vec::new();
    let mut i = 0;
    while i < para_doc.len() {
        let doc = para_doc[i];
        run.clear();
        while i < para_doc.len() && para_doc[i] == doc {
            let l = labels[i];
            match run.iter_mut().find(|(x, _)| *x == l) {
                Some((_, n)) => *n += 1,
                None => run.push((l, 1)),
            }
            i += 1;
        }
        for &(l, n) in &run {
            c.add_n(doc as usize, l.map(|l| names[l as usize].as_str()), n);
        }
    }
}

/// The label names of the topic dimension, `"<id>: <label>"`, indexed by topic id.
pub fn topic_label_names(topics: &[Topic]) -> Vec<String> {
    topics
        .iter()
        .enumerate()
        .map(|(id, t)| format!("{id}: {}", t.label))
        .collect()
}

/// The topic dimension: label `"<id>: <label>"` per paragraph.
pub fn topic_dimension(c: &Assignment, topics: &[Topic]) -> ComparedDimension {
    ComparedDimension {
        name: "topic".to_string(),
        names: topic_label_names(topics),
        labels: c.labels.iter().map(|&l| Some(l as u32)).collect(),
        scores: c.prob.clone(),
        method: DimensionMethod::Topics,
    }
}

/// The topic id of a label of the topic dimension (`"<id>: <label>"`).
fn topic_id_of(label: &str) -> Option<usize> {
    label.split_once(": ")?.0.parse().ok()
}

/// Results of the compare stage.
pub struct Comparison {
    /// Share rows of every dimension.
    pub shares: Vec<ShareRow>,
    /// Divergence rows.
    pub divergence: Vec<DivergenceRow>,
    /// Name of the p-value adjustment.
    pub adjust: String,
    /// Distinctive terms per group.
    pub keyness: Vec<GroupTerms>,
    /// Full keyness rows (top terms per group) for the table.
    pub keyness_rows: Vec<compare::TopTerm>,
    /// Claims with examples.
    pub claims: Vec<Claim>,
    /// Group descriptions.
    pub groups: Vec<GroupInfo>,
    /// Per dimension: how it was labelled and what its divergence tests found.
    pub dimension_info: Vec<DimensionInfo>,
    /// Significance level of the divergence tests.
    pub alpha: f64,
    /// Warnings.
    pub warnings: Vec<String>,
}

/// Shortens a paragraph for quoting.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > max_chars / 2 => cut[..i].to_string(),
        _ => cut,
    };
    format!("{cut} …")
}

/// What the compare stage needs of a corpus: each dimension's sufficient statistics, each
/// group's description and term counts. Built from a loaded corpus by [`compare`], or
/// accumulated chunk by chunk by a streaming apply, which keeps nothing per paragraph.
pub struct CompareInput {
    /// Per dimension (in the order of the dimensions compared), its label counts per
    /// document ([`ComparedDimension::counts`], [`add_counts`]).
    pub counts: Vec<compare::DimensionCounts>,
    /// Each group's description (documents, paragraphs, title when it has one document).
    pub groups: Vec<GroupInfo>,
    /// Term counts per group over the term vocabulary (sparse rows, terms ascending).
    pub group_terms: Vec<Vec<(usize, f64)>>,
}

/// The groups' descriptions: documents, paragraphs, and the title of a group's only
/// document.
pub fn group_infos(corpus: &Corpus, seg: &Segmentation, grouping: &Grouping) -> Vec<GroupInfo> {
    let mut groups: Vec<GroupInfo> = grouping
        .group_names
        .iter()
        .map(|n| GroupInfo {
            name: n.clone(),
            n_docs: 0,
            n_paragraphs: 0,
            title: None,
        })
        .collect();
    for (d, &g) in grouping.doc_group.iter().enumerate() {
        groups[g].n_docs += 1;
        if groups[g].n_docs == 1 {
            groups[g].title = corpus.documents[d]
                .title
                .clone()
                .or_else(|| seg.docs[d].title.clone());
        } else {
            groups[g].title = None;
        }
    }
    for p in &seg.paragraphs {
        groups[grouping.doc_group[p.doc]].n_paragraphs += 1;
    }
    groups
}

/// Adds term counts `row` (a sparse row of the term matrix) to `acc`.
pub fn add_terms(acc: &mut BTreeMap<usize, f64>, row: sprs::CsVecView<'_, f64>) {
    for (j, &v) in row.iter() {
        *acc.entry(j).or_default() += v;
    }
}

/// Runs the statistics for every dimension of a loaded corpus ([`compare_with`]), with the
/// claims' example paragraphs taken from it.
#[allow(clippy::too_many_arguments)]
pub fn compare(
    corpus: &Corpus,
    seg: &Segmentation,
    grouping: &Grouping,
    dims: &[ComparedDimension],
    term_counts: &sprs::CsMat<f64>,
    vocab: &[String],
    params: &CompareValidParams,
    group_params: &GroupParams,
    seed: u64,
    progress: &dyn crate::progress::Progress,
) -> Result<Comparison, GroupError> {
    let para_doc: Vec<u32> = seg.paragraphs.iter().map(|p| p.doc as u32).collect();
    let mut per_group: Vec<BTreeMap<usize, f64>> =
        vec![BTreeMap::new(); grouping.group_names.len()];
    for (row, p) in term_counts.outer_iterator().zip(&seg.paragraphs) {
        add_terms(&mut per_group[grouping.doc_group[p.doc]], row);
    }
    let input = CompareInput {
        counts: dims.iter().map(|d| d.counts(&para_doc)).collect(),
        groups: group_infos(corpus, seg, grouping),
        group_terms: per_group
            .into_iter()
            .map(|m| m.into_iter().collect())
            .collect(),
    };
    let (mut cmp, wanted) = compare_with(
        input,
        grouping,
        dims,
        vocab,
        params,
        group_params,
        seed,
        progress,
    )?;
    let mut picker = ExamplePicker::new(&wanted);
    for (i, d) in dims.iter().enumerate() {
        picker.scan(i, 0, &para_doc, &d.labels, &d.scores, &grouping.doc_group);
    }
    for (claim, idx) in cmp.claims.iter_mut().zip(picker.finish()) {
        claim.examples = idx.iter().map(|&i| example(corpus, seg, i)).collect();
    }
    Ok(cmp)
}

/// The example paragraphs a claim quotes: the two with the highest score among those of
/// dimension `dim` (an index into the dimensions compared) in group `group` with label
/// `label` (an index into the dimension's `names`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExampleRequest {
    /// The dimension (an index into the dimensions compared).
    pub dim: usize,
    /// The group (an index into the grouping's groups).
    pub group: usize,
    /// The label (an index into the dimension's label names).
    pub label: u32,
}

/// Examples quoted per claim.
const CLAIM_EXAMPLES: usize = 2;

/// Finds the example paragraphs of the claims ([`ExampleRequest`]) in one pass over the
/// paragraphs' labels and scores, which may come in chunks: per claim the
/// [`CLAIM_EXAMPLES`] highest scores, ties to the first paragraph.
pub struct ExamplePicker {
    /// (dimension, group, label) → the claims asking for it.
    wanted: HashMap<(usize, usize, u32), Vec<usize>>,
    /// Per claim, the best (score, paragraph) so far, best first.
    best: Vec<Vec<(f32, usize)>>,
}

impl ExamplePicker {
    /// A picker for the claims `requests` (in their order).
    pub fn new(requests: &[ExampleRequest]) -> Self {
        let mut wanted: HashMap<(usize, usize, u32), Vec<usize>> = HashMap::new();
        for (c, r) in requests.iter().enumerate() {
            wanted.entry((r.dim, r.group, r.label)).or_default().push(c);
        }
        ExamplePicker {
            wanted,
            best: vec![Vec::new(); requests.len()],
        }
    }

    /// Whether any claim wants an example of dimension `dim`.
    pub fn wants(&self, dim: usize) -> bool {
        self.wanted.keys().any(|&(d, _, _)| d == dim)
    }

    /// Considers paragraphs `first + i` of dimension `dim`: document `para_doc[i]` (an
    /// index into `doc_group`), label `labels[i]`, score `scores[i]`.
    pub fn scan(
        &mut self,
        dim: usize,
        first: usize,
        para_doc: &[u32],
        labels: &[Option<u32>],
        scores: &[f32],
        doc_group: &[usize],
    ) {
        if !self.wants(dim) {
            return;
        }
        let better = |a: &(f32, usize), b: &(f32, usize)| {
            b.0.partial_cmp(&a.0)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.1.cmp(&b.1))
                == std::cmp::Ordering::Less
        };
        for (i, ((&doc, l), &score)) in para_doc.iter().zip(labels).zip(scores).enumerate() {
            let Some(l) = *l else { continue };
            let Some(claims) = self.wanted.get(&(dim, doc_group[doc as usize], l)) else {
                continue;
            };
            let cand = (score, first + i);
            for &c in claims {
                let best = &mut self.best[c];
                let pos = best
                    .iter()
                    .position(|b| better(&cand, b))
                    .unwrap_or(best.len());
                if pos < CLAIM_EXAMPLES {
                    best.insert(pos, cand);
                    best.truncate(CLAIM_EXAMPLES);
                }
            }
        }
    }

    /// Per claim, the paragraphs to quote, best first.
    pub fn finish(self) -> Vec<Vec<usize>> {
        self.best
            .into_iter()
            .map(|b| b.into_iter().map(|(_, i)| i).collect())
            .collect()
    }
}

/// Runs the statistics for every dimension from their sufficient statistics
/// (`input.counts`; `dims` give names, label names and methods — their per-paragraph labels
/// are not read). The claims come without their example paragraphs: the second value lists,
/// per claim, which paragraphs to quote ([`ExamplePicker`]).
#[allow(clippy::too_many_arguments)]
pub fn compare_with(
    input: CompareInput,
    grouping: &Grouping,
    dims: &[ComparedDimension],
    vocab: &[String],
    params: &CompareValidParams,
    group_params: &GroupParams,
    seed: u64,
    progress: &dyn crate::progress::Progress,
) -> Result<(Comparison, Vec<ExampleRequest>), GroupError> {
    let n_groups = grouping.group_names.len();
    // One unit per dimension's shares, then the divergence tests and the keyness.
    progress.set_total(dims.len() as u64 + 2);
    let mut warnings = Vec::new();
    // The sufficient statistics (4 bytes per document and dimension): labelled units of
    // 24 bytes per paragraph and dimension took 72 MB at 1M paragraphs.
    let counts = input.counts;

    let mut shares = Vec::new();
    for (c, labels) in counts.iter().zip(dims) {
        progress.message(&format!("shares of '{}'", c.name()));
        let mut t = compare::shares_from_counts(c, grouping, params, seed)?;
        progress.inc(1);
        if labels.method == DimensionMethod::Topics {
            // Labels sort as text ("10: …" before "2: …"); topics go by id. The key is parsed
            // once per row: parsing it in every comparison took most of the compare stage
            // with one group per document (20newsgroups: 220,000 rows, 0.25 s).
            t.rows
                .sort_by_cached_key(|r| (r.group, topic_id_of(&r.label).unwrap_or(usize::MAX)));
        }
        for s in &t.skipped {
            warnings.push(format!(
                "{}: group '{}' has no labelled paragraph, so it has no shares",
                s.dimension, s.group_name
            ));
        }
        shares.extend(t.rows);
    }

    progress.message("divergence (permutation tests)");
    let (divergence, adjust) = if n_groups < 2 {
        warnings.push("only one group: nothing to compare, so no divergence tests".to_string());
        (Vec::new(), params.params().adjust.as_str().to_string())
    } else if n_groups > group_params.max_pairwise {
        warnings.push(format!(
            "{n_groups} groups: pairwise divergence tests are run for at most {} groups \
             (groups.max_pairwise); group documents with --group-by to compare them",
            group_params.max_pairwise
        ));
        (Vec::new(), params.params().adjust.as_str().to_string())
    } else {
        let t = compare::divergence_from_counts(&counts, grouping, params, seed)?;
        (t.rows, t.adjust.as_str().to_string())
    };

    progress.inc(1);
    progress.message("distinctive terms");
    let (keyness, keyness_rows) = if n_groups > group_params.max_pairwise {
        warnings.push(format!(
            "{n_groups} groups: distinctive terms are computed for at most {} groups \
             (groups.max_pairwise); group documents with --group-by to get them",
            group_params.max_pairwise
        ));
        (Vec::new(), Vec::new())
    } else if n_groups >= 2 {
        // Only the top terms are kept: the whole table (every term × group) took 0.7 GB at
        // 100k paragraphs with a vocabulary of bigrams.
        let (top, _) = compare::keyness_top(
            &input.group_terms,
            vocab,
            &grouping.group_names,
            params,
            params.params().top_terms,
        )?;
        let mut by_group: BTreeMap<usize, Vec<KeyTerm>> = BTreeMap::new();
        for t in &top {
            by_group.entry(t.row.group).or_default().push(KeyTerm {
                term: t.row.term.clone(),
                count: t.row.count,
                log_odds: t.row.log_odds,
                z: t.row.z,
            });
        }
        let gt = by_group
            .into_iter()
            .map(|(g, terms)| GroupTerms {
                group: grouping.group_names[g].clone(),
                terms,
            })
            .collect();
        (gt, top)
    } else {
        (Vec::new(), Vec::new())
    };

    progress.inc(1);
    let groups = input.groups;
    let (claims, wanted) = claims(&counts, grouping, dims, &shares, &divergence);
    let dimension_info = dims
        .iter()
        .map(|d| DimensionInfo::from_tests(&d.name, d.method, &divergence))
        .collect();
    Ok((
        Comparison {
            shares,
            divergence,
            adjust,
            keyness,
            keyness_rows,
            claims,
            groups,
            dimension_info,
            alpha: params.params().alpha,
            warnings,
        },
        wanted,
    ))
}

/// The findings the report may headline: for each group and dimension, the label the group
/// uses most above the rest of the corpus, with up to two example paragraphs (highest score
/// first) — only when the difference is backed by the tests. A claim needs both
///
/// - a divergence test of the group against another group along the dimension that is
///   significant after adjustment (`p_adjusted < alpha`), and
/// - the label's share interval lying wholly above the label's share in all other groups
///   pooled (`ci_low > share_rest`).
///
/// A dimension without tests (one group, or more than `groups.max_pairwise`) has no claims.
fn claims(
    counts: &[compare::DimensionCounts],
    grouping: &Grouping,
    dims: &[ComparedDimension],
    shares: &[ShareRow],
    divergence: &[DivergenceRow],
) -> (Vec<Claim>, Vec<ExampleRequest>) {
    let n_groups = grouping.group_names.len();
    if n_groups < 2 {
        return (Vec::new(), Vec::new());
    }
    let mut out = Vec::new();
    let mut wanted = Vec::new();
    for (dim, (d, c)) in dims.iter().zip(counts).enumerate() {
        // the smallest adjusted p-value of each group's significant pairs
        let mut backed: BTreeMap<usize, f64> = BTreeMap::new();
        for r in divergence
            .iter()
            .filter(|r| r.dimension == d.name && r.significant)
        {
            for g in [r.group_a, r.group_b] {
                let p = backed.entry(g).or_insert(f64::INFINITY);
                *p = p.min(r.p_adjusted);
            }
        }
        if backed.is_empty() {
            continue;
        }
        // label counts per group
        let (counts, totals) = c.group_label_counts(&grouping.doc_group, n_groups);
        let all: u64 = totals.iter().sum();
        for (&g, &p_adjusted) in &backed {
            let total_g = totals[g];
            let best = shares
                .iter()
                .filter(|r| r.dimension == d.name && r.group == g && r.count > 0)
                .map(|r| {
                    let label_all: u64 = (0..n_groups)
                        .map(|h| counts.get(&(h, r.label.clone())).copied().unwrap_or(0))
                        .sum();
                    let rest_n = all - total_g;
                    let rest = if rest_n == 0 {
                        0.0
                    } else {
                        (label_all - r.count) as f64 / rest_n as f64
                    };
                    (r, rest)
                })
                .filter(|(r, rest)| r.ci_low > *rest)
                .max_by(|a, b| {
                    (a.0.share - a.1)
                        .partial_cmp(&(b.0.share - b.1))
                        .unwrap_or(std::cmp::Ordering::Equal)
                        .then_with(|| b.0.label.cmp(&a.0.label))
                });
            let Some((row, rest)) = best else { continue };
            let Some(label) = d.names.iter().position(|n| *n == row.label) else {
                continue;
            };
            out.push(Claim {
                dimension: d.name.clone(),
                group: grouping.group_names[g].clone(),
                label: row.label.clone(),
                share: row.share,
                ci_low: row.ci_low,
                ci_high: row.ci_high,
                share_rest: rest,
                p_adjusted: Some(p_adjusted),
                examples: Vec::new(),
            });
            wanted.push(ExampleRequest {
                dim,
                group: g,
                label: label as u32,
            });
        }
    }
    (out, wanted)
}

/// An example paragraph by index.
pub fn example(corpus: &Corpus, seg: &Segmentation, i: usize) -> Example {
    let p = &seg.paragraphs[i];
    Example {
        doc_id: corpus.documents[p.doc].id.clone(),
        para_id: p.para_id as u32,
        text: excerpt(&p.para.text, 400),
    }
}

/// Topic descriptions for the report.
pub fn topic_infos(corpus: &Corpus, seg: &Segmentation, topics: &[Topic]) -> Vec<TopicInfo> {
    topic_infos_with(topics, |i| example(corpus, seg, i))
}

/// Topic descriptions for the report, with `example` quoting a paragraph by index.
pub fn topic_infos_with(
    topics: &[Topic],
    mut example: impl FnMut(usize) -> Example,
) -> Vec<TopicInfo> {
    let n: usize = topics.iter().map(|t| t.size).sum::<usize>().max(1);
    topics
        .iter()
        .map(|t| TopicInfo {
            id: t.id as u32,
            label: t.label.clone(),
            size: t.size as u64,
            share: t.size as f64 / n as f64,
            terms: t
                .terms
                .iter()
                .cloned()
                .zip(t.scores.iter().copied())
                .collect(),
            examples: t.representatives.iter().map(|&i| example(i)).collect(),
            stability: t.stability,
        })
        .collect()
}

/// The topics by their labels in the topic dimension (`"<id>: <label>"`).
struct TopicLookup<'a>(BTreeMap<String, (i32, &'a str)>);

impl<'a> TopicLookup<'a> {
    fn new(topics: &'a [Topic]) -> Self {
        TopicLookup(
            topics
                .iter()
                .map(|t| {
                    (
                        format!("{}: {}", t.id, t.label),
                        (t.id as i32, t.label.as_str()),
                    )
                })
                .collect(),
        )
    }

    /// The topic id and own label of a label of dimension `dim`; `None` outside the topic
    /// dimension.
    fn get(&self, dim: &str, label: &str) -> Option<(i32, &'a str)> {
        (dim == "topic")
            .then(|| self.0.get(label).copied())
            .flatten()
    }

    /// The columns `dimension`, `label` (a topic's own label for the topic dimension) and
    /// `topic_id` of `(dimension, label)` rows.
    fn label_columns<'r>(&self, rows: impl Iterator<Item = (&'r str, &'r str)>) -> Vec<Column> {
        let rows: Vec<(&str, &str)> = rows.collect();
        vec![
            Column::new(
                "dimension".into(),
                rows.iter().map(|r| r.0).collect::<Vec<&str>>(),
            ),
            Column::new(
                "label".into(),
                rows.iter()
                    .map(|&(d, l)| self.get(d, l).map_or(l, |t| t.1))
                    .collect::<Vec<&str>>(),
            ),
            Column::new(
                "topic_id".into(),
                rows.iter()
                    .map(|&(d, l)| self.get(d, l).map(|t| t.0))
                    .collect::<Vec<Option<i32>>>(),
            ),
        ]
    }
}

/// `doc_labels.parquet`: group × dimension × label shares with intervals. Rows of the topic
/// dimension get the topic's own label (as in `topics.parquet`) and its `topic_id`.
pub fn shares_frame(
    rows: &[ShareRow],
    group_by: &str,
    topics: &[Topic],
) -> Result<DataFrame, export::ExportError> {
    let lookup = TopicLookup::new(topics);
    let cols = vec![
        Column::new(
            "group_id".into(),
            rows.iter()
                .map(|r| r.group_name.as_str())
                .collect::<Vec<&str>>(),
        ),
        Column::new(
            "group_by".into(),
            rows.iter().map(|_| group_by).collect::<Vec<&str>>(),
        ),
    ]
    .into_iter()
    .chain(
        lookup.label_columns(
            rows.iter()
                .map(|r| (r.dimension.as_str(), r.label.as_str())),
        ),
    )
    .chain(share_columns(rows.iter().map(ShareCells::of_share)))
    .collect();
    export::frame("doc_labels.parquet", rows.len(), cols)
}

/// Shares over time ([`compare::time::over_time`]) of the dimensions' counts, the documents'
/// times read from `values` (each document's value of the `[time] col` column, `""` = none).
/// Documents without a usable time are left out and counted in a warning (pushed to
/// `warnings`); none at all is [`GroupError::NoTimes`].
pub fn over_time(
    counts: &[compare::DimensionCounts],
    values: &[String],
    series: Option<&Grouping>,
    time: &compare::time::TimeParams,
    params: &CompareValidParams,
    seed: u64,
    warnings: &mut Vec<String>,
) -> Result<compare::time::TimeTable, GroupError> {
    use compare::time::{parse_time, TimeInput};
    let col = time.col.as_deref().unwrap_or("date");
    let mut missing = 0usize;
    let mut bad: Vec<&str> = Vec::new();
    let mut n_bad = 0usize;
    let doc_time: Vec<_> = values
        .iter()
        .map(|v| {
            if v.trim().is_empty() {
                missing += 1;
                return None;
            }
            let t = parse_time(v);
            if t.is_none() {
                n_bad += 1;
                if bad.len() < MISSING_EXAMPLES {
                    bad.push(v);
                }
            }
            t
        })
        .collect();
    let table = compare::time::over_time(
        counts,
        TimeInput {
            series,
            doc_time: &doc_time,
        },
        time.period,
        params,
        seed,
    )?;
    let quoted = bad
        .iter()
        .map(|b| format!("'{b}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let plural = |n: usize| {
        if n == 1 {
            "document has"
        } else {
            "documents have"
        }
    };
    let mut notes = Vec::new();
    if missing > 0 {
        notes.push(format!("{missing} {} no value in '{col}'", plural(missing)));
    }
    if n_bad > 0 {
        notes.push(format!(
            "{n_bad} {} a value that is not a date, year-month or year (e.g. {quoted})",
            plural(n_bad)
        ));
    }
    if table.n_too_coarse > 0 {
        notes.push(format!(
            "{} {} a time coarser than the period '{}' (e.g. a year with monthly periods)",
            table.n_too_coarse,
            plural(table.n_too_coarse),
            time.period.as_str()
        ));
    }
    if table.n_periods == 0 {
        return Err(GroupError::NoTimes {
            column: col.to_string(),
            period: time.period.as_str().to_string(),
            detail: if notes.is_empty() {
                "no documents".to_string()
            } else {
                notes.join("; ")
            },
        });
    }
    if !notes.is_empty() {
        warnings.push(format!(
            "time_labels: {} of {} documents are left out of the shares over time: {}",
            table.n_undated + table.n_too_coarse,
            values.len(),
            notes.join("; ")
        ));
    }
    Ok(table)
}

/// The report's view of the shares over time: the first `max_series` series (the groups in
/// their order), topics named by their labels.
pub fn time_report(
    t: &compare::time::TimeTable,
    column: &str,
    max_series: usize,
    topics: &[Topic],
) -> crate::report::TimeReport {
    let lookup = TopicLookup::new(topics);
    let shown = t.series_names.len().min(max_series.max(1));
    crate::report::TimeReport {
        column: column.to_string(),
        period: t.period.as_str().to_string(),
        adjust: t.adjust.clone(),
        n_perm: t.n_perm,
        n_left_out: t.n_undated + t.n_too_coarse,
        series: t.series_names[..shown].to_vec(),
        series_not_shown: t.series_names.len() - shown,
        rows: t
            .rows
            .iter()
            .filter(|r| r.series < shown)
            .map(|r| crate::report::TimeReportRow {
                series: t.series_names[r.series].clone(),
                dimension: r.dimension.clone(),
                label: lookup
                    .get(&r.dimension, &r.label)
                    .map_or_else(|| r.label.clone(), |t| t.1.to_string()),
                period: r.period.clone(),
                n: r.n,
                share: r.share,
                ci_low: r.ci_low,
                ci_high: r.ci_high,
                change: r.change,
                p_change_adjusted: r.p_change_adjusted,
                trend_rho: r.trend_rho,
                p_trend_adjusted: r.p_trend_adjusted,
            })
            .collect(),
    }
}

/// Each document's value in the time column `col` (`""` = none), or
/// [`GroupError::NoTimeColumn`].
pub fn time_values(
    corpus: &Corpus,
    seg: &Segmentation,
    col: &str,
) -> Result<Vec<String>, GroupError> {
    group_values(corpus, seg, col).map_err(|e| match e {
        GroupError::NoColumn { column, available } => {
            GroupError::NoTimeColumn { column, available }
        }
        e => e,
    })
}

/// `time_labels.parquet`: series × dimension × label × period. `group_by` is the group-by
/// column (`None`: one series `all`).
pub fn time_frame(
    t: &compare::time::TimeTable,
    group_by: Option<&str>,
    topics: &[Topic],
) -> Result<DataFrame, export::ExportError> {
    let lookup = TopicLookup::new(topics);
    let mut rows: Vec<&compare::time::TimeRow> = t.rows.iter().collect();
    // Topics by id (their labels sort as text, "10: …" before "2: …"), within each
    // dimension and series; other labels keep their order.
    let dim_order: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for r in &rows {
            if !seen.contains(&r.dimension.as_str()) {
                seen.push(&r.dimension);
            }
        }
        seen
    };
    rows.sort_by_cached_key(|r| {
        let d = dim_order
            .iter()
            .position(|&d| d == r.dimension)
            .unwrap_or(0);
        let by_id = lookup.get(&r.dimension, &r.label).map_or(-1, |t| t.0);
        (d, r.series, by_id, r.label.clone(), r.period_start)
    });
    let date = |name: &str, v: Vec<i32>| {
        Column::new(name.into(), v)
            .cast(&DataType::Date)
            .map_err(|e| export::ExportError::Table {
                path: "time_labels.parquet".into(),
                message: e.to_string(),
            })
    };
    let cols = vec![
        Column::new(
            "group_id".into(),
            rows.iter()
                .map(|r| t.series_names[r.series].as_str())
                .collect::<Vec<&str>>(),
        ),
        Column::new(
            "group_by".into(),
            rows.iter().map(|_| group_by).collect::<Vec<Option<&str>>>(),
        ),
    ]
    .into_iter()
    .chain(
        lookup.label_columns(
            rows.iter()
                .map(|r| (r.dimension.as_str(), r.label.as_str())),
        ),
    )
    .chain([
        Column::new(
            "period".into(),
            rows.iter()
                .map(|r| r.period.as_str())
                .collect::<Vec<&str>>(),
        ),
        date(
            "period_start",
            rows.iter().map(|r| r.period_start).collect(),
        )?,
        date("period_end", rows.iter().map(|r| r.period_end).collect())?,
    ])
    .chain(share_columns(rows.iter().map(|r| ShareCells::of_time(r))))
    .chain([
        Column::new(
            "change".into(),
            rows.iter().map(|r| r.change).collect::<Vec<_>>(),
        ),
        Column::new(
            "p_change".into(),
            rows.iter().map(|r| r.p_change).collect::<Vec<_>>(),
        ),
        Column::new(
            "p_change_adjusted".into(),
            rows.iter().map(|r| r.p_change_adjusted).collect::<Vec<_>>(),
        ),
        Column::new(
            "trend_rho".into(),
            rows.iter().map(|r| r.trend_rho).collect::<Vec<_>>(),
        ),
        Column::new(
            "p_trend".into(),
            rows.iter().map(|r| r.p_trend).collect::<Vec<_>>(),
        ),
        Column::new(
            "p_trend_adjusted".into(),
            rows.iter().map(|r| r.p_trend_adjusted).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_perm".into(),
            rows.iter().map(|_| t.n_perm as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "adjust".into(),
            rows.iter()
                .map(|_| t.adjust.as_str())
                .collect::<Vec<&str>>(),
        ),
    ])
    .collect();
    export::frame("time_labels.parquet", rows.len(), cols)
}

/// The cells of a share row that `doc_labels` and `time_labels` both have.
struct ShareCells {
    count: u64,
    n: u64,
    n_unlabelled: u64,
    n_docs: u64,
    share: f64,
    ci_low: f64,
    ci_high: f64,
    method: String,
}

impl ShareCells {
    fn of_share(r: &ShareRow) -> Self {
        ShareCells {
            count: r.count,
            n: r.n,
            n_unlabelled: r.n_unlabelled,
            n_docs: r.n_docs as u64,
            share: r.share,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            method: enum_name(&r.method),
        }
    }

    fn of_time(r: &compare::time::TimeRow) -> Self {
        ShareCells {
            count: r.count,
            n: r.n,
            n_unlabelled: r.n_unlabelled,
            n_docs: r.n_docs as u64,
            share: r.share,
            ci_low: r.ci_low,
            ci_high: r.ci_high,
            method: enum_name(&r.method),
        }
    }
}

/// The columns `count`, `n`, `n_unlabelled`, `n_docs`, `share`, `ci_low`, `ci_high` and
/// `method`, in that order.
fn share_columns(cells: impl Iterator<Item = ShareCells>) -> Vec<Column> {
    let c: Vec<ShareCells> = cells.collect();
    vec![
        Column::new(
            "count".into(),
            c.iter().map(|r| r.count).collect::<Vec<_>>(),
        ),
        Column::new("n".into(), c.iter().map(|r| r.n).collect::<Vec<_>>()),
        Column::new(
            "n_unlabelled".into(),
            c.iter().map(|r| r.n_unlabelled).collect::<Vec<_>>(),
        ),
        Column::new(
            "n_docs".into(),
            c.iter().map(|r| r.n_docs).collect::<Vec<_>>(),
        ),
        Column::new(
            "share".into(),
            c.iter().map(|r| r.share).collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_low".into(),
            c.iter().map(|r| r.ci_low).collect::<Vec<_>>(),
        ),
        Column::new(
            "ci_high".into(),
            c.iter().map(|r| r.ci_high).collect::<Vec<_>>(),
        ),
        Column::new(
            "method".into(),
            c.iter().map(|r| r.method.as_str()).collect::<Vec<&str>>(),
        ),
    ]
}

/// `divergence.parquet`: pair × dimension.
pub fn divergence_frame(
    rows: &[DivergenceRow],
    adjust: &str,
) -> Result<DataFrame, export::ExportError> {
    let cols = vec![
        Column::new(
            "group_a".into(),
            rows.iter().map(|r| r.name_a.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "group_b".into(),
            rows.iter().map(|r| r.name_b.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "dimension".into(),
            rows.iter().map(|r| r.dimension.clone()).collect::<Vec<_>>(),
        ),
        Column::new("n_a".into(), rows.iter().map(|r| r.n_a).collect::<Vec<_>>()),
        Column::new("n_b".into(), rows.iter().map(|r| r.n_b).collect::<Vec<_>>()),
        Column::new(
            "docs_a".into(),
            rows.iter().map(|r| r.docs_a as u64).collect::<Vec<_>>(),
        ),
        Column::new(
            "docs_b".into(),
            rows.iter().map(|r| r.docs_b as u64).collect::<Vec<_>>(),
        ),
        Column::new("jsd".into(), rows.iter().map(|r| r.jsd).collect::<Vec<_>>()),
        Column::new(
            "p_value".into(),
            rows.iter().map(|r| r.p_value).collect::<Vec<_>>(),
        ),
        Column::new(
            "p_adjusted".into(),
            rows.iter().map(|r| r.p_adjusted).collect::<Vec<_>>(),
        ),
        Column::new(
            "adjust".into(),
            rows.iter().map(|_| adjust.to_string()).collect::<Vec<_>>(),
        ),
        Column::new(
            "significant".into(),
            rows.iter().map(|r| r.significant).collect::<Vec<_>>(),
        ),
        Column::new(
            "method".into(),
            rows.iter()
                .map(|r| enum_name(&r.method))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "n_perm".into(),
            rows.iter().map(|r| r.n_perm as u64).collect::<Vec<_>>(),
        ),
    ];
    export::frame("divergence.parquet", rows.len(), cols)
}

/// `keyness.parquet`: group × term (top terms per group by z).
pub fn keyness_frame(rows: &[compare::TopTerm]) -> Result<DataFrame, export::ExportError> {
    let cols = vec![
        Column::new(
            "group_id".into(),
            rows.iter()
                .map(|r| r.row.group_name.clone())
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "rank".into(),
            rows.iter().map(|r| r.rank as u32).collect::<Vec<_>>(),
        ),
        Column::new(
            "term".into(),
            rows.iter().map(|r| r.row.term.clone()).collect::<Vec<_>>(),
        ),
        Column::new(
            "count".into(),
            rows.iter().map(|r| r.row.count).collect::<Vec<_>>(),
        ),
        Column::new(
            "log_odds".into(),
            rows.iter().map(|r| r.row.log_odds).collect::<Vec<_>>(),
        ),
        Column::new(
            "variance".into(),
            rows.iter().map(|r| r.row.variance).collect::<Vec<_>>(),
        ),
        Column::new("z".into(), rows.iter().map(|r| r.row.z).collect::<Vec<_>>()),
    ];
    export::frame("keyness.parquet", rows.len(), cols)
}

/// The serde name of a unit enum variant (e.g. `"cluster_bootstrap_t_docs"`).
fn enum_name<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: the claims' examples are found in one pass over chunks of the paragraphs
    /// (a streamed run reads them back from its spill file); they are the paragraphs a sort
    /// of the whole corpus by score picks, however the paragraphs are cut.
    #[test]
    fn example_picker_finds_the_best_paragraphs_in_any_chunks() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let n = 500;
        let doc_group: Vec<usize> = (0..60).map(|d| d % 3).collect();
        let mut para_doc: Vec<u32> = (0..n).map(|_| rng.gen_range(0..60)).collect();
        para_doc.sort();
        // Coarse scores so that ties occur; ties go to the first paragraph.
        let dims: Vec<(Vec<Option<u32>>, Vec<f32>)> = (0..2)
            .map(|_| {
                (0..n)
                    .map(|_| {
                        (
                            rng.gen_bool(0.9).then(|| rng.gen_range(0..4)),
                            rng.gen_range(0..5) as f32,
                        )
                    })
                    .unzip()
            })
            .collect();
        let requests: Vec<ExampleRequest> = [(0, 0, 1), (1, 2, 3), (0, 1, 0), (0, 0, 1)]
            .iter()
            .map(|&(dim, group, label)| ExampleRequest { dim, group, label })
            .collect();
        let expected: Vec<Vec<usize>> = requests
            .iter()
            .map(|r| {
                let (labels, scores) = &dims[r.dim];
                let mut ex: Vec<(f32, usize)> = (0..n)
                    .filter(|&i| {
                        doc_group[para_doc[i] as usize] == r.group && labels[i] == Some(r.label)
                    })
                    .map(|i| (scores[i], i))
                    .collect();
                ex.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap().then(a.1.cmp(&b.1)));
                ex.iter().take(CLAIM_EXAMPLES).map(|&(_, i)| i).collect()
            })
            .collect();
        assert!(expected.iter().all(|e| e.len() == CLAIM_EXAMPLES));
        for chunk in [1, 7, 64, n] {
            let mut picker = ExamplePicker::new(&requests);
            for first in (0..n).step_by(chunk) {
                let end = (first + chunk).min(n);
                for (d, (labels, scores)) in dims.iter().enumerate() {
                    picker.scan(
                        d,
                        first,
                        &para_doc[first..end],
                        &labels[first..end],
                        &scores[first..end],
                        &doc_group,
                    );
                }
            }
            assert_eq!(picker.finish(), expected, "chunks of {chunk}");
        }
    }

    #[test]
    fn excerpt_cuts_at_a_word() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four five", 12), "one two …");
    }
}
