//! Errors of the comparison statistics.

/// An input problem of [`shares`](super::shares), [`divergence`](super::divergence) or
/// [`keyness`](super::keyness). Every message names the offending value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    /// A document's group index is not a valid index into `group_names`.
    #[error(
        "grouping: document {doc} is in group {group}, but there are only {n_groups} group names"
    )]
    GroupOutOfRange {
        /// The document.
        doc: usize,
        /// Its group index.
        group: usize,
        /// How many group names there are.
        n_groups: usize,
    },
    /// The series of a time analysis do not cover its documents.
    #[error("time analysis: {docs} documents have a time, but the grouping has {grouped}")]
    TimeDocs {
        /// Documents with a (possibly missing) time.
        docs: usize,
        /// Documents in the grouping.
        grouped: usize,
    },
    /// A labelled unit refers to a document the grouping does not know.
    #[error("dimension '{dimension}': unit {unit} refers to document {doc}, but the grouping has {n_docs} documents")]
    DocOutOfRange {
        /// The dimension.
        dimension: String,
        /// The unit's position in the dimension's units.
        unit: usize,
        /// Its document index.
        doc: usize,
        /// How many documents the grouping has.
        n_docs: usize,
    },
    /// Counts of a dimension have units of a document the grouping does not know.
    #[error("dimension '{dimension}': the counts have units of document {doc}, but the grouping has {n_docs} documents")]
    CountsDocOutOfRange {
        /// The dimension.
        dimension: String,
        /// The first such document.
        doc: usize,
        /// How many documents the grouping has.
        n_docs: usize,
    },
    /// [`DimensionCounts::merge`](super::DimensionCounts::merge) of two different
    /// dimensions.
    #[error("cannot merge the counts of dimension '{right}' into those of dimension '{left}'")]
    MergeDimensions {
        /// The dimension merged into.
        left: String,
        /// The dimension merged.
        right: String,
    },
    /// Two dimensions passed to [`divergence`](super::divergence) have the same name.
    #[error("dimension '{0}' is given twice")]
    DuplicateDimension(String),
    /// Keyness: the number of count rows differs from the number of groups.
    #[error("keyness: {rows} rows of term counts for {groups} group names")]
    RowsVsGroups {
        /// Count rows.
        rows: usize,
        /// Group names.
        groups: usize,
    },
    /// Keyness: a term index is not a valid index into the vocabulary.
    #[error(
        "keyness: group {group} has a count for term {term}, but the vocabulary has {vocab} terms"
    )]
    TermOutOfRange {
        /// The group (row).
        group: usize,
        /// The term index.
        term: usize,
        /// The vocabulary size.
        vocab: usize,
    },
    /// Keyness: a count is negative, NaN or infinite.
    #[error(
        "keyness: group {group}, term {term} has count {value}; counts must be finite and >= 0"
    )]
    BadCount {
        /// The group (row).
        group: usize,
        /// The term index.
        term: usize,
        /// The count.
        value: f64,
    },
    /// Keyness: the counts sum to infinity.
    #[error("keyness: the counts sum to {0}; they must have a finite total")]
    InfiniteTotal(f64),
    /// Keyness: "group vs rest" needs a rest.
    #[error("keyness needs at least 2 groups (groups = {0})")]
    TooFewGroups(usize),
    /// Keyness: the prior needs at least two terms with a positive corpus count.
    #[error("keyness needs at least 2 terms with a positive count in the corpus (terms with counts = {0})")]
    TooFewTerms(usize),
    /// Keyness: the counts are so unbalanced that a log-odds ratio is not finite in `f64`.
    #[error("keyness: group {group}, term {term} (count {count} of a corpus total {total}) gives a non-finite log-odds ratio; the counts are too unbalanced")]
    Degenerate {
        /// The group (row).
        group: usize,
        /// The term index.
        term: usize,
        /// The term's count in the group.
        count: f64,
        /// The corpus total.
        total: f64,
    },
}
