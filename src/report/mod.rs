//! The framing report for people: `report.md` and a self-contained `report.html` (inline
//! SVG charts, no script, no network request).
//!
//! [`ReportData`] holds everything the report shows; it is built by the pipeline from the
//! run's tables and rendered by [`markdown::render`] and [`html::render`]. It is also
//! written as `report.json` so `rhetor report RUN_DIR` can re-render a finished run.

pub mod html;
pub mod markdown;
mod validation;

use crate::compare::{DivergenceRow, ShareRow};
use serde::{Deserialize, Serialize};
pub use validation::{Caveat, CorrectedShare, ReportValidation, ValidatedDimension};

/// A paragraph quoted as evidence, with where to find it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Example {
    /// Document id.
    pub doc_id: String,
    /// Paragraph id within the document.
    pub para_id: u32,
    /// The paragraph text, shortened to at most about 400 characters (ending in "…").
    pub text: String,
}

/// One topic as the report shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicInfo {
    /// Topic id.
    pub id: u32,
    /// Label (top distinct terms).
    pub label: String,
    /// Paragraphs in the topic.
    pub size: u64,
    /// Share of all paragraphs.
    pub share: f64,
    /// Top terms with their c-TF-IDF weights.
    pub terms: Vec<(String, f64)>,
    /// Representative paragraphs (closest to the centroid).
    pub examples: Vec<Example>,
    /// Stability across re-fits (`--stability`), when measured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stability: Option<f64>,
}

/// The topics' cosine similarities and a 2-D map of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TopicMap {
    /// Cosine similarity of every pair of topic centroids (topic id order).
    pub similarity: Vec<Vec<f64>>,
    /// Classical multidimensional scaling (Torgerson) of the distances `√(2 − 2·cos)`:
    /// each topic's two coordinates.
    pub coords: Vec<(f64, f64)>,
}

/// The [`TopicMap`] of the centroids (one row per topic). Deterministic: the eigenvectors
/// come from power iteration from a fixed start, their signs fixed so that the largest
/// coordinate is positive.
pub fn topic_map(centroids: ndarray::ArrayView2<f32>) -> TopicMap {
    let k = centroids.nrows();
    let norms: Vec<f64> = centroids
        .rows()
        .into_iter()
        .map(|r| {
            r.iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum::<f64>()
                .sqrt()
        })
        .collect();
    let mut sim = vec![vec![0.0f64; k]; k];
    for i in 0..k {
        for j in 0..k {
            let dot: f64 = centroids
                .row(i)
                .iter()
                .zip(centroids.row(j))
                .map(|(&a, &b)| f64::from(a) * f64::from(b))
                .sum();
            let n = norms[i] * norms[j];
            sim[i][j] = if n > 0.0 {
                (dot / n).clamp(-1.0, 1.0)
            } else {
                0.0
            };
        }
    }
    // B = −½ J D² J with D² = 2 − 2·cos.
    let d2: Vec<Vec<f64>> = sim
        .iter()
        .map(|r| r.iter().map(|c| 2.0 - 2.0 * c).collect())
        .collect();
    let kf = k.max(1) as f64;
    let row_mean: Vec<f64> = d2.iter().map(|r| r.iter().sum::<f64>() / kf).collect();
    let all_mean = row_mean.iter().sum::<f64>() / kf;
    let mut b: Vec<Vec<f64>> = (0..k)
        .map(|i| {
            (0..k)
                .map(|j| -0.5 * (d2[i][j] - row_mean[i] - row_mean[j] + all_mean))
                .collect()
        })
        .collect();
    let mut axes: Vec<Vec<f64>> = Vec::new();
    for _ in 0..2 {
        let mut v: Vec<f64> = (0..k)
            .map(|i| 1.0 + (i as f64 * 0.618_033_988_7).fract())
            .collect();
        let mut lambda = 0.0;
        for _ in 0..500 {
            let w: Vec<f64> = (0..k)
                .map(|i| (0..k).map(|j| b[i][j] * v[j]).sum())
                .collect();
            let n = w.iter().map(|x| x * x).sum::<f64>().sqrt();
            if n <= 1e-12 {
                lambda = 0.0;
                break;
            }
            lambda = n;
            v = w.iter().map(|x| x / n).collect();
        }
        // Rayleigh quotient for the sign of the eigenvalue.
        let bv: Vec<f64> = (0..k)
            .map(|i| (0..k).map(|j| b[i][j] * v[j]).sum())
            .collect();
        let rq: f64 = bv.iter().zip(&v).map(|(a, c)| a * c).sum();
        if rq <= 1e-12 {
            lambda = 0.0;
        }
        let big = v
            .iter()
            .copied()
            .fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
        if big < 0.0 {
            v.iter_mut().for_each(|x| *x = -*x);
        }
        for i in 0..k {
            for j in 0..k {
                b[i][j] -= lambda * v[i] * v[j];
            }
        }
        axes.push(v.iter().map(|x| x * lambda.sqrt()).collect());
    }
    TopicMap {
        similarity: sim,
        coords: (0..k).map(|i| (axes[0][i], axes[1][i])).collect(),
    }
}

