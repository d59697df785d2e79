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
    /// The output exists and is not something rhetor wrote, so `--force` may not replace it.
    #[error(
        "refusing to replace '{path}': it holds {what} that rhetor did not write ({examples}); \
         --force replaces only a rhetor output. Choose another --out, or move those files away"
    )]
    NotRhetorOutput {
        /// The output path.
        path: PathBuf,
        /// What was found, e.g. "3 files".
        what: String,
        /// The first few names.
        examples: String,
    },
    /// An output path that is refused as given: inside the input, containing the input, a
    /// symbolic link, or naming no folder. The message says which and what to do.
    #[error("{0}")]
    Refused(String),
    /// The output appeared (or changed) while rhetor was running.
    #[error(
        "'{0}' was created by another program or rhetor run while this run worked; it was left \
         as it is and this run's results were not written. Run again with another --out \
         (or --force to replace a rhetor run)"
    )]
    AppearedDuringRun(PathBuf),
    /// The finished run could not be moved into place; the previous output is intact.
    #[error(
        "could not move the finished run into '{path}' ({cause}); {previous}. Nothing else \
         was changed"
    )]
    Commit {
        /// The output path.
        path: PathBuf,
        /// What happened to the previous output.
        previous: String,
        /// The underlying error (in the message, not a `source`, so it is printed once).
        cause: std::io::Error,
    },
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
