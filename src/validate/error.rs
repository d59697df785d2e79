//! Errors of the validation loop: every one names the file, column or value at fault and
//! says what to do.

use std::path::PathBuf;

/// Any error of `sample`, `agreement` or `validate`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ValidateError {
    /// A file of the run directory is missing or unreadable.
    #[error("cannot read the run '{run}': {message}")]
    Run {
        /// The run directory.
        run: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading a table (coded sample, reliability data) failed.
    #[error(transparent)]
    Table(#[from] crate::corpus::CorpusError),
    /// Writing outputs failed.
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    /// A needed column is missing.
    #[error("'{path}' has no column '{column}'{hint} (columns: {available})")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// What to do.
        hint: String,
        /// Its columns.
        available: String,
    },
    /// The run has no labelled dimension to sample, code or validate.
    #[error(
        "the run '{0}' has no labelled dimension (run it with codebooks or classifiers first)"
    )]
    NoDimensions(PathBuf),
    /// The coded file has no column named after a dimension of the run.
    #[error(
        "'{path}' has no column for any labelled dimension of the run (dimensions: {dimensions}); \
         fill in the columns of the file `rhetor sample` wrote"
    )]
    NoCodedDimension {
        /// The coded file.
        path: PathBuf,
        /// The run's dimensions.
        dimensions: String,
    },
    /// The coded file was drawn from a different run (other paragraphs).
    #[error(
        "'{path}' was sampled from a different run: its run_id is {found}, the run's is {expected} \
         (the paragraphs differ; code a sample drawn from this run with `rhetor sample`)"
    )]
    OtherRun {
        /// The coded file.
        path: PathBuf,
        /// run_id in the file.
        found: String,
        /// run_id of the run.
        expected: String,
    },
    /// Coded rows whose paragraph is not in the run.
    #[error(
        "'{path}': {count} coded row(s) name a paragraph that is not in the run, e.g. {examples}"
    )]
    UnknownParagraphs {
        /// The coded file.
        path: PathBuf,
        /// How many.
        count: usize,
        /// A few `doc_id/para_id` (with the row).
        examples: String,
    },
    /// Codes that are not labels of the dimension.
    #[error(
        "'{path}', column '{dimension}': {values} not label(s) of the dimension (labels: {labels}); \
         correct the codes or leave the cell empty"
    )]
    UnknownLabels {
        /// The coded file.
        path: PathBuf,
        /// The dimension (column).
        dimension: String,
        /// The unknown values with a row each.
        values: String,
        /// The dimension's labels.
        labels: String,
    },
    /// A cell that must be a number is not.
    #[error("'{path}' row {row}, column '{column}': '{value}' is not {expected}")]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based data row.
        row: usize,
        /// The column.
        column: String,
        /// The value.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// Nothing coded at all.
    #[error("'{0}' has no coded cell: fill in at least one dimension column")]
    NothingCoded(PathBuf),
    /// A coder coded the same paragraph twice with different codes.
    #[error("'{path}': {detail}; keep one row per coder and paragraph")]
    DuplicateCode {
        /// The file.
        path: PathBuf,
        /// Who coded what twice.
        detail: String,
    },
    /// A group with too few coded paragraphs for a corrected share.
    #[error(
        "dimension '{dimension}': group '{group}' has {coded} coded paragraph(s); a corrected share needs at least 2 \
         (draw the sample with `--stratify group`, or code more paragraphs of that group)"
    )]
    TooFewCoded {
        /// The dimension.
        dimension: String,
        /// The group.
        group: String,
        /// Coded paragraphs in it.
        coded: usize,
    },
    /// Krippendorff's α failed.
    #[error("dimension '{dimension}': {source}")]
    Agreement {
        /// The dimension.
        dimension: String,
        /// Why.
        source: crate::validate::agreement::AgreementError,
    },
    /// PPI failed.
    #[error("{context}: {source}")]
    Ppi {
        /// Dimension, group and label.
        context: String,
        /// Why.
        source: crate::validate::ppi::PpiError,
    },
    /// Invalid parameters (flags).
    #[error("{0}")]
    Params(String),
}

#[cfg(test)]
mod tests {
    #[test]
    fn errors_stay_small() {
        // clippy's result_large_err bar: every Result<_, ValidateError> stays cheap to move.
        assert!(std::mem::size_of::<super::ValidateError>() <= 128);
    }
}
