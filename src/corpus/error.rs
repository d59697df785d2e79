//! Errors of corpus loading.

use std::path::PathBuf;

/// An error that stops corpus loading. Problems with single documents are not errors: they
/// are reported as [`super::Skipped`] and the document is left out.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// The corpus path does not exist.
    #[error("corpus '{0}' does not exist; give a folder of .txt/.md files or a .jsonl, .csv or .parquet file")]
    NotFound(PathBuf),
    /// A file or folder could not be read. (The message leaves the cause to the error chain,
    /// so `{:#}` does not print it twice.)
    #[error("cannot read '{path}'")]
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
    /// The corpus path is not a regular file or folder (a FIFO, device or socket): never
    /// opened, since reading it could block or never end.
    #[error("'{path}' is not a regular file ({kind}); give a folder, or a .txt, .jsonl, .csv or .parquet file")]
    NotRegular {
        /// The path.
        path: PathBuf,
        /// What it is.
        kind: String,
    },
    /// A table file is UTF-16 (it starts with a UTF-16 byte-order mark).
    #[error("'{path}' is UTF-16 text; rhetor reads JSONL and CSV in UTF-8: convert it (e.g. `iconv -f UTF-16 -t UTF-8`)")]
    Utf16 {
        /// The file.
        path: PathBuf,
    },
    /// A CSV file has a quoted field that is never closed.
    #[error("'{path}' line {line}: a quoted field starts here and is never closed (unbalanced '\"'); close the quote, and write a quote inside a quoted field as two quotes (\"\")")]
    CsvQuote {
        /// The file.
        path: PathBuf,
        /// 1-based line of the opening quote.
        line: usize,
    },
    /// A CSV file has a quote inside an unquoted field and could not be parsed.
    #[error("'{path}' line {line}: a quote inside a field that does not start with a quote; put the whole field in quotes and write the quote as two quotes (\"5\"\" tall\")")]
    CsvStrayQuote {
        /// The file.
        path: PathBuf,
        /// 1-based line of the first such quote.
        line: usize,
    },
    /// A CSV file seems to use another field separator than the configured one.
    #[error("'{path}' looks {}-separated (its first line has no {}); rhetor reads {}-separated CSV: set separator = {} in the [corpus] section of a config file (--config), or convert the file", sep_name(*.found), sep_name(*.separator), sep_name(*.separator), toml_char(*.found))]
    CsvSeparator {
        /// The file.
        path: PathBuf,
        /// The separator the first line suggests.
        found: char,
        /// The separator rhetor used.
        separator: char,
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

/// A separator in words: `';'`, or `tab`.
fn sep_name(c: char) -> String {
    if c == '\t' {
        "tab".to_string()
    } else {
        format!("'{c}'")
    }
}

/// A character as a TOML string.
fn toml_char(c: char) -> String {
    if c == '\t' {
        "\"\\t\"".to_string()
    } else {
        format!("\"{c}\"")
    }
}