/// How k was chosen: the criteria of every k tried.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KChoice {
    /// The number of topics.
    pub k: usize,
    /// Whether k was chosen automatically (else given).
    pub automatic: bool,
    /// The criterion of the automatic choice (`silhouette` or `stability`).
    pub criterion: String,
    /// `(k, mean silhouette)` of every k tried.
    pub silhouette_by_k: Vec<(usize, f64)>,
    /// `(k, stability)` of every k tried (or the given k).
    pub stability_by_k: Vec<(usize, f64)>,
    /// Re-fits per k behind the stability.
    pub stability_runs: usize,
    /// Fraction of the paragraphs each re-fit saw.
    pub stability_sample: f64,
}

/// One compared group (a document, or the documents sharing a metadata value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupInfo {
    /// Group name (document id or metadata value).
    pub name: String,
    /// Documents in the group.
    pub n_docs: u64,
    /// Paragraphs in the group.
    pub n_paragraphs: u64,
    /// Document title when the group is a single titled document.
    pub title: Option<String>,
}

/// A distinctive term of a group (Fightin' Words, group vs rest).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyTerm {
    /// The term.
    pub term: String,
    /// Occurrences in the group.
    pub count: f64,
    /// Log-odds ratio δ (group vs rest), with the informative Dirichlet prior.
    pub log_odds: f64,
    /// z-score δ/σ.
    pub z: f64,
}

/// Distinctive terms of one group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupTerms {
    /// Group name.
    pub group: String,
    /// Top terms by z, descending.
    pub terms: Vec<KeyTerm>,
}

/// A claim the report makes ("group G uses label L more than the others"), with the
/// paragraphs behind it. The pipeline makes a claim only when a divergence test of G
/// along the dimension is significant after adjustment and the label's interval lies above
/// the other groups' share; the renderers show nothing else as a finding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Dimension (e.g. `topic`, `policy_frames`).
    pub dimension: String,
    /// Group name.
    pub group: String,
    /// Label.
    pub label: String,
    /// The group's share of the label, with its interval.
    pub share: f64,
    /// Lower end of the 95% interval.
    pub ci_low: f64,
    /// Upper end of the 95% interval.
    pub ci_high: f64,
    /// The share of the same label in all other groups pooled.
    pub share_rest: f64,
    /// The smallest adjusted permutation p-value of the group's significant divergence
    /// tests along the dimension (`None` in a report.json written before claims were
    /// tested: such a claim is not shown as a finding).
    #[serde(default)]
    pub p_adjusted: Option<f64>,
    /// Example paragraphs of the group with that label.
    pub examples: Vec<Example>,
}

impl Claim {
    /// Whether the claim is backed: a significant adjusted p-value (below `alpha`) and an
    /// interval above the other groups' share.
    pub fn is_backed(&self, alpha: f64) -> bool {
        self.p_adjusted.is_some_and(|p| p < alpha)
            && self.ci_low.is_finite()
            && self.share_rest.is_finite()
            && self.ci_low > self.share_rest
    }
}

/// How the labels of a dimension were made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DimensionMethod {
    /// Topics: k-means clusters of the paragraphs.
    Topics,
    /// Codebook keywords (dictionary matches).
    Keywords,
    /// Codebook prototypes: similarity to the label descriptions and examples (zero-shot).
    Prototype,
    /// A supervised classifier from `rhetor train` (held-out scores from `rhetor evaluate`).
    Classifier,
    /// Not recorded (a report.json written by an older rhetor).
    Unknown,
}

