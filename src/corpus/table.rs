//! Tabular corpora: JSONL, CSV and Parquet files.

use super::meta::JsonKind;
use super::{
    display, io_err, sha256_hex, Body, Corpus, CorpusError, CorpusParams, Document, InputFile,
    MetaColumn, MetaValues, SkipReason, Skipped,
};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::Path;

/// Columns of a table, all of the same length.
struct Table {
    n_rows: usize,
    columns: Vec<MetaColumn>,
    /// Original 1-based line numbers (JSONL) for messages; `None` for CSV/Parquet.
    lines: Option<Vec<usize>>,
    /// JSONL: per row, what the text value is when it is not a string (`a number`, …).
    not_text: Option<Vec<Option<&'static str>>>,
    /// The file row of the table's first row (a chunk of a larger file), for messages and
    /// for ids by row number.
    offset: usize,
}

impl Table {
    fn names(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    /// What the text of `row` is, when it is not a string.
    fn not_text(&self, text_i: usize, row: usize) -> Option<&'static str> {
        if let Some(kinds) = &self.not_text {
            return kinds[row];
        }
        match &self.columns[text_i].values {
            MetaValues::Str(_) => None,
            MetaValues::Int(v) => v[row].map(|_| "a number"),
            MetaValues::Float(v) => v[row].map(|_| "a number"),
            MetaValues::Bool(v) => v[row].map(|_| "a boolean"),
        }
    }

    fn row_label(&self, path: &Path, row: usize) -> String {
        match &self.lines {
            Some(l) => format!("{}:{}", display(path), l[row]),
            None => format!("{} row {}", display(path), self.offset + row),
        }
    }
}

/// One line of a JSONL file.
enum JsonLine {
    /// A JSON object: a row.
    Object(Map<String, Value>),
    /// Empty or whitespace only.
    Blank,
    /// Not UTF-8: left out.
    Skip(Skipped),
}

/// Parses line `line_no` (1-based, without its `\n`) of a JSONL file; a line that is not a
/// JSON object is an error naming it.
fn parse_jsonl_line(path: &Path, line_no: usize, raw: &[u8]) -> Result<JsonLine, CorpusError> {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let line = match std::str::from_utf8(raw) {
        Ok(l) => l,
        Err(e) => {
            return Ok(JsonLine::Skip(Skipped {
                source: format!("{}:{}", display(path), line_no),
                reason: SkipReason::InvalidUtf8 {
                    offset: e.valid_up_to(),
                },
            }))
        }
    };
    let line = line.strip_prefix('\u{feff}').unwrap_or(line);
    if line.trim().is_empty() {
        return Ok(JsonLine::Blank);
    }
    match serde_json::from_str::<Value>(line) {
        Ok(Value::Object(m)) => Ok(JsonLine::Object(m)),
        Ok(other) => Err(CorpusError::Json {
            path: path.to_path_buf(),
            line: line_no,
            message: format!(
                "expected a JSON object per line, found {}",
                json_kind(&other)
            ),
        }),
        Err(e) => Err(CorpusError::Json {
            path: path.to_path_buf(),
            line: line_no,
            message: format!("invalid JSON: {e}"),
        }),
    }
}

/// The table of JSONL `rows` (found on `lines`) with columns `names`, of the types `kinds`
/// (inferred from these rows when `None`).
fn jsonl_table(
    rows: &[Map<String, Value>],
    lines: Vec<usize>,
    names: &[String],
    kinds: Option<&[JsonKind]>,
    text_name: &str,
) -> Table {
    let columns = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let vals: Vec<Option<&Value>> = rows.iter().map(|r| r.get(name)).collect();
            let kind = match kinds {
                Some(k) => k[i],
                None => JsonKind::of(&vals),
            };
            MetaColumn {
                values: MetaValues::from_json_as(&vals, kind),
                name: name.clone(),
            }
        })
        .collect();
    let not_text = rows
        .iter()
        .map(|r| match r.get(text_name) {
            None | Some(Value::Null) | Some(Value::String(_)) => None,
            Some(other) => Some(json_kind(other)),
        })
        .collect();
    Table {
        n_rows: rows.len(),
        columns,
        lines: Some(lines),
        offset: 0,
        not_text: Some(not_text),
    }
}

fn read_jsonl(
    path: &Path,
    bytes: &[u8],
    text_name: &str,
    skipped: &mut Vec<Skipped>,
) -> Result<Table, CorpusError> {
    let mut rows: Vec<Map<String, Value>> = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        match parse_jsonl_line(path, i + 1, raw)? {
            JsonLine::Object(m) => {
                rows.push(m);
                lines.push(i + 1);
            }
            JsonLine::Blank => {}
            JsonLine::Skip(k) => skipped.push(k),
        }
    }
    // Columns in first-seen key order.
    let mut names: Vec<String> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    for r in &rows {
        for k in r.keys() {
            if seen.insert(k.clone(), ()).is_none() {
                names.push(k.clone());
            }
        }
    }
    Ok(jsonl_table(&rows, lines, &names, None, text_name))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Quote problems of a CSV file, as 1-based line numbers.
