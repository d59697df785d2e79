//! The framing report for people: `report.md` and a self-contained `report.html` (inline
//! SVG charts, no script, no network request).
//!
//! [`ReportData`] holds everything the report shows; it is built by the pipeline from the
//! run's tables and rendered by [`markdown::render`] and [`html::render`]. It is also
//! written as `report.json` so `rhetor report RUN_DIR` can re-render a finished run.

pub mod html;
pub mod markdown;

use crate::compare::{DivergenceRow, ShareRow};
use serde::{Deserialize, Serialize};

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
/// paragraphs behind it.
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
    /// Example paragraphs of the group with that label.
    pub examples: Vec<Example>,
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
    /// The groups compared, in order.
    pub groups: Vec<GroupInfo>,
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
