//! Corpus loading: folders of text files and tabular files (JSONL, CSV, Parquet).
//!
//! - A **folder** (searched recursively) of `.txt` / `.md` files: one document per file, id =
//!   path relative to the folder (with `/`; names that are not UTF-8 are escaped one-to-one,
//!   see [`escape_name`]), documents in sorted id order. Files with other extensions are
//!   skipped and counted. A first line `date YYYY-MM-DD Title…` or YAML-style front matter
//!   (`---` … `---`, flat `key: value` lines) gives metadata. Files are UTF-8 (with or
//!   without a byte-order mark) or UTF-16 with a byte-order mark. Only regular files and
//!   links to them are read: FIFOs, devices, sockets and links to folders are reported and
//!   never opened, and files over [`CorpusParams::max_file_bytes`] are reported unread.
//! - A **`.jsonl`, `.csv` or `.parquet` file**: one document per row, text from
//!   [`CorpusParams::text_col`], id from [`CorpusParams::id_col`] (or the 0-based row number
//!   when there is no such column). Every other column is kept as metadata. Columns named
//!   `title`, `date` or `source` fill those document fields. CSV cells are read as text: the
//!   text, id and document columns stay text, and a metadata column becomes a number only
//!   when every value reads back exactly as written (so `007` and `02134` keep their zeros;
//!   see [`MetaValues::from_csv_text`]). A row whose text is not a string (a JSONL number or
//!   boolean) or whose id is empty is reported and left out.
//! - With [`CorpusParams::doc_col`], rows that share a value of that column are the paragraphs
//!   of one document, in row order, and are not re-segmented. Columns that are constant within
//!   every document are document metadata; the others are paragraph metadata. Rows without a
//!   value in that column are reported and left out.
//!
//! Unreadable documents (not UTF-8, binary, special files, too large, I/O errors) and empty
//! ones are never silently lost: they are listed in [`Corpus::skipped`] with their path or
//! row. A corrupt Parquet file is an error naming it, never a crash.

mod date;
mod error;
mod meta;
mod reader;
mod table;
pub use table::{chunks, read_columns, TableChunks};
mod text;

pub use date::{
    bad_dates_warning, civil_from_days, date_warning, days_from_civil, format_date, parse_date,
};
pub use error::CorpusError;
pub use meta::{MetaColumn, MetaValues};
pub(crate) use reader::read_parquet_file;
pub use text::{normalize, parse_header, Header};

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

/// Default of [`CorpusParams::max_file_bytes`]: 256 MiB.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Corpus loading parameters (the `[corpus]` section of the config).
///
/// Defaults: `text_col = "text"`, `id_col = None` (use `id` when present, else the row
/// number), `doc_col = None`, `unit = "paragraph"`, `max_file_bytes = 268435456` (256 MiB),
/// `separator = ","`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    /// Text files (in a folder, or given alone) larger than this many bytes are skipped and
    /// reported instead of read (default 256 MiB). Does not apply to JSONL/CSV/Parquet tables.
    pub max_file_bytes: u64,
    /// Field separator of CSV files, one ASCII character (default `,`; e.g. `";"` or `"\t"`).
    pub separator: char,
}

impl Default for CorpusParams {
    fn default() -> Self {
        CorpusParams {
            text_col: None,
            id_col: None,
            doc_col: None,
            unit: Unit::default(),
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            separator: ',',
        }
    }
}

impl CorpusParams {
    /// The text column name.
    pub fn text_col(&self) -> &str {
        self.text_col.as_deref().unwrap_or("text")
    }

