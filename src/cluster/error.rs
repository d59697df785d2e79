//! Errors of the topic clustering.

use thiserror::Error;

/// An invalid [`ClusterParams`](super::ClusterParams).
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ClusterParamsError {
    /// `k = 0` was asked for.
    #[error(
        "k must be at least 1 (got k = 0); omit k to choose the number of topics automatically"
    )]
    ZeroK,
    /// `n_init = 0`.
    #[error("n_init must be at least 1 (got {0})")]
    ZeroNInit(usize),
    /// `max_iter = 0`.
    #[error("max_iter must be at least 1 (got {0})")]
    ZeroMaxIter(usize),
    /// `tol` is negative, NaN or infinite.
    #[error("tol must be a finite number ≥ 0 (got {0})")]
    InvalidTol(f64),
    /// `k_min < 2`: the silhouette needs at least two clusters.
    #[error("k_min must be at least 2, since the silhouette score needs two topics to compare (got {0})")]
    KMinTooSmall(usize),
    /// `k_min > k_max`.
    #[error("k_min = {k_min} is larger than k_max = {k_max}")]
    KRangeEmpty {
        /// Lower end of the automatic range.
        k_min: usize,
        /// Upper end of the automatic range.
        k_max: usize,
    },
    /// `silhouette_sample < 2`.
    #[error("silhouette_sample must be at least 2 paragraphs (got {0})")]
    SilhouetteSampleTooSmall(usize),
    /// `stability_sample` outside `(0, 1]`.
    #[error("stability_sample must be a fraction in (0, 1] of the paragraphs (got {0})")]
    StabilitySample(f64),
    /// `choose_k = "stability"` without stability runs to measure it.
    #[error("choose_k = \"stability\" needs stability_runs of at least 2 (got {0}); set [cluster] stability_runs (e.g. 10) or pass --stability 10")]
    ChooseKNeedsRuns(usize),
}

/// A clustering input that cannot be clustered.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ClusterError {
    /// More guided (seeded) topics than topics.
    #[error("{seeds} guided topics ([topics] seeds) need k of at least {seeds}, but k = {k}; raise --k or give fewer seed topics")]
    TooManySeeds {
        /// Number of topics.
        k: usize,
        /// Number of seed topics.
        seeds: usize,
    },
    /// A guided topic whose seed words occur in no paragraph.
    #[error("[topics] seeds '{name}': none of its words ({words}) occurs in any paragraph, so it cannot start a topic; change its words or remove it")]
    SeedMatchesNothing {
        /// The seed topic.
        name: String,
        /// Its words.
        words: String,
    },
    /// A merge or name refers to a topic id the fit does not have.
    #[error("[topics] {key}: topic {id} does not exist (the fit has topics 0..{k})")]
    NoSuchTopic {
        /// `merge` or `names`.
        key: String,
        /// The id.
        id: usize,
        /// Number of fitted topics.
        k: usize,
    },
    /// Seed centres of another dimension than the rows, or not finite.
    #[error("the guided topics' seed centres are {seed_dims}-dimensional with non-finite values or another width than the {dims}-dimensional paragraph embeddings")]
    BadSeeds {
        /// Width of the seeds.
        seed_dims: usize,
        /// Width of the rows.
        dims: usize,
    },
    /// No rows.
    #[error("the corpus has no paragraphs to cluster")]
    NoRows,
    /// Rows of dimension 0.
    #[error("the paragraph embeddings have no dimensions ({rows} rows × 0 columns)")]
    NoDimensions {
        /// Number of rows.
        rows: usize,
    },
    /// A NaN or infinite value in the input.
    #[error("the embedding of paragraph {row} holds a non-finite value ({value}) in column {col}")]
    NonFinite {
        /// Row (paragraph) index.
        row: usize,
        /// Column index.
        col: usize,
        /// The value.
        value: f32,
    },
    /// A row whose squared norm overflows `f32`.
    #[error("the embedding of paragraph {row} is too large to cluster (its squared norm overflows f32); normalise the rows first")]
    Overflow {
        /// Row (paragraph) index.
        row: usize,
    },
    /// More topics asked for than there are rows.
    #[error(
        "k = {k} topics were asked for, but the corpus has only {rows} {}; \
         lower k or omit it to choose k automatically",
        if *.rows == 1 { "paragraph" } else { "paragraphs" }
    )]
    TooFewRows {
        /// Requested number of topics.
        k: usize,
        /// Number of rows (paragraphs).
        rows: usize,
    },
    /// Rows and fitted centroids of different dimensions (or no centroids).
    #[error(
        "the paragraph embeddings have {rows} dimensions but the {k} fitted topic centroids \
         have {centroids}; the model was fitted with a different embedding"
    )]
    DimensionMismatch {
        /// Dimension of the rows.
        rows: usize,
        /// Dimension of the centroids.
        centroids: usize,
        /// Number of centroids.
        k: usize,
    },
    /// Invalid parameters, when fitting through [`linfa::traits::Fit`] on unchecked
    /// [`ClusterParams`](super::ClusterParams) (the check runs first).
    #[error(transparent)]
    Params(#[from] ClusterParamsError),
    /// An error reported by linfa (its `Fit` trait requires `From<linfa::Error>`; rhetor's
    /// k-means itself never produces one). Holds the message, so that this enum stays
    /// `Clone + PartialEq`.
    #[error("linfa: {0}")]
    Linfa(String),
}

impl From<linfa::Error> for ClusterError {
    fn from(e: linfa::Error) -> Self {
        Self::Linfa(e.to_string())
    }
}