#[derive(Debug, Default, PartialEq, Eq)]
struct QuoteScan {
    /// A quoted field that is never closed starts on this line.
    unclosed: Option<usize>,
    /// The first quote inside an unquoted field (`5" tall`), which polars reads as the start
    /// of a quoted part.
    stray: Option<usize>,
}

/// Scans `bytes` as CSV with `sep` between fields and `"` as the quote: a quote opens a
/// quoted field at the start of a field; `""` inside one is a literal quote.
fn scan_quotes(bytes: &[u8], sep: u8) -> QuoteScan {
    let mut scan = QuoteScan::default();
    let mut line = 1;
    let mut open_line = 0;
    let mut in_quotes = false;
    let mut field_start = true;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
        }
        if in_quotes {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
            field_start = false;
        } else if b == b'"' && field_start {
            in_quotes = true;
            open_line = line;
            field_start = false;
        } else {
            if b == b'"' && scan.stray.is_none() {
                scan.stray = Some(line);
            }
            field_start = b == sep || b == b'\n' || (b == b'\r' && field_start);
        }
        i += 1;
    }
    if in_quotes {
        scan.unclosed = Some(open_line);
    }
    scan
}

/// The separator the first line of a CSV file suggests, when it has none of `sep` but one
/// of `,`, `;`, tab or `|`.
fn sniff_separator(bytes: &[u8], sep: u8) -> Option<char> {
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    if first.contains(&sep) {
        return None;
    }
    [b',', b';', b'\t', b'|']
        .into_iter()
        .filter(|&c| c != sep)
        .map(|c| (first.iter().filter(|&&b| b == c).count(), c))
        .filter(|&(n, _)| n > 0)
        .max_by_key(|&(n, c)| (n, std::cmp::Reverse(c)))
        .map(|(_, c)| c as char)
}

fn has_utf16_bom(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF])
}

/// Reads a CSV file with every column as text (types are decided later, see
/// [`MetaValues::from_csv_text`]).
fn read_csv(path: &Path, sep: u8) -> Result<Table, String> {
    use polars::prelude::*;
    let read = || -> PolarsResult<DataFrame> {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_separator(sep))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))?
            .finish()
    };
    let df = match super::reader::catch_quiet(read) {
        Ok(Ok(df)) => df,
        Ok(Err(e)) => return Err(super::reader::short_message(&e.to_string())),
        Err(panic) => {
            return Err(format!(
                "the CSV reader failed ({})",
                super::reader::short_message(&panic)
            ))
        }
    };
    frame_to_table(&df).map_err(|e| e.to_string())
}

fn frame_to_table(df: &polars::prelude::DataFrame) -> polars::prelude::PolarsResult<Table> {
    use polars::prelude::*;
    let n_rows = df.height();
    let mut columns = Vec::new();
    for c in df.columns() {
        let name = c.name().to_string();
        let s = c.as_materialized_series();
        let values = match s.dtype() {
            DataType::Boolean => MetaValues::Bool(s.bool()?.iter().collect()),
            dt if dt.is_integer() => {
                let s = s.cast(&DataType::Int64)?;
                MetaValues::Int(s.i64()?.iter().collect())
            }
            dt if dt.is_float() => {
                let s = s.cast(&DataType::Float64)?;
                MetaValues::Float(s.f64()?.iter().collect())
            }
            DataType::String => {
                MetaValues::Str(s.str()?.iter().map(|o| o.map(str::to_string)).collect())
            }
            _ => match s.cast(&DataType::String) {
                Ok(cs) => {
                    MetaValues::Str(cs.str()?.iter().map(|o| o.map(str::to_string)).collect())
                }
                Err(_) => MetaValues::Str(
                    (0..n_rows)
                        .map(|i| s.get(i).ok().map(|v| v.to_string()))
                        .collect(),
                ),
            },
        };
        columns.push(MetaColumn { name, values });
    }
    Ok(Table {
        n_rows,
        columns,
        lines: None,
        not_text: None,
        offset: 0,
    })
}

const DOC_CORE: &[&str] = &[
    "doc_id",
    "title",
    "date",
    "source",
    "n_paragraphs",
    "n_dropped",
    "n_headings",
    "n_tokens",
];
const PARA_CORE: &[&str] = &[
    "doc_id",
    "para_id",
    "section",
    "text",
    "byte_start",
    "byte_end",
    "n_tokens",
    "topic_id",
    "topic_label",
    "topic_prob",
];

fn rename_clash(mut c: MetaColumn, core: &[&str]) -> MetaColumn {
    if core.contains(&c.name.as_str()) {
        c.name = format!("meta_{}", c.name);
    }
    c
}