impl DimensionMethod {
    /// The caveat shown next to the dimension's numbers, or `None` when its labels need
    /// none (topics are what the clustering found; classifiers have held-out scores).
    pub fn caveat(self) -> Option<&'static str> {
        match self {
            DimensionMethod::Topics | DimensionMethod::Classifier => None,
            DimensionMethod::Keywords => Some(
                "Labelled by keywords (dictionary matches), not validated against hand coding: \
                 a paragraph that argues against a position can match its keywords. Treat these \
                 shares as a rough baseline; check them on a hand-coded sample (`rhetor sample`, then `rhetor validate`) \
                 before citing them.",
            ),
            DimensionMethod::Prototype => Some(
                "Labelled zero-shot (similarity to the codebook's label descriptions), not \
                 validated against hand coding. Check these shares on a hand-coded sample \
                 (`rhetor sample`, then `rhetor validate`) before citing them.",
            ),
            DimensionMethod::Unknown => Some(
                "How this dimension was labelled is not recorded in this report.json (written by \
                 an older rhetor); check the run's manifest.json.",
            ),
        }
    }

    /// A few words for table captions and headlines, or `None`.
    pub fn short_caveat(self) -> Option<&'static str> {
        match self {
            DimensionMethod::Topics | DimensionMethod::Classifier => None,
            DimensionMethod::Keywords => Some("keyword labels, not validated"),
            DimensionMethod::Prototype => Some("zero-shot labels, not validated"),
            DimensionMethod::Unknown => Some("labelling method not recorded"),
        }
    }
}

/// A compared dimension: how it was labelled and what its divergence tests found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DimensionInfo {
    /// Dimension name.
    pub name: String,
    /// How its labels were made.
    pub method: DimensionMethod,
    /// Pairs of groups tested (0: no test was run).
    pub n_pairs: u64,
    /// Pairs whose adjusted p-value is below alpha.
    pub n_significant: u64,
    /// The smallest adjusted p-value of the dimension's tests.
    pub min_p_adjusted: Option<f64>,
}

impl DimensionInfo {
    /// The summary of dimension `name`'s tests among `divergence` (all dimensions' rows).
    pub fn from_tests(name: &str, method: DimensionMethod, divergence: &[DivergenceRow]) -> Self {
        let rows: Vec<&DivergenceRow> = divergence.iter().filter(|r| r.dimension == name).collect();
        DimensionInfo {
            name: name.to_string(),
            method,
            n_pairs: rows.len() as u64,
            n_significant: rows.iter().filter(|r| r.significant).count() as u64,
            min_p_adjusted: rows
                .iter()
                .map(|r| r.p_adjusted)
                .filter(|p| p.is_finite())
                .min_by(f64::total_cmp),
        }
    }
}

/// Said when the report shows only some of the groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summarised {
    /// Groups in the run (all of them are in the Parquet tables).
    pub total_groups: u64,
    /// Groups the report shows.
    pub shown_groups: u64,
    /// The `groups.max_in_report` setting.
    pub max_in_report: u64,
}

/// The methods section: one plain-language paragraph per step.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Methods {
    /// Segmentation.
    pub segmentation: String,
    /// Embedding and reduction.
    pub embedding: String,
    /// Clustering and topic terms.
    pub clustering: String,
    /// Labelling (codebooks, classifiers), if any.
    pub labelling: String,
    /// Shares, intervals, divergence tests, keyness.
    pub statistics: String,
    /// Seeds and reproducibility.
    pub reproducibility: String,
}

/// Corpus summary figures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Corpus path as given.
    pub corpus: String,
    /// Documents analysed.
    pub documents: u64,
    /// Paragraphs analysed.
    pub paragraphs: u64,
    /// Documents or rows skipped (unreadable or empty).
    pub skipped: u64,
    /// Boilerplate pieces dropped.
    pub dropped: u64,
    /// Headings recognised (sections, not paragraphs).
    pub headings: u64,
}

