//! Errors of corpus loading.

use std::path::PathBuf;

/// An error that stops corpus loading. Problems with single documents are not errors: they
/// are reported as [`super::Skipped`] and the document is left out.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The corpus path does not exist.
    #[error("corpus '{0}' does not exist; give a folder of .txt/.md files or a .jsonl, .csv or .parquet file")]
    NotFound(PathBuf),
    /// A file or folder could not be read.
    #[error("cannot read '{path}': {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The file has an extension rhetor does not read as a corpus.
    #[error("'{0}' is not a corpus rhetor can read: give a folder of .txt/.md files or a .jsonl, .csv or .parquet file")]
    UnsupportedFormat(PathBuf),
    /// A folder without any readable document.
    #[error("no documents in '{path}': {detail}")]
    Empty {
        /// The corpus path.
        path: PathBuf,
        /// What was found instead.
        detail: String,
    },
    /// A JSONL line is not valid JSON or not an object.
    #[error("{path}:{line}: {message}")]
    Json {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A named column is missing from a tabular file.
    #[error("'{path}' has no column '{column}' (given by {flag}); its columns are: {available}")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column that was asked for.
        column: String,
        /// The flag or config key that named it.
        flag: String,
        /// The columns that exist, comma-separated.
        available: String,
    },
    /// The id column has the same value twice.
    #[error("'{path}': id column '{column}' has the value '{value}' twice (rows {first} and {second}); choose another --id-col, or use --doc-col {column} if the rows are paragraphs of one document")]
    DuplicateId {
        /// The file.
        path: PathBuf,
        /// The id column.
        column: String,
        /// The repeated value.
        value: String,
        /// 0-based row of the first occurrence.
        first: usize,
        /// 0-based row of the second occurrence.
        second: usize,
    },
    /// A CSV or Parquet file could not be parsed.
    #[error("cannot parse '{path}': {message}")]
    Table {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}