/// A table read from a JSONL, CSV or Parquet file, with the facts the corpus reader's
/// messages need.
struct Read {
    table: Table,
    sha256: String,
    bytes: u64,
    /// With a CSV file: the separator its first line suggests when it lacks ours.
    other_separator: Option<char>,
}

/// Reads the rows of a JSONL, CSV (every cell as text) or Parquet file; JSONL lines that are
/// not UTF-8 go to `skipped`.
fn read_file(
    path: &Path,
    ext: &str,
    separator: char,
    text_name: &str,
    skipped: &mut Vec<Skipped>,
) -> Result<Read, CorpusError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let (sha256, n_bytes) = (sha256_hex(&bytes), bytes.len() as u64);
    let table_err = |message: String| CorpusError::Table {
        path: path.to_path_buf(),
        message,
    };
    let mut other_separator = None;
    let table = match ext {
        "jsonl" | "ndjson" => {
            if has_utf16_bom(&bytes) {
                return Err(CorpusError::Utf16 {
                    path: path.to_path_buf(),
                });
            }
            read_jsonl(path, &bytes, text_name, skipped)?
        }
        "csv" => {
            if has_utf16_bom(&bytes) {
                return Err(CorpusError::Utf16 {
                    path: path.to_path_buf(),
                });
            }
            let sep = separator as u8;
            let quotes = scan_quotes(&bytes, sep);
            if let Some(line) = quotes.unclosed {
                return Err(CorpusError::CsvQuote {
                    path: path.to_path_buf(),
                    line,
                });
            }
            other_separator = sniff_separator(&bytes, sep);
            drop(bytes);
            let separator_err = |found| CorpusError::CsvSeparator {
                path: path.to_path_buf(),
                found,
                separator,
            };
            match (read_csv(path, sep), other_separator, quotes.stray) {
                (Ok(t), _, _) => t,
                (Err(_), Some(found), _) => return Err(separator_err(found)),
                (Err(_), None, Some(line)) => {
                    return Err(CorpusError::CsvStrayQuote {
                        path: path.to_path_buf(),
                        line,
                    })
                }
                (Err(message), None, None) => return Err(table_err(message)),
            }
        }
        _ => {
            drop(bytes);
            let df = super::read_parquet_file(path).map_err(table_err)?;
            frame_to_table(&df).map_err(|e| table_err(e.to_string()))?
        }
    };
    Ok(Read {
        table,
        sha256,
        bytes: n_bytes,
        other_separator,
    })
}

/// The columns of a JSONL, CSV or Parquet file that is not a corpus (a coded sample, a
/// reliability table), with the same checks as corpora: a clear error for a missing file,
/// UTF-16, an unclosed quote or the wrong separator; never a panic. CSV cells stay text.
/// Returns the number of rows, the columns, and 1-based line numbers for JSONL.
pub fn read_columns(
    path: &Path,
    separator: char,
) -> Result<(usize, Vec<MetaColumn>, Vec<Skipped>), CorpusError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if !matches!(ext.as_str(), "jsonl" | "ndjson" | "csv" | "parquet") {
        return Err(CorpusError::Table {
            path: path.to_path_buf(),
            message: "expected a .csv, .jsonl or .parquet file".to_string(),
        });
    }
    let mut skipped = Vec::new();
    let read = read_file(path, &ext, separator, "", &mut skipped)?;
    Ok((read.table.n_rows, read.table.columns, skipped))
}