    /// Checks the values: `max_file_bytes` at least 1, `separator` one ASCII character that
    /// is not a quote or a line break.
    pub fn check(&self) -> Result<(), String> {
        if self.max_file_bytes == 0 {
            return Err("max_file_bytes must be at least 1 (max_file_bytes = 0)".to_string());
        }
        let s = self.separator;
        if !s.is_ascii() || matches!(s, '"' | '\n' | '\r') {
            return Err(format!(
                "separator must be one ASCII character other than a quote or a line break (separator = {s:?})"
            ));
        }
        Ok(())
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
    /// Starts with a UTF-16 byte-order mark but is not valid UTF-16 (an unpaired surrogate).
    InvalidUtf16 {
        /// Byte offset of the first invalid code unit.
        offset: usize,
    },
    /// Looks binary (NUL bytes).
    Binary,
    /// Could not be read.
    Unreadable {
        /// The I/O error.
        message: String,
    },
    /// Not a regular file (a FIFO, device, socket, or a link to one): never opened, since
    /// reading it could block or never end.
    NotRegular {
        /// What it is: `FIFO`, `character device`, `block device`, `socket`, `folder`, ….
        kind: String,
    },
    /// Larger than `[corpus] max_file_bytes`; not read.
    TooLarge {
        /// Size in bytes (at least `limit + 1` when the file grew while being read).
        bytes: u64,
        /// The limit.
        limit: u64,
    },
    /// A table row without a value in the id column (or, with `--doc-col`, the document
    /// column), so it belongs to no document.
    MissingId {
        /// The column.
        column: String,
        /// The flag that named the column (`--id-col`, `--doc-col`).
        flag: String,
    },
    /// A JSONL row whose text is not a string (a number, boolean, array or object).
    NotText {
        /// The text column.
        column: String,
        /// What it holds instead: `a number`, `a boolean`, `an array`, `an object`.
        found: String,
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
            SkipReason::InvalidUtf16 { offset } => write!(
                f,
                "starts with a UTF-16 byte-order mark but is not valid UTF-16 (unpaired surrogate at byte {offset}); convert it to UTF-8"
            ),
            SkipReason::Binary => f.write_str("binary file (contains NUL bytes), not text"),
            SkipReason::Unreadable { message } => write!(f, "cannot be read: {message}"),
            SkipReason::NotRegular { kind } => write!(
                f,
                "not a regular file ({kind}); rhetor reads only regular files (and links to them)"
            ),
            SkipReason::TooLarge { bytes, limit } => write!(
                f,
                "{bytes} bytes, more than the limit of {limit} bytes; raise max_file_bytes in the [corpus] section of the config to read it"
            ),
            SkipReason::MissingId { column, flag } => write!(
                f,
                "no value in the {flag} column '{column}', so the row belongs to no document; fill it in, or remove the row"
            ),
            SkipReason::NotText { column, found } => write!(
                f,
                "'{column}' is {found}, not a string; put the text in quotes if it is meant as text"
            ),
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
    /// Tabular input: every column of the file, in file order (also those that became the
    /// id, text, title, date or source); empty for text files.
    pub columns: Vec<String>,
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
    if !meta.is_file() {
        return Err(CorpusError::NotRegular {
            path: path.to_path_buf(),
            kind: file_kind(&meta).to_string(),
        });
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

/// What a file that is not a regular file is, in words.
pub(crate) fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

/// The first few skipped documents and why, grouped by reason, for an error that says
/// nothing was left: `'a.txt', 'b.txt': binary file …; 'c.txt': not valid UTF-8 …`.
pub(crate) fn skipped_summary(skipped: &[Skipped]) -> String {
    const SOURCES: usize = 3;
    const REASONS: usize = 3;
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for k in skipped {
        let reason = k.reason.to_string();
        match groups.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, sources)) => sources.push(&k.source),
            None => groups.push((reason, vec![&k.source])),
        }
    }
    let mut parts: Vec<String> = groups
        .iter()
        .take(REASONS)
        .map(|(reason, sources)| {
            let mut names = sources
                .iter()
                .take(SOURCES)
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(", ");
            if sources.len() > SOURCES {
                names.push_str(&format!(" and {} more", sources.len() - SOURCES));
            }
            format!("{names}: {reason}")
        })
        .collect();
    if groups.len() > REASONS {
        let rest: usize = groups[REASONS..].iter().map(|(_, s)| s.len()).sum();
        parts.push(format!("{rest} more for other reasons"));
    }
    parts.join("; ")
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

/// A file name as an id: valid UTF-8 is kept as it is, except that a backslash `\` becomes
/// `\\`; every byte that is not part of valid UTF-8 becomes `\xHH` (two upper-case hex
/// digits), so `x\xff.txt` and `x\xfe.txt` (bytes) become the ids `x\xFF.txt` and
/// `x\xFE.txt`. The mapping is one-to-one (names never collide) and reversible.
pub fn escape_name(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_bytes(name.as_bytes())
    }
    #[cfg(not(unix))]
    {
        match name.to_str() {
            Some(s) => s.replace('\\', "\\\\"),
            None => escape_bytes(name.as_encoded_bytes()),
        }
    }
}

fn escape_bytes(mut bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    let push_valid = |out: &mut String, s: &str| {
        for c in s.chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
    };
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                push_valid(&mut out, s);
                return out;
            }
            Err(e) => {
                let (good, rest) = bytes.split_at(e.valid_up_to());
                push_valid(&mut out, std::str::from_utf8(good).unwrap_or_default());
                let bad = e.error_len().unwrap_or(rest.len());
                for b in &rest[..bad] {
                    out.push_str(&format!("\\x{b:02X}"));
                }
                bytes = &rest[bad..];
            }
        }
    }
}

/// The id of a file inside the corpus: its path relative to `root`, components joined with
/// `/`, each escaped with [`escape_name`].
pub(crate) fn rel_id(root: &Path, file: &Path) -> String {
    let rel: PathBuf = file.strip_prefix(root).unwrap_or(file).to_path_buf();
    rel.components()
        .map(|c| escape_name(c.as_os_str()))
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn file_names_are_escaped_one_to_one() {
        use std::os::unix::ffi::OsStrExt;
        let esc = |b: &[u8]| escape_name(std::ffi::OsStr::from_bytes(b));
        assert_eq!(esc(b"plain \xc3\xa9.txt"), "plain é.txt");
        assert_eq!(esc(b"x\xff.txt"), "x\\xFF.txt");
        assert_eq!(esc(b"x\xfe.txt"), "x\\xFE.txt");
        assert_eq!(esc(b"x\\xFF.txt"), "x\\\\xFF.txt");
        assert_eq!(esc(b"\xe2\x82"), "\\xE2\\x82");
    }

    #[test]
    fn skipped_summary_groups_by_reason() {
        let k = |source: &str, reason: SkipReason| Skipped {
            source: source.to_string(),
            reason,
        };
        let mut skipped: Vec<Skipped> = (0..5)
            .map(|i| k(&format!("r{i}"), SkipReason::Empty))
            .collect();
        skipped.push(k("b.txt", SkipReason::Binary));
        assert_eq!(
            skipped_summary(&skipped),
            "'r0', 'r1', 'r2' and 2 more: empty or whitespace only; 'b.txt': binary file (contains NUL bytes), not text"
        );
    }

    #[test]
    fn corpus_params_check() {
        assert!(CorpusParams::default().check().is_ok());
        let p = CorpusParams {
            max_file_bytes: 0,
            ..CorpusParams::default()
        };
        assert!(p.check().unwrap_err().contains("max_file_bytes"));
        let p = CorpusParams {
            separator: '"',
            ..CorpusParams::default()
        };
        assert!(p.check().unwrap_err().contains("separator"));
    }
}
