//! Writing a run directory: Parquet tables and `manifest.json`, atomically.
//!
//! A run is written into a staging directory beside the target (`.NAME.rhetor-tmp-PID`) and
//! renamed into place only when every file is complete, so a crash or an error never leaves a
//! half-written run. An existing run directory is refused unless `force` is set, and even
//! with `force` only a directory holding nothing but a rhetor run is replaced ([`RunDir`]
//! explains the rules). Single files written into an existing directory go through a
//! temporary file and a rename.

mod error;
mod rundir;
mod stream;

pub use error::ExportError;
pub use rundir::{check_no_overlap, check_replace_file, record_files, FileKind, RunDir, MARKER};
pub use stream::TableWriter;

use crate::corpus::{MetaColumn, MetaValues};
use polars::prelude::*;
use std::path::{Path, PathBuf};

/// Version of the table schemas (columns, types, meanings). Bumped on every change of the
/// public table contract; recorded in every Parquet file and in `manifest.json`.
pub const SCHEMA_VERSION: u32 = 4;

/// Extra formats a run can write beside Parquet, for tools that do not read Parquet.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Parquet (always written).
    Parquet,
    /// CSV with a header; list columns are JSON arrays in a text cell.
    Csv,
    /// JSON Lines (one object per row; lists are arrays).
    Json,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl RunDir {
    /// Also write every table in these formats (same columns, same rows).
    pub fn with_formats(mut self, formats: &[Format]) -> Self {
        self.formats = formats
            .iter()
            .copied()
            .filter(|f| *f != Format::Parquet)
            .collect();
        self.formats.sort();
        self.formats.dedup();
        self
    }

    /// Writes a Parquet table.
    pub fn write_parquet(
        &self,
        name: &str,
        df: &mut DataFrame,
        meta: &[(String, String)],
    ) -> Result<(), ExportError> {
        write_parquet(&self.file(name)?, df, meta)?;
        for f in &self.formats {
            let stem = name.strip_suffix(".parquet").unwrap_or(name);
            match f {
                Format::Csv => write_csv(&self.file(&format!("{stem}.csv"))?, df)?,
                Format::Json => write_jsonl(&self.file(&format!("{stem}.jsonl"))?, df)?,
                Format::Parquet => {}
            }
        }
        Ok(())
    }

    /// Writes a JSON file (pretty-printed, trailing newline).
    pub fn write_json<T: serde::Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), ExportError> {
        write_json(&self.file(name)?, value)
    }

    /// Writes a text file.
    pub fn write_text(&self, name: &str, text: &str) -> Result<(), ExportError> {
        write_text(&self.file(name)?, text)
    }

    /// Writes a file of raw bytes.
    pub fn write_bytes(&self, name: &str, bytes: &[u8]) -> Result<(), ExportError> {
        let path = self.file(name)?;
        atomically(&path, |tmp| std::fs::write(tmp, bytes).map_err(io(tmp)))
    }
}