/// Loads a JSONL, CSV or Parquet corpus.
pub(super) fn load_table(
    path: &Path,
    ext: &str,
    params: &CorpusParams,
) -> Result<Corpus, CorpusError> {
    let text_name = params.text_col();
    let mut skipped = Vec::new();
    let Read {
        table,
        sha256,
        bytes,
        other_separator,
    } = read_file(path, ext, params.separator, text_name, &mut skipped)?;
    let mut corpus = Corpus {
        inputs: vec![InputFile {
            path: display(path),
            bytes,
            sha256,
        }],
        skipped,
        ..Default::default()
    };
    let is_csv = ext == "csv";
    let missing = |column: &str, flag: &str| match other_separator {
        Some(found) if table.columns.len() == 1 => CorpusError::CsvSeparator {
            path: path.to_path_buf(),
            found,
            separator: params.separator,
        },
        _ => CorpusError::MissingColumn {
            path: path.to_path_buf(),
            column: column.to_string(),
            flag: flag.to_string(),
            available: table.names(),
        },
    };
    let text_i = table
        .position(text_name)
        .ok_or_else(|| missing(text_name, "--text-col"))?;
    let id_i = match &params.id_col {
        Some(c) => Some(table.position(c).ok_or_else(|| missing(c, "--id-col"))?),
        None => table.position("id"),
    };
    let doc_i = match &params.doc_col {
        Some(c) => Some(table.position(c).ok_or_else(|| missing(c, "--doc-col"))?),
        None => None,
    };
    corpus.columns = table.columns.iter().map(|c| c.name.clone()).collect();
    let mut table = table;
    if is_csv {
        // CSV cells are text; metadata columns get a type only where no value changes its
        // spelling. Text, id, document and title/date/source columns stay text.
        for (i, c) in table.columns.iter_mut().enumerate() {
            let keep_text = i == text_i
                || Some(i) == id_i
                || Some(i) == doc_i
                || ["title", "date", "source"].contains(&c.name.as_str());
            if keep_text {
                continue;
            }
            if let MetaValues::Str(v) = std::mem::replace(&mut c.values, MetaValues::Str(vec![])) {
                c.values = MetaValues::from_csv_text(v);
            }
        }
    }
    let table = table;
    let source = path
        .file_name()
        .map(super::escape_name)
        .unwrap_or_else(|| display(path));
    let text_of = |row: usize| {
        table.columns[text_i]
            .values
            .get_string(row)
            .unwrap_or_default()
    };
    let field = |name: &str| {
        table
            .position(name)
            .filter(|&i| i != text_i && Some(i) != doc_i)
    };
    let (title_i, date_i, source_i) = (field("title"), field("date"), field("source"));
    let get =
        |i: Option<usize>, row: usize| i.and_then(|i| table.columns[i].values.get_string(row));

    match doc_i {
        None => {
            let layout = Layout {
                text_i,
                id_i,
                title_i,
                date_i,
                source_i,
            };
            let mut seen = SeenIds::default();
            rows_to_documents(
                &table,
                path,
                text_name,
                &layout,
                &source,
                &mut seen,
                &mut corpus,
            )?;
        }
        Some(di) => {
            // Group rows by document, in order of first appearance.
            let mut order: Vec<String> = Vec::new();
            let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
            for row in 0..table.n_rows {
                let key = match table.columns[di].values.get_string(row) {
                    Some(k) if !k.trim().is_empty() => k,
                    _ => {
                        corpus.skipped.push(Skipped {
                            source: table.row_label(path, row),
                            reason: SkipReason::MissingId {
                                column: table.columns[di].name.clone(),
                                flag: "--doc-col".to_string(),
                            },
                        });
                        continue;
                    }
                };
                groups
                    .entry(key.clone())
                    .or_insert_with(|| {
                        order.push(key);
                        Vec::new()
                    })
                    .push(row);
            }
            let mut first_rows = Vec::new();
            let mut group_rows: Vec<&Vec<usize>> = Vec::new();
            for key in &order {
                let rows = &groups[key];
                let body: Vec<(usize, String)> = rows
                    .iter()
                    .filter_map(|&r| {
                        if let Some(found) = table.not_text(text_i, r) {
                            corpus
                                .skipped
                                .push(not_text(&table, path, r, text_name, found));
                            return None;
                        }
                        let t = text_of(r);
                        if t.trim().is_empty() {
                            corpus.skipped.push(Skipped {
                                source: table.row_label(path, r),
                                reason: SkipReason::Empty,
                            });
                            None
                        } else {
                            Some((r, t))
                        }
                    })
                    .collect();
                if body.is_empty() {
                    continue;
                }
                let r0 = rows[0];
                corpus.documents.push(Document {
                    id: key.clone(),
                    source: get(source_i, r0).unwrap_or_else(|| source.clone()),
                    title: get(title_i, r0),
                    date: get(date_i, r0),
                    body: Body::Rows(body),
                });
                first_rows.push(r0);
                group_rows.push(rows);
            }
            let skip: Vec<usize> = [Some(text_i), Some(di), title_i, date_i, source_i]
                .into_iter()
                .flatten()
                .collect();
            for (i, c) in table.columns.iter().enumerate() {
                if skip.contains(&i) {
                    continue;
                }
                let constant = group_rows
                    .iter()
                    .all(|rows| rows.iter().all(|&r| c.values.same(r, rows[0])));
                if constant {
                    corpus.doc_meta.push(rename_clash(
                        MetaColumn {
                            name: c.name.clone(),
                            values: c.values.take(&first_rows),
                        },
                        DOC_CORE,
                    ));
                } else {
                    corpus.row_meta.push(rename_clash(c.clone(), PARA_CORE));
                }
            }
        }
    }
    if corpus.documents.is_empty() {
        let detail = if corpus.skipped.is_empty() {
            format!(
                "{} rows, none with text in column '{}'",
                table.n_rows, text_name
            )
        } else {
            format!(
                "{} rows, all skipped: {}",
                table.n_rows,
                super::skipped_summary(&corpus.skipped)
            )
        };
        return Err(CorpusError::Empty {
            path: path.to_path_buf(),
            detail,
        });
    }
    Ok(corpus)
}