/// Everything the report shows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    /// Report title.
    pub title: String,
    /// rhetor version.
    pub rhetor_version: String,
    /// Seed of the run.
    pub seed: u64,
    /// Corpus summary.
    pub summary: Summary,
    /// What the groups are: `None` = each document is a group, else the metadata column.
    pub group_by: Option<String>,
    /// The groups the report shows, in order (all groups unless `summarised`).
    pub groups: Vec<GroupInfo>,
    /// Set when there were more groups than `groups.max_in_report`: the report then shows a
    /// selection, and its shares, divergence, keyness and claims are those of the shown
    /// groups only (the Parquet tables have all of them).
    #[serde(default)]
    pub summarised: Option<Summarised>,
    /// Per dimension, how it was labelled and what its tests found (over all groups).
    #[serde(default)]
    pub dimension_info: Vec<DimensionInfo>,
    /// Significance level of the divergence tests.
    #[serde(default = "default_alpha")]
    pub alpha: f64,
    /// Topics, largest first.
    pub topics: Vec<TopicInfo>,
    /// Dimensions compared (e.g. `topic`), in order.
    pub dimensions: Vec<String>,
    /// Shares with 95% intervals: group × dimension × label.
    pub shares: Vec<ShareRow>,
    /// Pairwise divergences with permutation p-values.
    pub divergence: Vec<DivergenceRow>,
    /// Name of the multiple-testing adjustment (e.g. `benjamini_hochberg`).
    pub adjust: String,
    /// Distinctive terms per group.
    pub keyness: Vec<GroupTerms>,
    /// Claims with the paragraphs behind them.
    pub claims: Vec<Claim>,
    /// Methods section.
    pub methods: Methods,
    /// Warnings raised during the run.
    pub warnings: Vec<String>,
    /// A hand-coded validation, attached by `rhetor report RUN --validation DIR`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validation: Option<ReportValidation>,
    /// How k was chosen, with the stability of every k tried (runs with `--stability`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_choice: Option<KChoice>,
    /// The topics' similarity and 2-D map (from their centroids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic_map: Option<TopicMap>,
    /// Shares over time (runs with `--time-col`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeReport>,
}

/// Shares over time, as the report shows them (`time_labels.parquet` has every row).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeReport {
    /// The document column of the times.
    pub column: String,
    /// The period length (`year`, `month`, …).
    pub period: String,
    /// The p-value adjustment.
    pub adjust: String,
    /// Permutations per test.
    pub n_perm: usize,
    /// Documents left out (no time, not a date, or coarser than the period).
    pub n_left_out: usize,
    /// The series shown (groups, or `all`), at most `groups.max_in_report`.
    pub series: Vec<String>,
    /// Series not shown (the table has them).
    pub series_not_shown: usize,
    /// Rows of the series shown: series × dimension × label × period.
    pub rows: Vec<TimeReportRow>,
}

/// One label's share in one period of one series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TimeReportRow {
    /// The series (group, or `all`).
    pub series: String,
    /// The dimension.
    pub dimension: String,
    /// The label (a topic's label for the topic dimension).
    pub label: String,
    /// The period's name.
    pub period: String,
    /// Labelled paragraphs of the series in the period.
    pub n: u64,
    /// The share.
    pub share: f64,
    /// Lower end of its interval.
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// Change from the previous period.
    pub change: Option<f64>,
    /// Its adjusted p-value.
    pub p_change_adjusted: Option<f64>,
    /// Spearman's ρ of the series' trend (same on every row of the series and label).
    pub trend_rho: Option<f64>,
    /// Its adjusted p-value.
    pub p_trend_adjusted: Option<f64>,
}

fn default_alpha() -> f64 {
    0.05
}

impl ReportData {
    /// What is known about each dimension of the report, in order: the recorded
    /// [`DimensionInfo`], or for a report.json without it, counts from its divergence rows.
    pub fn dimension_infos(&self) -> Vec<DimensionInfo> {
        let mut names: Vec<&str> = self.dimensions.iter().map(String::as_str).collect();
        for d in self
            .shares
            .iter()
            .map(|r| r.dimension.as_str())
            .chain(self.divergence.iter().map(|r| r.dimension.as_str()))
            .chain(self.dimension_info.iter().map(|d| d.name.as_str()))
        {
            if !names.contains(&d) {
                names.push(d);
            }
        }
        names
            .into_iter()
            .map(|name| {
                if let Some(i) = self.dimension_info.iter().find(|i| i.name == name) {
                    return i.clone();
                }
                let method = if name == "topic" {
                    DimensionMethod::Topics
                } else {
                    DimensionMethod::Unknown
                };
                DimensionInfo::from_tests(name, method, &self.divergence)
            })
            .collect()
    }

