//! `manifest.json`: how a run was made, typed.

use crate::config::Config;
use crate::corpus::{InputFile, Skipped};
use crate::embed::transformer::Precision;
use crate::label::Method;
use serde::Serialize;
use std::collections::BTreeMap;

/// Counts reported in the manifest.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Counts {
    /// Documents kept.
    pub documents: usize,
    /// Paragraphs (analysis units) kept.
    pub paragraphs: usize,
    /// Headings recognised (they are sections, not paragraphs).
    pub headings: usize,
    /// Documents or rows skipped, all reasons.
    pub skipped: usize,
    /// Of those, unreadable (invalid UTF-8, binary, I/O error).
    pub skipped_unreadable: usize,
    /// Of those, empty or whitespace only.
    pub skipped_empty: usize,
    /// Boilerplate pieces dropped.
    pub dropped: usize,
    /// Dropped by reason.
    pub dropped_by_reason: BTreeMap<String, usize>,
    /// Files in the corpus folder with an extension that is not read.
    pub other_files: usize,
}

/// Description of an output table in the manifest.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TableInfo {
    /// Number of rows.
    pub rows: usize,
    /// Column names in order.
    pub columns: Vec<String>,
}

/// `manifest.json`: everything needed to know how a run was made.
#[derive(Clone, Debug, Serialize)]
pub struct Manifest {
    /// rhetor version.
    pub rhetor_version: String,
    /// Version of the table schemas.
    pub schema_version: u32,
    /// The command that made the run.
    pub command: String,
    /// The corpus path as given.
    pub corpus: String,
    /// The seed of every random choice.
    pub seed: u64,
    /// The resolved configuration.
    pub config: Config,
    /// The bundle the run applied (`rhetor apply`); absent when the run fitted its own
    /// models.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle: Option<AppliedBundle>,
    /// Input files with their sha256.
    pub inputs: Vec<InputFile>,
    /// Counts.
    pub counts: Counts,
    /// What was skipped and why.
    pub skipped: Vec<Skipped>,
    /// Output tables.
    pub tables: BTreeMap<String, TableInfo>,
    /// What each stage found (vocabulary size, components, chosen k, …).
    pub stages: StageDetails,
    /// Wall-clock seconds per stage.
    pub timings_s: BTreeMap<String, f64>,
}

/// What each stage found, as recorded in `manifest.json` under `stages`.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct StageDetails {
    /// The embed stage.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<EmbedDetails>,
    /// The reduction (LSA) before clustering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reduce: Option<ReduceDetails>,
    /// The clustering.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterDetails>,
    /// One entry per labelled dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<Vec<LabelDetails>>,
}

/// The embedder of a run.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EmbedDetails {
    /// TF-IDF vectors.
    Tfidf {
        /// Vocabulary size.
        n_features: usize,
        /// Non-zeros of the paragraph × term matrix.
        nnz: usize,
    },
    /// Sentence-transformer vectors.
    Transformer {
        /// The model name or path.
        model: String,
        /// Its folder.
        model_dir: String,
        /// Vector length.
        dimension: usize,
        /// Maximum tokens per text.
        max_length: usize,
        /// Number type of the encoder.
        precision: Precision,
        /// Texts longer than the maximum length.
        n_truncated: usize,
        /// Tokens fed to the model.
        n_tokens: usize,
        /// Padding tokens.
        n_pad_tokens: usize,
        /// Texts whose vectors came from the cache.
        n_cached: usize,
        /// `native` or `candle`.
        engine: String,
        /// The product kernel that ran (`avx512-f32`, `avx512-fp16`, `avx2-f32`, …; see
        /// `Embedder::kernel`); shards that ran different kernels list each once.
        #[serde(default)]
        kernel: String,
        /// The CPU model the encoder ran on (shards on different CPUs list each once).
        #[serde(default)]
        cpu: String,
        /// The embedding cache, when used.
        cache: Option<String>,
        /// Vocabulary size of the TF-IDF used for topic terms and labels.
        tfidf_features_for_topic_terms: usize,
    },
}

/// The reduction before clustering.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct ReduceDetails {
    /// How.
    pub method: String,
    /// Dimensions clustered.
    pub n_components: usize,
    /// Share of the TF-IDF variance the components explain on the fit corpus (LSA only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explained_variance: Option<f64>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The clustering of a run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ClusterDetails {
    /// How.
    pub method: String,
    /// Number of topics.
    pub k: usize,
    /// Whether k was chosen by silhouette.
    pub k_chosen_automatically: bool,
    /// `(k, mean silhouette)` of every k compared.
    pub silhouette_by_k: Vec<(usize, f64)>,
    /// The criterion of the automatic k (`silhouette` or `stability`).
    pub choose_k: String,
    /// `(k, stability)` of every k compared (or the given k) with `stability_runs > 0`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stability_by_k: Vec<(usize, f64)>,
    /// Re-fits per k behind `stability_by_k` (0: not measured).
    #[serde(skip_serializing_if = "is_zero")]
    pub stability_runs: usize,
    /// Guided topics: each seed name and the topic id it became.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub seeded: Vec<(String, usize)>,
    /// Merged topics: the topic id and the fitted ids it holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub merged: Vec<(usize, Vec<usize>)>,
    /// Inertia of the fit (on the fit corpus).
    pub inertia: f64,
    /// Lloyd iterations of the fit.
    pub n_iter: usize,
}

/// One labelled dimension.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LabelDetails {
    /// Dimension name.
    pub dimension: String,
    /// Codebook (or `classifier:NAME`).
    pub codebook: String,
    /// Method.
    pub method: Method,
    /// Single- or multi-label (multi-label paragraphs join their labels with `;`).
    pub kind: crate::label::Kind,
    /// Its labels.
    pub labels: Vec<String>,
    /// Paragraphs left unsure.
    pub unsure: usize,
}

/// The bundle an applied run used.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AppliedBundle {
    /// The bundle directory as given.
    pub path: String,
    /// sha256 of its `bundle.json` (which holds the sha256 of every other file).
    pub sha256: String,
    /// The rhetor version that fitted it.
    pub rhetor_version: String,
    /// The corpus it was fitted on.
    pub fitted_on: crate::bundle::FittedOn,
}