/// A Parquet corpus of one document per row, read in chunks of rows (see [`chunks`]): each
/// chunk is a [`Corpus`] of its documents, their metadata and the rows it left out, with the
/// same documents, ids, checks and messages as [`super::load`] of the whole file.
pub struct TableChunks {
    path: std::path::PathBuf,
    text_name: String,
    layout: Layout,
    source: String,
    n_rows: usize,
    next: usize,
    chunk_rows: usize,
    seen: SeenIds,
    format: ChunkFormat,
    /// Every row has been read.
    done: bool,
    /// Every column of the file, in file order.
    pub columns: Vec<String>,
    /// The file, its size and checksum.
    pub input: InputFile,
}

/// How the rows of a chunked file are read.
enum ChunkFormat {
    /// Parquet: a slice of rows at a time.
    Parquet,
    /// JSONL: lines from where the last chunk stopped, with the columns and their types
    /// found by a first pass over the whole file.
    Jsonl {
        reader: std::io::BufReader<std::fs::File>,
        line_no: usize,
        kinds: Vec<JsonKind>,
    },
}

/// The first pass over a JSONL file: its columns (first-seen key order), their types, its
/// rows (objects), checksum and size. Errors as [`super::load`] gives them.
#[allow(clippy::type_complexity)]
fn jsonl_pass(
    path: &Path,
) -> Result<(Vec<String>, Vec<JsonKind>, usize, String, u64), CorpusError> {
    use super::meta::JsonKindAcc;
    use std::io::BufRead as _;
    let mut r = std::io::BufReader::with_capacity(
        1 << 20,
        std::fs::File::open(path).map_err(io_err(path))?,
    );
    let mut h = <sha2::Sha256 as sha2::Digest>::new();
    let (mut names, mut kinds): (Vec<String>, Vec<JsonKindAcc>) = (Vec::new(), Vec::new());
    let mut index: HashMap<String, usize> = HashMap::new();
    let (mut rows, mut bytes, mut line_no) = (0usize, 0u64, 0usize);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = r.read_until(b'\n', &mut buf).map_err(io_err(path))?;
        if line_no == 0 && has_utf16_bom(&buf) {
            return Err(CorpusError::Utf16 {
                path: path.to_path_buf(),
            });
        }
        sha2::Digest::update(&mut h, &buf);
        bytes += n as u64;
        let had_newline = buf.last() == Some(&b'\n');
        let raw = if had_newline {
            &buf[..buf.len() - 1]
        } else {
            &buf[..]
        };
        line_no += 1;
        if let JsonLine::Object(m) = parse_jsonl_line(path, line_no, raw)? {
            rows += 1;
            for (k, v) in &m {
                let i = *index.entry(k.clone()).or_insert_with(|| {
                    names.push(k.clone());
                    kinds.push(JsonKindAcc::default());
                    names.len() - 1
                });
                kinds[i].add(v);
            }
        }
        if !had_newline {
            break;
        }
    }
    let sha: String = sha2::Digest::finalize(h)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok((
        names,
        kinds.iter().map(|k| k.kind()).collect(),
        rows,
        sha,
        bytes,
    ))
}

/// Opens the corpus `path` for reading in chunks of `chunk_rows` rows, when it can be read
/// so: a Parquet or JSONL file whose rows are documents (without `--doc-col`, whose rows of
/// one document may be anywhere in the file). `Ok(None)` for every other corpus (CSV, text
/// files, folders): load it whole with [`super::load`]. A JSONL file is read twice: once for
/// its columns and their types (which depend on every row), then chunk by chunk. A missing
/// text or id column is an error here, as in [`super::load`].
pub fn chunks(
    path: &Path,
    params: &CorpusParams,
    chunk_rows: usize,
) -> Result<Option<TableChunks>, CorpusError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    if params.doc_col.is_some() || !path.is_file() {
        return Ok(None);
    }
    if ext == "jsonl" || ext == "ndjson" {
        let (names, kinds, n_rows, sha256, bytes) = jsonl_pass(path)?;
        let reader = std::io::BufReader::with_capacity(
            1 << 20,
            std::fs::File::open(path).map_err(io_err(path))?,
        );
        let format = ChunkFormat::Jsonl {
            reader,
            line_no: 0,
            kinds,
        };
        return open_chunks(
            path,
            params,
            chunk_rows,
            names,
            n_rows,
            (sha256, bytes),
            format,
        )
        .map(Some);
    }
    if ext != "parquet" {
        return Ok(None);
    }
    let table_err = |message: String| CorpusError::Table {
        path: path.to_path_buf(),
        message,
    };
    let (names, n_rows) = {
        use polars::prelude::*;
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        let read = || -> PolarsResult<(Vec<String>, usize)> {
            let mut r = ParquetReader::new(f);
            let names = r.schema()?.iter_names().map(|n| n.to_string()).collect();
            Ok((names, r.num_rows()?))
        };
        super::reader::read_parquet_with(read).map_err(table_err)?
    };
    let (sha256, bytes) = {
        use std::io::Read as _;
        let mut f = std::fs::File::open(path).map_err(io_err(path))?;
        let mut h = <sha2::Sha256 as sha2::Digest>::new();
        let mut buf = vec![0u8; 1 << 20];
        let mut bytes = 0u64;
        loop {
            let n = f.read(&mut buf).map_err(io_err(path))?;
            if n == 0 {
                break;
            }
            sha2::Digest::update(&mut h, &buf[..n]);
            bytes += n as u64;
        }
        let hex: String = sha2::Digest::finalize(h)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        (hex, bytes)
    };
    open_chunks(
        path,
        params,
        chunk_rows,
        names,
        n_rows,
        (sha256, bytes),
        ChunkFormat::Parquet,
    )
    .map(Some)
}

