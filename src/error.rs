//! The crate's error type: one variant per stage.

use std::path::PathBuf;

/// Any error of the rhetor library.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Loading the corpus failed.
    #[error(transparent)]
    Corpus(#[from] crate::corpus::CorpusError),
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// Writing outputs failed.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// TF-IDF failed (e.g. an empty vocabulary).
    #[error(transparent)]
    Embed(#[from] crate::embed::tfidf::TfidfError),
    /// Dimensionality reduction failed.
    #[error(transparent)]
    Reduce(#[from] crate::embed::lsa::ReduceError),
    /// Clustering failed (e.g. fewer paragraphs than k).
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
    /// Grouping or comparison failed.
    #[error(transparent)]
    Group(#[from] crate::framing::GroupError),
    /// Labelled data problems (train/evaluate/predict).
    #[error(transparent)]
    Supervised(#[from] crate::supervised::SupervisedError),
    /// Classifier training or prediction failed.
    #[error(transparent)]
    Classify(#[from] crate::classify::ClassifyError),
    /// Metrics could not be computed.
    #[error(transparent)]
    Metrics(#[from] crate::classify::MetricsError),
    /// A classifier file cannot be read or written.
    #[error(transparent)]
    ModelFile(#[from] crate::classify::ModelFileError),
    /// Transformer embeddings failed.
    #[error(transparent)]
    Transformer(#[from] crate::embed::transformer::TransformerError),
    /// A pipeline bundle cannot be read or applied.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::BundleError),
    /// Sampling, agreement or validation failed.
    #[error(transparent)]
    Validate(#[from] crate::validate::ValidateError),
    /// Parts of a sharded apply cannot be written or merged.
    #[error(transparent)]
    Shard(#[from] crate::run::ShardError),
    /// Every document was skipped.
    #[error("no readable document in '{path}' ({skipped} skipped, see the messages above)")]
    NoDocuments {
        /// The corpus.
        path: PathBuf,
        /// How many were skipped.
        skipped: usize,
    },
    /// Segmentation left no paragraph at all.
    #[error("no paragraph found in '{0}': every document is empty after segmentation")]
    NoParagraphs(PathBuf),
}
