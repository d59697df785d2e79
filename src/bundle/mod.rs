//! A fitted pipeline, saved as a directory: the **bundle**.
//!
//! `rhetor fit` writes one; `rhetor apply` reads it and labels new documents without refitting
//! anything; `rhetor run` is fit + apply on the same corpus. Everything in a bundle is readable
//! without rhetor: JSON and TOML for settings, vocabularies, topic descriptions and codebooks,
//! [safetensors](https://github.com/huggingface/safetensors) for the arrays. The format is
//! documented field by field in `docs/bundle.md`, generated from [`BUNDLE_DOCS`] (a test
//! fails when the two drift apart).
//!
//! Reading checks, in order: that `bundle.json` names this format, that its
//! `format_version` is one this rhetor reads (a newer or older version is refused with both
//! numbers), that every file it lists exists with the sha256 it records (a changed or
//! truncated file is refused, naming it), and that the arrays have the shapes the settings
//! imply. A bundle fitted with a sentence-transformer records the sha256 of the model's
//! files; applying it with a model whose files differ is refused ([`BundleError::ModelChanged`]).

mod docs;
mod io;

pub use docs::{reference_markdown, BUNDLE_DOCS};
pub(crate) use io::codebook_file;
pub use io::{check_model, model_files, read, write};

use crate::classify::ModelFile;
use crate::config::Config;
use crate::embed::tfidf::FittedTfidf;
use crate::label::Codebook;
use ndarray::Array2;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The `format` field of `bundle.json`.
pub const FORMAT: &str = "rhetor-pipeline";
/// The version of the bundle format this rhetor writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// The manifest's file name.
pub const MANIFEST: &str = "bundle.json";

/// A fitted pipeline: everything `apply` needs, nothing refitted.
#[derive(Clone, Debug)]
pub struct Bundle {
    /// `bundle.json`.
    pub manifest: BundleManifest,
    /// The TF-IDF vectorizer of the embed stage (`tfidf_vectorizer.json`). With a
    /// sentence-transformer it still weighs the TF-IDF label space.
    pub vectorizer: FittedTfidf,
    /// LSA components `Vᵀ`, `n_components × n_terms` (`lsa.safetensors`); `None` with a
    /// sentence-transformer.
    pub lsa_components: Option<Array2<f64>>,
    /// Topic centroids, `k × dimension` (`centroids.safetensors`).
    pub centroids: Array2<f32>,
    /// The term vectorizer of topic terms and keyness (`topic_terms_vectorizer.json`).
    pub term_vectorizer: FittedTfidf,
    /// Codebooks, target filled in (`codebook.<name>.toml`).
    pub codebooks: Vec<Codebook>,
    /// Trained classifiers, by dimension name (`classifier.<name>.json`).
    pub classifiers: Vec<(String, ModelFile)>,
}

/// `bundle.json`: what was fitted, how, and the sha256 of every other file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BundleManifest {
    /// Always `"rhetor-pipeline"`.
    pub format: String,
    /// Bundle format version ([`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The rhetor version that fitted it.
    pub rhetor_version: String,
    /// The configuration it was fitted with (the seed included).
    pub config: Config,
    /// What it was fitted on.
    pub fitted_on: FittedOn,
    /// The embedder.
    pub embed: EmbedInfo,
    /// The clustering.
    pub cluster: ClusterInfo,
    /// The topics, in id order.
    pub topics: Vec<TopicInfo>,
    /// Codebook files, in labelling order.
    pub codebooks: Vec<String>,
    /// Classifier files by dimension name, in labelling order.
    pub classifiers: Vec<ClassifierRef>,
    /// sha256 of every other file of the bundle, by file name.
    pub files: BTreeMap<String, String>,
}

/// What a bundle was fitted on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FittedOn {
    /// The corpus path as given.
    pub corpus: String,
    /// Documents read.
    pub documents: usize,
    /// Paragraphs (units) fitted on.
    pub paragraphs: usize,
    /// With `fit --sample N`: the corpus's paragraphs, of which `paragraphs` were drawn at
    /// random (seeded by the config's seed); absent when every paragraph was used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sampled_from: Option<usize>,
}