/// The chunk reader of a file with columns `names` and `n_rows` rows.
fn open_chunks(
    path: &Path,
    params: &CorpusParams,
    chunk_rows: usize,
    names: Vec<String>,
    n_rows: usize,
    (sha256, bytes): (String, u64),
    format: ChunkFormat,
) -> Result<TableChunks, CorpusError> {
    let position = |name: &str| names.iter().position(|n| n == name);
    let missing = |column: &str, flag: &str| CorpusError::MissingColumn {
        path: path.to_path_buf(),
        column: column.to_string(),
        flag: flag.to_string(),
        available: names.join(", "),
    };
    let text_name = params.text_col();
    let text_i = position(text_name).ok_or_else(|| missing(text_name, "--text-col"))?;
    let id_i = match &params.id_col {
        Some(c) => Some(position(c).ok_or_else(|| missing(c, "--id-col"))?),
        None => position("id"),
    };
    let field = |name: &str| position(name).filter(|&i| i != text_i);
    let layout = Layout {
        text_i,
        id_i,
        title_i: field("title"),
        date_i: field("date"),
        source_i: field("source"),
    };
    Ok(TableChunks {
        path: path.to_path_buf(),
        text_name: text_name.to_string(),
        layout,
        source: path
            .file_name()
            .map(super::escape_name)
            .unwrap_or_else(|| display(path)),
        n_rows,
        next: 0,
        chunk_rows: chunk_rows.max(1),
        seen: SeenIds::default(),
        done: n_rows == 0 && matches!(format, ChunkFormat::Parquet),
        format,
        columns: names,
        input: InputFile {
            path: display(path),
            bytes,
            sha256,
        },
    })
}

impl TableChunks {
    /// Rows of the file.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// The error for a file none of whose rows became a document (`skipped`: every row
    /// left out), as [`super::load`] gives it.
    pub fn empty_error(&self, skipped: &[Skipped]) -> CorpusError {
        let detail = if skipped.is_empty() {
            format!(
                "{} rows, none with text in column '{}'",
                self.n_rows, self.text_name
            )
        } else {
            format!(
                "{} rows, all skipped: {}",
                self.n_rows,
                super::skipped_summary(skipped)
            )
        };
        CorpusError::Empty {
            path: self.path.clone(),
            detail,
        }
    }

    fn read_parquet(&self) -> Result<Table, CorpusError> {
        use polars::prelude::*;
        let path = &self.path;
        let table_err = |message: String| CorpusError::Table {
            path: path.to_path_buf(),
            message,
        };
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        let slice = (self.next, self.chunk_rows);
        let df = super::reader::read_parquet_with(|| {
            ParquetReader::new(f).with_slice(Some(slice)).finish()
        })
        .map_err(table_err)?;
        frame_to_table(&df).map_err(|e| table_err(e.to_string()))
    }

    fn read_chunk(&mut self) -> Result<Corpus, CorpusError> {
        let mut corpus = Corpus {
            columns: self.columns.clone(),
            ..Default::default()
        };
        let mut table = match &mut self.format {
            ChunkFormat::Parquet => self.read_parquet()?,
            ChunkFormat::Jsonl {
                reader,
                line_no,
                kinds,
            } => {
                use std::io::BufRead as _;
                let path = &self.path;
                let (mut rows, mut lines) = (Vec::new(), Vec::new());
                let mut buf = Vec::new();
                while rows.len() < self.chunk_rows {
                    buf.clear();
                    let n = reader.read_until(b'\n', &mut buf).map_err(io_err(path))?;
                    if n == 0 {
                        self.done = true;
                        break;
                    }
                    let raw = buf.strip_suffix(b"\n").unwrap_or(&buf);
                    *line_no += 1;
                    match parse_jsonl_line(path, *line_no, raw)? {
                        JsonLine::Object(m) => {
                            rows.push(m);
                            lines.push(*line_no);
                        }
                        JsonLine::Blank => {}
                        JsonLine::Skip(k) => corpus.skipped.push(k),
                    }
                }
                jsonl_table(&rows, lines, &self.columns, Some(kinds), &self.text_name)
            }
        };
        table.offset = self.next;
        self.next += table.n_rows;
        if matches!(self.format, ChunkFormat::Parquet)
            && (self.next >= self.n_rows || table.n_rows == 0)
        {
            self.done = true;
        }
        rows_to_documents(
            &table,
            &self.path,
            &self.text_name,
            &self.layout,
            &self.source,
            &mut self.seen,
            &mut corpus,
        )?;
        Ok(corpus)
    }
}