/// Writes `path` atomically: `write` fills a temporary file beside it, which is renamed
/// into place only on success and removed on failure.
fn atomically(
    path: &Path,
    write: impl FnOnce(&Path) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let tmp = tmp_path(path);
    let result = write(&tmp).and_then(|_| std::fs::rename(&tmp, path).map_err(io(path)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn tmp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Rows per Parquet row group. Every table is cut at the same rows whether it is written at
/// once ([`write_parquet`]) or chunk by chunk ([`TableWriter`]), so both give the same bytes.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// The rows per row group in use: [`ROW_GROUP_ROWS`], or `RHETOR_ROW_GROUP_ROWS` when set
/// (tests cut small tables into several row groups with it).
pub fn row_group_rows() -> usize {
    static ROWS: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *ROWS.get_or_init(|| {
        std::env::var("RHETOR_ROW_GROUP_ROWS")
            .ok()
            .and_then(|v| v.parse().ok())
            .filter(|&n: &usize| n > 0)
            .unwrap_or(ROW_GROUP_ROWS)
    })
}

/// The key-value metadata of a Parquet table: the Arrow schema hint, `rhetor.version`,
/// `rhetor.schema_version` and `meta`.
fn parquet_kv(schema: &Schema, meta: &[(String, String)]) -> KeyValueMetadata {
    // polars records an Arrow schema with `string_view` types, and pyarrow cannot turn a
    // list of `string_view` into pandas objects. The Parquet data is the same either way
    // (BYTE_ARRAY / UTF8): giving the hint at the oldest compat level (large_string)
    // makes every reader (pandas, pyarrow, polars, DuckDB) read text without casting.
    let arrow_hint = polars_parquet::arrow::write::schema_to_metadata_key(
        &schema.to_arrow(CompatLevel::oldest()),
    );
    let mut kv = vec![
        (arrow_hint.key, arrow_hint.value.unwrap_or_default()),
        ("rhetor.version".to_string(), crate::VERSION.to_string()),
        (
            "rhetor.schema_version".to_string(),
            SCHEMA_VERSION.to_string(),
        ),
    ];
    kv.extend(meta.iter().cloned());
    KeyValueMetadata::from_static(kv)
}

/// A Parquet writer of rhetor's settings (zstd, no timestamps: the same table gives the
/// same bytes) for tables of `schema`.
fn parquet_writer(
    f: std::fs::File,
    schema: &Schema,
    meta: &[(String, String)],
) -> PolarsResult<polars::io::parquet::write::BatchedWriter<std::fs::File>> {
    ParquetWriter::new(f)
        .with_compression(ParquetCompression::Zstd(None))
        .with_key_value_metadata(Some(parquet_kv(schema, meta)))
        .batched(schema)
}

/// Writes rows `[0, n)` of `df` in row groups of [`row_group_rows`] (an empty table as one
/// empty batch).
fn write_row_groups(
    w: &mut polars::io::parquet::write::BatchedWriter<std::fs::File>,
    df: &DataFrame,
) -> PolarsResult<()> {
    if df.height() == 0 {
        return w.write_batch(df);
    }
    let (mut off, rows) = (0, row_group_rows());
    while off < df.height() {
        w.write_batch(&row_group(df, off, rows)?)?;
        off += rows;
    }
    Ok(())
}

/// Rows `[off, off + len)` of `df` as one row group, copied into fresh arrays: the Parquet
/// encoder sizes pages from an array's buffers, and a slice shares the buffers of the whole
/// array, so the same rows written from a slice and from a chunk read separately gave pages
/// of other sizes (the same values, other bytes).
pub(crate) fn row_group(df: &DataFrame, off: usize, len: usize) -> PolarsResult<DataFrame> {
    let part = df.slice(off as i64, len);
    let idx = IdxCa::from_vec("idx".into(), (0..part.height() as IdxSize).collect());
    part.take(&idx)
}

/// Writes `df` to `path` as Parquet (zstd, no timestamps: the same table gives the same
/// bytes; row groups of [`ROW_GROUP_ROWS`]), through a temporary file and a rename. `meta`
/// goes into the file's key-value metadata, with `rhetor.version` and
/// `rhetor.schema_version` added.
pub fn write_parquet(
    path: &Path,
    df: &mut DataFrame,
    meta: &[(String, String)],
) -> Result<(), ExportError> {
    atomically(path, |tmp| {
        let f = std::fs::File::create(tmp).map_err(io(tmp))?;
        let err = |e: PolarsError| ExportError::Table {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let mut w = parquet_writer(f, df.schema(), meta).map_err(err)?;
        write_row_groups(&mut w, df).map_err(err)?;
        w.finish().map_err(err)?;
        Ok(())
    })
}

fn table_err(path: &Path) -> impl FnOnce(PolarsError) -> ExportError + '_ {
    move |e| ExportError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Turns list columns into JSON-array text columns (CSV has no lists).
fn lists_as_json(df: &DataFrame, path: &Path) -> Result<DataFrame, ExportError> {
    let mut cols = Vec::with_capacity(df.width());
    for c in df.columns() {
        if let DataType::List(_) = c.dtype() {
            let list = c.list().map_err(table_err(path))?;
            let texts: Vec<Option<String>> = list
                .series_iter()
                .map(|o| {
                    o.map(|s| {
                        let items: Vec<serde_json::Value> = s
                            .iter()
                            .map(|v| match v {
                                AnyValue::String(x) => serde_json::Value::from(x),
                                AnyValue::StringOwned(x) => serde_json::Value::from(x.as_str()),
                                AnyValue::Float32(x) => serde_json::Value::from(x),
                                AnyValue::Float64(x) => serde_json::Value::from(x),
                                AnyValue::UInt32(x) => serde_json::Value::from(x),
                                AnyValue::UInt64(x) => serde_json::Value::from(x),
                                AnyValue::Int32(x) => serde_json::Value::from(x),
                                AnyValue::Int64(x) => serde_json::Value::from(x),
                                AnyValue::Null => serde_json::Value::Null,
                                other => serde_json::Value::from(other.to_string()),
                            })
                            .collect();
                        serde_json::Value::Array(items).to_string()
                    })
                })
                .collect();
            cols.push(Column::new(c.name().clone(), texts));
        } else {
            cols.push(c.clone());
        }
    }
    DataFrame::new(df.height(), cols).map_err(table_err(path))
}

/// Writes a table as CSV (header row, list columns as JSON arrays), atomically.
pub fn write_csv(path: &Path, df: &DataFrame) -> Result<(), ExportError> {
    let mut flat = lists_as_json(df, path)?;
    atomically(path, |tmp| {
        let f = std::fs::File::create(tmp).map_err(io(tmp))?;
        CsvWriter::new(f)
            .include_header(true)
            .finish(&mut flat)
            .map_err(table_err(path))
    })
}

/// One cell as JSON text: numbers in their shortest round-trip form (f32 as f32), dates as
/// `YYYY-MM-DD`, lists as arrays, NaN and infinities as null (JSON has none).
fn json_value(out: &mut String, v: &AnyValue<'_>) {
    use std::fmt::Write as _;
    let float = |out: &mut String, text: Result<String, serde_json::Error>, finite: bool| match text
    {
        Ok(t) if finite => out.push_str(&t),
        _ => out.push_str("null"),
    };
    match v {
        AnyValue::Null => out.push_str("null"),
        AnyValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        AnyValue::String(x) => out.push_str(&serde_json::Value::from(*x).to_string()),
        AnyValue::StringOwned(x) => out.push_str(&serde_json::Value::from(x.as_str()).to_string()),
        AnyValue::UInt8(x) => drop(write!(out, "{x}")),
        AnyValue::UInt16(x) => drop(write!(out, "{x}")),
        AnyValue::UInt32(x) => drop(write!(out, "{x}")),
        AnyValue::UInt64(x) => drop(write!(out, "{x}")),
        AnyValue::Int8(x) => drop(write!(out, "{x}")),
        AnyValue::Int16(x) => drop(write!(out, "{x}")),
        AnyValue::Int32(x) => drop(write!(out, "{x}")),
        AnyValue::Int64(x) => drop(write!(out, "{x}")),
        AnyValue::Float32(x) => float(out, serde_json::to_string(x), x.is_finite()),
        AnyValue::Float64(x) => float(out, serde_json::to_string(x), x.is_finite()),
        AnyValue::Date(d) => {
            out.push('"');
            out.push_str(&crate::corpus::format_date(*d));
            out.push('"');
        }
        AnyValue::List(s) => {
            out.push('[');
            for (i, item) in s.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json_value(out, &item);
            }
            out.push(']');
        }
        other => out.push_str(&serde_json::Value::from(other.to_string()).to_string()),
    }
}

/// Writes a table as JSON Lines (one object per row, keys in column order), atomically.
/// Written here rather than with polars' JSON writer: that writer is the only user of
/// polars' `json` feature, which adds simd-json and polars-json to the first build.
pub fn write_jsonl(path: &Path, df: &DataFrame) -> Result<(), ExportError> {
    atomically(path, |tmp| {
        use std::io::Write as _;
        let f = std::fs::File::create(tmp).map_err(io(tmp))?;
        let mut w = std::io::BufWriter::new(f);
        jsonl_rows(&mut w, df, path, tmp)?;
        w.flush().map_err(io(tmp))
    })
}

/// Writes the rows of `df` as JSON Lines to `w` (`path` names the table in errors, `file`
/// the file written).
fn jsonl_rows(
    w: &mut impl std::io::Write,
    df: &DataFrame,
    path: &Path,
    file: &Path,
) -> Result<(), ExportError> {
    let cols: Vec<&Series> = df
        .columns()
        .iter()
        .map(|c| c.as_materialized_series())
        .collect();
    let keys: Vec<String> = cols
        .iter()
        .map(|c| serde_json::Value::from(c.name().as_str()).to_string())
        .collect();
    let mut line = String::new();
    for row in 0..df.height() {
        line.clear();
        line.push('{');
        for (k, (key, col)) in keys.iter().zip(&cols).enumerate() {
            if k > 0 {
                line.push(',');
            }
            line.push_str(key);
            line.push(':');
            let v = col.get(row).map_err(table_err(path))?;
            json_value(&mut line, &v);
        }
        line.push_str("}\n");
        w.write_all(line.as_bytes()).map_err(io(file))?;
    }
    Ok(())
}

/// Writes a value as pretty JSON through a temporary file and a rename.
pub fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), ExportError> {
    let mut s = serde_json::to_string_pretty(value).map_err(|e| ExportError::Table {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    s.push('\n');
    write_text(path, &s)
}

/// Writes a text file through a temporary file and a rename.
pub fn write_text(path: &Path, text: &str) -> Result<(), ExportError> {
    atomically(path, |tmp| std::fs::write(tmp, text).map_err(io(tmp)))
}

/// Reads a Parquet table of a run directory. A corrupt file is an error naming it, never a
/// panic (the same reader as Parquet corpora).
pub fn read_parquet(path: &Path) -> Result<DataFrame, ExportError> {
    crate::corpus::read_parquet_file(path).map_err(|message| ExportError::Read {
        path: path.to_path_buf(),
        message,
    })
}

/// Turns a metadata column into a polars column.
pub fn meta_column(c: &MetaColumn) -> Column {
    let name: PlSmallStr = c.name.as_str().into();
    match &c.values {
        MetaValues::Str(v) => Column::new(name, v),
        MetaValues::Int(v) => Column::new(name, v),
        MetaValues::Float(v) => Column::new(name, v),
        MetaValues::Bool(v) => Column::new(name, v),
    }
}

/// Builds a data frame from columns, mapping polars errors to [`ExportError`].
pub fn frame(path: &str, height: usize, columns: Vec<Column>) -> Result<DataFrame, ExportError> {
    DataFrame::new(height, columns).map_err(|e| ExportError::Table {
        path: PathBuf::from(path),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A table of one list<f32> vector and one text per row, like `embeddings.parquet`.
    fn vectors(rows: std::ops::Range<usize>) -> DataFrame {
        let v: Vec<Series> = rows
            .clone()
            .map(|i| {
                let x: Vec<f32> = (0..100)
                    .map(|j| ((i * 31 + j * 7) % 997) as f32 / 997.0)
                    .collect();
                Series::new(PlSmallStr::EMPTY, x)
            })
            .collect();
        let t: Vec<String> = rows.clone().map(|i| format!("paragraph {i}")).collect();
        DataFrame::new(
            rows.len(),
            vec![
                Column::new("text".into(), t),
                Column::new("vector".into(), v),
            ],
        )
        .unwrap()
    }

    /// Regression: the same rows written at once (row groups cut from one array) and chunk
    /// by chunk (row groups made of several chunks) must give the same bytes. With a row
    /// group cut as a slice of the whole array the encoder sized its pages from the whole
    /// array's buffers, and `embeddings.parquet` of 100k paragraphs differed between
    /// `apply` and `merge` (same values, other pages).
    #[test]
    fn a_table_written_at_once_or_in_chunks_has_the_same_bytes() {
        let n = ROW_GROUP_ROWS + 4_321;
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole.parquet");
        write_parquet(&whole, &mut vectors(0..n), &[]).unwrap();
        let run = RunDir::create(&dir.path().join("run"), false).unwrap();
        let mut w = run.table_writer("t.parquet", &[]).unwrap();
        let mut start = 0;
        for len in [7_000, 1, 30_000, 29_999]
            .into_iter()
            .chain(std::iter::repeat(9_000))
        {
            let end = (start + len).min(n);
            w.push(vectors(start..end)).unwrap();
            start = end;
            if start == n {
                break;
            }
        }
        assert_eq!(w.finish().unwrap().0, n);
        let streamed = run.staging_dir().unwrap().join("t.parquet");
        let (a, b) = (
            std::fs::read(&whole).unwrap(),
            std::fs::read(&streamed).unwrap(),
        );
        assert!(a == b, "{} vs {} bytes", a.len(), b.len());
    }

    #[test]
    fn jsonl_rows_keep_types_and_shortest_floats() {
        let list: Vec<Option<Series>> = vec![Some(Series::new("".into(), &[0.1f32, -2.5])), None];
        let mut date = Column::new("date".into(), &[Some(15_587i32), None]);
        date = date.cast(&DataType::Date).unwrap();
        let df = DataFrame::new(
            2,
            vec![
                Column::new("doc_id".into(), &["a \"q\"", "b\\n"]),
                Column::new("n".into(), &[1u32, 2]),
                Column::new("x".into(), &[0.1f32, f32::NAN]),
                Column::new("y".into(), &[Some(1.0f64 / 3.0), None]),
                Column::new("ok".into(), &[true, false]),
                Column::new("v".into(), list),
                date,
            ],
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        write_jsonl(&p, &df).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "{\"doc_id\":\"a \\\"q\\\"\",\"n\":1,\"x\":0.1,\"y\":0.3333333333333333,\"ok\":true,\"v\":[0.1,-2.5],\"date\":\"2012-09-04\"}\n\
             {\"doc_id\":\"b\\\\n\",\"n\":2,\"x\":null,\"y\":null,\"ok\":false,\"v\":null,\"date\":null}\n"
        );
        for line in text.lines() {
            let _: serde_json::Value = serde_json::from_str(line).unwrap();
        }
    }
}
