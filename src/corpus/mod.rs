//! Corpus loading: folders of text files and tabular files (JSONL, CSV, Parquet).
//!
//! - A **folder** (searched recursively) of `.txt` / `.md` files: one document per file, id =
//!   path relative to the folder (with `/`), documents in sorted id order. Files with other
//!   extensions are skipped and counted. A first line `date YYYY-MM-DD Title…` or YAML-style
//!   front matter (`---` … `---`, flat `key: value` lines) gives metadata.
//! - A **`.jsonl`, `.csv` or `.parquet` file**: one document per row, text from
//!   [`CorpusParams::text_col`], id from [`CorpusParams::id_col`] (or the 0-based row number
//!   when there is no such column). Every other column is kept as metadata. Columns named
//!   `title`, `date` or `source` fill those document fields.
//! - With [`CorpusParams::doc_col`], rows that share a value of that column are the paragraphs
//!   of one document, in row order, and are not re-segmented. Columns that are constant within
//!   every document are document metadata; the others are paragraph metadata.
//!
//! Unreadable documents (not UTF-8, binary, I/O errors) and empty ones are never silently
//! lost: they are listed in [`Corpus::skipped`] with their path or row.

mod error;
mod meta;
mod table;
mod text;

pub use error::CorpusError;
pub use meta::{MetaColumn, MetaValues};
pub use text::{parse_header, Header};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// What one analysis unit is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// Documents are split into paragraphs (default).
    #[default]
    Paragraph,
    /// Each document (or table row) is one unit, unsegmented.
    Document,
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Unit::Paragraph => "paragraph",
            Unit::Document => "document",
        })
    }
}

/// Corpus loading parameters (the `[corpus]` section of the config).
///
/// Defaults: `text_col = "text"`, `id_col = None` (use `id` when present, else the row
/// number), `doc_col = None`, `unit = "paragraph"`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorpusParams {
    /// Text column of tabular files (default `text`).
    pub text_col: Option<String>,
    /// Id column of tabular files (default `id` when it exists, else the 0-based row number).
    pub id_col: Option<String>,
    /// Rows sharing a value of this column form one document (tabular files only).
    pub doc_col: Option<String>,
    /// Analysis unit (default paragraph).
    pub unit: Unit,
}

impl CorpusParams {
    /// The text column name.
    pub fn text_col(&self) -> &str {
        self.text_col.as_deref().unwrap_or("text")
    }
}

/// A document's body.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    /// Full text, to be segmented. Byte offsets of paragraphs are relative to the source file
    /// (text files) or to the text cell (tabular files): `base` is the offset of `text` in it.
    Text {
        /// The text.
        text: String,
        /// Offset of `text` in the source bytes (after a BOM or metadata header).
        base: usize,
    },
    /// Already-segmented rows (`doc_col`): (row index into [`Corpus::row_meta`], text).
    Rows(Vec<(usize, String)>),
}

/// One document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Unique id.
    pub id: String,
    /// The file it came from (relative path for folders, file name for tables).
    pub source: String,
    /// Title, if known.
    pub title: Option<String>,
    /// Date (`YYYY-MM-DD`), if known.
    pub date: Option<String>,
    /// The body.
    pub body: Body,
}

/// Why a document (or row) was left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Not valid UTF-8; the byte offset of the first bad byte.
    InvalidUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// Looks binary (NUL bytes).
    Binary,
    /// Could not be read.
    Unreadable {
        /// The I/O error.
        message: String,
    },
    /// Empty or whitespace only.
    Empty,
}

impl SkipReason {
    /// Whether this skip means an input could not be read (and the exit code should say so).
    pub fn is_failure(&self) -> bool {
        !matches!(self, SkipReason::Empty)
    }
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::InvalidUtf8 { offset } => {
                write!(
                    f,
                    "not valid UTF-8 (first bad byte at offset {offset}); convert it to UTF-8"
                )
            }
            SkipReason::Binary => f.write_str("binary file (contains NUL bytes), not text"),
            SkipReason::Unreadable { message } => write!(f, "cannot be read: {message}"),
            SkipReason::Empty => f.write_str("empty or whitespace only"),
        }
    }
}

/// A document or row that was left out.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// Path, or `file:line` / `file row N` for tabular rows.
    pub source: String,
    /// Why.
    pub reason: SkipReason,
}

/// An input file and its checksum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputFile {
    /// Path as shown to the user.
    pub path: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Hex sha256 of the file's bytes.
    pub sha256: String,
}

/// A loaded corpus.
#[derive(Clone, Debug, Default)]
pub struct Corpus {
    /// Documents in order.
    pub documents: Vec<Document>,
    /// User metadata, one value per document.
    pub doc_meta: Vec<MetaColumn>,
    /// Paragraph metadata (doc_col mode): one value per input row, indexed by the row index
    /// in [`Body::Rows`].
    pub row_meta: Vec<MetaColumn>,
    /// Every input file read, with its checksum.
    pub inputs: Vec<InputFile>,
    /// Documents or rows that were left out.
    pub skipped: Vec<Skipped>,
    /// Files in a folder that were not read because of their extension.
    pub n_other_files: usize,
}

impl Corpus {
    /// Whether some input could not be read (not merely empty).
    pub fn has_failures(&self) -> bool {
        self.skipped.iter().any(|s| s.reason.is_failure())
    }
}

/// Loads a corpus from a folder or a tabular file.
pub fn load(path: &Path, params: &CorpusParams) -> Result<Corpus, CorpusError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CorpusError::NotFound(path.to_path_buf())
        } else {
            CorpusError::Io {
                path: path.to_path_buf(),
                source: e,
            }
        }
    })?;
    if meta.is_dir() {
        return text::load_folder(path, params);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "jsonl" | "ndjson" | "csv" | "parquet" => table::load_table(path, &ext, params),
        "txt" | "md" => text::load_single(path, params),
        _ => Err(CorpusError::UnsupportedFormat(path.to_path_buf())),
    }
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut s = String::with_capacity(64);
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

pub(crate) fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> CorpusError + '_ {
    move |source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    }
}

pub(crate) fn display(path: &Path) -> String {
    path.display().to_string()
}

/// Resolves the path of a file inside the corpus for error messages.
pub(crate) fn rel_id(root: &Path, file: &Path) -> String {
    let rel: PathBuf = file.strip_prefix(root).unwrap_or(file).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}