impl Iterator for TableChunks {
    type Item = Result<Corpus, CorpusError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let chunk = self.read_chunk();
        if chunk.is_err() {
            self.done = true;
        }
        Some(chunk)
    }
}

/// Where the columns of a one-document-per-row table are.
struct Layout {
    text_i: usize,
    id_i: Option<usize>,
    title_i: Option<usize>,
    date_i: Option<usize>,
    source_i: Option<usize>,
}

/// The ids met so far and the row of each, hashed to 128 bits so a streamed corpus does not
/// keep every id's text.
///
/// The latest ids are in a hash map of at most [`SeenIds::RECENT`] entries; older ones in
/// sorted runs whose sizes halve from the first to the last (merged like a binary counter,
/// the smaller run into the larger one's buffer). That is 24 bytes per id: a hash map of all
/// ids took 33–66 bytes per id (its buckets are a power of two) and twice that while it
/// grew, 69 MB at 1M documents.
#[derive(Default)]
struct SeenIds {
    recent: HashMap<u128, usize>,
    runs: Vec<SortedIds>,
}

/// Distinct id hashes in increasing order, with their rows.
#[derive(Default)]
struct SortedIds {
    keys: Vec<u128>,
    rows: Vec<usize>,
}

impl SortedIds {
    fn get(&self, key: u128) -> Option<usize> {
        self.keys.binary_search(&key).ok().map(|i| self.rows[i])
    }

    /// Adds the ids of `other` (none of them in `self`), keeping the order: merged from the
    /// back into `self`'s grown buffer, so no third buffer is needed.
    fn absorb(&mut self, other: SortedIds) {
        let (na, nb) = (self.keys.len(), other.keys.len());
        self.keys.resize(na + nb, 0);
        self.rows.resize(na + nb, 0);
        let (mut i, mut j) = (na, nb);
        for k in (0..na + nb).rev() {
            if j == 0 {
                break;
            }
            if i > 0 && self.keys[i - 1] > other.keys[j - 1] {
                i -= 1;
                self.keys[k] = self.keys[i];
                self.rows[k] = self.rows[i];
            } else {
                j -= 1;
                self.keys[k] = other.keys[j];
                self.rows[k] = other.rows[j];
            }
        }
    }
}

impl SeenIds {
    /// Ids kept in the hash map before they move to a sorted run.
    const RECENT: usize = 1 << 16;

    fn key(id: &str) -> u128 {
        use std::hash::{Hash, Hasher};
        let half = |salt: u8| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            salt.hash(&mut h);
            id.hash(&mut h);
            h.finish() as u128
        };
        (half(0) << 64) | half(1)
    }

    /// Records `id` at `row`; the row where it was first seen when it is a duplicate.
    fn insert(&mut self, id: &str, row: usize) -> Option<usize> {
        self.insert_key(Self::key(id), row)
    }

    fn insert_key(&mut self, key: u128, row: usize) -> Option<usize> {
        if let Some(first) = self.runs.iter().find_map(|r| r.get(key)) {
            return Some(first);
        }
        match self.recent.entry(key) {
            std::collections::hash_map::Entry::Occupied(e) => return Some(*e.get()),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(row);
            }
        }
        if self.recent.len() >= Self::RECENT {
            let mut pairs: Vec<(u128, usize)> = self.recent.drain().collect();
            pairs.sort_unstable();
            let mut run = SortedIds::default();
            (run.keys, run.rows) = pairs.into_iter().unzip();
            self.runs.push(run);
            while let [.., a, b] = &self.runs[..] {
                if a.keys.len() > b.keys.len() {
                    break;
                }
                let last = self.runs.pop().unwrap_or_default();
                if let Some(a) = self.runs.last_mut() {
                    a.absorb(last);
                }
            }
        }
        None
    }
}

