//! Errors of writing outputs.

use std::path::PathBuf;

/// An error while writing a run directory.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The output directory exists and `--force` was not given.
    #[error(
        "output directory '{0}' already exists; choose another --out or pass --force to replace it"
    )]
    Exists(PathBuf),
    /// A file or directory could not be written.
    #[error("cannot write '{path}'")]
    Io {
        /// The path.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// Polars failed to build or write a table.
    #[error("cannot write table '{path}': {message}")]
    Table {
        /// The file.
        path: PathBuf,
        /// Polars' message.
        message: String,
    },
    /// A file that should be an existing run output could not be read.
    #[error("cannot read '{path}': {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}