    /// The claims shown as findings (see [`Claim::is_backed`]).
    pub fn findings(&self) -> impl Iterator<Item = &Claim> {
        self.claims.iter().filter(|c| c.is_backed(self.alpha))
    }

    /// What the report says beside dimension `dim`'s numbers.
    pub fn caveat(&self, dim: &str) -> Caveat<'_> {
        Caveat {
            method: self.method_of(dim),
            validated: self
                .validation
                .as_ref()
                .and_then(|v| v.dimensions.iter().find(|d| d.dimension == dim)),
        }
    }

    /// The corrected share of `label` in `group` along `dim`, when a validation has one.
    pub fn corrected(&self, dim: &str, group: &str, label: &str) -> Option<&CorrectedShare> {
        self.validation
            .as_ref()?
            .shares
            .iter()
            .find(|s| s.dimension == dim && s.group == group && s.label == label)
    }

    /// The method of a dimension.
    pub fn method_of(&self, dim: &str) -> DimensionMethod {
        self.dimension_infos()
            .into_iter()
            .find(|i| i.name == dim)
            .map_or(DimensionMethod::Unknown, |i| i.method)
    }
}

/// Keeps the report proportional to what it can show: with more than `max` groups, keeps
/// `max` of them — those with a finding first (smallest adjusted p), then the largest by
/// paragraphs (ties: the first) — in their original order, with only their shares,
/// divergence pairs (both groups shown), distinctive terms and claims, and records it in
/// [`ReportData::summarised`]. The per-dimension test counts stay those of all groups.
pub fn summarise(data: &mut ReportData, max: usize) {
    let total = data.groups.len();
    let max = max.max(1);
    if total <= max {
        return;
    }
    let mut best_p: std::collections::HashMap<&str, f64> = std::collections::HashMap::new();
    for c in data.findings() {
        let p = c.p_adjusted.unwrap_or(f64::INFINITY);
        let e = best_p.entry(c.group.as_str()).or_insert(p);
        *e = e.min(p);
    }
    let mut order: Vec<usize> = (0..total).collect();
    order.sort_by(|&a, &b| {
        let (ga, gb) = (&data.groups[a], &data.groups[b]);
        let pa = best_p
            .get(ga.name.as_str())
            .copied()
            .unwrap_or(f64::INFINITY);
        let pb = best_p
            .get(gb.name.as_str())
            .copied()
            .unwrap_or(f64::INFINITY);
        pa.total_cmp(&pb)
            .then(gb.n_paragraphs.cmp(&ga.n_paragraphs))
            .then(a.cmp(&b))
    });
    order.truncate(max);
    order.sort_unstable();
    let keep: std::collections::HashSet<String> =
        order.iter().map(|&i| data.groups[i].name.clone()).collect();
    data.groups = order.iter().map(|&i| data.groups[i].clone()).collect();
    data.shares.retain(|r| keep.contains(&r.group_name));
    data.divergence
        .retain(|r| keep.contains(&r.name_a) && keep.contains(&r.name_b));
    data.keyness.retain(|k| keep.contains(&k.group));
    data.claims.retain(|c| keep.contains(&c.group));
    data.summarised = Some(Summarised {
        total_groups: total as u64,
        shown_groups: data.groups.len() as u64,
        max_in_report: max as u64,
    });
}

/// The sentence a summarised report shows, in plain text (`None` when it shows every group).
pub fn summary_note(data: &ReportData) -> Option<String> {
    let s = data.summarised.as_ref()?;
    Some(format!(
        "The report is summarised: the run has {} groups, more than the {} a report shows \
         (groups.max_in_report = {}). It shows {} of them — those with a significant finding \
         first, then the largest by paragraphs — and its tables list only their shares, pairs \
         and terms; doc_labels.parquet has every group, and so do divergence.parquet and \
         keyness.parquet when they were computed (up to groups.max_pairwise groups). To compare fewer, larger groups, group the documents by a metadata column: \
         `rhetor run CORPUS --group-by COLUMN` (for example a party, outlet or year column), \
         or raise groups.max_in_report in the configuration.",
        s.total_groups, s.max_in_report, s.max_in_report, s.shown_groups
    ))
}

/// Renders every report file: `(file name, content)`.
pub fn render_all(data: &ReportData) -> Vec<(&'static str, String)> {
    vec![
        ("report.md", markdown::render(data)),
        ("report.html", html::render(data)),
    ]
}