/// Adds the rows of `table` (one document per row) to `corpus`: its documents, their
/// metadata columns and the rows left out. A duplicate id (with the ids in `seen`) is an
/// error.
fn rows_to_documents(
    table: &Table,
    path: &Path,
    text_name: &str,
    l: &Layout,
    source: &str,
    seen: &mut SeenIds,
    corpus: &mut Corpus,
) -> Result<(), CorpusError> {
    let text_i = l.text_i;
    let get =
        |i: Option<usize>, row: usize| i.and_then(|i| table.columns[i].values.get_string(row));
    let mut kept = Vec::new();
    for row in 0..table.n_rows {
        let file_row = table.offset + row;
        let id = match l.id_i {
            Some(i) => match table.columns[i].values.get_string(row) {
                Some(id) if !id.trim().is_empty() => id,
                _ => {
                    corpus.skipped.push(Skipped {
                        source: table.row_label(path, row),
                        reason: SkipReason::MissingId {
                            column: table.columns[i].name.clone(),
                            flag: "--id-col".to_string(),
                        },
                    });
                    continue;
                }
            },
            None => file_row.to_string(),
        };
        if let Some(first) = seen.insert(&id, file_row) {
            return Err(CorpusError::DuplicateId {
                path: path.to_path_buf(),
                column: table.columns[l.id_i.unwrap_or(0)].name.clone(),
                value: id,
                first,
                second: file_row,
            });
        }
        if let Some(found) = table.not_text(text_i, row) {
            corpus
                .skipped
                .push(not_text(table, path, row, text_name, found));
            continue;
        }
        let text = table.columns[text_i]
            .values
            .get_string(row)
            .unwrap_or_default();
        if text.trim().is_empty() {
            corpus.skipped.push(Skipped {
                source: table.row_label(path, row),
                reason: SkipReason::Empty,
            });
            continue;
        }
        let title = get(l.title_i, row);
        corpus.documents.push(Document {
            id,
            source: get(l.source_i, row).unwrap_or_else(|| source.to_string()),
            date: get(l.date_i, row),
            body: Body::Text { text, base: 0 },
            title,
        });
        kept.push(row);
    }
    let skip: Vec<usize> = [Some(text_i), l.id_i, l.title_i, l.date_i, l.source_i]
        .into_iter()
        .flatten()
        .collect();
    corpus.doc_meta = table
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| !skip.contains(i))
        .map(|(_, c)| {
            rename_clash(
                MetaColumn {
                    name: c.name.clone(),
                    values: c.values.take(&kept),
                },
                DOC_CORE,
            )
        })
        .collect();
    Ok(())
}

fn not_text(table: &Table, path: &Path, row: usize, column: &str, found: &str) -> Skipped {
    Skipped {
        source: table.row_label(path, row),
        reason: SkipReason::NotText {
            column: column.to_string(),
            found: found.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 17: the ids seen are kept in sorted runs (24 bytes per id); a duplicate is found
    /// with the row of its first occurrence wherever that one is kept.
    #[test]
    fn seen_ids_find_duplicates_in_runs_and_recent_ids() {
        let mut seen = SeenIds::default();
        let n = 5 * SeenIds::RECENT + 123;
        for row in 0..n {
            assert_eq!(seen.insert(&format!("doc-{row}"), row), None, "row {row}");
        }
        // 5 full batches merged as a binary counter: runs of 4 and 1 batches, 123 recent.
        let sizes: Vec<usize> = seen.runs.iter().map(|r| r.keys.len()).collect();
        assert_eq!(sizes, vec![4 * SeenIds::RECENT, SeenIds::RECENT]);
        assert_eq!(seen.recent.len(), 123);
        for r in &seen.runs {
            assert!(r.keys.windows(2).all(|w| w[0] < w[1]));
            for (k, &row) in r.keys.iter().zip(&r.rows) {
                assert_eq!(*k, SeenIds::key(&format!("doc-{row}")));
            }
        }
        for first in [
            0,
            1,
            SeenIds::RECENT - 1,
            3 * SeenIds::RECENT + 7,
            n - 124,
            n - 1,
        ] {
            assert_eq!(seen.insert(&format!("doc-{first}"), n), Some(first));
        }
        assert_eq!(seen.insert("new", n), None);
        assert_eq!(seen.insert("new", n + 1), Some(n));
    }

    #[test]
    fn unclosed_quote_is_found_on_its_line() {
        let unclosed = |b: &[u8], sep| scan_quotes(b, sep).unclosed;
        assert_eq!(unclosed(b"a,b\n1,\"x, y\"\n", b','), None);
        assert_eq!(
            unclosed(b"a,b\n1,\"two\nlines\"\n2,\"\"\"q\"\"\"\n", b','),
            None
        );
        assert_eq!(unclosed(b"a,b\n1,x\n2,\"open\n3,y\n", b','), Some(3));
        assert_eq!(unclosed(b"a;b\r\n1;\"x\r\n", b';'), Some(2));
        // A quote inside an unquoted field is a literal character, but noted.
        assert_eq!(
            scan_quotes(b"a,b\n1,\"q\"\n2,5\" tall\n3,6\" x\n", b','),
            QuoteScan {
                unclosed: None,
                stray: Some(3)
            }
        );
    }

    #[test]
    fn separator_is_sniffed_from_the_first_line() {
        assert_eq!(
            sniff_separator(b"id;text;party\n1;a,b;c\n", b','),
            Some(';')
        );
        assert_eq!(sniff_separator(b"id\ttext\n", b','), Some('\t'));
        assert_eq!(sniff_separator(b"id,text\n", b','), None);
        assert_eq!(sniff_separator(b"text\nsome; words\n", b','), None);
        assert_eq!(sniff_separator(b"id,text\n", b';'), Some(','));
    }
}
