//! The LSA errors: [`ReduceParamsError`] (invalid params) and [`ReduceError`] (input that
//! cannot be reduced).

use thiserror::Error;

/// An invalid [`ReduceParams`](super::ReduceParams).
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ReduceParamsError {
    /// `n_components` was 0.
    #[error("n_components must be at least 1 (got {0})")]
    ZeroComponents(usize),
}

/// An LSA input that cannot be reduced.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum ReduceError {
    /// The matrix has no rows or no columns.
    #[error(
        "cannot run LSA on an empty term matrix ({rows} rows × {cols} columns): \
         it needs at least one paragraph and one term"
    )]
    Empty {
        /// Number of rows (paragraphs).
        rows: usize,
        /// Number of columns (terms).
        cols: usize,
    },
    /// The matrix has more rows or columns than 32-bit indices can address.
    #[error("the term matrix is too large for LSA ({rows} rows × {cols} columns)")]
    TooLarge {
        /// Number of rows (paragraphs).
        rows: usize,
        /// Number of columns (terms).
        cols: usize,
    },
    /// The matrix holds a NaN or an infinity.
    #[error("the term matrix holds a non-finite value ({value}) at row {row}, column {col}")]
    NonFinite {
        /// Row of the value.
        row: usize,
        /// Column of the value.
        col: usize,
        /// The value.
        value: f64,
    },
    /// New rows with a different number of columns than the fitted components.
    #[error(
        "the term matrix has {cols} columns but the fitted LSA components have {components}; \
         the rows must be weighted by the vectorizer the components were fitted on"
    )]
    ColumnMismatch {
        /// Columns of the new rows.
        cols: usize,
        /// Columns of the components.
        components: usize,
    },
    /// Invalid params, when fitting unchecked [`ReduceParams`](super::ReduceParams) through
    /// linfa's `Fit` (which checks them first).
    #[error(transparent)]
    Params(#[from] ReduceParamsError),
    /// An error raised by linfa (its message: `linfa::Error` is not `PartialEq`, which
    /// this enum derives).
    #[error("linfa: {0}")]
    Linfa(String),
}

/// linfa's `Fit` requires its error type to convert from `linfa::Error`.
impl From<linfa::Error> for ReduceError {
    fn from(e: linfa::Error) -> Self {
        ReduceError::Linfa(e.to_string())
    }
}