/// Re-renders `report.md` and `report.html` of a finished run from its `report.json`.
pub fn rerender(
    run_dir: &std::path::Path,
) -> Result<Vec<std::path::PathBuf>, crate::export::ExportError> {
    let path = run_dir.join("report.json");
    let text = std::fs::read_to_string(&path).map_err(|e| crate::export::ExportError::Read {
        path: path.clone(),
        message: format!("{e} (is this a run directory written by `rhetor run`?)"),
    })?;
    let data: ReportData =
        serde_json::from_str(&text).map_err(|e| crate::export::ExportError::Read {
            path: path.clone(),
            message: format!("not a rhetor report.json: {e}"),
        })?;
    let mut written = Vec::new();
    let mut names = Vec::new();
    for (name, content) in render_all(&data) {
        let p = run_dir.join(name);
        crate::export::write_text(&p, &content)?;
        written.push(p);
        names.push(name.to_string());
    }
    // The run's file list names them, so `--force` may replace the run later.
    crate::export::record_files(run_dir, &names)?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::{PermMethod, ShareMethod};

    pub(crate) fn share(
        dim: &str,
        g: usize,
        name: &str,
        label: &str,
        count: u64,
        n: u64,
    ) -> ShareRow {
        let s = count as f64 / n as f64;
        ShareRow {
            dimension: dim.into(),
            group: g,
            group_name: name.into(),
            label: label.into(),
            count,
            n,
            n_unlabelled: 0,
            n_docs: 1,
            share: s,
            ci_low: (s - 0.2).max(0.0),
            ci_high: (s + 0.2).min(1.0),
            method: ShareMethod::Goodman,
        }
    }

    pub(crate) fn div(
        dim: &str,
        a: usize,
        b: usize,
        names: &[String],
        p_adj: f64,
    ) -> DivergenceRow {
        DivergenceRow {
            dimension: dim.into(),
            group_a: a,
            group_b: b,
            name_a: names[a].clone(),
            name_b: names[b].clone(),
            n_a: 10,
            n_b: 10,
            docs_a: 1,
            docs_b: 1,
            jsd: 0.2,
            p_value: p_adj / 2.0,
            p_adjusted: p_adj,
            significant: p_adj < 0.05,
            method: PermMethod::Paragraphs,
            n_perm: 999,
        }
    }

    /// `n` single-document groups; group i has 10 + i paragraphs; topics and a keyword
    /// stance dimension; every pair tested with adjusted p `p_adj`.
    pub(crate) fn data(n: usize, p_adj: f64) -> ReportData {
        let names: Vec<String> = (0..n).map(|i| format!("doc_{i:03}.txt")).collect();
        let mut shares = Vec::new();
        let mut divergence = Vec::new();
        for (g, name) in names.iter().enumerate() {
            shares.push(share("topic", g, name, "0: tax, jobs", 6, 10));
            shares.push(share("topic", g, name, "1: border, wall", 4, 10));
            shares.push(share("stance", g, name, "favor", 2, 3));
            shares.push(share("stance", g, name, "against", 1, 3));
        }
        for dim in ["topic", "stance"] {
            for a in 0..n {
                for b in a + 1..n {
                    divergence.push(div(dim, a, b, &names, p_adj));
                }
            }
        }
        let info = |name: &str, method| DimensionInfo {
            name: name.into(),
            method,
            n_pairs: divergence.iter().filter(|r| r.dimension == name).count() as u64,
            n_significant: divergence
                .iter()
                .filter(|r| r.dimension == name && r.significant)
                .count() as u64,
            min_p_adjusted: Some(p_adj),
        };
        ReportData {
            title: "t".into(),
            rhetor_version: "0.1.0".into(),
            seed: 42,
            summary: Summary::default(),
            group_by: None,
            groups: names
                .iter()
                .enumerate()
                .map(|(i, n)| GroupInfo {
                    name: n.clone(),
                    n_docs: 1,
                    n_paragraphs: 10 + i as u64,
                    title: None,
                })
                .collect(),
            summarised: None,
            dimension_info: vec![
                info("topic", DimensionMethod::Topics),
                info("stance", DimensionMethod::Keywords),
            ],
            alpha: 0.05,
            topics: vec![],
            dimensions: vec!["topic".into(), "stance".into()],
            shares,
            divergence,
            adjust: "benjamini_hochberg".into(),
            keyness: names
                .iter()
                .map(|n| GroupTerms {
                    group: n.clone(),
                    terms: vec![],
                })
                .collect(),
            claims: vec![Claim {
                dimension: "stance".into(),
                group: names[0].clone(),
                label: "favor".into(),
                share: 2.0 / 3.0,
                ci_low: 0.6,
                ci_high: 0.9,
                share_rest: 0.3,
                p_adjusted: Some(p_adj),
                examples: vec![],
            }],
            methods: Methods::default(),
            warnings: vec![],
            validation: None,
            k_choice: None,
            topic_map: None,
            time: None,
        }
    }

    #[test]
    fn a_claim_is_a_finding_only_when_tested_and_above_the_rest() {
        let mut c = data(2, 0.01).claims[0].clone();
        assert!(c.is_backed(0.05));
        c.p_adjusted = Some(0.2);
        assert!(!c.is_backed(0.05));
        c.p_adjusted = None;
        assert!(!c.is_backed(0.05));
        c.p_adjusted = Some(0.01);
        c.ci_low = 0.2;
        assert!(!c.is_backed(0.05), "interval includes the rest's share");
    }

    #[test]
    fn summarise_keeps_few_groups_as_they_are() {
        let mut d = data(5, 0.01);
        let before = d.clone();
        summarise(&mut d, 5);
        assert_eq!(d, before);
    }

    #[test]
    fn summarise_keeps_findings_then_the_largest_groups() {
        let mut d = data(40, 0.01);
        summarise(&mut d, 10);
        let s = d.summarised.clone().unwrap();
        assert_eq!(
            (s.total_groups, s.shown_groups, s.max_in_report),
            (40, 10, 10)
        );
        let names: Vec<&str> = d.groups.iter().map(|g| g.name.as_str()).collect();
        // doc_000 has the finding; then the 9 largest (the last ones), in original order.
        let mut want = vec!["doc_000.txt".to_string()];
        want.extend((31..40).map(|i| format!("doc_{i:03}.txt")));
        assert_eq!(names, want);
        assert!(d
            .shares
            .iter()
            .all(|r| names.contains(&r.group_name.as_str())));
        assert_eq!(d.shares.len(), 10 * 4);
        assert_eq!(d.divergence.len(), 2 * 45);
        assert_eq!(d.keyness.len(), 10);
        assert_eq!(d.claims.len(), 1);
        // the test counts still describe every pair
        assert_eq!(d.dimension_info[0].n_pairs, 40 * 39 / 2);
        let note = summary_note(&d).unwrap();
        assert!(
            note.contains("40 groups") && note.contains("--group-by"),
            "{note}"
        );
    }

    #[test]
    fn old_report_json_without_test_fields_claims_nothing() {
        let mut v = serde_json::to_value(data(3, 0.01)).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("dimension_info");
        o.remove("alpha");
        o.remove("summarised");
        for c in o["claims"].as_array_mut().unwrap() {
            c.as_object_mut().unwrap().remove("p_adjusted");
        }
        let d: ReportData = serde_json::from_value(v).unwrap();
        assert_eq!(d.alpha, 0.05);
        assert_eq!(d.findings().count(), 0);
        let infos = d.dimension_infos();
        assert_eq!(infos[0].method, DimensionMethod::Topics);
        assert_eq!(infos[1].method, DimensionMethod::Unknown);
        assert_eq!(infos[1].n_significant, 3);
    }
}

#[cfg(test)]
mod topic_map_tests {
    use super::topic_map;

    #[test]
    fn map_of_known_centroids() {
        // Topics 0 and 1 identical, 2 orthogonal to them.
        let c = ndarray::arr2(&[[1.0f32, 0.0], [2.0, 0.0], [0.0, 1.0]]);
        let m = topic_map(c.view());
        assert!((m.similarity[0][1] - 1.0).abs() < 1e-12 && m.similarity[0][2].abs() < 1e-12);
        let d = |a: (f64, f64), b: (f64, f64)| ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt();
        assert!(d(m.coords[0], m.coords[1]) < 1e-6, "{:?}", m.coords);
        // MDS keeps the distance √2 between the orthogonal ones.
        assert!(
            (d(m.coords[0], m.coords[2]) - 2f64.sqrt()).abs() < 1e-6,
            "{:?}",
            m.coords
        );
        assert_eq!(m, topic_map(c.view()));
    }
}