/// The embedder of a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EmbedInfo {
    /// TF-IDF, then LSA.
    Tfidf {
        /// Vocabulary size.
        n_features: usize,
        /// LSA components.
        n_components: usize,
        /// Their singular values, largest first.
        singular_values: Vec<f64>,
        /// Explained variance ratio of each component on the fit corpus.
        explained_variance_ratio: Vec<f64>,
    },
    /// A sentence-transformer.
    Transformer {
        /// The model name (or path) of `[embed] model`.
        model: String,
        /// Vector length.
        dimension: usize,
        /// sha256 of the model's files, by path relative to the model folder.
        model_files: BTreeMap<String, String>,
    },
}

/// The clustering of a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterInfo {
    /// Number of topics.
    pub k: usize,
    /// Dimension of the centroids (= of the embedding).
    pub dimension: usize,
    /// Whether k was chosen by silhouette.
    pub k_chosen_automatically: bool,
    /// `(k, mean silhouette)` of every k compared.
    pub silhouette_by_k: Vec<(usize, f64)>,
    /// Inertia of the fit.
    pub inertia: f64,
}

/// One fitted topic.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicInfo {
    /// Topic id (0 = largest on the fit corpus).
    pub topic_id: usize,
    /// Paragraphs of the fit corpus in it.
    pub size: usize,
    /// Label (top distinct terms).
    pub label: String,
    /// Top terms by c-TF-IDF weight on the fit corpus.
    pub terms: Vec<String>,
    /// Their weights.
    pub scores: Vec<f64>,
    /// How the label was given (`terms`, `seed` or `names`; absent = `terms`).
    #[serde(default = "terms_label", skip_serializing_if = "is_terms_label")]
    pub label_from: String,
}

fn terms_label() -> String {
    crate::topics::label_from::TERMS.to_string()
}

fn is_terms_label(s: &String) -> bool {
    s == crate::topics::label_from::TERMS
}

/// A classifier of a bundle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassifierRef {
    /// The dimension it labels.
    pub dimension: String,
    /// Its file in the bundle.
    pub file: String,
}

/// A bundle that cannot be read or applied. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// `MODEL_DIR` is not a bundle.
    #[error(
        "'{0}' is not a rhetor pipeline bundle (no bundle.json); make one with \
         `rhetor fit CORPUS --out MODEL_DIR`"
    )]
    NotABundle(PathBuf),
    /// A file could not be read.
    #[error("cannot read '{path}': {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A file could not be parsed.
    #[error("'{path}' is not a valid bundle file: {message}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// `bundle.json` names another format.
    #[error(
        "'{path}' is not a rhetor pipeline bundle: its format is {found}, expected \"{FORMAT}\""
    )]
    WrongFormat {
        /// `bundle.json`.
        path: PathBuf,
        /// The format found.
        found: String,
    },
    /// A format version this rhetor cannot read.
    #[error(
        "'{path}' has bundle format version {found}, but this rhetor ({}) reads version \
         {FORMAT_VERSION}; {hint}",
        crate::VERSION
    )]
    UnsupportedVersion {
        /// `bundle.json`.
        path: PathBuf,
        /// The version found.
        found: String,
        /// What to do.
        hint: &'static str,
    },
    /// A file is missing or differs from the sha256 that `bundle.json` records.
    #[error(
        "'{path}' {problem}; the bundle was changed or damaged after it was written. \
         Fit it again with `rhetor fit`"
    )]
    Damaged {
        /// The file.
        path: PathBuf,
        /// "is missing" or "has sha256 X, but bundle.json records Y".
        problem: String,
    },
    /// The sentence-transformer's files differ from those the bundle was fitted with.
    #[error(
        "the bundle was fitted with model '{model}', but its file '{file}' now {problem}; \
         its embeddings would not match the fitted topics. Install the model the bundle was \
         fitted with, or fit a new bundle"
    )]
    ModelChanged {
        /// The model.
        model: String,
        /// The file that differs.
        file: String,
        /// How.
        problem: String,
    },
}
