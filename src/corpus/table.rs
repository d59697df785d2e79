//! Tabular corpora: JSONL, CSV and Parquet files.

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

    fn row_label(&self, path: &Path, row: usize) -> String {
        match &self.lines {
            Some(l) => format!("{}:{}", display(path), l[row]),
            None => format!("{} row {}", display(path), row),
        }
    }
}

fn read_jsonl(path: &Path, bytes: &[u8], skipped: &mut Vec<Skipped>) -> Result<Table, CorpusError> {
    let mut rows: Vec<Map<String, Value>> = Vec::new();
    let mut lines = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let line = match std::str::from_utf8(raw) {
            Ok(l) => l,
            Err(e) => {
                skipped.push(Skipped {
                    source: format!("{}:{}", display(path), line_no),
                    reason: SkipReason::InvalidUtf8 {
                        offset: e.valid_up_to(),
                    },
                });
                continue;
            }
        };
        let line = line.strip_prefix('\u{feff}').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(m)) => {
                rows.push(m);
                lines.push(line_no);
            }
            Ok(other) => {
                return Err(CorpusError::Json {
                    path: path.to_path_buf(),
                    line: line_no,
                    message: format!(
                        "expected a JSON object per line, found {}",
                        json_kind(&other)
                    ),
                })
            }
            Err(e) => {
                return Err(CorpusError::Json {
                    path: path.to_path_buf(),
                    line: line_no,
                    message: format!("invalid JSON: {e}"),
                })
            }
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
    let columns = names
        .into_iter()
        .map(|name| {
            let vals: Vec<Option<&Value>> = rows.iter().map(|r| r.get(&name)).collect();
            MetaColumn {
                values: MetaValues::from_json(&vals),
                name,
            }
        })
        .collect();
    Ok(Table {
        n_rows: rows.len(),
        columns,
        lines: Some(lines),
    })
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

fn read_polars(path: &Path, ext: &str) -> Result<Table, CorpusError> {
    use polars::prelude::*;
    let table_err = |e: PolarsError| CorpusError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let df = if ext == "csv" {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(10_000))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .map_err(table_err)?
            .finish()
            .map_err(table_err)?
    } else {
        let f = std::fs::File::open(path).map_err(io_err(path))?;
        ParquetReader::new(f).finish().map_err(table_err)?
    };
    let n_rows = df.height();
    let mut columns = Vec::new();
    for c in df.columns() {
        let name = c.name().to_string();
        let s = c.as_materialized_series();
        let values = match s.dtype() {
            DataType::Boolean => MetaValues::Bool(s.bool().map_err(table_err)?.iter().collect()),
            dt if dt.is_integer() => {
                let s = s.cast(&DataType::Int64).map_err(table_err)?;
                MetaValues::Int(s.i64().map_err(table_err)?.iter().collect())
            }
            dt if dt.is_float() => {
                let s = s.cast(&DataType::Float64).map_err(table_err)?;
                MetaValues::Float(s.f64().map_err(table_err)?.iter().collect())
            }
            DataType::String => MetaValues::Str(
                s.str()
                    .map_err(table_err)?
                    .iter()
                    .map(|o| o.map(str::to_string))
                    .collect(),
            ),
            _ => match s.cast(&DataType::String) {
                Ok(cs) => MetaValues::Str(
                    cs.str()
                        .map_err(table_err)?
                        .iter()
                        .map(|o| o.map(str::to_string))
                        .collect(),
                ),
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

/// Loads a JSONL, CSV or Parquet corpus.
pub(super) fn load_table(
    path: &Path,
    ext: &str,
    params: &CorpusParams,
) -> Result<Corpus, CorpusError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let mut corpus = Corpus {
        inputs: vec![InputFile {
            path: display(path),
            bytes: bytes.len() as u64,
            sha256: sha256_hex(&bytes),
        }],
        ..Default::default()
    };
    let table = match ext {
        "jsonl" | "ndjson" => read_jsonl(path, &bytes, &mut corpus.skipped)?,
        _ => {
            drop(bytes);
            read_polars(path, ext)?
        }
    };
    let missing = |column: &str, flag: &str| CorpusError::MissingColumn {
        path: path.to_path_buf(),
        column: column.to_string(),
        flag: flag.to_string(),
        available: table.names(),
    };
    let text_name = params.text_col();
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
    let source = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
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
            let mut first_row: HashMap<String, usize> = HashMap::new();
            let mut kept = Vec::new();
            for row in 0..table.n_rows {
                let id = match id_i {
                    Some(i) => table.columns[i].values.get_string(row).unwrap_or_default(),
                    None => row.to_string(),
                };
                if let Some(&first) = first_row.get(&id) {
                    return Err(CorpusError::DuplicateId {
                        path: path.to_path_buf(),
                        column: table.columns[id_i.unwrap_or(0)].name.clone(),
                        value: id,
                        first,
                        second: row,
                    });
                }
                first_row.insert(id.clone(), row);
                let text = text_of(row);
                if text.trim().is_empty() {
                    corpus.skipped.push(Skipped {
                        source: table.row_label(path, row),
                        reason: SkipReason::Empty,
                    });
                    continue;
                }
                let title = get(title_i, row);
                corpus.documents.push(Document {
                    id,
                    source: get(source_i, row).unwrap_or_else(|| source.clone()),
                    date: get(date_i, row),
                    body: Body::Text { text, base: 0 },
                    title,
                });
                kept.push(row);
            }
            let skip: Vec<usize> = [Some(text_i), id_i, title_i, date_i, source_i]
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
        }
        Some(di) => {
            // Group rows by document, in order of first appearance.
            let mut order: Vec<String> = Vec::new();
            let mut groups: HashMap<String, Vec<usize>> = HashMap::new();
            for row in 0..table.n_rows {
                let key = table.columns[di].values.get_string(row).unwrap_or_default();
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
        return Err(CorpusError::Empty {
            path: path.to_path_buf(),
            detail: format!(
                "{} rows, none with text in column '{}'",
                table.n_rows, text_name
            ),
        });
    }
    Ok(corpus)
}
